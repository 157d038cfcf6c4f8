package dev.mlb.iproute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.ParseException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The examples in the class javadoc and in README-iproute.md do what they say. */
class DocumentedExamplesTest {

  @Test
  void smallValues() {
    assertEquals(RouteProtocol.of(4), RouteProtocol.parse("static"));
    assertEquals("openr", RouteProtocol.parse("99").toString());
    assertEquals("200", RouteProtocol.of(200).toString());
    assertEquals(RoutingTable.MAIN, RoutingTable.parse("main"));
    assertEquals(101, RoutingTable.parse("0x65").id());
    assertEquals("\"0\" is not a routing table; expected main, local, default or a number 1 to 4294967295",
        assertThrows(IllegalArgumentException.class, () -> RoutingTable.parse("0")).getMessage());
    assertEquals(RouteScope.LINK, RouteScope.parse("link"));
    assertEquals("site", RouteScope.parse("200").toString());
    assertEquals("100", RouteScope.parse("100").toString());
    assertEquals(RouteType.UNREACHABLE, RouteType.parse("unreachable"));
    assertEquals("nexthop via 192.0.2.1 dev ppp0 weight 3",
        Nexthop.via(IpAddress.parse("192.0.2.1"), InterfaceName.of("ppp0")).withWeight(3).toString());
    assertEquals("rule add priority 5 tos 0x10 lookup 7",
        VerbatimCommand.of(List.of("rule", "add", "priority", "5", "tos", "0x10", "lookup", "7")).toString());
  }

  @Test
  void sysctlSetting() {
    assertEquals("net.ipv4.ip_forward = 1", new SysctlSetting("net.ipv4.ip_forward", "1").toString());
    assertEquals("net/ipv4/conf/eth0.100/rp_filter = 2",
        new SysctlSetting("net/ipv4/conf/eth0.100/rp_filter", "2").toString());
    assertEquals("sysctl key \"net.ipv4.conf.ppp*.rp_filter\" contains '*' at position 18, which sysctl -p expands"
            + " as a glob pattern",
        assertThrows(IllegalArgumentException.class, () -> new SysctlSetting("net.ipv4.conf.ppp*.rp_filter", "2"))
            .getMessage());
  }

  @Test
  void ipRuleAndRoute() {
    IpRule rule = IpRule.builder().priority(1001).fwmark(Mark.of(1, 0xff))
        .action(RuleAction.lookup(RoutingTable.of(101))).protocol(RouteProtocol.of(99)).build();
    assertEquals("priority 1001 from all fwmark 0x1/0xff lookup 101 proto openr", rule.toString());
    Route r = Route.builder()
        .destination(IpPrefix.any(IpFamily.V4))
        .table(RoutingTable.of(101))
        .addNexthops(Nexthop.via(IpAddress.parse("192.0.2.1"), InterfaceName.of("ppp0")).withWeight(2))
        .addNexthops(Nexthop.via(IpAddress.parse("198.51.100.1"), InterfaceName.of("ppp1")))
        .build();
    assertEquals("default table 101 nexthop via 192.0.2.1 dev ppp0 weight 2 nexthop via 198.51.100.1 dev ppp1 weight 1",
        r.toString());
  }

  @Test
  void routingPlanExample() {
    RoutingPlan plan = RoutingPlan.builder()
        .family(IpFamily.V4)
        .owner(RouteProtocol.of(99))
        .putTableNames(RoutingTable.of(101), "isp1")
        .putConnected(InterfaceName.of("ppp0"), IpPrefix.parse("192.0.2.2/24"))
        .addRules(IpRule.builder().priority(1001).fwmark(Mark.of(1, 0xff))
            .action(RuleAction.lookup(RoutingTable.of(101))).protocol(RouteProtocol.of(99)).build())
        .addRoutes(Route.builder().destination(IpPrefix.any(IpFamily.V4)).table(RoutingTable.of(101))
            .via(IpAddress.parse("192.0.2.1")).dev(InterfaceName.of("ppp0"))
            .protocol(RouteProtocol.of(99)).build())
        .build();
    assertEquals(List.of(), plan.validate());
    assertEquals("# ip -batch file written by mlb; load with: ip -4 -batch FILE\n"
        + "#mlb: table 101 isp1\n"
        + "#mlb: connected ppp0 192.0.2.2/24\n"
        + "rule flush protocol openr\n"
        + "route replace default via 192.0.2.1 dev ppp0 table 101 proto openr\n"
        + "rule add priority 1001 from all fwmark 0x1/0xff lookup 101 proto openr\n", IpBatchWriter.render(plan));
  }

  @Test
  void parserExample() {
    RoutingPlan plan = IpBatchParser.parse("uplinks.batch",
        "rule add priority 100 fwmark 1/0xff lookup 101 proto 99\n"
            + "route replace default via 192.0.2.1 dev ppp0 table 101 proto 99\n",
        IpFamily.V4);
    assertEquals(1, plan.rules().size());
    assertEquals(1, plan.routes().size());
    ParseException e = assertThrows(ParseException.class,
        () -> IpBatchParser.parse("x", "rule add fwmrk 1 lookup 101\n", IpFamily.V4));
    assertTrue(e.getMessage().startsWith("line 1, column 10: unknown word \"fwmrk\" in rule add; expected not, from, to, "),
        e.getMessage());
  }

  @Test
  void jsonExample() {
    RoutingPlan live = IpJsonParser.parse(
        "[{\"priority\":100,\"src\":\"all\",\"fwmark\":\"0x1\",\"fwmask\":\"0xff\",\"table\":\"101\"}]",
        "[{\"dst\":\"default\",\"gateway\":\"192.0.2.1\",\"dev\":\"ppp0\",\"table\":\"101\",\"flags\":[]}]",
        IpFamily.V4);
    assertEquals("# ip -batch file written by mlb; load with: ip -4 -batch FILE\n"
        + "route replace default via 192.0.2.1 dev ppp0 table 101\n"
        + "rule add priority 100 from all fwmark 0x1/0xff lookup 101\n", IpBatchWriter.render(live));
  }

  @Test
  void readmeExample() {
    RouteProtocol owner = RouteProtocol.of(180);
    RoutingTable isp1 = RoutingTable.of(101);
    RoutingTable isp2 = RoutingTable.of(102);
    RoutingTable balance = RoutingTable.of(103);
    RoutingPlan plan = RoutingPlan.builder()
        .family(IpFamily.V4)
        .owner(owner)
        .putTableNames(isp1, "isp1")
        .putConnected(InterfaceName.of("ppp0"), IpPrefix.parse("192.0.2.2/26"))
        .putConnected(InterfaceName.of("ppp1"), IpPrefix.parse("192.0.2.66/26"))
        .addRules(IpRule.builder().priority(1000).action(RuleAction.MAIN).suppressPrefixLength(0).protocol(owner).build())
        .addRules(IpRule.builder().priority(1001).fwmark(Mark.of(1, 0xff)).action(RuleAction.lookup(isp1)).protocol(owner).build())
        .addRules(IpRule.builder().priority(1002).fwmark(Mark.of(2, 0xff)).action(RuleAction.lookup(isp2)).protocol(owner).build())
        .addRoutes(Route.builder().destination(IpPrefix.any(IpFamily.V4)).table(balance).protocol(owner)
            .addNexthops(Nexthop.via(IpAddress.parse("192.0.2.1"), InterfaceName.of("ppp0")).withWeight(3),
                Nexthop.via(IpAddress.parse("192.0.2.65"), InterfaceName.of("ppp1")))
            .build())
        .build();
    assertEquals(List.of(), plan.validate());
    assertEquals("# ip -batch file written by mlb; load with: ip -4 -batch FILE\n"
        + "#mlb: table 101 isp1\n"
        + "#mlb: connected ppp0 192.0.2.2/26\n"
        + "#mlb: connected ppp1 192.0.2.66/26\n"
        + "rule flush protocol 180\n"
        + "route replace default table 103 proto 180 nexthop via 192.0.2.1 dev ppp0 weight 3 nexthop via 192.0.2.65 dev ppp1 weight 1\n"
        + "rule add priority 1000 from all lookup main suppress_prefixlength 0 proto 180\n"
        + "rule add priority 1001 from all fwmark 0x1/0xff lookup 101 proto 180\n"
        + "rule add priority 1002 from all fwmark 0x2/0xff lookup 102 proto 180\n", IpBatchWriter.render(plan));
    assertEquals("# undoes the ip -batch file mlb writes for this plan; load with: ip -4 -batch FILE\n"
        + "rule del priority 1002 from all fwmark 0x2/0xff lookup 102 proto 180\n"
        + "rule del priority 1001 from all fwmark 0x1/0xff lookup 101 proto 180\n"
        + "rule del priority 1000 from all lookup main suppress_prefixlength 0 proto 180\n"
        + "route del default table 103 proto 180 nexthop via 192.0.2.1 dev ppp0 weight 3 nexthop via 192.0.2.65 dev ppp1 weight 1\n",
        IpBatchWriter.renderUndo(plan));
  }
}
