package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableMultiset;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import dev.mlb.iproute.IpBatchWriter;
import dev.mlb.iproute.IpRule;
import dev.mlb.iproute.Nexthop;
import dev.mlb.iproute.Route;
import dev.mlb.iproute.RouteProtocol;
import dev.mlb.iproute.RouteType;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.iproute.RoutingTable;
import dev.mlb.iproute.RuleAction;
import dev.mlb.testkit.gen.RoutingPlanGenerator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Rendered plans loaded into the real kernel with {@code ip -batch}, read back with {@code ip -json}.
 */
class IprouteKernelTest {

  /** Rules in evaluation order: by priority, ties in the order added (what ip rule show lists). */
  static List<IpRule> byPriority(List<IpRule> rules) {
    List<IpRule> sorted = new ArrayList<>(rules);
    sorted.sort(Comparator.comparingLong(r -> r.priority().orElse(-1L)));
    return sorted;
  }

  /** Asserts that the namespace holds exactly the plan's rules and routes, besides the kernel's own. */
  static void assertHolds(IprouteLab lab, RoutingPlan plan, String what) {
    RoutingPlan live = lab.live(plan.family());
    assertEquals(byPriority(plan.rules()), live.rules(), what + ": rules read back");
    assertEquals(ImmutableMultiset.copyOf(plan.routes()), ImmutableMultiset.copyOf(live.routes()), what + ": routes read back");
    assertEquals(List.of(), live.unmodelledJson(), what + ": unmodelled entries read back");
  }

  private static final RouteProtocol OWNER = RouteProtocol.of(180);
  private static final InterfaceName MLB0 = InterfaceName.of("mlb0");
  private static final InterfaceName MLB1 = InterfaceName.of("mlb1");
  private static final InterfaceName MLB2 = InterfaceName.of("mlb2");
  private static final RoutingTable ISP1 = RoutingTable.of(101);
  private static final RoutingTable ISP2 = RoutingTable.of(102);
  private static final RoutingTable BALANCE = RoutingTable.of(103);

  /**
   * Two uplinks (mlb0, mlb1) and a LAN (mlb2): marks 1 and 2 pick an uplink's table (mask 0xff),
   * main is consulted first without its default route, each uplink's address is routed back
   * through it, SMTP from the LAN to 203.0.113.0/24 is unreachable, and the rest is balanced 3:1
   * by a weighted multipath default route.
   */
  static RoutingPlan uplinkPlan(IpFamily f) {
    boolean v4 = f == IpFamily.V4;
    IpAddress gw1 = IpAddress.parse(v4 ? "192.0.2.1" : "2001:db8:0:1::1");
    IpAddress gw2 = IpAddress.parse(v4 ? "192.0.2.65" : "2001:db8:0:2::1");
    IpPrefix addr1 = IpPrefix.host(IpAddress.parse(v4 ? "192.0.2.2" : "2001:db8:0:1::2"));
    IpPrefix addr2 = IpPrefix.host(IpAddress.parse(v4 ? "192.0.2.66" : "2001:db8:0:2::2"));
    IpPrefix blocked = IpPrefix.parse(v4 ? "203.0.113.0/24" : "2001:db8:113::/48");
    IpPrefix any = IpPrefix.any(f);
    return RoutingPlan.builder()
        .family(f)
        .owner(OWNER)
        .connected(RoutingPlanGenerator.labInterfaces(f))
        .putTableNames(ISP1, "isp1")
        .putTableNames(ISP2, "isp2")
        .putTableNames(BALANCE, "balance")
        .addRules(rule(1000).action(RuleAction.MAIN).suppressPrefixLength(0).build())
        .addRules(rule(1001).fwmark(Mark.of(1, 0xff)).action(RuleAction.lookup(ISP1)).build())
        .addRules(rule(1002).fwmark(Mark.of(2, 0xff)).action(RuleAction.lookup(ISP2)).build())
        .addRules(rule(1010).from(addr1).action(RuleAction.lookup(ISP1)).build())
        .addRules(rule(1011).from(addr2).action(RuleAction.lookup(ISP2)).build())
        .addRules(rule(1020).iif(MLB2).to(blocked).ipproto(Protocol.TCP).dport(PortRange.of(25))
            .action(RuleAction.UNREACHABLE).build())
        .addRules(rule(1100).iif(MLB2).action(RuleAction.lookup(BALANCE)).build())
        .addRoutes(route(any, ISP1).via(gw1).dev(MLB0).build())
        .addRoutes(route(any, ISP2).via(gw2).dev(MLB1).build())
        .addRoutes(route(blocked, ISP1).type(RouteType.UNREACHABLE).build())
        .addRoutes(route(any, BALANCE)
            .addNexthops(Nexthop.via(gw1, MLB0).withWeight(3), Nexthop.via(gw2, MLB1).withWeight(1))
            .build())
        .build();
  }

  private static IpRule.Builder rule(long priority) {
    return IpRule.builder().priority(priority).protocol(OWNER);
  }

  private static Route.Builder route(IpPrefix destination, RoutingTable table) {
    return Route.builder().destination(destination).table(table).protocol(OWNER);
  }

  /** What {@code ip route get} says for a packet: its first line, with the cache details cut off. */
  private static String routeGet(IprouteLab lab, IpFamily f, String... args) {
    List<String> argv = new ArrayList<>(List.of("ip", IprouteLab.flag(f), "route", "get"));
    argv.addAll(List.of(args));
    return lab.ns.run(argv).check().stdout().lines().findFirst().orElse("");
  }

  @Test
  void uplinkPlanLoadsAndReadsBackEqualIpv4() {
    KernelTests.requireKernel();
    uplinkPlanLoadsAndReadsBackEqual(IpFamily.V4);
  }

  @Test
  void uplinkPlanLoadsAndReadsBackEqualIpv6() {
    KernelTests.requireKernel();
    uplinkPlanLoadsAndReadsBackEqual(IpFamily.V6);
  }

  private static void uplinkPlanLoadsAndReadsBackEqual(IpFamily f) {
    RoutingPlan plan = uplinkPlan(f);
    assertEquals(List.of(), plan.validate());
    try (IprouteLab lab = IprouteLab.create("iprup")) {
      Netns.Result r = lab.batch(f, IpBatchWriter.render(plan));
      assertEquals(0, r.exitCode(), r.stderr());
      assertHolds(lab, plan, "uplink plan");
      boolean v4 = f == IpFamily.V4;
      String dst = v4 ? "198.51.100.9" : "2001:db8:100::9";
      // The rules do what they say: the mark's low byte picks the uplink, other bits are ignored.
      assertTrue(routeGet(lab, f, dst, "mark", "0x1").contains("dev mlb0"), routeGet(lab, f, dst, "mark", "0x1"));
      assertTrue(routeGet(lab, f, dst, "mark", "0x302").contains("dev mlb1"), routeGet(lab, f, dst, "mark", "0x302"));
      // Forwarded from the LAN: SMTP to the blocked prefix is unreachable, web traffic is balanced.
      lab.ns.run("sysctl", "-qw", v4 ? "net.ipv4.ip_forward=1" : "net.ipv6.conf.all.forwarding=1").check();
      String lanHost = v4 ? "192.0.2.150" : "2001:db8:0:3::7";
      String blocked = v4 ? "203.0.113.9" : "2001:db8:113::9";
      Netns.Result smtp = lab.ns.run("ip", IprouteLab.flag(f), "route", "get", blocked, "from", lanHost,
          "iif", "mlb2", "ipproto", "tcp", "dport", "25").run();
      // The unreachable rule answers ENETUNREACH; without it the route would be found in table 103.
      assertTrue(smtp.exitCode() != 0 && smtp.stderr().contains("Network is unreachable"), smtp.toString());
      String web = routeGet(lab, f, blocked, "from", lanHost, "iif", "mlb2", "ipproto", "tcp", "dport", "80");
      assertTrue(web.contains("dev mlb0") || web.contains("dev mlb1"), web);
    }
  }

  /**
   * With a foreign rule and route already there (proto static), the uplink plan applied twice
   * leaves the same state, and its undo batch restores the original rules and routes exactly.
   */
  @Test
  void reapplyIsIdempotentAndUndoRestoresTheOriginal() {
    KernelTests.requireKernel();
    for (IpFamily f : IpFamily.values()) {
      boolean v4 = f == IpFamily.V4;
      try (IprouteLab lab = IprouteLab.create("iprundo")) {
        lab.ns.run("ip", IprouteLab.flag(f), "rule", "add", "priority", "500", "from",
            v4 ? "198.51.100.0/24" : "2001:db8:100::/48", "lookup", "200", "proto", "static").check();
        lab.ns.run("ip", IprouteLab.flag(f), "route", "add", v4 ? "198.51.100.0/24" : "2001:db8:100::/48",
            "via", v4 ? "192.0.2.129" : "2001:db8:0:3::1", "dev", "mlb2", "table", "200", "proto", "static").check();
        String rules0 = lab.rulesJson(f);
        String routes0 = lab.routesJson(f);
        RoutingPlan plan = uplinkPlan(f);
        String batch = IpBatchWriter.render(plan);
        assertEquals(0, lab.batch(f, batch).exitCode());
        String rules1 = lab.rulesJson(f);
        String routes1 = lab.routesJson(f);
        assertTrue(!rules1.equals(rules0) && !routes1.equals(routes0), "the plan changed something");
        Netns.Result again = lab.batch(f, batch);
        assertEquals(0, again.exitCode(), again.stderr());
        assertEquals(rules1, lab.rulesJson(f));
        assertEquals(routes1, lab.routesJson(f));
        Netns.Result undo = lab.batch(f, IpBatchWriter.renderUndo(plan));
        assertEquals(0, undo.exitCode(), undo.stderr());
        assertEquals(rules0, lab.rulesJson(f));
        assertEquals(routes0, lab.routesJson(f));
      }
    }
  }

  /**
   * What {@code mlb fmt --format ip-json} does: the live state of one namespace, read with
   * {@code ip -json}, becomes a batch that gives a second, fresh namespace exactly the same rules
   * and routes (compared by {@code ip -json}).
   */
  @Test
  void batchFromIpJsonRecreatesTheLiveState() {
    KernelTests.requireKernel();
    for (IpFamily f : IpFamily.values()) {
      try (IprouteLab a = IprouteLab.create("iprjsona"); IprouteLab b = IprouteLab.create("iprjsonb")) {
        assertEquals(0, a.batch(f, IpBatchWriter.render(uplinkPlan(f))).exitCode());
        String rules = a.rulesJson(f);
        String routes = a.routesJson(f);
        RoutingPlan live = dev.mlb.iproute.IpJsonParser.parseOutput("a", rules + routes, f).withoutKernelEntries();
        String batch = IpBatchWriter.render(live);
        Netns.Result r = b.batch(f, batch);
        assertEquals(0, r.exitCode(), batch + r.stderr());
        assertEquals(rules, b.rulesJson(f));
        assertEquals(routes, b.routesJson(f));
      }
    }
  }

  /**
   * Loads each of 100 generated plans per family into one namespace, checks the read-back model,
   * applies the batch again and checks nothing changed, then applies the undo batch and checks the
   * namespace is exactly as before, by {@code ip -json}.
   */
  @Test
  void generatedPlansLoadReapplyAndUndo() {
    KernelTests.requireKernel();
    int loaded = 0;
    for (IpFamily family : IpFamily.values()) {
      RoutingPlanGenerator gen = RoutingPlanGenerator.of(family);
      try (IprouteLab lab = IprouteLab.create("iprgen")) {
        String rules0 = lab.rulesJson(family);
        String routes0 = lab.routesJson(family);
        for (long seed = 0; seed < 100; seed++) {
          RoutingPlan plan = gen.generate(new SplittableRandom(seed));
          String what = family + " seed " + seed + ":\n" + plan;
          String batch = IpBatchWriter.render(plan);
          Netns.Result first = lab.batch(family, batch);
          assertEquals(0, first.exitCode(), what + "\nip -batch: " + first.stderr());
          loaded++;
          assertHolds(lab, plan, what);
          String rules1 = lab.rulesJson(family);
          String routes1 = lab.routesJson(family);
          Netns.Result again = lab.batch(family, batch);
          assertEquals(0, again.exitCode(), what + "\nsecond ip -batch: " + again.stderr());
          assertEquals(rules1, lab.rulesJson(family), what + ": rules after applying twice");
          assertEquals(routes1, lab.routesJson(family), what + ": routes after applying twice");
          Netns.Result undo = lab.batch(family, IpBatchWriter.renderUndo(plan));
          assertEquals(0, undo.exitCode(), what + "\nundo:\n" + IpBatchWriter.renderUndo(plan) + undo.stderr());
          assertEquals(rules0, lab.rulesJson(family), what + ": rules after undo");
          assertEquals(routes0, lab.routesJson(family), what + ": routes after undo");
        }
      }
    }
    assertTrue(loaded >= 200, "loaded " + loaded);
  }
}
