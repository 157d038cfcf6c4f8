package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.Finding;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** IprangeMatch built in code: factories, its text (as iptables-nft-save printed it in iprange.cases), refusals. */
class IprangeMatchTest {

  @Test
  void factoriesAndText() {
    assertEquals(new IprangeMatch(Optional.of(new IprangeMatch.Range(IpAddress.parse("192.0.2.1"),
        IpAddress.parse("192.0.2.9"))), false, Optional.empty(), false), IprangeMatch.source("192.0.2.1-192.0.2.9"));
    assertEquals(" -m iprange ! --dst-range 198.51.100.7-198.51.100.7",
        RestoreWriter.renderRule(Rule.builder().addMatches(IprangeMatch.destination("198.51.100.7").negateDestination())
            .build()));
    assertEquals("192.0.2.0-192.0.2.0", IprangeMatch.Range.parse("192.0.2").text());
    assertEquals("127.1.0.0-127.1.0.0", IprangeMatch.Range.parse("0x7f.1").text());
    assertEquals("2001:db8::1-2001:db8::1:0", IprangeMatch.Range.parse("2001:DB8:0:0::1-2001:db8::1:0").text());
    assertEquals(IpFamily.V6, IprangeMatch.source("2001:db8::2-2001:db8::1").family());
    assertEquals("iprange", IprangeMatch.source("192.0.2.1").module());
  }

  @Test
  void badRangesAreRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IprangeMatch.source("192.0.2.0/24"));
    assertEquals("bad address \"192.0.2.0/24\"; expected an IPv4 address such as 192.0.2.1 (FROM or FROM-TO)",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> IprangeMatch.source("192.0.2.1-"));
    assertThrows(IllegalArgumentException.class, () -> IprangeMatch.source("192.0.2.256"));
    assertThrows(IllegalArgumentException.class, () -> IprangeMatch.source("192.0.2.1-2001:db8::1"));
    assertThrows(IllegalArgumentException.class,
        () -> new IprangeMatch(Optional.empty(), false, Optional.empty(), false));
  }

  @Test
  void badRangeInARuleNamesLineAndColumn() {
    ParseException e = assertThrows(ParseException.class, () -> RestoreParser.parse("t",
        "*filter\n-A INPUT -m iprange --src-range 192.0.2.1-192.0.2.2-192.0.2.3\nCOMMIT\n", IpFamily.V4));
    // "-A INPUT -m iprange --src-range " is 32 characters: the range starts at column 33.
    assertEquals("line 2, column 33: bad address \"192.0.2.2-192.0.2.3\"; expected an IPv4 address such as 192.0.2.1"
        + " (FROM or FROM-TO) for --src-range", e.getMessage().split("\n")[0]);
  }

  @Test
  void addressesOfTheOtherFamilyAreAnError() {
    Ruleset r = Ruleset.builder().family(IpFamily.V6)
        .addTables(Table.builder().name(TableName.FILTER).addChains(Chain.builder().name("INPUT")
            .addRules(Rule.builder().addMatches(IprangeMatch.source("192.0.2.1")).build()).build()).build())
        .build();
    assertEquals(List.of("error [iprange-family] table filter, chain INPUT, rule 1: -m iprange with IPv4 addresses"
        + " in an IPv6 ruleset"), r.validate().stream().map(Finding::toString).collect(Collectors.toList()));
  }
}
