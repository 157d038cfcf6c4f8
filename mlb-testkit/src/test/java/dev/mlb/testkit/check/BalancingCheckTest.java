package dev.mlb.testkit.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.Protocol;
import dev.mlb.testkit.gen.FlowGenerator;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.Sim;
import dev.mlb.testkit.sim.Topology;
import dev.mlb.testkit.sim.Traffic;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** BalancingCheck beyond the seed: random splits, given marks and flows, exclusions; the generators. */
class BalancingCheckTest {

  /** Two uplinks, marks 0x10/0x20 under 0xf0, a random split with probability {@code p} for ppp0. */
  private static String randomRules(String p) {
    return "*mangle\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:bal - [0:0]\n"
        + "-A PREROUTING -i ppp0 -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x10/0xf0\n"
        + "-A PREROUTING -i ppp1 -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x20/0xf0\n"
        + "-A PREROUTING -i eth0 -p udp -m conntrack --ctstate NEW -j bal\n"
        + "-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xf0 --ctmask 0xf0\n"
        + "-A OUTPUT -j CONNMARK --restore-mark --nfmask 0xf0 --ctmask 0xf0\n"
        + "-A bal -m statistic --mode random --probability " + p + " -j CONNMARK --set-xmark 0x10/0xf0\n"
        + "-A bal -m connmark --mark 0x0/0xf0 -j CONNMARK --set-xmark 0x20/0xf0\n"
        + "COMMIT\n*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o ppp+ -j MASQUERADE\nCOMMIT\n";
  }

  private static final String[] ROUTES = {
    "rule add priority 50 to 192.0.2.0/24 lookup main",
    "rule add priority 100 fwmark 0x10/0xf0 lookup 10",
    "rule add priority 101 fwmark 0x20/0xf0 lookup 11",
    "route replace default via 198.51.100.2 dev ppp0 table 10",
    "route replace default via 198.51.100.18 dev ppp1 table 11",
    "route replace default via 198.51.100.2 dev ppp0",
  };

  private static BalancingCheck random(String p) {
    return BalancingCheck.builder(Topology.standard(2), Sim.rules(randomRules(p)), Sim.plan(ROUTES))
        .balancedLan(Traffic.of(Protocol.UDP, 53)).routerTraffic(Traffic.of(Protocol.UDP, 123))
        .lanFlows(400).seed(9).build();
  }

  @Test
  void randomSplitsAreCheckedWithinTheBinomialBound() {
    BalancingCheck even = random("0.5");
    assertEquals(BalancingCheck.Strategy.RANDOM, even.strategy());
    even.assertAll();
    // 0.8 for ppp0: about 320 of 400. Binomial(400, 1/2) with 2.5e-10 on each side is [138, 262]:
    // P(X < 138) = P(X <= 137) = 1.47e-10 and P(X <= 138) = 2.84e-10 (scipy.stats.binom, not mlb).
    List<Violation> skewed = random("0.8").violations(BalancingProperty.SPLIT_BY_WEIGHT);
    assertEquals(1, skewed.size());
    assertTrue(skewed.get(0).explanation().startsWith("after 400 balanced flows ppp0 has "), skewed.get(0).explanation());
    assertTrue(skewed.get(0).explanation().contains(", expected 200, between 138 and 262 (binomial bounds a correct"
        + " split leaves with probability 1e-09 over 2 uplinks; weights {ppp0=1, ppp1=1}; counts ppp0 "),
        skewed.get(0).explanation());
  }

  @Test
  void givenMarksAndFlowsAreUsedAsGiven() {
    Flow a = Flow.fromLan(Sim.CLIENT, 40001, Protocol.UDP, Sim.SERVER, 53);
    Flow b = Flow.fromLan(Sim.CLIENT, 40002, Protocol.UDP, Sim.SERVER, 53);
    BalancingCheck c = BalancingCheck.builder(Topology.standard(2), Sim.rules(randomRules("0.5")), Sim.plan(ROUTES))
        .uplinkMark(InterfaceName.of("ppp0"), Mark.of(0x20, 0xf0))
        .uplinkMark(InterfaceName.of("ppp1"), Mark.of(0x10, 0xf0))
        .balancedLan(Traffic.of(Protocol.UDP, 53)).flows(List.of(a, b)).build();
    assertEquals(List.of(a, b), c.flows());
    assertEquals(Mark.of(0x20, 0xf0), c.uplinkMarks().get(InterfaceName.of("ppp0")));
    // With the marks swapped, every balanced flow leaves through the other uplink than its mark says.
    assertEquals(2, c.violations(BalancingProperty.EGRESS_MATCHES_MARK).size());
  }

  @Test
  void excludedPortsAndDestinationsMustStayUnbalanced() {
    // The rules balance all LAN UDP, so UDP 123 and the destination 203.0.113.200/32 are balanced anyway.
    BalancingCheck c = BalancingCheck.builder(Topology.standard(2), Sim.rules(randomRules("0.5")), Sim.plan(ROUTES))
        .balancedLan(Traffic.of(Protocol.UDP, 53)).routerTraffic(Traffic.of(Protocol.UDP, 53))
        .exclude(Traffic.of(Protocol.UDP, 123)).exclude(IpPrefix.parse("203.0.113.200/32")).build();
    List<Violation> vs = c.violations(BalancingProperty.EXCLUDED_NOT_BALANCED);
    // Two LAN flows per exclusion are balanced; the router flows are not (OUTPUT does not jump to bal).
    assertEquals(4, vs.size(), vs.toString());
    assertTrue(vs.stream().allMatch(v -> v.flow().origin() == Flow.Origin.LAN));
    assertTrue(vs.stream().anyMatch(v -> v.explanation().startsWith("udp 123 is excluded, but the flow was balanced")));
    assertTrue(vs.stream().anyMatch(v -> v.explanation().startsWith("destination 203.0.113.200/32 is excluded")));
  }

  @Test
  void anUplinkNoMarkDesignatesGetsNoFlowsAndBreaksTheSplit() {
    String[] oneTable = {ROUTES[0], ROUTES[1], ROUTES[3], ROUTES[5]};
    BalancingCheck c = BalancingCheck.builder(Topology.standard(2), Sim.rules(randomRules("0.5")), Sim.plan(oneTable))
        .balancedLan(Traffic.of(Protocol.UDP, 53)).lanFlows(100).build();
    assertEquals(Set.of(InterfaceName.of("ppp0")), c.uplinkMarks().keySet());
    assertEquals(1, c.violations(BalancingProperty.SPLIT_BY_WEIGHT).size());
    // Flows with mark 0x20 designate nothing.
    assertTrue(c.violations(BalancingProperty.ONE_UPLINK_MARK).get(0).explanation()
        .startsWith("it left with connmark 0x20, which designates no uplink (uplink marks: ppp0 0x10/0xf0)"));
  }

  @Test
  void counterexampleRejectsForeignViolations() {
    BalancingCheck c = random("0.5");
    Violation foreign = new Violation(BalancingProperty.STICKY, 0, Flow.fromRouter(Protocol.TCP, 1, Sim.SERVER, 80), "x");
    assertThrows(IllegalArgumentException.class, () -> c.counterexample(foreign));
  }

  /** Three standard uplinks, weights 1, 2, 1, marks 0x10, 0x20, 0x30 under 0xf0, LAN tcp 443, router tcp 80. */
  private static BalancedConfig three() {
    return new BalancedConfig(Topology.standard(3), List.of(1, 2, 1), 4, 4, 10, 100,
        List.of(Traffic.of(Protocol.TCP, 443)), Traffic.of(Protocol.TCP, 80), List.of(),
        java.util.EnumSet.noneOf(BalancedConfig.Defect.class), 1, BalancedConfig.NthStyle.SLOTS);
  }

  @Test
  void aHandWrittenConfigHoldsAndItsMutantsAreExplained() {
    three().check().build().assertAll();
    // No MASQUERADE on ppp1: its LAN flows leave with the client's address, its router flows with
    // ppp0's (chosen before OUTPUT re-routed them); provider ppp1 drops both.
    BalancingCheck noNat = three().with(BalancedConfig.Defect.NO_NAT_ON_ONE_UPLINK).check().build();
    List<Violation> egress = noNat.violations(BalancingProperty.EGRESS_MATCHES_MARK);
    assertTrue(!egress.isEmpty());
    for (Violation v : egress) {
      assertTrue(v.explanation().startsWith("it left without that uplink's source address: packet 1 (SYN "), v.explanation());
      assertTrue(v.explanation().contains("lost at provider on ppp1: source "), v.explanation());
      assertTrue(v.explanation().contains(v.flow().origin() == Flow.Origin.LAN
          ? "the connection has no source NAT" : "is not ppp1's address 198.51.100.17"), v.explanation());
    }
    // ppp1's rules set ppp2's mark: the router answers connections arriving on ppp1 through ppp2.
    BalancingCheck colliding = three().with(BalancedConfig.Defect.COLLIDING_MARKS).check().build();
    List<Violation> inbound = colliding.violations(BalancingProperty.INBOUND_ANSWERED_ON_ARRIVAL);
    assertEquals(2, inbound.size(), inbound.toString());
    for (Violation v : inbound) {
      assertEquals(java.util.Optional.of(InterfaceName.of("ppp1")), v.flow().inboundUplink());
      assertTrue(v.explanation().startsWith("it arrived on ppp1 but packet 2 ("), v.explanation());
      assertTrue(v.explanation().contains(") was answered through ppp2: packet 2"), v.explanation());
      assertTrue(v.explanation().contains("ip rule 102 \"from all fwmark 0x30/0xf0 lookup 12\""), v.explanation());
    }
  }

  // ---------------------------------------------------------------- generators

  @Test
  void generatorsAreDeterministicPerSeed() {
    BalancedConfigGenerator g = BalancedConfigGenerator.of(2, 8, 10);
    BalancedConfig a = g.generate(new SplittableRandom(5));
    BalancedConfig b = g.generate(new SplittableRandom(5));
    assertEquals(a.rulesText() + a.routesText(), b.rulesText() + b.routesText());
    assertEquals(FlowGenerator.of(a.topology(), 3).lan(a.lan().get(0), 20), FlowGenerator.of(a.topology(), 3).lan(a.lan().get(0), 20));
    assertNotEquals(a.rulesText(), g.generate(new SplittableRandom(6)).rulesText());
  }

  @Test
  void generatedTopologiesAndFlowsAreValid() {
    qt().withExamples(200).withFixedSeed(11L)
        .forAll(BalancingGens.topologies(2, 8))
        .checkAssert(t -> {
          int n = t.uplinks().size();
          assertTrue(n >= 2 && n <= 8, t.toString());
          FlowGenerator gen = FlowGenerator.of(t, n);
          List<Flow> flows = new java.util.ArrayList<>(gen.lan(Traffic.of(Protocol.TCP, 80, 443), 50));
          flows.addAll(gen.inboundOnEveryUplink());
          flows.add(gen.router(Traffic.of(Protocol.UDP, 53)));
          Set<Integer> ports = new HashSet<>();
          for (Flow f : flows) {
            assertTrue(ports.add(f.clientPort()), "client port repeats: " + f);
            f.client().ifPresent(c -> {
              if (f.origin() == Flow.Origin.LAN) {
                assertTrue(t.lanAddress().network().contains(c), f.toString());
              }
            });
          }
          assertEquals(2 * n, flows.stream().filter(f -> f.origin() == Flow.Origin.INBOUND).count());
        });
  }

  @Test
  void generatedConfigsHaveDistinctMarksInsideTheirMask() {
    qt().withExamples(200).withFixedSeed(12L)
        .forAll(BalancingGens.configs(2, 8, 10))
        .checkAssert(c -> {
          Set<Long> marks = new HashSet<>();
          for (int i = 0; i < c.topology().uplinks().size(); i++) {
            Mark m = c.mark(i);
            assertTrue(marks.add(m.value()), "mark repeats");
            assertEquals(0, m.value() & ~c.mask());
            assertTrue(m.value() != 0);
          }
          assertEquals(0, c.mask() & BalancedConfig.FOREIGN_BIT);
          assertTrue(c.weights().stream().allMatch(w -> w >= 1 && w <= 10));
        });
  }
}
