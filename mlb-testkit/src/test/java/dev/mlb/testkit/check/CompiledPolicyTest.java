package dev.mlb.testkit.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableSet;
import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import dev.mlb.iproute.IpBatchParser;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.testkit.policyfile.SeedPolicy;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.Topology;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link CompiledPolicy}: the files, the simulated router derived from the policy, the
 * environment's route, the check it describes, and that this check fails when the compiled rules
 * or routes lose what the properties depend on.
 */
class CompiledPolicyTest {
  static final InterfaceName ETH0 = InterfaceName.of("eth0");
  static final InterfaceName PPP0 = InterfaceName.of("ppp0");
  static final InterfaceName PPP1 = InterfaceName.of("ppp1");

  static BalancingPolicy.Builder lan() {
    return BalancingPolicy.builder().addLanInterfaces(ETH0).addLanPrefixes(IpPrefix.parse("192.0.2.0/24"));
  }

  static Uplink.Builder uplink(String name, String iface) {
    return Uplink.builder().name(name).iface(InterfaceName.of(iface));
  }

  static IpAddress ip(String text) {
    return IpAddress.parse(text);
  }

  // ------------------------------------------------------------------ files

  @Test
  void filesOfEachFamilyInOrder() {
    assertEquals(List.of("rules.v4", "routes.v4.batch", "routes.undo.batch", "sysctl.conf"),
        List.copyOf(CompiledPolicy.compile(SeedPolicy.policy()).files().keySet()));

    BalancingPolicy v6 = BalancingPolicy.builder().families(ImmutableSet.of(IpFamily.V6))
        .addLanInterfaces(ETH0).addLanPrefixes(IpPrefix.parse("2001:db8:1::/64"))
        .addUplinks(uplink("isp1", "eth1").gateway6(ip("2001:db8:ff::1")).build())
        .addUplinks(uplink("isp2", "eth2").gateway6(ip("2001:db8:ff:1::1")).build())
        .build();
    CompiledPolicy c6 = CompiledPolicy.compile(v6);
    assertEquals(List.of("rules.v6", "routes.v6.batch", "routes.undo.batch", "sysctl.conf"),
        List.copyOf(c6.files().keySet()));
    // The one undo file undoes the IPv6 batch.
    assertTrue(c6.files().get("routes.undo.batch").startsWith("# undoes the ip -batch file mlb writes for this plan;"
        + " load with: ip -6 -batch FILE\n"), c6.files().get("routes.undo.batch"));
    assertTrue(c6.files().get("routes.undo.batch").contains("route del default via 2001:db8:ff:1::1 dev eth2 table 101"));
    assertEquals(java.util.Set.of(IpFamily.V6), c6.families());

    BalancingPolicy both = BalancingPolicy.builder().families(ImmutableSet.of(IpFamily.V4, IpFamily.V6))
        .addLanInterfaces(ETH0).addLanPrefixes(IpPrefix.parse("192.0.2.0/24"), IpPrefix.parse("2001:db8:1::/64"))
        .addUplinks(uplink("isp1", "ppp0").build())
        .addUplinks(uplink("isp2", "ppp1").build())
        .build();
    CompiledPolicy c = CompiledPolicy.compile(both);
    assertEquals(List.of("rules.v4", "rules.v6", "routes.v4.batch", "routes.v6.batch", "routes.undo.batch",
        "routes.v6.undo.batch", "sysctl.conf"), List.copyOf(c.files().keySet()));
    assertTrue(c.files().get("routes.undo.batch").contains("ip -4 -batch FILE"));
    assertTrue(c.files().get("routes.v6.undo.batch").contains("ip -6 -batch FILE"));
    assertTrue(c.files().get("rules.v6").contains("-A mlb-postrouting -o ppp1 -j MASQUERADE"));
    assertTrue(c.files().get("sysctl.conf").contains("net.ipv6.conf.all.forwarding = 1\n"));
  }

  @Test
  void findingsStartWithThePolicysOwnAndNeverRepeat() {
    // 192.0.2.7/24 has host bits: a warning of the policy itself.
    BalancingPolicy p = BalancingPolicy.builder().families(ImmutableSet.of(IpFamily.V4, IpFamily.V6))
        .addLanInterfaces(ETH0).addLanPrefixes(IpPrefix.parse("192.0.2.7/24"), IpPrefix.parse("2001:db8:1::/64"))
        .addUplinks(uplink("isp1", "ppp0").build()).addUplinks(uplink("isp2", "ppp1").build())
        .build();
    List<Finding> findings = CompiledPolicy.compile(p).findings();
    assertEquals("warning [host-bits] lanPrefixes[0]: 192.0.2.7/24 has host bits set; it means 192.0.2.0/24",
        findings.get(0).toString());
    assertEquals(findings.size(), new HashSet<>(findings).size(), findings.toString());
    assertTrue(findings.stream().anyMatch(f -> f.code().equals("uplink-table")), findings.toString());
  }

  // ------------------------------------------------------------------ the simulated router

  @Test
  void topologyOfPointToPointUplinksIsTheStandardOne() {
    Topology t = CompiledPolicy.compile(SeedPolicy.policy()).topology();
    assertEquals(ETH0, t.lanInterface());
    assertEquals(IpPrefix.parse("192.0.2.1/24"), t.lanAddress());
    assertEquals(List.of(new Topology.Uplink(PPP0, IpPrefix.parse("198.51.100.1/28"), Optional.empty()),
        new Topology.Uplink(PPP1, IpPrefix.parse("198.51.100.17/28"), Optional.empty())), t.uplinks());
    assertEquals(ip("203.0.113.10"), t.server());
  }

  @Test
  void topologyFollowsTheGatewaysAndSnatAddresses() {
    BalancingPolicy p = lan()
        // Gateway alone: the router takes the first other host of the gateway's /28.
        .addUplinks(uplink("a", "eth1").gateway(ip("198.51.100.2")).build())
        .addUplinks(uplink("b", "eth2").gateway(ip("198.51.100.17")).build())
        // SNAT and gateway on one /28: the SNAT address is the router's.
        .addUplinks(uplink("c", "eth3").snat(ip("198.51.100.36")).gateway(ip("198.51.100.46")).build())
        // SNAT and a gateway farther off: the link widens to /26 (.64 to .127) to hold both.
        .addUplinks(uplink("d", "eth4").snat(ip("198.51.100.84")).gateway(ip("198.51.100.104")).build())
        // Nothing given: its own block 4 (.64/28) is taken by d, so the first free one, block 8.
        .addUplinks(uplink("e", "eth5").build())
        .build();
    List<Topology.Uplink> ups = CompiledPolicy.compile(p).topology().uplinks();
    assertEquals(new Topology.Uplink(InterfaceName.of("eth1"), IpPrefix.parse("198.51.100.1/28"),
        Optional.of(ip("198.51.100.2"))), ups.get(0));
    assertEquals(IpPrefix.parse("198.51.100.18/28"), ups.get(1).address());
    assertEquals(IpPrefix.parse("198.51.100.36/28"), ups.get(2).address());
    assertEquals(IpPrefix.parse("198.51.100.84/26"), ups.get(3).address());
    assertEquals(Optional.of(ip("198.51.100.104")), ups.get(3).gateway());
    assertEquals(new Topology.Uplink(InterfaceName.of("eth5"), IpPrefix.parse("198.51.100.129/28"), Optional.empty()),
        ups.get(4));
  }

  @Test
  void topologyRefusesWhatItCannotSimulate() {
    BalancingPolicy v6 = BalancingPolicy.builder().families(ImmutableSet.of(IpFamily.V6))
        .addLanInterfaces(ETH0).addLanPrefixes(IpPrefix.parse("2001:db8:1::/64"))
        .addUplinks(uplink("isp1", "eth1").gateway6(ip("2001:db8:ff::1")).build()).build();
    assertEquals("the policy compiles no IPv4, and the simulator and the kernel lab are IPv4 only (families [V6])",
        assertThrows(IllegalStateException.class, () -> CompiledPolicy.compile(v6).topology()).getMessage());

    BalancingPolicy small = BalancingPolicy.builder().addLanInterfaces(ETH0)
        .addLanPrefixes(IpPrefix.parse("192.0.2.0/26")).addUplinks(uplink("isp1", "ppp0").build()).build();
    assertEquals("the LAN prefix 192.0.2.0/26 is longer than /25; the simulator's LAN clients are .100 to .115 of it",
        assertThrows(IllegalStateException.class, () -> CompiledPolicy.compile(small).topology()).getMessage());

    BalancingPolicy shared = lan()
        .addUplinks(uplink("isp1", "eth1").gateway(ip("198.51.100.2")).build())
        .addUplinks(uplink("isp2", "eth2").gateway(ip("198.51.100.3")).build()).build();
    assertEquals("uplinks isp1 (198.51.100.1/28) and isp2 (198.51.100.1/28) would share a link; the simulator gives"
        + " each uplink its own",
        assertThrows(IllegalStateException.class, () -> CompiledPolicy.compile(shared).topology()).getMessage());
  }

  @Test
  void environmentRoutesAreTheMainDefaultRouteThroughTheFirstUplink() {
    assertEquals("# the administrator's routes before mlb; mlb does not own the main table's default route\n"
        + "route replace default dev ppp0\n", CompiledPolicy.compile(SeedPolicy.policy()).environmentRoutes());
    BalancingPolicy gw = lan()
        .addUplinks(uplink("isp1", "eth1").gateway(ip("198.51.100.2")).build())
        .addUplinks(uplink("isp2", "eth2").gateway(ip("198.51.100.18")).build()).build();
    CompiledPolicy c = CompiledPolicy.compile(gw);
    assertTrue(c.environmentRoutes().endsWith("\nroute replace default via 198.51.100.2 dev eth1\n"));
    // The compiled batch never touches the main table's default route.
    assertTrue(c.files().get("routes.v4.batch").lines()
        .noneMatch(l -> l.startsWith("route") && l.contains("default") && !l.contains(" table ")));
    // The simulated plan is the environment's route and the compiled plan.
    RoutingPlan sim = c.simulatedPlan();
    assertEquals(c.plan(IpFamily.V4).rules(), sim.rules());
    assertEquals(c.plan(IpFamily.V4).routes().size() + 1, sim.routes().size());
    assertEquals("default via 198.51.100.2 dev eth1", sim.routes().get(0).toString());
  }

  // ------------------------------------------------------------------ the check

  @Test
  void checkIsDescribedByThePolicy() {
    BalancingPolicy p = lan().strategy(Strategy.RANDOM).markMask(0xff00)
        .addUplinks(uplink("isp1", "ppp0").weight(3).build())
        .addUplinks(uplink("isp2", "ppp1").weight(1).mark(0x4000).build())
        .addBalanced(TrafficSelector.of(Protocol.TCP, 443))
        .build();
    BalancingCheck check = CompiledPolicy.compile(p).check().build();
    assertEquals(BalancingCheck.Strategy.RANDOM, check.strategy());
    assertEquals(Map.of(PPP0, 3, PPP1, 1), check.weights());
    assertEquals(Map.of(PPP0, Mark.of(0x100, 0xff00), PPP1, Mark.of(0x4000, 0xff00)), check.uplinkMarks());
    check.assertAll();
    // LAN flows: 4 x weight sum 4 = 16 of tcp 443, 4 router flows (unbalanced), 2 inbound per uplink,
    // 2 just outside tcp 443.
    assertEquals(16 + 4 + 4 + 2, check.flows().size());
    assertEquals(16, check.split().values().stream().mapToInt(Integer::intValue).sum());

    BalancingPolicy unsticky = lan().stickyInbound(false)
        .addUplinks(uplink("isp1", "ppp0").build()).addUplinks(uplink("isp2", "ppp1").build()).build();
    BalancingCheck noInbound = CompiledPolicy.compile(unsticky).check().build();
    assertTrue(noInbound.flows().stream().noneMatch(f -> f.origin() == Flow.Origin.INBOUND));
    noInbound.assertAll();
  }

  /** The seed's check as CompiledPolicy describes it, over other rules or routes. */
  static BalancingCheck seedCheck(CompiledPolicy c, Ruleset rules, RoutingPlan plan) {
    BalancingCheck.Builder b = BalancingCheck.builder(c.topology(), rules, plan).balanceNothingElse()
        .strategy(BalancingCheck.Strategy.NTH)
        .balancedLan(TrafficSelector.of(Protocol.TCP, 22, 25, 80, 443))
        .balancedRouter(TrafficSelector.of(Protocol.TCP, 80));
    // The default mask 0x0f000000: uplink i gets (i + 1) << 24.
    b.uplinkMark(PPP0, Mark.of(0x1000000, 0xf000000)).uplinkMark(PPP1, Mark.of(0x2000000, 0xf000000));
    return b.build();
  }

  static Ruleset rulesWithout(CompiledPolicy c, String line) {
    String text = c.files().get("rules.v4");
    assertTrue(text.contains(line + "\n"), line);
    return RestoreParser.parse("mutated", text.replace(line + "\n", ""), IpFamily.V4);
  }

  static RoutingPlan routesWithout(CompiledPolicy c, String line) {
    String text = c.environmentRoutes() + c.files().get("routes.v4.batch");
    assertTrue(text.contains(line + "\n"), line);
    return IpBatchParser.parse("mutated", text.replace(line + "\n", ""), IpFamily.V4);
  }

  @Test
  void theCheckCatchesCompiledRulesAndRoutesThatLoseSomething() {
    CompiledPolicy c = CompiledPolicy.compile(SeedPolicy.policy());
    Ruleset rules = c.ruleset(IpFamily.V4);
    RoutingPlan plan = c.simulatedPlan();
    assertTrue(seedCheck(c, rules, plan).holds(), "the unchanged seed holds");

    // No LAN-reply rule: replies to the LAN follow their mark into an uplink table.
    BalancingCheck noLanRule = seedCheck(c, rules,
        routesWithout(c, "rule add priority 1000 from all to 192.0.2.0/24 lookup main proto 109"));
    assertTrue(!noLanRule.violations(BalancingProperty.LAN_REPLIES).isEmpty());

    // No restore in OUTPUT: the router's marked connections are not re-routed.
    BalancingCheck noOutputRestore = seedCheck(c, RestoreParser.parse("mutated", c.files().get("rules.v4")
        .replace("-A mlb-output -m connmark --mark 0x1000000/0xf000000 -j MARK --set-xmark 0x1000000/0xf000000\n", "")
        .replace("-A mlb-output -m connmark --mark 0x2000000/0xf000000 -j MARK --set-xmark 0x2000000/0xf000000\n", ""),
        IpFamily.V4), plan);
    assertTrue(!noOutputRestore.violations(BalancingProperty.EGRESS_MATCHES_MARK).isEmpty());

    // No sticky mark for ppp1: its inbound connections are answered through ppp0.
    BalancingCheck notSticky = seedCheck(c,
        rulesWithout(c, "-A mlb-prerouting -i ppp1 -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x2000000/0xf000000"),
        plan);
    assertTrue(!notSticky.violations(BalancingProperty.INBOUND_ANSWERED_ON_ARRIVAL).isEmpty());

    // Every LAN connection balanced, not only tcp 22/25/80/443: property 7 with balanceNothingElse.
    String text = c.files().get("rules.v4").replace("-A mlb-lan -p tcp -m multiport --dports 22,25,80,443 -j mlb-balance",
        "-A mlb-lan -j mlb-balance");
    BalancingCheck everything = seedCheck(c, RestoreParser.parse("mutated", text, IpFamily.V4), plan);
    List<Violation> v = everything.violations(BalancingProperty.EXCLUDED_NOT_BALANCED);
    assertTrue(!v.isEmpty());
    assertTrue(v.get(0).explanation().startsWith("no balanced LAN traffic picks it, but the flow was balanced: its"
        + " connmark 0x"), v.get(0).explanation());
  }

  @Test
  void multipathIsCheckedByTheRouteThatTookTheFlow() {
    BalancingPolicy p = lan().strategy(Strategy.MULTIPATH)
        .addUplinks(uplink("isp1", "eth1").gateway(ip("198.51.100.2")).build())
        .addUplinks(uplink("isp2", "eth2").gateway(ip("198.51.100.18")).weight(2).build())
        .addBalanced(TrafficSelector.of(Protocol.TCP, 80, 443))
        .addExclusions(TrafficSelector.toDestinations(IpPrefix.parse("203.0.113.64/26")))
        .build();
    CompiledPolicy c = CompiledPolicy.compile(p);
    BalancingCheck check = c.check().lanFlows(60).build();
    assertEquals(BalancingCheck.Strategy.MULTIPATH, check.strategy());
    check.assertAll();
    Map<InterfaceName, Integer> split = check.split();
    // Both uplinks carry some of the 60 balanced flows; the share is reported, not bounded.
    assertEquals(60, split.values().stream().mapToInt(Integer::intValue).sum(), split.toString());
    assertTrue(split.values().stream().allMatch(n -> n > 0), split.toString());

    // Without the rule that sends eth0's tcp 80/443 to the multipath table, nothing is balanced.
    String routes = c.environmentRoutes() + c.files().get("routes.v4.batch");
    String balanceRules = routes.lines().filter(l -> l.contains(" iif eth0 ")).reduce("", (a, b) -> a + b + "\n");
    assertTrue(!balanceRules.isEmpty(), routes);
    RoutingPlan unbalanced = IpBatchParser.parse("mutated", routes.replace(balanceRules, ""), IpFamily.V4);
    BalancingCheck broken = BalancingCheck.builder(c.topology(), c.ruleset(IpFamily.V4), unbalanced)
        .strategy(BalancingCheck.Strategy.MULTIPATH).multipathTable(dev.mlb.iproute.RoutingTable.of(102))
        .balancedLan(TrafficSelector.of(Protocol.TCP, 80, 443)).build();
    List<Violation> v = broken.violations(BalancingProperty.ONE_UPLINK_MARK);
    assertEquals(broken.flows().stream().filter(f -> f.origin() == Flow.Origin.LAN).count(), v.size());
    assertTrue(v.get(0).explanation().startsWith("it was not balanced: it carries connmark 0x0, which designates no"
        + " uplink, and its first packet was routed by ip rule 32766 \"from all lookup main\""), v.get(0).explanation());

    // Without the exclusion's rule the excluded destination is balanced by the multipath route.
    String exclusion = routes.lines().filter(l -> l.contains("to 203.0.113.64/26")).findFirst().orElseThrow();
    RoutingPlan leaky = IpBatchParser.parse("mutated", routes.replace(exclusion + "\n", ""), IpFamily.V4);
    BalancingCheck leak = BalancingCheck.builder(c.topology(), c.ruleset(IpFamily.V4), leaky)
        .strategy(BalancingCheck.Strategy.MULTIPATH).multipathTable(dev.mlb.iproute.RoutingTable.of(102))
        .balancedLan(TrafficSelector.of(Protocol.TCP, 80, 443))
        .exclude(TrafficSelector.toDestinations(IpPrefix.parse("203.0.113.64/26"))).build();
    List<Violation> leaked = leak.violations(BalancingProperty.EXCLUDED_NOT_BALANCED);
    assertTrue(!leaked.isEmpty());
    assertTrue(leaked.get(0).explanation().startsWith("exclusion \"to 203.0.113.64/26\" picks it, but the flow was"
        + " balanced: its first packet was routed by ip rule "), leaked.get(0).explanation());
  }
}
