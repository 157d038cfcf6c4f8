package dev.mlb.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class IpAddressTest {

  /** Expected texts are what glibc's inet_ntop(3) printed (python3 socket.inet_ntop on Debian 12). */
  @ParameterizedTest
  @CsvSource({
    "2001:db8::1, 2001:db8::1",
    "::, ::",
    "::1, ::1",
    "::ffff:1.2.3.4, ::ffff:1.2.3.4",
    "::1.2.3.4, ::1.2.3.4",
    "1::, 1::",
    "1:0:0:2:0:0:0:3, 1:0:0:2::3",
    "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
    "fe80::1:0:0:0, fe80::1:0:0:0",
    "0:0:0:0:0:1:0:0, ::1:0:0",
    "1:2:3:4:5:6:7:8, 1:2:3:4:5:6:7:8",
    "0:1:0:1:0:1:0:1, 0:1:0:1:0:1:0:1",
    "::ffff:0:0, ::ffff:0.0.0.0",
    "::fffe:1.2.3.4, ::fffe:102:304",
    "::2:3:4, ::2:3:4",
    "2001:DB8::A, 2001:db8::a",
  })
  void ipv6PrintsAsInetNtop(String input, String expected) {
    IpAddress a = IpAddress.parse(input);
    assertEquals(IpFamily.V6, a.family());
    assertEquals(expected, a.toString());
    assertEquals(a, IpAddress.parse(a.toString()));
  }

  @Test
  void ipv4RoundTripsThroughBytes() {
    IpAddress a = IpAddress.parse("198.51.100.254");
    assertEquals(IpFamily.V4, a.family());
    assertEquals("198.51.100.254", a.toString());
    assertEquals(a, IpAddress.fromBytes(a.toBytes()));
    assertEquals(0xC6336_4FEL, a.low());
  }

  @Test
  void maskingClearsHostBits() {
    assertEquals("192.0.2.0", IpAddress.parse("192.0.2.77").masked(24).toString());
    assertEquals("0.0.0.0", IpAddress.parse("192.0.2.77").masked(0).toString());
    assertEquals("2001:db8::", IpAddress.parse("2001:db8:1:2::9").masked(32).toString());
    assertEquals("2001:db8:1:2::", IpAddress.parse("2001:db8:1:2::9").masked(64).toString());
    assertEquals("2001:db8:1:2::8", IpAddress.parse("2001:db8:1:2::9").masked(127).toString());
  }

  @ParameterizedTest
  @CsvSource({"192.0.2", "192.0.2.256", "example.org", "1.2.3.4/24", "fe80::1%eth0", "''", "1:2:3:4:5:6:7:8:9"})
  void rejectsWhatIsNotALiteralAddress(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpAddress.parse(text));
    assertEquals(
        "\"" + text + "\" is not an IP address; expected an IPv4 address such as 192.0.2.1"
            + " or an IPv6 address such as 2001:db8::1",
        e.getMessage());
  }

  @Test
  void prefixes() {
    IpPrefix p = IpPrefix.parse("198.51.100.7/24");
    assertEquals("198.51.100.7/24", p.toString());
    assertEquals("198.51.100.0/24", p.network().toString());
    assertFalse(p.isNetwork());
    assertTrue(p.contains(IpAddress.parse("198.51.100.200")));
    assertFalse(p.contains(IpAddress.parse("198.51.101.1")));
    assertEquals("2001:db8::1/128", IpPrefix.parse("2001:db8::1").toString());
    assertTrue(IpPrefix.parse("0.0.0.0/0").contains(IpPrefix.parse("203.0.113.0/24")));
    assertFalse(IpPrefix.parse("::/0").contains(IpAddress.parse("192.0.2.1")));
    assertEquals(
        "\"192.0.2.0/33\": prefix length 33 is outside 0..32",
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("192.0.2.0/33")).getMessage());
    assertEquals(
        "\"192.0.2.0/x\": prefix length \"x\" is not a number; expected 0 to 32",
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("192.0.2.0/x")).getMessage());
  }
}
