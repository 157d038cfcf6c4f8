package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import org.junit.jupiter.api.Test;

/**
 * {@code -m quota}, {@code -m helper} and {@code -m cluster} built in code, and the exact messages
 * of their refusals (their kernel forms are in {@code quota.cases}, {@code helper.cases} and
 * {@code cluster.cases}).
 */
class QuotaHelperClusterTest {

  private static String render(Match m) {
    return RestoreWriter.renderRule(Rule.builder().addMatches(m).target(Verdict.ACCEPT).build());
  }

  private static String refusal(String table, String chain, String rule) {
    ParseException e = assertThrows(ParseException.class, () -> RestoreParser.parse("x",
        "*" + table + "\n-A " + chain + " " + rule + "\nCOMMIT\n", IpFamily.V4));
    return e.getMessage().lines().findFirst().orElseThrow();
  }

  @Test
  void factoriesRenderAsIptablesSavePrints() {
    assertEquals(" -m quota --quota 18446744073709551615 -j ACCEPT", render(QuotaMatch.bytes(-1L)));
    assertEquals(" -m quota ! --quota 1000000 -j ACCEPT", render(QuotaMatch.bytes(1_000_000).negated()));
    assertEquals(" -m helper ! --helper \"a b\" -j ACCEPT", render(HelperMatch.of("a b").negated()));
    assertEquals(" -m cluster ! --cluster-local-nodemask 0x00000004 --cluster-total-nodes 4 --cluster-hash-seed"
        + " 0xfeedcafe -j ACCEPT", render(ClusterMatch.node(3, 4, 0xfeedcafeL).negated()));
    assertEquals("-m cluster: node 5 is not within 1 to 4",
        assertThrows(IllegalArgumentException.class, () -> ClusterMatch.node(5, 4, 1)).getMessage());
  }

  @Test
  void refusalsNameTheLineColumnAndWhatWasExpected() {
    assertEquals("line 2, column 27: bad value \"18446744073709551616\" for --quota; expected a number of bytes from 0"
        + " to 18446744073709551615", refusal("filter", "INPUT", "-m quota --quota 18446744073709551616"));
    assertEquals("line 2, column 10: -m helper needs --helper", refusal("filter", "INPUT", "-m helper"));
    assertEquals("line 2, column 50: -m cluster: --cluster-local-node 3 is above --cluster-total-nodes 2",
        refusal("mangle", "PREROUTING",
            "-m cluster --cluster-total-nodes 2 --cluster-local-node 3 --cluster-hash-seed 1"));
    assertEquals("line 2, column 15: -m cluster needs --cluster-local-node or --cluster-local-nodemask",
        refusal("mangle", "PREROUTING", "-m cluster --cluster-total-nodes 2 --cluster-hash-seed 1"));
  }
}
