package dev.mlb.iproute;

import static dev.mlb.iproute.BalancingPolicies.ip;
import static dev.mlb.iproute.BalancingPolicies.prefix;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.Compilation;
import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What {@link BalancingRoutes#compile} makes of a policy: each expected batch is written from the
 * recipe in BalancingRoutes' class comment (priorities B, B+1, B+10+i, B+10+N; owner and table
 * names), not copied from output.
 */
class BalancingRoutesTest {

  private static List<String> findings(Compilation<RoutingPlan> c) {
    return c.findings().stream().map(Finding::toString).collect(Collectors.toList());
  }

  private static Compilation<RoutingPlan> compile(BalancingPolicy policy, IpFamily family) {
    Compilation<RoutingPlan> c = BalancingRoutes.compile(policy, family);
    assertEquals(List.of(), c.output().validate(), "the compiled plan validates clean");
    return c;
  }

  @Test
  void seedRendersToTheRecipe() {
    Compilation<RoutingPlan> c = compile(BalancingPolicies.seed(), IpFamily.V4);
    assertEquals(
        "# ip -batch file written by mlb; load with: ip -4 -batch FILE\n"
            + "#mlb: table 100 mlb-isp1\n"
            + "#mlb: table 101 mlb-isp2\n"
            + "rule flush protocol 109\n"
            + "route replace default dev ppp0 table 100 proto 109\n"
            + "route replace default dev ppp1 table 101 proto 109\n"
            + "rule add priority 1000 from all to 192.0.2.0/24 lookup main proto 109\n"
            + "rule add priority 1010 from all fwmark 0x100/0xff00 lookup 100 proto 109\n"
            + "rule add priority 1011 from all fwmark 0x200/0xff00 lookup 101 proto 109\n",
        IpBatchWriter.render(c.output()));
    assertEquals(
        List.of(
            "info [uplink-table] uplinks[0]: table 100 (mlb-isp1) routes what carries mark 0x100/0xff00 out of"
                + " ppp0 (no IPv4 gateway: the link is taken to be point-to-point)",
            "info [uplink-table] uplinks[1]: table 101 (mlb-isp2) routes what carries mark 0x200/0xff00 out of"
                + " ppp1 (no IPv4 gateway: the link is taken to be point-to-point)",
            "info [main-table] plan: mlb adds no route to the main table: what is not balanced (LAN connections"
                + " outside the balanced selectors, the router's own connections outside the router selectors)"
                + " leaves by the main table's default route, which stays the administrator's"),
        findings(c));
  }

  @Test
  void seedUndoRemovesWhatTheBatchAdded() {
    assertEquals(
        "# undoes the ip -batch file mlb writes for this plan; load with: ip -4 -batch FILE\n"
            + "rule del priority 1011 from all fwmark 0x200/0xff00 lookup 101 proto 109\n"
            + "rule del priority 1010 from all fwmark 0x100/0xff00 lookup 100 proto 109\n"
            + "rule del priority 1000 from all to 192.0.2.0/24 lookup main proto 109\n"
            + "route del default dev ppp1 table 101 proto 109\n"
            + "route del default dev ppp0 table 100 proto 109\n",
        IpBatchWriter.renderUndo(BalancingRoutes.compile(BalancingPolicies.seed(), IpFamily.V4).output()));
  }

  /**
   * The kernel takes "rule add priority P iif eth0 ipproto tcp dport 443 lookup T" for an earlier
   * rule at P that names a source and is equal otherwise, and refuses it ("File exists"; checked on
   * Linux 6.18), so under multipath the rule without a source goes first; the others keep their places.
   */
  @Test
  void aRuleWithoutSourceGoesBeforeTheOneWithIt() {
    BalancingPolicy p = BalancingPolicy.builder().from(BalancingPolicies.seed()).strategy(Strategy.MULTIPATH)
        .balanced(List.of(TrafficSelector.of(Protocol.TCP, 443).withSources(List.of(prefix("192.0.2.128/27"))),
            TrafficSelector.of(Protocol.UDP, 53), TrafficSelector.of(Protocol.TCP, 443)))
        .router(List.of()).build();
    assertEquals(List.of(
            "priority 1000 from all to 192.0.2.0/24 lookup main proto 109",
            "priority 1010 from all fwmark 0x100/0xff00 lookup 100 proto 109",
            "priority 1011 from all fwmark 0x200/0xff00 lookup 101 proto 109",
            "priority 1012 from all iif eth0 ipproto tcp dport 443 lookup 102 proto 109",
            "priority 1012 from all iif eth0 ipproto udp dport 53 lookup 102 proto 109",
            "priority 1012 from 192.0.2.128/27 iif eth0 ipproto tcp dport 443 lookup 102 proto 109"),
        compile(p, IpFamily.V4).output().rules().stream().map(IpRule::toString).toList());
  }

  /** The batch reads back, through mlb's own parser, as the plan it was written from. */
  @Test
  void compiledPlansRoundTripThroughTheBatchParser() {
    for (Strategy s : Strategy.values()) {
      for (IpFamily f : IpFamily.values()) {
        RoutingPlan plan = compile(BalancingPolicies.threeUplinks(s), f).output();
        assertEquals(plan, IpBatchParser.parse("compiled", IpBatchWriter.render(plan), f), s + " " + f);
      }
    }
  }

  @Test
  void threeUplinksMultipathIpv4() {
    Compilation<RoutingPlan> c = compile(BalancingPolicies.threeUplinks(Strategy.MULTIPATH), IpFamily.V4);
    assertEquals(
        "# ip -batch file written by mlb; load with: ip -4 -batch FILE\n"
            + "#mlb: table 50 lb-fibre\n"
            + "#mlb: table 200 lb-cable\n"
            + "#mlb: table 52 lb-lte\n"
            + "#mlb: table 53 lb-multipath\n"
            + "rule flush protocol 200\n"
            + "route replace default via 198.51.100.1 dev eth1 table 50 proto 200\n"
            + "route replace default via 198.51.100.17 dev eth2 table 200 proto 200\n"
            + "route replace default via 198.51.100.33 dev eth3.100 table 52 proto 200\n"
            + "route replace default table 53 proto 200 nexthop via 198.51.100.1 dev eth1 weight 3"
            + " nexthop via 198.51.100.17 dev eth2 weight 1 nexthop via 198.51.100.33 dev eth3.100 weight 256\n"
            + "rule add priority 2000 from all to 192.0.2.0/24 lookup main proto 200\n"
            + "rule add priority 2001 from all to 203.0.113.128/25 fwmark 0x0/0xf0f0 lookup main proto 200\n"
            + "rule add priority 2001 from all to 203.0.113.0/24 fwmark 0x0/0xf0f0 ipproto tcp dport 25 lookup main proto 200\n"
            + "rule add priority 2010 from all fwmark 0x10/0xf0f0 lookup 50 proto 200\n"
            + "rule add priority 2011 from all fwmark 0x8000/0xf0f0 lookup 200 proto 200\n"
            + "rule add priority 2012 from all fwmark 0x30/0xf0f0 lookup 52 proto 200\n"
            + "rule add priority 2013 from all iif eth0 ipproto tcp dport 80 lookup 53 proto 200\n"
            + "rule add priority 2013 from all iif eth0 ipproto tcp dport 443 lookup 53 proto 200\n"
            + "rule add priority 2013 from all iif eth4 ipproto tcp dport 80 lookup 53 proto 200\n"
            + "rule add priority 2013 from all iif eth4 ipproto tcp dport 443 lookup 53 proto 200\n"
            + "rule add priority 2013 from 192.0.2.0/25 iif eth0 ipproto udp dport 1024-65534 lookup 53 proto 200\n"
            + "rule add priority 2013 from 192.0.2.0/25 iif eth4 ipproto udp dport 1024-65534 lookup 53 proto 200\n"
            + "rule add priority 2013 from all iif lo ipproto tcp dport 80 lookup 53 proto 200\n",
        IpBatchWriter.render(c.output()));
    assertEquals(
        List.of(
            "warning [rule-port-range] balanced[1].ports[0]: ip rule matches destination ports 1 to 65534 only"
                + " (the kernel refuses 0 and 65535), so udp connections to port 65535 are not balanced: they leave"
                + " by the main table; the rule takes dport 1024-65534",
            "info [uplink-table] uplinks[0]: table 50 (lb-fibre) routes what carries mark 0x10/0xf0f0 via"
                + " 198.51.100.1 dev eth1",
            "info [uplink-table] uplinks[1]: table 200 (lb-cable) routes what carries mark 0x8000/0xf0f0 via"
                + " 198.51.100.17 dev eth2",
            "info [uplink-table] uplinks[2]: table 52 (lb-lte) routes what carries mark 0x30/0xf0f0 via"
                + " 198.51.100.33 dev eth3.100",
            "info [multipath-table] strategy: table 53 (lb-multipath) spreads the balanced connections over fibre,"
                + " cable, lte by weight 3:1:256 with the kernel's flow hash: the split follows the weights on"
                + " average, not exactly (net.ipv4.fib_multipath_hash_policy = 1 makes the hash include the ports)",
            "info [main-table] plan: mlb adds no route to the main table: what is not balanced (LAN connections"
                + " outside the balanced selectors, the router's own connections outside the router selectors,"
                + " excluded connections) leaves by the main table's default route, which stays the"
                + " administrator's"),
        findings(c));
  }

  /** IPv6: its own LAN prefix and gateways; the IPv4-only exclusion and sources drop out. */
  @Test
  void threeUplinksMultipathIpv6() {
    RoutingPlan plan = compile(BalancingPolicies.threeUplinks(Strategy.MULTIPATH), IpFamily.V6).output();
    assertEquals(
        "# ip -batch file written by mlb; load with: ip -6 -batch FILE\n"
            + "#mlb: table 50 lb-fibre\n"
            + "#mlb: table 200 lb-cable\n"
            + "#mlb: table 52 lb-lte\n"
            + "#mlb: table 53 lb-multipath\n"
            + "rule flush protocol 200\n"
            + "route replace default via 2001:db8:1::1 dev eth1 table 50 proto 200\n"
            + "route replace default via 2001:db8:2::1 dev eth2 table 200 proto 200\n"
            + "route replace default via 2001:db8:3::1 dev eth3.100 table 52 proto 200\n"
            + "route replace default table 53 proto 200 nexthop via 2001:db8:1::1 dev eth1 weight 3"
            + " nexthop via 2001:db8:2::1 dev eth2 weight 1 nexthop via 2001:db8:3::1 dev eth3.100 weight 256\n"
            + "rule add priority 2000 from all to 2001:db8:ff::/64 lookup main proto 200\n"
            + "rule add priority 2001 from all to 2001:db8:bad::/48 fwmark 0x0/0xf0f0 ipproto tcp dport 25 lookup main proto 200\n"
            + "rule add priority 2010 from all fwmark 0x10/0xf0f0 lookup 50 proto 200\n"
            + "rule add priority 2011 from all fwmark 0x8000/0xf0f0 lookup 200 proto 200\n"
            + "rule add priority 2012 from all fwmark 0x30/0xf0f0 lookup 52 proto 200\n"
            + "rule add priority 2013 from all iif eth0 ipproto tcp dport 80 lookup 53 proto 200\n"
            + "rule add priority 2013 from all iif eth0 ipproto tcp dport 443 lookup 53 proto 200\n"
            + "rule add priority 2013 from all iif eth4 ipproto tcp dport 80 lookup 53 proto 200\n"
            + "rule add priority 2013 from all iif eth4 ipproto tcp dport 443 lookup 53 proto 200\n"
            + "rule add priority 2013 from 2001:db8:ff::/64 iif eth0 ipproto udp dport 1024-65534 lookup 53 proto 200\n"
            + "rule add priority 2013 from 2001:db8:ff::/64 iif eth4 ipproto udp dport 1024-65534 lookup 53 proto 200\n"
            + "rule add priority 2013 from all iif lo ipproto tcp dport 80 lookup 53 proto 200\n",
        IpBatchWriter.render(plan));
  }

  /**
   * nth and random route by mark alone: the netfilter rules decide what is balanced and give excluded
   * connections no mark, so neither selectors nor exclusions appear, and there is no multipath table.
   */
  @Test
  void nthAndRandomRouteByMarkAlone() {
    String expected =
        "# ip -batch file written by mlb; load with: ip -4 -batch FILE\n"
            + "#mlb: table 50 lb-fibre\n"
            + "#mlb: table 200 lb-cable\n"
            + "#mlb: table 52 lb-lte\n"
            + "rule flush protocol 200\n"
            + "route replace default via 198.51.100.1 dev eth1 table 50 proto 200\n"
            + "route replace default via 198.51.100.17 dev eth2 table 200 proto 200\n"
            + "route replace default via 198.51.100.33 dev eth3.100 table 52 proto 200\n"
            + "rule add priority 2000 from all to 192.0.2.0/24 lookup main proto 200\n"
            + "rule add priority 2010 from all fwmark 0x10/0xf0f0 lookup 50 proto 200\n"
            + "rule add priority 2011 from all fwmark 0x8000/0xf0f0 lookup 200 proto 200\n"
            + "rule add priority 2012 from all fwmark 0x30/0xf0f0 lookup 52 proto 200\n";
    assertEquals(expected, IpBatchWriter.render(compile(BalancingPolicies.threeUplinks(Strategy.NTH), IpFamily.V4).output()));
    assertEquals(expected, IpBatchWriter.render(compile(BalancingPolicies.threeUplinks(Strategy.RANDOM), IpFamily.V4).output()));
    assertEquals(
        List.of("info [exclusions-by-mark] exclusions: the exclusions need no routing rule under random: the"
            + " netfilter rules give excluded connections no mark, so they reach the main table"),
        BalancingRoutes.compile(BalancingPolicies.threeUplinks(Strategy.RANDOM), IpFamily.V6).findings().stream()
            .filter(f -> f.code().startsWith("exclusions")).map(Finding::toString).collect(Collectors.toList()));
  }

  /**
   * Multipath without inbound stickiness sets no marks: no fwmark rules and no uplink tables; the
   * exclusions still test for "no mark" (always true then). One uplink: a plain route, as the
   * kernel keeps a single nexthop. No LAN selectors: all LAN traffic of each LAN interface.
   */
  @Test
  void multipathWithoutStickinessAndWithOneUplink() {
    BalancingPolicy policy = BalancingPolicy.builder().markMask(0xff00)
        .addUplinks(Uplink.builder().name("wan").iface(InterfaceName.of("eth1")).gateway(ip("198.51.100.1")).weight(5).build())
        .addLanInterfaces(InterfaceName.of("eth0"), InterfaceName.of("wlan0"))
        .addLanPrefixes(prefix("192.0.2.0/25"), prefix("192.0.2.128/25"))
        .addExclusions(TrafficSelector.all().withSources(List.of(prefix("192.0.2.7/32"))))
        .strategy(Strategy.MULTIPATH)
        .stickyInbound(false)
        .build();
    assertEquals(
        "# ip -batch file written by mlb; load with: ip -4 -batch FILE\n"
            + "#mlb: table 101 mlb-multipath\n"
            + "rule flush protocol 109\n"
            + "route replace default via 198.51.100.1 dev eth1 table 101 proto 109\n"
            + "rule add priority 1000 from all to 192.0.2.0/25 lookup main proto 109\n"
            + "rule add priority 1000 from all to 192.0.2.128/25 lookup main proto 109\n"
            + "rule add priority 1001 from 192.0.2.7 fwmark 0x0/0xff00 lookup main proto 109\n"
            + "rule add priority 1011 from all iif eth0 lookup 101 proto 109\n"
            + "rule add priority 1011 from all iif wlan0 lookup 101 proto 109\n",
        IpBatchWriter.render(compile(policy, IpFamily.V4).output()));
  }

  /** LAN prefixes and selector prefixes with host bits become networks; repeated rules are written once. */
  @Test
  void hostBitsAreClearedAndRepeatsMerged() {
    BalancingPolicy policy = BalancingPolicy.builder().markMask(0xff00)
        .addUplinks(Uplink.builder().name("a").iface(InterfaceName.of("ppp0")).build())
        .addUplinks(Uplink.builder().name("b").iface(InterfaceName.of("ppp1")).build())
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(prefix("192.0.2.1/24"), prefix("192.0.2.0/24"))
        .addBalanced(TrafficSelector.of(Protocol.UDP, 53).withDestinations(List.of(prefix("203.0.113.9/24"))))
        .addBalanced(TrafficSelector.of(Protocol.UDP, 53).withDestinations(List.of(prefix("203.0.113.0/24"))))
        .strategy(Strategy.MULTIPATH)
        .stickyInbound(false)
        .build();
    assertEquals(
        List.of("priority 1000 from all to 192.0.2.0/24 lookup main proto 109",
            "priority 1012 from all to 203.0.113.0/24 iif eth0 ipproto udp dport 53 lookup 102 proto 109"),
        compile(policy, IpFamily.V4).output().rules().stream().map(IpRule::toString).collect(Collectors.toList()));
  }

  @Test
  void portsOutsideWhatIpRuleTakes() {
    BalancingPolicy policy = BalancingPolicy.builder().markMask(0xff00)
        .addUplinks(Uplink.builder().name("a").iface(InterfaceName.of("ppp0")).build())
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(prefix("192.0.2.0/24"))
        .addBalanced(TrafficSelector.of(Protocol.TCP, 65535, 80))
        .addExclusions(new TrafficSelector(java.util.Optional.of(Protocol.UDP),
            com.google.common.collect.ImmutableList.of(dev.mlb.api.PortRange.of(0, 65535)),
            com.google.common.collect.ImmutableList.of(), com.google.common.collect.ImmutableList.of()))
        .strategy(Strategy.MULTIPATH)
        .build();
    Compilation<RoutingPlan> c = compile(policy, IpFamily.V4);
    assertEquals(
        List.of("priority 1000 from all to 192.0.2.0/24 lookup main proto 109",
            "priority 1001 from all fwmark 0x0/0xff00 ipproto udp dport 1-65534 lookup main proto 109",
            "priority 1010 from all fwmark 0x100/0xff00 lookup 100 proto 109",
            "priority 1011 from all iif eth0 ipproto tcp dport 80 lookup 101 proto 109"),
        c.output().rules().stream().map(IpRule::toString).collect(Collectors.toList()));
    assertEquals(
        List.of(
            "warning [rule-port-range] exclusions[0].ports[0]: ip rule matches destination ports 1 to 65534 only"
                + " (the kernel refuses 0 and 65535), so udp connections to ports 0 and 65535 are not excluded: a"
                + " balanced selector may still send them to table 101; the rule takes dport 1-65534",
            "warning [rule-port-range] balanced[0].ports[0]: ip rule matches destination ports 1 to 65534 only"
                + " (the kernel refuses 0 and 65535), so tcp connections to port 65535 are not balanced: they leave"
                + " by the main table"),
        c.findings().stream().filter(f -> f.code().equals("rule-port-range")).map(Finding::toString)
            .collect(Collectors.toList()));
  }

  @Test
  void priorityBaseTooCloseToTheMainRule() {
    // The highest base the policy accepts leaves room for every rule: nothing reaches main's 32766.
    BalancingPolicy highest = BalancingPolicy.builder().from(BalancingPolicies.seed()).priorityBase(32000).build();
    RoutingPlan plan = BalancingRoutes.compile(highest, IpFamily.V4).output();
    assertEquals(32011, plan.rules().get(plan.rules().size() - 1).priority().getAsLong());
    assertEquals(List.of(), BalancingRoutes.compile(highest, IpFamily.V4).findings().stream()
        .filter(f -> f.code().equals("priority-after-main")).collect(Collectors.toList()));
  }


  @Test
  void familyNotInThePolicy() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BalancingRoutes.compile(BalancingPolicies.seed(), IpFamily.V6));
    assertEquals("cannot compile routes for IPv6: the policy's families are IPv4; add IPv6 to families to compile it",
        e.getMessage());
  }

  @Test
  void wildcardInterfacesWhereIpTakesOneDevice() {
    // Refused by the policy's validation before the compiler (which re-checks) sees them.
    assertEquals("error [uplink-interface-wildcard] uplinks[2].iface: ppp+ is a wildcard; expected the one interface"
            + " the uplink's routes go through",
        assertThrows(dev.mlb.api.ValidationException.class, () -> BalancingPolicy.builder()
            .from(BalancingPolicies.seed())
            .addUplinks(Uplink.builder().name("dsl").iface(InterfaceName.of("ppp+")).build()).build())
            .findings().get(0).toString());
    BalancingPolicy lan = BalancingPolicy.builder().from(BalancingPolicies.seed())
        .lanInterfaces(List.of(InterfaceName.of("eth0"), InterfaceName.of("wlan+"))).build();
    // nth routes by mark only, so the LAN interfaces do not reach ip rule
    assertEquals(3, compile(lan, IpFamily.V4).output().rules().size());
    assertEquals("error [lan-interface-wildcard] lanInterfaces[1]: wlan+ is a wildcard, but strategy multipath"
            + " selects LAN traffic with ip rule iif, which takes one interface; expected an interface name without '+'",
        assertThrows(dev.mlb.api.ValidationException.class,
            () -> BalancingPolicy.builder().from(lan).strategy(Strategy.MULTIPATH).build())
            .findings().get(0).toString());
  }


  /** ip -6 route add default nexthop dev ppp0 nexthop dev ppp1: "Device only routes can not be added ...". */
  @Test
  void ipv6MultipathNeedsGateways() {
    BalancingPolicy.Builder policy = BalancingPolicy.builder().from(BalancingPolicies.threeUplinks(Strategy.MULTIPATH))
        .uplinks(List.of(
            Uplink.builder().name("fibre").iface(InterfaceName.of("eth1")).gateway6(ip("2001:db8:1::1")).build(),
            Uplink.builder().name("ppp").iface(InterfaceName.of("ppp0")).build()));
    // The kernel refuses device-only IPv6 multipath routes; the policy's validation says so first.
    assertEquals("error [multipath-gateway6] uplinks[1].gateway6: none, but IPv6 multipath routes need a next hop"
            + " for every uplink (the kernel refuses device-only IPv6 nexthops in a multipath route); expected the"
            + " uplink's IPv6 gateway",
        assertThrows(dev.mlb.api.ValidationException.class, policy::build).findings().get(0).toString());
    // IPv4 takes device-only nexthops.
    BalancingPolicy v4 = policy
        .uplinks(List.of(
            Uplink.builder().name("fibre").iface(InterfaceName.of("eth1")).gateway(ip("198.51.100.1")).build(),
            Uplink.builder().name("ppp").iface(InterfaceName.of("ppp0")).build()))
        .families(List.of(IpFamily.V4))
        .build();
    assertEquals("default table 52 proto 200 nexthop via 198.51.100.1 dev eth1 weight 1 nexthop dev ppp0 weight 1",
        compile(v4, IpFamily.V4).output().routes().get(2).toString());
  }

}
