package dev.mlb.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ValuesTest {

  @ParameterizedTest
  @CsvSource({
    "1, 1, 4294967295, 0x1",
    "0x10, 16, 4294967295, 0x10",
    "010, 8, 4294967295, 0x8",
    "0, 0, 4294967295, 0x0",
    "4294967295, 4294967295, 4294967295, 0xffffffff",
    "0x100/0xff00, 256, 65280, 0x100/0xff00",
    "1/0xFF, 1, 255, 0x1/0xff",
  })
  void marksParseLikeStrtoulBaseZero(String text, long value, long mask, String canonical) {
    Mark m = Mark.parse(text);
    assertEquals(value, m.value());
    assertEquals(mask, m.mask());
    assertEquals(canonical, m.toString());
    assertEquals(m, Mark.parse(m.toString()));
  }

  @Test
  void marksRejectMoreThan32Bits() {
    assertEquals(
        "mark \"0x100000000\": value \"0x100000000\" is not an unsigned 32-bit number;"
            + " expected 0 to 4294967295 in decimal, 0x hex or 0 octal",
        assertThrows(IllegalArgumentException.class, () -> Mark.parse("0x100000000")).getMessage());
    assertEquals(
        "mark \"1/4294967296\": mask \"4294967296\" is not an unsigned 32-bit number;"
            + " expected 0 to 4294967295 in decimal, 0x hex or 0 octal",
        assertThrows(IllegalArgumentException.class, () -> Mark.parse("1/4294967296")).getMessage());
    assertThrows(IllegalArgumentException.class, () -> Mark.parse("09"));
    assertThrows(IllegalArgumentException.class, () -> Mark.parse("-1"));
    assertThrows(IllegalArgumentException.class, () -> Mark.parse("0x"));
    assertThrows(IllegalArgumentException.class, () -> Mark.parse(""));
    assertThrows(IllegalArgumentException.class, () -> Mark.of(1L << 32));
  }

  @Test
  void markMatchesAsTheKernelTests() {
    Mark m = Mark.parse("0x100/0xff00");
    assertTrue(m.matches(0x1234_0100L));
    assertFalse(m.matches(0x1234_0200L));
    assertTrue(Mark.parse("0x3/0x1").hasBitsOutsideMask());
  }

  @Test
  void interfaceNames() {
    assertTrue(InterfaceName.of("ppp+").isWildcard());
    assertTrue(InterfaceName.of("ppp+").matches("ppp7"));
    assertFalse(InterfaceName.of("ppp0").matches("ppp01"));
    assertEquals("123456789012345", InterfaceName.of("123456789012345").name());
    assertEquals(
        "interface name \"1234567890123456\" is 16 characters; the kernel allows at most 15",
        assertThrows(IllegalArgumentException.class, () -> InterfaceName.of("1234567890123456")).getMessage());
    assertEquals(
        "interface name \"eth0:1\" contains ':' at position 5; the kernel does not allow it",
        assertThrows(IllegalArgumentException.class, () -> InterfaceName.of("eth0:1")).getMessage());
    assertEquals(
        "interface name \"a/b\" contains '/' at position 2; the kernel does not allow it",
        assertThrows(IllegalArgumentException.class, () -> InterfaceName.of("a/b")).getMessage());
    assertEquals(
        "interface name \"a b\" contains a whitespace, control or non-ASCII character at position 2",
        assertThrows(IllegalArgumentException.class, () -> InterfaceName.of("a b")).getMessage());
    assertEquals(
        "interface name \"\" is empty; expected 1 to 15 characters",
        assertThrows(IllegalArgumentException.class, () -> InterfaceName.of("")).getMessage());
    assertEquals(
        "interface name \"a+b\" contains '+' at position 2; '+' is only allowed last, as a wildcard",
        assertThrows(IllegalArgumentException.class, () -> InterfaceName.of("a+b")).getMessage());
    assertEquals(
        "interface name \"a\"b\" contains \" at position 2; quotes and backslashes cannot be written as part of one token",
        assertThrows(IllegalArgumentException.class, () -> InterfaceName.of("a\"b")).getMessage());
  }

  @Test
  void portRanges() {
    assertEquals("80", PortRange.parse("80").toString());
    assertEquals("1024:65535", PortRange.parse("1024:").toString());
    assertEquals("0:80", PortRange.parse(":80").toString());
    assertEquals("1:5", PortRange.parse("1-5").toString());
    assertTrue(PortRange.of(1, 5).contains(5));
    assertEquals(
        "port range \"5:3\" is empty; expected FIRST:LAST with FIRST <= LAST",
        assertThrows(IllegalArgumentException.class, () -> PortRange.parse("5:3")).getMessage());
    assertEquals(
        "\"65536\": port 65536 is outside 0..65535",
        assertThrows(IllegalArgumentException.class, () -> PortRange.parse("65536")).getMessage());
    assertEquals(
        "\"http\": \"http\" is not a port number; expected 0 to 65535",
        assertThrows(IllegalArgumentException.class, () -> PortRange.parse("http")).getMessage());
  }

  @Test
  void protocolsPrintAsNetbaseNames() {
    // Names as iptables-save 1.8.9 printed them for -p 47, -p 50, -p 135, -p 200 (see coverage golden).
    assertEquals("gre", Protocol.parse("47").toString());
    assertEquals("esp", Protocol.parse("50").toString());
    assertEquals("mobility-header", Protocol.parse("135").toString());
    assertEquals("ipv6-icmp", Protocol.parse("icmpv6").toString());
    assertEquals("200", Protocol.parse("200").toString());
    assertEquals(Protocol.TCP, Protocol.parse("TCP"));
    assertTrue(Protocol.isAny("all"));
    assertEquals(
        "unknown protocol \"tcpp\"; expected a name such as tcp, udp, icmp or a number 1 to 255",
        assertThrows(IllegalArgumentException.class, () -> Protocol.parse("tcpp")).getMessage());
  }

  @Test
  void parseExceptionPointsAtTheColumn() {
    ParseException e =
        new ParseException("rules.v4", 7, 33, "unknown option \"--evry\" for -m statistic",
            "-A balance1 -m statistic --mode [*]--evry 2".replace("[*]", ""));
    assertEquals(
        "line 7, column 33: unknown option \"--evry\" for -m statistic\n"
            + "  -A balance1 -m statistic --mode [*]--evry 2",
        e.getMessage());
    assertEquals("rules.v4: " + e.getMessage(), e.describe());
  }

  @Test
  void findingsPrintWithSeverityAndCode() {
    assertEquals(
        "error [chain-name-length] table mangle, chain x: too long",
        Finding.error("chain-name-length", "table mangle, chain x", "too long").toString());
  }
}
