package dev.mlb.testkit.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Mark;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.iproute.IpBatchParser;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.netfilter.RulesetChange;
import dev.mlb.testkit.gen.PolicyGens;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Issue 17, acceptance 4: property 12 (traffic mlb does not balance keeps its marks and its route)
 * over 1,000 generated policies, each on a router with generated foreign marks: a socket that marks
 * the router's own packets (as WireGuard's does) with an ip rule routing that mark through a foreign
 * table, and a raw-table rule (before mangle) marking one LAN host's packets, with its own ip rule.
 * The marks are drawn outside the policy's mask, as {@code mlb apply} requires. mlb's chains and
 * jumps go in as {@code mlb apply} puts them ({@link RulesetChange#result()}); the flows of the
 * foreign marks run beside the policy's own checked flows, and every packet of every flow mlb does
 * not balance must leave as it does on the router without mlb.
 */
class ForeignMarksPropertyTest {
  static final int EXAMPLES = 1000;
  static final IpAddress MARKED_HOST = IpAddress.parse("192.0.2.250");

  @Test
  void trafficMlbDoesNotBalanceKeepsItsMarksAndRoute() {
    Map<String, Long> counts = new TreeMap<>();
    AtomicLong foreignFlows = new AtomicLong();
    qt().withExamples(EXAMPLES).withFixedSeed(20261204L)
        .forAll(PolicyGens.seeded(1, 8))
        .checkAssert(s -> {
          BalancingPolicy policy = s.policy();
          CompiledPolicy c = CompiledPolicy.compile(policy);
          Topology t = c.topology();
          SplittableRandom r = new SplittableRandom(s.seed());
          long socketMark = freeBits(r, policy.markMask());
          long lanMark = freeBits(r, policy.markMask());
          // The foreign marks' routes leave through the last uplink, from a foreign table.
          String out = t.uplinks().get(t.uplinks().size() - 1).iface().name();
          Ruleset foreignRules = RestoreParser.parse("foreign", "*raw\n:PREROUTING ACCEPT [0:0]\n"
              + "-A PREROUTING -s " + MARKED_HOST + "/32 -j MARK --set-xmark " + Mark.hex(lanMark) + "/0xffffffff\n"
              + "COMMIT\n", IpFamily.V4);
          RoutingPlan environment = c.simulatedPlan();
          String foreignBatch = "route replace default dev " + out + " table 7000\n"
              + "rule add priority 500 fwmark " + Mark.hex(socketMark) + " lookup 7000\n"
              + "rule add priority 501 fwmark " + Mark.hex(lanMark) + " lookup 7000\n";
          RoutingPlan foreignPlan = IpBatchParser.parse("foreign", foreignBatch, IpFamily.V4);
          RoutingPlan baselinePlan = RoutingPlan.builder().family(IpFamily.V4)
              .addAllRoutes(environment.routes().stream().filter(x -> x.protocol().isEmpty()).toList())
              .addAllRoutes(foreignPlan.routes()).addAllRules(foreignPlan.rules()).build();
          RoutingPlan withMlb = RoutingPlan.builder().from(environment)
              .addAllRoutes(foreignPlan.routes()).addAllRules(foreignPlan.rules()).build();
          Ruleset withRules = RulesetChange.between(foreignRules, c.ruleset(IpFamily.V4), policy.chainPrefix() + "-")
              .result();

          BalancingCheck generated = c.check().lanFlows(16).routerFlows(8).seed(s.seed()).build();
          List<Flow> flows = new ArrayList<>(generated.flows());
          IpAddress server = t.server();
          for (int i = 0; i < 4; i++) {
            flows.add(Flow.fromRouter(i % 2 == 0 ? Protocol.UDP : Protocol.TCP, 45000 + i, server, 51820 + i)
                .withSocketMark(socketMark));
            flows.add(Flow.fromLan(MARKED_HOST, 46000 + i, i % 2 == 0 ? Protocol.TCP : Protocol.UDP, server,
                i % 2 == 0 ? 443 : 53));
          }
          foreignFlows.addAndGet(8);
          BalancingCheck.Builder b = BalancingCheck.builder(t, withRules, withMlb)
              .baseline(foreignRules, baselinePlan)
              .flows(flows)
              .strategy(generated.strategy());
          generated.uplinkMarks().forEach(b::uplinkMark);
          if (policy.strategy() == dev.mlb.api.policy.Strategy.MULTIPATH) {
            b.multipathTable(dev.mlb.iproute.RoutingTable.of(policy.multipathTable()));
          }
          BalancingCheck check = b.build();
          List<Violation> vs = check.violations(BalancingProperty.FOREIGN_TRAFFIC_UNTOUCHED);
          assertEquals(List.of(), vs, policy + "\n" + (vs.isEmpty() ? "" : check.report(
              BalancingProperty.FOREIGN_TRAFFIC_UNTOUCHED, vs)));
          // The foreign-marked flows were not balanced and left by the foreign table's uplink.
          List<dev.mlb.testkit.sim.Trace> outlines = check.outlines();
          for (int i = outlines.size() - 8; i < outlines.size(); i++) {
            var first = outlines.get(i).packets().get(0);
            assertEquals(java.util.Optional.of(dev.mlb.api.InterfaceName.of(out)), first.uplink(), outlines.get(i)
                .toString());
            long mark = first.mark().orElseThrow();
            assertEquals(0, mark & policy.markMask(), "no mlb bits on a foreign-marked packet: " + outlines.get(i));
          }
          counts.merge(policy.strategy().toString(), 1L, Long::sum);
        });
    System.out.printf("ForeignMarksPropertyTest: %d generated policies, %d foreign-marked flows kept their marks and"
        + " routes; %s%n", EXAMPLES, foreignFlows.get(), counts);
    assertTrue(counts.values().stream().mapToLong(Long::longValue).sum() >= EXAMPLES);
  }

  /** One to three bits outside {@code mask}, as a whole-mark value other software would use. */
  static long freeBits(SplittableRandom r, long mask) {
    long v = 0;
    for (int k = 1 + r.nextInt(3); k > 0; ) {
      long bit = 1L << r.nextInt(32);
      if ((bit & mask) == 0 && (v & bit) == 0) {
        v |= bit;
        k--;
      }
    }
    return v;
  }

  /**
   * Property 12 can fail: with the restore mlb used to compile (every packet's mask bits from its
   * connection), a WireGuard-style socket mark 0xca6c under the old mask 0xff00 loses its bits
   * 0xca00, and its packets leave by the main table instead of the tunnel's. (The socket's own
   * route lookup, with its mark, picks ppp1 and so ppp1's address as the source.)
   */
  @Test
  void theOldRestoreBreaksPropertyTwelve() {
    BalancingPolicy policy = BalancingPolicy.builder().from(dev.mlb.testkit.policyfile.SeedPolicy.policy())
        .markMask(0xff00).build();
    CompiledPolicy c = CompiledPolicy.compile(policy);
    Topology t = c.topology();
    String foreignBatch = "route replace default dev ppp1 table 7000\nrule add priority 500 fwmark 0xca6c lookup 7000\n";
    RoutingPlan foreignPlan = IpBatchParser.parse("foreign", foreignBatch, IpFamily.V4);
    RoutingPlan environment = c.simulatedPlan();
    RoutingPlan baselinePlan = RoutingPlan.builder().family(IpFamily.V4)
        .addAllRoutes(environment.routes().stream().filter(x -> x.protocol().isEmpty()).toList())
        .addAllRoutes(foreignPlan.routes()).addAllRules(foreignPlan.rules()).build();
    RoutingPlan withMlb = RoutingPlan.builder().from(environment)
        .addAllRoutes(foreignPlan.routes()).addAllRules(foreignPlan.rules()).build();
    Ruleset empty = Ruleset.builder().family(IpFamily.V4).build();
    List<Flow> flows = List.of(Flow.fromRouter(Protocol.UDP, 45000, t.server(), 51820).withSocketMark(0xca6c));
    String today = c.files().get("rules.v4");
    String old = today.replaceAll("-A mlb-output -m connmark --mark 0x[0-9a-f]+/0xff00 -j MARK --set-xmark 0x[0-9a-f]+/0xff00\n",
        "").replace("-j mlb-router\n", "-j mlb-router\n"
        + "-A mlb-output -j CONNMARK --restore-mark --nfmask 0xff00 --ctmask 0xff00\n");
    for (String rules : List.of(today, old)) {
      BalancingCheck.Builder b = BalancingCheck.builder(t, RestoreParser.parse("r", rules, IpFamily.V4), withMlb)
          .baseline(empty, baselinePlan).flows(flows);
      c.check().build().uplinkMarks().forEach(b::uplinkMark);
      List<Violation> vs = b.build().violations(BalancingProperty.FOREIGN_TRAFFIC_UNTOUCHED);
      if (rules == today) {
        assertEquals(List.of(), vs);
      } else {
        assertEquals(1, vs.size(), rules);
        assertEquals("packet 1 (request 198.51.100.17:45000 -> 203.0.113.10:51820) left the router with mark 0x6c through"
            + " ppp0; without mlb's rules and routes it left the router with mark 0xca6c through ppp1",
            vs.get(0).explanation());
      }
    }
  }
}
