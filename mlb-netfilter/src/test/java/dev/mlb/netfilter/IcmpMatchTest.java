package dev.mlb.netfilter;

import static dev.mlb.netfilter.MatchTestSupport.findings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import dev.mlb.api.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * IcmpMatch built in code: factories, its text (expected values from iptables-nft-save, as in
 * icmp.cases), refusals and the kernel's need for {@code -p icmp} / {@code -p ipv6-icmp}.
 */
class IcmpMatchTest {

  @Test
  void factoriesAndText() {
    assertEquals(new IcmpMatch(IpFamily.V4, 8, 0, 255, false), IcmpMatch.icmp("echo-request"));
    assertEquals("8", IcmpMatch.icmp("ECHO-REQ").text());
    assertEquals("3/3", IcmpMatch.icmp("port-unreachable").text());
    assertEquals("any", IcmpMatch.icmp("any").text());
    assertEquals("any", IcmpMatch.icmp("255/0").text());
    assertEquals("8/0", IcmpMatch.icmp("8/0:5").text());
    assertEquals("8", IcmpMatch.icmp("010").text());
    assertEquals("255", IcmpMatch.icmp6("255/0:255").text());
    assertEquals("135", IcmpMatch.icmp6("neighbor-solicitation").text());
    assertEquals("4/0", IcmpMatch.icmp6("bad-header").text());
    assertEquals("icmp", IcmpMatch.icmp("8").module());
    assertEquals("icmp6", IcmpMatch.icmp6("128").module());
    assertEquals(" -p ipv6-icmp -m icmp6 ! --icmpv6-type 128",
        RestoreWriter.renderRule(Rule.builder().protocol(Protocol.of(58))
            .addMatches(IcmpMatch.icmp6("echo-request").negate()).build()));
  }

  @Test
  void badTypesAreRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IcmpMatch.icmp("echo"));
    assertEquals("ambiguous ICMP type \"echo\": \"echo-reply\" or \"echo-request\"?", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> IcmpMatch.icmp("8:9"));
    assertEquals("ICMP type ranges are not supported: \"8:9\"", e.getMessage());
    // iptables 1.8.9 has no mld-listener-* names, and no "any" for ICMPv6.
    assertThrows(IllegalArgumentException.class, () -> IcmpMatch.icmp6("mld-listener-query"));
    assertThrows(IllegalArgumentException.class, () -> IcmpMatch.icmp6("any"));
    assertThrows(IllegalArgumentException.class, () -> IcmpMatch.icmp("256"));
    assertThrows(IllegalArgumentException.class, () -> IcmpMatch.icmp("8/"));
    assertThrows(IllegalArgumentException.class, () -> new IcmpMatch(IpFamily.V4, 256, 0, 255, false));
  }

  @Test
  void badTypeInARuleNamesLineAndColumn() {
    ParseException e = assertThrows(ParseException.class, () -> RestoreParser.parse("t",
        "*filter\n-A INPUT -p icmp -m icmp --icmp-type 300\nCOMMIT\n", IpFamily.V4));
    // "-A INPUT -p icmp -m icmp --icmp-type " is 37 characters: the type starts at column 38.
    assertEquals("line 2, column 38: unknown ICMP type \"300\"; expected a type name such as echo-request or a"
        + " number 0 to 255, optionally /CODE (--icmp-type)", e.getMessage().split("\n")[0]);
  }

  @Test
  void needsItsProtocolAndFamily() {
    assertEquals(List.of(), findings(IpFamily.V4,
        Rule.builder().protocol(Protocol.of(1)).addMatches(IcmpMatch.icmp("8")).build()));
    assertEquals(List.of("error [icmp-protocol] table filter, chain INPUT, rule 1: -m icmp needs -p icmp in the"
        + " same rule (without !); the kernel refuses it otherwise"),
        findings(IpFamily.V4, Rule.builder().addMatches(IcmpMatch.icmp("8")).build()));
    assertEquals(List.of("error [icmp6-family] table filter, chain INPUT, rule 1: -m icmp6 is IPv6's; iptables"
        + " has -m icmp --icmp-type instead",
        "warning [protocol-family] table filter, chain INPUT, rule 1: -p ipv6-icmp in an IPv4 ruleset never matches;"
        + " IPv4 uses icmp (1)"),
        findings(IpFamily.V4, Rule.builder().protocol(Protocol.of(58)).addMatches(IcmpMatch.icmp6("128")).build()));
  }
}
