package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.Uplink;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * With uplinks down or in worse tiers, only {@code P-balance} changes: it splits over the up
 * uplinks of the best tier by their weights, exactly as a policy of only those uplinks would; every
 * other chain (stickiness, restores, NAT) keeps every uplink. Expected texts follow BalancingRules'
 * class comment.
 */
class BalancingRulesFailoverTest {

  /** isp1 (weight 2), isp2, isp3 in tier 1; isp4 in tier 2. Marks 0x100..0x400 under 0xff00. */
  static BalancingPolicy tiered(Strategy strategy) {
    return BalancingPolicy.builder()
        .markMask(0xff00)
        .strategy(strategy)
        .addUplinks(Uplink.builder().name("isp1").iface(InterfaceName.of("ppp0")).weight(2).build())
        .addUplinks(Uplink.builder().name("isp2").iface(InterfaceName.of("ppp1")).build())
        .addUplinks(Uplink.builder().name("isp3").iface(InterfaceName.of("ppp2")).build())
        .addUplinks(Uplink.builder().name("isp4").iface(InterfaceName.of("ppp3")).tier(2).build())
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(dev.mlb.api.IpPrefix.parse("192.0.2.0/24"))
        .build();
  }

  static String chain(BalancingPolicy p, String name) {
    return BalancingRulesTest.render(p, IpFamily.V4).lines()
        .filter(l -> l.startsWith("-A " + name + " "))
        .reduce("", (a, l) -> a + l + "\n");
  }

  static String allButBalance(BalancingPolicy p) {
    return BalancingRulesTest.render(p, IpFamily.V4).lines()
        .filter(l -> !l.startsWith("-A mlb-balance "))
        .reduce("", (a, l) -> a + l + "\n");
  }

  @Test
  void theBackupTierTakesNoNewConnectionsWhileATier1UplinkIsUp() {
    assertEquals("""
        -A mlb-balance -m connmark ! --mark 0x0/0xff00 -j RETURN
        -A mlb-balance -m statistic --mode nth --every 4 --packet 0 -j CONNMARK --set-xmark 0x100/0xff00
        -A mlb-balance -m statistic --mode nth --every 4 --packet 1 -j CONNMARK --set-xmark 0x200/0xff00
        -A mlb-balance -m statistic --mode nth --every 4 --packet 2 -j CONNMARK --set-xmark 0x300/0xff00
        -A mlb-balance -m statistic --mode nth --every 4 --packet 3 -j CONNMARK --set-xmark 0x100/0xff00
        """, chain(tiered(Strategy.NTH), "mlb-balance"));
  }

  @Test
  void aDownUplinkLeavesTheSplitToTheOthersByWeight() {
    BalancingPolicy down = tiered(Strategy.NTH).withDown(Set.of("isp2"));
    assertEquals("""
        -A mlb-balance -m connmark ! --mark 0x0/0xff00 -j RETURN
        -A mlb-balance -m statistic --mode nth --every 3 --packet 0 -j CONNMARK --set-xmark 0x100/0xff00
        -A mlb-balance -m statistic --mode nth --every 3 --packet 1 -j CONNMARK --set-xmark 0x300/0xff00
        -A mlb-balance -m statistic --mode nth --every 3 --packet 2 -j CONNMARK --set-xmark 0x100/0xff00
        """, chain(down, "mlb-balance"));
    assertEquals(allButBalance(tiered(Strategy.NTH)), allButBalance(down),
        "stickiness, restores and NAT keep every uplink");
  }

  @Test
  void theSplitIsThatOfAPolicyOfOnlyTheActiveUplinks() {
    for (Strategy s : List.of(Strategy.NTH, Strategy.RANDOM)) {
      BalancingPolicy down = tiered(s).withDown(Set.of("isp1"));
      BalancingPolicy only = BalancingPolicy.builder().from(tiered(s))
          .uplinks(tiered(s).uplinks().subList(1, 3)).build();
      // Marks differ (isp2 is the first uplink of `only`): compare the chains with marks replaced by names.
      assertEquals(named(only, chain(only, "mlb-balance")), named(down, chain(down, "mlb-balance")), s.toString());
    }
  }

  @Test
  void whenEveryTier1UplinkIsDownTheBackupTakesAll() {
    assertEquals("""
        -A mlb-balance -m connmark ! --mark 0x0/0xff00 -j RETURN
        -A mlb-balance -j CONNMARK --set-xmark 0x400/0xff00
        """, chain(tiered(Strategy.NTH).withDown(Set.of("isp1", "isp2", "isp3")), "mlb-balance"));
  }

  @Test
  void withEveryUplinkDownNothingIsMarkedAndTheMainTableCarriesNewConnections() {
    for (Strategy s : List.of(Strategy.NTH, Strategy.RANDOM)) {
      assertEquals("-A mlb-balance -m connmark ! --mark 0x0/0xff00 -j RETURN\n",
          chain(tiered(s).withDown(Set.of("isp1", "isp2", "isp3", "isp4")), "mlb-balance"), s.toString());
    }
  }

  /** The chain with each uplink's mark value replaced by its name. */
  private static String named(BalancingPolicy p, String chain) {
    String out = chain;
    for (Uplink u : p.uplinks()) {
      out = out.replace(dev.mlb.api.Mark.hex(p.mark(u).value()) + "/", u.name() + "/");
    }
    return out;
  }
}
