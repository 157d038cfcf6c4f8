package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Masks as iptables-nft 1.8.9 reads them. The expectations are iptables-save's, from
 * {@code extension-cases/recent.cases} ({@code --mask}) and {@code hashlimit.cases}
 * ({@code --hashlimit-srcmask}); "refused" where iptables refused the form.
 */
class HostMasksTest {

  @ParameterizedTest
  @CsvSource({
    "4, 255.255.255.0, 255.255.255.0",
    "4, 255.0.255.0, 255.0.255.0",
    "4, 24, 0.0.0.24",
    "4, 10.1, 10.0.0.1",
    "4, 010.1, 8.0.0.1",
    "4, 0x10, 0.0.0.16",
    "4, 256, 0.0.1.0",
    "4, 4294967295, 255.255.255.255",
    "4, 4294967296, refused",
    "4, 1.2.3.4.5, refused",
    "4, 2001:db8::, refused",
    "6, ffff:ffff:ffff:ffff::, ffff:ffff:ffff:ffff::",
    "6, ffff::ffff, ffff::ffff",
    "6, ::, ::",
    "6, 64, refused",
    "6, 255.255.255.0, refused",
  })
  void addressesAsGetaddrinfoReadsThem(int family, String text, String expected) {
    IpAddress a = HostMasks.address(family == 4 ? IpFamily.V4 : IpFamily.V6, text);
    if (expected.equals("refused")) {
      assertNull(a, text);
    } else {
      assertEquals(expected, a.toString());
    }
  }

  @ParameterizedTest
  @CsvSource({
    "4, 24, 24",
    "4, 0x10, 16",
    "4, 255.255.255.0, 24",
    // Not a prefix length, but an address (0.0.0.128, 0.0.0.33): no run of ones, which the kernel refuses.
    "4, 128, 255",
    "4, 33, 255",
    "4, 255.0.255.0, 255",
    "4, -1, -1",
    "6, ffff:ffff::, 32",
    "6, 127, 127",
    "6, 129, -1",
    "6, ::ffff:255.255.255.0, 255",
  })
  void prefixLengthsAsXttypePlenReadsThem(int family, String text, int expected) {
    assertEquals(expected, HostMasks.prefixLength(family == 4 ? IpFamily.V4 : IpFamily.V6, text));
  }
}
