package dev.mlb.netfilter;

import static dev.mlb.netfilter.MatchTestSupport.findings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RealmMatch built in code: factories, its text (as iptables-nft-save printed it in realm.cases), hooks, family. */
class RealmMatchTest {

  @Test
  void factoriesAndText() {
    assertEquals(new RealmMatch(42, 0xFFFF_FFFFL, false), RealmMatch.of(42));
    assertEquals("0x2a", RealmMatch.of(42).text());
    assertEquals("0x1/0x2a", RealmMatch.of(1, 0x2a).text());
    assertEquals("0x0/0x0", RealmMatch.of(0, 0).text());
    assertEquals("cosmos", RealmMatch.of(0).text());
    assertEquals(" -m realm ! --realm 0xffffffff",
        RestoreWriter.renderRule(Rule.builder().addMatches(RealmMatch.of(0xFFFF_FFFFL).negate()).build()));
    assertThrows(IllegalArgumentException.class, () -> RealmMatch.of(0x1_0000_0000L));
    assertThrows(IllegalArgumentException.class, () -> RealmMatch.of(1, -1));
  }

  @Test
  void badValueInARuleNamesLineAndColumn() {
    ParseException e = assertThrows(ParseException.class, () -> RestoreParser.parse("t",
        "*filter\n-A INPUT -m realm --realm 1/\nCOMMIT\n", IpFamily.V4));
    // "-A INPUT -m realm --realm " is 26 characters: the value starts at column 27.
    assertEquals("line 2, column 27: bad realm mask in \"1/\"; expected VALUE/MASK with numbers 0 to 0xffffffff",
        e.getMessage().split("\n")[0]);
  }

  @Test
  void onlyIpv4AndChainsReachedFromInputForwardOutputOrPostrouting() {
    assertEquals(List.of(), findings(IpFamily.V4, TableName.NAT, "POSTROUTING", RealmMatch.of(1)));
    assertEquals(List.of("error [match-hook] table mangle, chain PREROUTING, rule 1: -m realm in chain PREROUTING,"
        + " which is reached from [PREROUTING]; the kernel takes it only from [INPUT, FORWARD, OUTPUT, POSTROUTING]"),
        findings(IpFamily.V4, TableName.MANGLE, "PREROUTING", RealmMatch.of(1)));
    assertEquals(List.of("error [realm-family] table filter, chain INPUT, rule 1: -m realm is IPv4's; ip6tables has"
        + " no realm match"), findings(IpFamily.V6, TableName.FILTER, "INPUT", RealmMatch.of(1)));
  }
}
