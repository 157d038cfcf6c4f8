package dev.mlb.iproute;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;

/** The plans of the golden files {@code uplinks.v4.batch} and {@code uplinks.v6.batch}, built by hand. */
final class UplinkPlans {
  private UplinkPlans() {}

  static final RouteProtocol OWNER = RouteProtocol.of(180);
  static final InterfaceName MLB0 = InterfaceName.of("mlb0");
  static final InterfaceName MLB1 = InterfaceName.of("mlb1");
  static final InterfaceName MLB2 = InterfaceName.of("mlb2");
  static final RoutingTable ISP1 = RoutingTable.of(101);
  static final RoutingTable ISP2 = RoutingTable.of(102);
  static final RoutingTable BALANCE = RoutingTable.of(103);

  static IpRule.Builder rule(long priority) {
    return IpRule.builder().priority(priority).protocol(OWNER);
  }

  static Route.Builder route(String destination, RoutingTable table) {
    IpPrefix dst = destination.equals("default4") ? IpPrefix.any(IpFamily.V4)
        : destination.equals("default6") ? IpPrefix.any(IpFamily.V6) : IpPrefix.parse(destination);
    return Route.builder().destination(dst).table(table).protocol(OWNER);
  }

  static IpAddress ip(String text) {
    return IpAddress.parse(text);
  }

  static RoutingPlan.Builder base(IpFamily f) {
    RoutingPlan.Builder b = RoutingPlan.builder().family(f).owner(OWNER)
        .putTableNames(ISP1, "isp1").putTableNames(ISP2, "isp2").putTableNames(BALANCE, "balance");
    for (int i = 0; i < 3; i++) {
      b.putConnected(InterfaceName.of("mlb" + i),
          IpPrefix.parse(f == IpFamily.V4 ? "192.0.2." + (64 * i + 2) + "/26" : "2001:db8:0:" + (i + 1) + "::2/64"));
    }
    return b;
  }

  static RoutingPlan v4() {
    return base(IpFamily.V4)
        .addRoutes(route("default4", ISP1).via(ip("192.0.2.1")).dev(MLB0).build())
        .addRoutes(route("default4", ISP2).via(ip("192.0.2.65")).dev(MLB1).build())
        .addRoutes(route("203.0.113.0/24", ISP1).type(RouteType.UNREACHABLE).build())
        .addRoutes(route("default4", BALANCE)
            .addNexthops(Nexthop.via(ip("192.0.2.1"), MLB0).withWeight(3), Nexthop.via(ip("192.0.2.65"), MLB1))
            .build())
        .addRoutes(route("198.51.100.0/24", BALANCE).via(ip("203.0.113.1")).dev(MLB2).src(ip("192.0.2.130"))
            .metric(10).onlink(true).build())
        .addRoutes(route("198.51.100.128/25", BALANCE).dev(MLB2).scope(RouteScope.GLOBAL).build())
        .addRules(rule(1000).action(RuleAction.MAIN).suppressPrefixLength(0).build())
        .addRules(rule(1001).fwmark(Mark.of(1, 0xff)).action(RuleAction.lookup(ISP1)).build())
        .addRules(rule(1002).fwmark(Mark.of(2, 0xff)).action(RuleAction.lookup(ISP2)).build())
        .addRules(rule(1010).from(IpPrefix.parse("192.0.2.2")).action(RuleAction.lookup(ISP1)).build())
        .addRules(rule(1011).from(IpPrefix.parse("192.0.2.66")).action(RuleAction.lookup(ISP2)).build())
        .addRules(rule(1020).not(true).from(IpPrefix.parse("192.0.2.128/26")).to(IpPrefix.parse("203.0.113.0/24"))
            .iif(MLB2).ipproto(Protocol.TCP).sport(PortRange.of(1024, 65000)).dport(PortRange.of(25))
            .action(RuleAction.UNREACHABLE).build())
        .addRules(rule(1030).fwmark(Mark.of(0)).oif(MLB1).action(RuleAction.goTo(1100)).build())
        .addRules(rule(1040).fwmark(Mark.of(4)).action(RuleAction.BLACKHOLE).build())
        .addRules(rule(1050).to(IpPrefix.parse("198.51.100.0/24")).action(RuleAction.PROHIBIT).build())
        .addRules(rule(1060).action(RuleAction.NOP).build())
        .addRules(rule(1100).iif(MLB2).action(RuleAction.lookup(BALANCE)).suppressIfgroup(7).build())
        .build();
  }

  static RoutingPlan v6() {
    return base(IpFamily.V6)
        .addRoutes(route("default6", ISP1).via(ip("2001:db8:0:1::1")).dev(MLB0).build())
        .addRoutes(route("default6", ISP2).via(ip("2001:db8:0:2::1")).dev(MLB1).build())
        .addRoutes(route("2001:db8:113::/48", ISP1).type(RouteType.UNREACHABLE).build())
        .addRoutes(route("default6", BALANCE)
            .addNexthops(Nexthop.via(ip("2001:db8:0:1::1"), MLB0).withWeight(3), Nexthop.via(ip("2001:db8:0:2::1"), MLB1))
            .build())
        .addRoutes(route("2001:db8:100::/48", BALANCE).type(RouteType.BLACKHOLE).metric(5).build())
        .addRules(rule(1000).action(RuleAction.MAIN).suppressPrefixLength(0).build())
        .addRules(rule(1001).fwmark(Mark.of(1, 0xff)).action(RuleAction.lookup(ISP1)).build())
        .addRules(rule(1002).fwmark(Mark.of(2, 0xff)).action(RuleAction.lookup(ISP2)).build())
        .addRules(rule(1010).from(IpPrefix.parse("2001:db8:0:1::2")).action(RuleAction.lookup(ISP1)).build())
        .addRules(rule(1020).to(IpPrefix.parse("2001:db8:113::/48")).iif(MLB2).ipproto(Protocol.TCP)
            .dport(PortRange.of(25)).action(RuleAction.UNREACHABLE).build())
        .addRules(rule(1100).iif(MLB2).action(RuleAction.lookup(BALANCE)).build())
        .build();
  }
}
