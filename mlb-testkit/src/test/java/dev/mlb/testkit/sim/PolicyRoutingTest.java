package dev.mlb.testkit.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpAddress;
import dev.mlb.api.Protocol;
import dev.mlb.iproute.RoutingPlan;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Policy routing: rule order and actions, selectors, longest-prefix match, route types. */
class PolicyRoutingTest {

  private static final String MASQ = "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o ppp+ -j MASQUERADE\nCOMMIT\n";
  /** Marks every LAN packet 0x1 and keeps the ctmark 0. */
  private static final String MARK_LAN = "*mangle\n:PREROUTING ACCEPT [0:0]\n"
      + "-A PREROUTING -i eth0 -j MARK --set-xmark 0x1/0xffffffff\nCOMMIT\n";

  private static Simulator sim(String rules, String... plan) {
    return Simulator.of(Topology.standard(2), Sim.rules(rules + MASQ), Sim.plan(plan), 3);
  }

  private static Flow lanTo(String server) {
    return Flow.fromLan(Sim.CLIENT, 40000, Protocol.TCP, IpAddress.parse(server), 443);
  }

  // 203.0.113.10 is in the /24 (via ppp1), the /16 (via ppp0) and the default (via ppp1): the /24
  // wins. 203.0.5.5 only in the /16 and the default: ppp0. 198.18.0.1 only the default: ppp1.
  @Test
  void longestPrefixWins() {
    Simulator s = sim("",
        "route replace default via 198.51.100.18 dev ppp1",
        "route replace 203.0.0.0/16 via 198.51.100.2 dev ppp0",
        "route replace 203.0.113.0/24 via 198.51.100.18 dev ppp1");
    assertEquals("ppp1", s.run(lanTo("203.0.113.10")).outcome());
    assertEquals("ppp0", s.run(lanTo("203.0.5.5")).outcome());
    assertEquals("ppp1", s.run(lanTo("198.18.0.1")).outcome());
  }

  @Test
  void equalPrefixesPreferTheLowerMetric() {
    Simulator s = sim("",
        "route replace default via 198.51.100.2 dev ppp0 metric 10",
        "route replace default via 198.51.100.18 dev ppp1 metric 5");
    assertEquals("ppp1", s.run(Sim.lanTcp(40000, 443)).outcome());
  }

  @Test
  void aGatewayWithoutDeviceLeavesThroughTheLinkItIsOn() {
    Simulator s = sim("", "route replace default via 198.51.100.18");
    assertEquals("ppp1", s.run(Sim.lanTcp(40000, 443)).outcome());
  }

  // Rule 50 looks into main but ignores routes of prefix length 0: the default via ppp0 is
  // suppressed, so the fwmark rule sends the flow to table 1 (ppp1). Replies to 192.0.2.100 find
  // main's connected /24 (length 24 > 0) and reach the LAN. Without suppress_prefixlength rule 50
  // takes main's default: ppp0.
  @Test
  void suppressPrefixLengthIgnoresTheDefaultRoute() {
    String[] plan = {
        "rule add priority 100 fwmark 0x1 lookup 1",
        "route replace default via 198.51.100.18 dev ppp1 table 1",
        "route replace default via 198.51.100.2 dev ppp0"};
    Simulator suppressed = sim(MARK_LAN, Sim.with(plan, "rule add priority 50 lookup main suppress_prefixlength 0"));
    FlowResult r = suppressed.run(Sim.lanTcp(40000, 443));
    assertTrue(r.completed(), r.toString());
    assertEquals(Optional.of(Sim.PPP1), r.uplink());
    Simulator plain = sim(MARK_LAN, Sim.with(plan, "rule add priority 50 lookup main"));
    assertEquals("ppp0", plain.run(Sim.lanTcp(40000, 443)).outcome());
  }

  @Test
  void unreachableRuleLosesTheFirstPacketNamingTheRule() {
    Simulator s = sim("", "rule add priority 10 to 203.0.113.0/24 unreachable",
        "route replace default via 198.51.100.2 dev ppp0");
    PacketLoss loss = s.run(Sim.lanTcp(40000, 443)).loss().get();
    assertEquals(1, loss.packet());
    assertEquals("ip rule 10 \"from all to 203.0.113.0/24 unreachable\"", loss.where());
    assertTrue(loss.reason().contains("unreachable"), loss.reason());
    assertTrue(s.run(lanTo("198.18.0.1")).completed());
  }

  @Test
  void blackholeAndProhibitRoutesLoseThePacketNamingTheRoute() {
    for (String type : List.of("blackhole", "unreachable", "prohibit")) {
      Simulator s = sim(MARK_LAN, "rule add priority 10 fwmark 0x1 lookup 7",
          "route replace " + type + " default table 7",
          "route replace default via 198.51.100.2 dev ppp0");
      PacketLoss loss = s.run(Sim.lanTcp(40000, 443)).loss().get();
      assertEquals(1, loss.packet());
      assertEquals("route \"" + type + " default table 7\"", loss.where());
      assertTrue(loss.reason().contains("ip rule 10 \"from all fwmark 0x1 lookup 7\""), loss.reason());
    }
  }

  /** Replies to the LAN must not follow the uplink tables (the seed's first defect). */
  private static final String LAN_REPLIES = "rule add priority 1 to 192.0.2.0/24 lookup main";

  // A throw route ends the lookup in table 1 without a result: the next rule (main) decides.
  @Test
  void throwRouteContinuesWithTheNextRule() {
    Simulator s = sim("", LAN_REPLIES, "rule add priority 10 lookup 1",
        "route replace throw 203.0.113.0/24 table 1",
        "route replace default via 198.51.100.18 dev ppp1 table 1",
        "route replace default via 198.51.100.2 dev ppp0");
    assertEquals("ppp0", s.run(Sim.lanTcp(40000, 443)).outcome());
    assertEquals("ppp1", s.run(lanTo("198.18.0.1")).outcome());
  }

  // goto 200 skips rule 100 (table 1, ppp1); rule 200 looks into table 2 (ppp0). nop does nothing.
  @Test
  void gotoSkipsRulesAndNopDoesNothing() {
    Simulator s = sim("", LAN_REPLIES,
        "rule add priority 5 nop",
        "rule add priority 10 to 203.0.113.0/24 goto 200",
        "rule add priority 100 lookup 1",
        "rule add priority 200 lookup 2",
        "route replace default via 198.51.100.18 dev ppp1 table 1",
        "route replace default via 198.51.100.2 dev ppp0 table 2",
        "route replace default via 198.51.100.18 dev ppp1");
    assertEquals("ppp0", s.run(Sim.lanTcp(40000, 443)).outcome());
    assertEquals("ppp1", s.run(lanTo("198.18.0.1")).outcome());
  }

  @Test
  void tableWithoutAMatchingRouteFallsThrough() {
    // Table 1 only knows 10.0.0.0/8; the flow goes on to main.
    Simulator s = sim("", "rule add priority 10 lookup 1",
        "route replace 10.0.0.0/8 via 198.51.100.18 dev ppp1 table 1",
        "route replace default via 198.51.100.2 dev ppp0");
    assertEquals("ppp0", s.run(Sim.lanTcp(40000, 443)).outcome());
  }

  @Test
  void noRouteAtAll() {
    Simulator s = sim("");
    PacketLoss loss = s.run(Sim.lanTcp(40000, 443)).loss().get();
    assertEquals(1, loss.packet());
    assertEquals("routing decision", loss.where());
    assertTrue(loss.reason().startsWith("no route to 203.0.113.10"), loss.reason());
  }

  // "iif lo" selects locally generated packets only; "not iif lo" the rest. "ipproto udp" and
  // "dport 53" select the LAN's DNS flow.
  @Test
  void iifIpprotoAndPortSelectors() {
    Simulator s = sim("",
        "rule add priority 10 iif lo lookup 2",
        "rule add priority 20 ipproto udp dport 53 lookup 2",
        "route replace default via 198.51.100.18 dev ppp1 table 2",
        "route replace default via 198.51.100.2 dev ppp0");
    assertEquals("ppp1", s.run(Sim.routerTcp(50000, 80)).outcome());
    assertEquals("ppp0", s.run(Sim.lanTcp(40000, 80)).outcome());
    assertEquals("ppp1", s.run(Sim.lanUdp(40001, 53)).outcome());
    assertEquals("ppp0", s.run(Sim.lanUdp(40002, 123)).outcome());
    Simulator inverted = sim("", LAN_REPLIES, "rule add priority 10 not iif lo lookup 2",
        "route replace default via 198.51.100.18 dev ppp1 table 2",
        "route replace default via 198.51.100.2 dev ppp0");
    assertEquals("ppp0", inverted.run(Sim.routerTcp(50000, 80)).outcome());
    assertEquals("ppp1", inverted.run(Sim.lanTcp(40000, 80)).outcome());
  }

  // The router's first lookup has no source yet; main's default chooses ppp0 and its address
  // 198.51.100.1. "from 198.51.100.1 lookup 2" then matches the second lookup, made with that
  // source (as the kernel's ip_route_connect does): the flow leaves ppp1, where MASQUERADE gives
  // it ppp1's address. Every later packet (source 198.51.100.1) follows the same rule.
  @Test
  void routerRouteIsLookedUpAgainWithTheChosenSource() {
    Simulator s = sim("", "rule add priority 10 from 198.51.100.1 lookup 2",
        "route replace default via 198.51.100.18 dev ppp1 table 2",
        "route replace default via 198.51.100.2 dev ppp0");
    Trace t = s.trace(Sim.routerTcp(50000, 80));
    assertTrue(t.result().completed(), t.toString());
    assertEquals(Optional.of(Sim.PPP1), t.result().uplink());
    assertEquals("SYN 198.51.100.1:50000 -> 203.0.113.10:80", t.packets().get(0).description());
  }

  // main's default says "src 198.51.100.17" while it leaves ppp0: the route's src, not the
  // device's address, becomes the source, so "from 198.51.100.17 lookup 2" matches the second
  // lookup and the flow leaves ppp1. Without NAT its source is still ppp1's own.
  @Test
  void routerSourceIsTheRoutesSrcBeforeTheDevicesAddress() {
    String noNat = "*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n";
    Simulator s = Simulator.of(Topology.standard(2), Sim.rules(noNat), Sim.plan(
        "rule add priority 10 from 198.51.100.17 lookup 2",
        "route replace default via 198.51.100.18 dev ppp1 table 2",
        "route replace default via 198.51.100.2 dev ppp0 src 198.51.100.17"), 1);
    Trace t = s.trace(Sim.routerTcp(50000, 80));
    assertTrue(t.result().completed(), t.toString());
    assertEquals(Optional.of(Sim.PPP1), t.result().uplink());
    assertEquals("SYN 198.51.100.17:50000 -> 203.0.113.10:80", t.packets().get(0).description());
  }

  // A plan that lists the default rules itself does not get them twice. A rule without priority
  // gets the priority of the second rule in the list less one (the kernel's fib_default_rule_pref):
  // 32766 - 1 = 32765, before main. A router flow (all its packets generated locally or
  // delivered locally) then leaves by table 2.
  @Test
  void defaultRulesAndRulesWithoutPriority() {
    RoutingPlan plan = Sim.plan(
        "rule add priority 0 lookup local",
        "rule add priority 32766 lookup main",
        "rule add priority 32767 lookup default",
        "rule add lookup 2",
        "route replace default via 198.51.100.18 dev ppp1 table 2",
        "route replace default via 198.51.100.2 dev ppp0");
    Simulator s = Simulator.of(Topology.standard(2), Sim.rules(MASQ), plan, 1);
    Trace t = s.trace(Sim.routerTcp(50000, 80));
    assertEquals("ppp1", t.result().outcome(), t.toString());
    String text = t.toString();
    assertEquals(count(text, "routing:"), count(text, "ip rule 0 \"from all lookup local\""), text);
    assertTrue(text.contains("ip rule 32765 \"from all lookup 2\": match"), text);
  }

  // With a rule at priority 100 already second in the list, the next unnumbered rule gets 99.
  @Test
  void ruleWithoutPriorityGoesJustBeforeTheSecondRule() {
    RoutingPlan plan = Sim.plan(
        "rule add priority 100 lookup 1",
        "rule add lookup 2",
        "route replace default via 198.51.100.18 dev ppp1 table 2",
        "route replace default via 198.51.100.2 dev ppp0 table 1");
    Simulator s = Simulator.of(Topology.standard(2), Sim.rules(MASQ), plan, 1);
    Trace t = s.trace(Sim.routerTcp(50000, 80));
    assertEquals("ppp1", t.result().outcome(), t.toString());
    assertTrue(t.toString().contains("ip rule 99 \"from all lookup 2\": match"), t.toString());
  }

  private static int count(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }

  // Equal weights: over many clients both nexthops are used, and the choice is a pure function
  // of (source, destination): a second simulator repeats it, and every packet of a flow sticks.
  @Test
  void multipathIsDeterministicPerAddressPair() {
    String route = "route replace default nexthop via 198.51.100.2 dev ppp0 weight 1"
        + " nexthop via 198.51.100.18 dev ppp1 weight 1";
    List<String> first = new ArrayList<>();
    List<String> second = new ArrayList<>();
    Simulator a = sim("", route);
    Simulator b = sim("", route);
    for (IpAddress client : Topology.standard(2).lanClients(40)) {
      Flow f = Flow.fromLan(client, 40000, Protocol.TCP, Sim.SERVER, 443);
      Trace t = a.trace(f);
      assertTrue(t.result().completed(), t.toString());
      assertEquals(1, new HashSet<>(t.uplinks()).size(), t.toString());
      first.add(t.result().outcome());
      second.add(b.run(f).outcome());
    }
    assertEquals(first, second);
    assertTrue(first.contains("ppp0") && first.contains("ppp1"), first.toString());
  }

  @Test
  void gatewayOnNoLinkIsALoss() {
    PacketLoss loss = sim("", "route replace default via 10.9.9.9").run(Sim.lanTcp(40000, 443)).loss().get();
    assertEquals("route \"default via 10.9.9.9\"", loss.where());
    assertTrue(loss.reason().startsWith("its gateway 10.9.9.9 is on no link of the topology"), loss.reason());
  }

  @Test
  void routeToAnInterfaceOutsideTheTopologyIsALoss() {
    Simulator s = sim("", "route replace default dev tun0");
    FlowResult r = s.run(Sim.lanTcp(40000, 443));
    assertFalse(r.completed());
    assertEquals("interface tun0", r.loss().get().where());
  }
}
