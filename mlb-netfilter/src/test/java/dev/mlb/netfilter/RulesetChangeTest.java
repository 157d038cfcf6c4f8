package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import java.util.List;
import org.junit.jupiter.api.Test;

class RulesetChangeTest {

  private static Ruleset rules(String text) {
    return RestoreParser.parse("test", text, IpFamily.V4);
  }

  /** What mlb compiles for the seed (trimmed): owned chains and the jumps to them. */
  private static final String DESIRED = """
      *mangle
      :mlb-balance - [0:0]
      :mlb-prerouting - [0:0]
      -A PREROUTING -j mlb-prerouting
      -A mlb-balance -m statistic --mode nth --every 2 --packet 0 -j CONNMARK --set-xmark 0x100/0xff00
      -A mlb-balance -m statistic --mode nth --every 2 --packet 1 -j CONNMARK --set-xmark 0x200/0xff00
      -A mlb-prerouting -i eth0 -m conntrack --ctstate NEW -j mlb-balance
      COMMIT
      *nat
      :mlb-postrouting - [0:0]
      -A POSTROUTING -j mlb-postrouting
      -A mlb-postrouting -o ppp0 -j MASQUERADE
      COMMIT
      """;

  /** A router's own rules: docker-like nat, a foreign mangle mark. */
  private static final String FOREIGN = """
      *mangle
      -A PREROUTING -i wg0 -j MARK --set-xmark 0x1/0x1
      COMMIT
      *nat
      :DOCKER - [0:0]
      -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
      -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
      -A DOCKER -i docker0 -j RETURN
      COMMIT
      """;

  /** What the router holds after DESIRED was applied over the foreign rules. */
  static final String APPLIED = """
      *mangle
      :mlb-balance - [0:0]
      :mlb-prerouting - [0:0]
      -A PREROUTING -j mlb-prerouting
      -A PREROUTING -i wg0 -j MARK --set-xmark 0x1/0x1
      -A mlb-balance -m statistic --mode nth --every 2 --packet 0 -j CONNMARK --set-xmark 0x100/0xff00
      -A mlb-balance -m statistic --mode nth --every 2 --packet 1 -j CONNMARK --set-xmark 0x200/0xff00
      -A mlb-prerouting -i eth0 -m conntrack --ctstate NEW -j mlb-balance
      COMMIT
      *nat
      :DOCKER - [0:0]
      :mlb-postrouting - [0:0]
      -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
      -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
      -A POSTROUTING -j mlb-postrouting
      -A DOCKER -i docker0 -j RETURN
      -A mlb-postrouting -o ppp0 -j MASQUERADE
      COMMIT
      """;


  @Test
  void fromNothingCreatesChainsThenJumps() {
    RulesetChange c = RulesetChange.between(rules(FOREIGN), rules(DESIRED), "mlb-");
    assertEquals(List.of(), c.conflicts());
    assertEquals("""
        *mangle
        :mlb-balance - [0:0]
        :mlb-prerouting - [0:0]
        -A mlb-balance -m statistic --mode nth --every 2 --packet 0 -j CONNMARK --set-xmark 0x100/0xff00
        -A mlb-balance -m statistic --mode nth --every 2 --packet 1 -j CONNMARK --set-xmark 0x200/0xff00
        -A mlb-prerouting -i eth0 -m conntrack --ctstate NEW -j mlb-balance
        COMMIT
        *nat
        :mlb-postrouting - [0:0]
        -A mlb-postrouting -o ppp0 -j MASQUERADE
        COMMIT
        """, c.chains());
    // Marking first in mangle; nat after the other software's rules.
    assertEquals("""
        *mangle
        -I PREROUTING 1 -j mlb-prerouting
        COMMIT
        *nat
        -A POSTROUTING -j mlb-postrouting
        COMMIT
        """, c.jumps());
    assertEquals("", c.cleanup());
    // What the router holds afterwards: mlb's jump first in mangle PREROUTING, last in nat POSTROUTING.
    assertEquals(rules(APPLIED), c.result());
    assertTrue(RulesetChange.between(c.result(), rules(DESIRED), "mlb-").isEmpty(), "the result needs no change");
  }

  @Test
  void appliedTwiceChangesNothing() {
    RulesetChange c = RulesetChange.between(rules(APPLIED), rules(DESIRED), "mlb-");
    assertTrue(c.isEmpty(), c.toString());
    assertEquals("V4 ruleset change (prefix mlb-): none", c.toString());
  }

  @Test
  void rewritesOnlyChangedChainsRemovesDuplicateJumpsAndStaleChains() {
    String live = """
        *mangle
        :mlb-balance - [0:0]
        :mlb-old - [0:0]
        :mlb-prerouting - [0:0]
        -A PREROUTING -j mlb-prerouting
        -A PREROUTING -j mlb-prerouting
        -A OUTPUT -j mlb-old
        -A mlb-balance -m statistic --mode nth --every 2 --packet 0 -j CONNMARK --set-xmark 0x100/0xff00
        -A mlb-old -j RETURN
        -A mlb-prerouting -i eth0 -m conntrack --ctstate NEW -j mlb-balance
        COMMIT
        """;
    RulesetChange c = RulesetChange.between(rules(live), rules(DESIRED), "mlb-");
    assertEquals("""
        *mangle
        -F mlb-balance
        -A mlb-balance -m statistic --mode nth --every 2 --packet 0 -j CONNMARK --set-xmark 0x100/0xff00
        -A mlb-balance -m statistic --mode nth --every 2 --packet 1 -j CONNMARK --set-xmark 0x200/0xff00
        COMMIT
        *nat
        :mlb-postrouting - [0:0]
        -A mlb-postrouting -o ppp0 -j MASQUERADE
        COMMIT
        """, c.chains());
    assertEquals("""
        *mangle
        -D PREROUTING -j mlb-prerouting
        -D OUTPUT -j mlb-old
        COMMIT
        *nat
        -A POSTROUTING -j mlb-postrouting
        COMMIT
        """, c.jumps());
    assertEquals("""
        *mangle
        -F mlb-old
        -X mlb-old
        COMMIT
        """, c.cleanup());
    assertEquals(List.of("mangle: rewrite chain mlb-balance (1 -> 2 rules)", "mangle: delete jump PREROUTING (-j mlb-prerouting)",
        "mangle: delete jump OUTPUT (-j mlb-old)", "mangle: delete chain mlb-old", "nat: create chain mlb-postrouting (1 rules)",
        "nat: add jump POSTROUTING (-j mlb-postrouting, last)"), c.summary());
  }

  @Test
  void removalLeavesForeignRulesAndRefusesWhenOneUsesAnOwnedChain() {
    String live = """
        *mangle
        :mine - [0:0]
        :mlb-prerouting - [0:0]
        -A PREROUTING -j mlb-prerouting
        -A PREROUTING -i eth9 -j mlb-prerouting
        -A mine -j mlb-prerouting
        -A mlb-prerouting -j RETURN
        COMMIT
        """;
    RulesetChange c = RulesetChange.removal(rules(live), "mlb-");
    assertEquals("*mangle\n-D PREROUTING -j mlb-prerouting\nCOMMIT\n", c.jumps());
    assertEquals("*mangle\n-F mlb-prerouting\n-X mlb-prerouting\nCOMMIT\n", c.cleanup());
    assertEquals(List.of(
        "table mangle, chain PREROUTING: a rule of another program (\"-A PREROUTING -i eth9 -j mlb-prerouting\") uses"
            + " mlb's chain mlb-prerouting, which would be deleted",
        "table mangle, chain mine: a rule of another program (\"-A mine -j mlb-prerouting\") uses mlb's chain"
            + " mlb-prerouting, which would be deleted"), c.conflicts());
  }

  @Test
  void refusesADesiredRulesetItCouldNotOwn() {
    Ruleset bad = rules("*mangle\n-A PREROUTING -j MARK --set-xmark 0x1/0xff\nCOMMIT\n");
    assertEquals("table mangle, chain PREROUTING: \"-j MARK --set-xmark 0x1/0xff\" is not a jump to a chain named mlb-...;"
            + " mlb puts only such jumps into built-in chains",
        assertThrows(IllegalArgumentException.class, () -> RulesetChange.between(bad, bad, "mlb-")).getMessage());
    Ruleset other = rules("*mangle\n:x - [0:0]\nCOMMIT\n");
    assertEquals("table mangle: chain x does not start with the owned prefix mlb-",
        assertThrows(IllegalArgumentException.class, () -> RulesetChange.between(other, other, "mlb-")).getMessage());
  }

  @Test
  void restoringPutsJumpsBackWhereTheSnapshotHadThem() {
    String snapshot = """
        *mangle
        :mlb-prerouting - [0:0]
        -A PREROUTING -i wg0 -j MARK --set-xmark 0x1/0x1
        -A PREROUTING -j mlb-prerouting
        -A PREROUTING -i wg1 -j MARK --set-xmark 0x2/0x2
        -A mlb-prerouting -j RETURN
        COMMIT
        """;
    String now = """
        *mangle
        :mlb-new - [0:0]
        -A PREROUTING -j mlb-new
        -A PREROUTING -i wg0 -j MARK --set-xmark 0x1/0x1
        -A PREROUTING -i wg1 -j MARK --set-xmark 0x2/0x2
        -A mlb-new -j RETURN
        COMMIT
        """;
    RulesetChange c = RulesetChange.restoring(rules(now), rules(snapshot), "mlb-");
    assertEquals("*mangle\n:mlb-prerouting - [0:0]\n-A mlb-prerouting -j RETURN\nCOMMIT\n", c.chains());
    assertEquals("*mangle\n-D PREROUTING -j mlb-new\n-I PREROUTING 2 -j mlb-prerouting\nCOMMIT\n", c.jumps());
    assertEquals("*mangle\n-F mlb-new\n-X mlb-new\nCOMMIT\n", c.cleanup());
    assertEquals(rules(snapshot), c.result());
  }
}
