package dev.mlb.testkit.sim;

import static dev.mlb.testkit.sim.Sim.PPP0;
import static dev.mlb.testkit.sim.Sim.PPP1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.Ruleset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The seed recipe as posted, with the obvious fwmark rules and tables, and with its two defects
 * fixed. Every expectation is derived by hand from the rules (see the comments).
 */
class SeedSimulationTest {

  private static final Topology TOPOLOGY = Topology.standard(2);
  private static final IpAddress PPP0_ADDRESS = IpAddress.parse("198.51.100.1");
  private static final IpAddress PPP1_ADDRESS = IpAddress.parse("198.51.100.17");

  /** In mangle OUTPUT, after the jump to balance1: copy the connmark into the packet mark. */
  private static final String OUTPUT_FIX =
      "-A OUTPUT -m connmark --mark 0x1 -j MARK --set-xmark 0x1/0xffffffff\n"
          + "-A OUTPUT -m connmark --mark 0x2 -j MARK --set-xmark 0x2/0xffffffff\n";

  private static Ruleset seed() {
    return Sim.rules(Sim.seedText());
  }

  private static Ruleset fixedSeed() {
    String text = Sim.seedText();
    int commit = text.indexOf("COMMIT");
    return Sim.rules(text.substring(0, commit) + OUTPUT_FIX + text.substring(commit));
  }

  private static Simulator simulator(Ruleset rules, RoutingPlan plan) {
    return Simulator.of(TOPOLOGY, rules, plan, 1);
  }

  // LAN flow k (k from 1) is balanced by balance1's nth rules: odd flows get connmark 1 (rule 3,
  // evaluation 2j matches packet 0), even flows connmark 2 (rule 4, evaluation 2j+1 matches packet 1).
  // PREROUTING copies it into the mark, fwmark N selects table N, and the SYN leaves ppp0 or ppp1,
  // masqueraded. The SYN-ACK comes back on that uplink, ESTABLISHED: the connmark is restored into
  // the mark, nat PREROUTING turns the destination back into 192.0.2.100, and the same fwmark rule
  // sends it to table N, whose only route is the default out the uplink. The provider there drops
  // it: its source is the server's, not the uplink's address.
  @Test
  void lanFlowsAsPostedFailAtTheSynAckRoutedBackIntoTheUplink() {
    Simulator sim = simulator(seed(), Sim.plan(Sim.OBVIOUS));
    for (int k = 1; k <= 4; k++) {
      FlowResult r = sim.run(Sim.lanTcp(40000 + k, 443));
      boolean odd = k % 2 == 1;
      InterfaceName uplink = odd ? PPP0 : PPP1;
      assertFalse(r.completed(), r.toString());
      assertEquals(Optional.of(uplink), r.uplink(), r.toString());
      assertEquals(OptionalLong.of(odd ? 1 : 2), r.mark(), r.toString());
      PacketLoss loss = r.loss().get();
      assertEquals(2, loss.packet(), r.toString());
      assertEquals("SYN-ACK 203.0.113.10:443 -> " + (odd ? PPP0_ADDRESS : PPP1_ADDRESS) + ":" + (40000 + k),
          loss.packetDescription());
      assertEquals("provider on " + uplink, loss.where());
      String rule = odd ? "ip rule 100 \"from all fwmark 0x1 lookup 1\"" : "ip rule 101 \"from all fwmark 0x2 lookup 2\"";
      String route = odd
          ? "route \"default via 198.51.100.2 dev ppp0 table 1\""
          : "route \"default via 198.51.100.18 dev ppp1 table 2\"";
      assertTrue(loss.reason().contains(rule), loss.reason());
      assertTrue(loss.reason().contains(route), loss.reason());
      assertTrue(loss.reason().contains("source 203.0.113.10 is not " + uplink), loss.reason());
      assertTrue(loss.reason().contains("reply for the LAN host 192.0.2.100"), loss.reason());
      String markRule = odd
          ? "mangle PREROUTING rule 8 \"-m connmark --mark 0x1 -j MARK --set-xmark 0x1/0xffffffff\""
          : "mangle PREROUTING rule 9 \"-m connmark --mark 0x2 -j MARK --set-xmark 0x2/0xffffffff\"";
      assertTrue(loss.reason().contains("last written by " + markRule), loss.reason());
    }
  }

  // Router flow: the first lookup (mark 0) finds only main's default: ppp0, source 198.51.100.1.
  // mangle OUTPUT jumps to balance1, which sets the connmark only; the mark stays 0, no re-route.
  // MASQUERADE -o ppp0 fixes the source 198.51.100.1. Replies come in on ppp0 to the router.
  // From packet 3 on, OUTPUT restores the connmark into the mark and re-routes: connmark 1 stays
  // on ppp0 (fine); connmark 2 goes to table 2, out ppp1. The connection was masqueraded on ppp0,
  // so nat POSTROUTING drops the packet and deletes the connection (the kernel's
  // nf_nat_oif_changed); without that check it would leave ppp1 with ppp0's address and provider
  // ppp1 would drop it. The lost packet is a pure ACK; the router's TCP goes on with its data
  // (packet 4), which finds no conntrack entry and is picked up mid-stream as NEW: it walks
  // balance1 again and takes the next nth turn. Flow 1 takes turn 1 (connmark 1); every later
  // flow takes an even turn (connmark 2, killed at packet 3) and then an odd one (connmark 1):
  // 4 flows, 7 turns, all via ppp0 with connmark 1, as the kernel lab shows.
  @Test
  void routerFlowsAsPostedLoseTheirAckWhenTheirConnmarkIsTwoAndRecoverAsANewConnection() {
    Simulator sim = simulator(seed(), Sim.plan(Sim.OBVIOUS));
    for (int k = 1; k <= 4; k++) {
      Trace t = sim.trace(Sim.routerTcp(50000 + k, 80));
      FlowResult r = t.result();
      assertTrue(r.completed(), t.toString());
      assertEquals(Optional.of(PPP0), r.uplink(), t.toString());
      assertEquals(OptionalLong.of(1), r.mark(), t.toString());
      if (k == 1) {
        assertEquals(List.of(Optional.of(PPP0), Optional.of(PPP0), Optional.of(PPP0), Optional.of(PPP0),
            Optional.of(PPP0), Optional.of(PPP0), Optional.of(PPP0), Optional.of(PPP0)), t.uplinks());
        continue;
      }
      Trace.Packet ack = t.packets().get(2);
      PacketLoss loss = ack.loss().get();
      assertEquals(3, loss.packet(), t.toString());
      assertEquals("ACK 198.51.100.1:" + (50000 + k) + " -> 203.0.113.10:80", loss.packetDescription());
      assertEquals("nat POSTROUTING", loss.where());
      assertTrue(loss.reason().startsWith("the connection was masqueraded on ppp0 (nat POSTROUTING rule 1"
          + " \"-o ppp0 -j MASQUERADE\") and this packet leaves ppp1"), loss.reason());
      assertTrue(loss.reason().contains("ip rule 101 \"from all fwmark 0x2 lookup 2\""), loss.reason());
      assertTrue(loss.reason().contains("last written by mangle OUTPUT rule 1 \"-m state --state RELATED,ESTABLISHED"
          + " -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff\""), loss.reason());
      assertEquals(List.of(Optional.of(PPP0), Optional.of(PPP0), Optional.empty(), Optional.of(PPP0),
          Optional.of(PPP0), Optional.of(PPP0), Optional.of(PPP0), Optional.of(PPP0)), t.uplinks(), t.toString());
      String data = t.toString();
      // Two conntrack entries: the SYN's, and the data packet's, picked up mid-stream.
      assertEquals(2, data.split("conntrack: new connection 198.51.100.1:" + (50000 + k) + " -> 203.0.113.10:80,"
          + " state NEW", -1).length - 1, data);
      assertTrue(t.packets().get(3).steps().stream().anyMatch(st -> st.startsWith("conntrack: new connection")), data);
      assertTrue(data.contains("mangle balance1 rule 3 \"-m statistic --mode nth --every 2 --packet 0"
          + " -j CONNMARK --set-xmark 0x1/0xffffffff\": match -> ctmark 0x0 -> 0x1"), data);
    }
  }

  // Inbound on ppp0/ppp1: PREROUTING -i pppN NEW sets connmark N+1, MARK copies it, save-mark
  // keeps it; local delivery by rule 0. The router's answers (source = the address they came to)
  // are routed by main to ppp0 first, then OUTPUT restores the mark and re-routes to table N+1.
  @Test
  void inboundFlowsAsPostedAreAnsweredThroughTheirUplink() {
    Simulator sim = simulator(seed(), Sim.plan(Sim.OBVIOUS));
    for (InterfaceName up : List.of(PPP0, PPP1)) {
      IpAddress address = up.equals(PPP0) ? PPP0_ADDRESS : PPP1_ADDRESS;
      Trace t = sim.trace(Sim.inboundTcp(up, address, 33000, 22));
      assertTrue(t.result().completed(), t.toString());
      assertEquals(Optional.of(up), t.result().uplink());
      assertEquals(OptionalLong.of(up.equals(PPP0) ? 1 : 2), t.result().mark());
      t.uplinks().forEach(u -> assertEquals(Optional.of(up), u, t.toString()));
      FlowResult udp = sim.run(Flow.inbound(up, Sim.SERVER, 33001, dev.mlb.api.Protocol.UDP, address, 53));
      assertTrue(udp.completed(), udp.toString());
      assertEquals(OptionalLong.of(up.equals(PPP0) ? 1 : 2), udp.mark());
    }
  }

  @Test
  void lanUdpIsNotBalancedAndLeavesByMainMasqueraded() {
    // UDP matches no balance rule: connmark 0, mark 0, main's default via ppp0, MASQUERADE.
    Simulator sim = simulator(seed(), Sim.plan(Sim.OBVIOUS));
    FlowResult r = sim.run(Sim.lanUdp(41000, 53));
    assertTrue(r.completed(), r.toString());
    assertEquals(Optional.of(PPP0), r.uplink());
    assertEquals(OptionalLong.of(0), r.mark());
  }

  @Test
  void withFixesLanFlowsAlternateExactlyAndComplete() {
    for (String fix : List.of(
        "rule add priority 50 to 192.0.2.0/24 lookup main",
        "rule add priority 50 lookup main suppress_prefixlength 0")) {
      Simulator sim = simulator(fixedSeed(), Sim.plan(Sim.with(Sim.OBVIOUS, fix)));
      List<String> outcomes = new ArrayList<>();
      for (int k = 1; k <= 10; k++) {
        Trace t = sim.trace(Sim.lanTcp(40000 + k, k % 2 == 0 ? 80 : 443));
        assertTrue(t.result().completed(), t.toString());
        InterfaceName up = t.result().uplink().get();
        t.uplinks().forEach(u -> assertEquals(Optional.of(up), u, t.toString()));
        outcomes.add(t.result().outcome());
      }
      assertEquals(List.of("ppp0", "ppp1", "ppp0", "ppp1", "ppp0", "ppp1", "ppp0", "ppp1", "ppp0", "ppp1"),
          outcomes, fix);
    }
  }

  // With the OUTPUT fix the first packet's mark changes in mangle OUTPUT, so it is re-routed to
  // its table; MASQUERADE then picks that uplink's address.
  @Test
  void withFixesRouterFlowsCompleteAndBalance() {
    Simulator sim = simulator(fixedSeed(),
        Sim.plan(Sim.with(Sim.OBVIOUS, "rule add priority 50 to 192.0.2.0/24 lookup main")));
    List<String> outcomes = new ArrayList<>();
    for (int k = 1; k <= 6; k++) {
      Trace t = sim.trace(Sim.routerTcp(50000 + k, 80));
      assertTrue(t.result().completed(), t.toString());
      InterfaceName up = t.result().uplink().get();
      t.uplinks().forEach(u -> assertEquals(Optional.of(up), u, t.toString()));
      outcomes.add(t.result().outcome());
    }
    assertEquals(List.of("ppp0", "ppp1", "ppp0", "ppp1", "ppp0", "ppp1"), outcomes);
  }

  @Test
  void withFixesMixedLanRouterAndInboundFlowsShareTheCounters() {
    // balance1's nth counters are shared by PREROUTING (LAN) and OUTPUT (router) jumps.
    Simulator sim = simulator(fixedSeed(),
        Sim.plan(Sim.with(Sim.OBVIOUS, "rule add priority 50 to 192.0.2.0/24 lookup main")));
    List<String> outcomes = new ArrayList<>();
    outcomes.add(sim.run(Sim.lanTcp(40001, 443)).outcome());
    outcomes.add(sim.run(Sim.routerTcp(50001, 80)).outcome());
    outcomes.add(sim.run(Sim.inboundTcp(PPP1, PPP1_ADDRESS, 33000, 22)).outcome());
    outcomes.add(sim.run(Sim.routerTcp(50002, 80)).outcome());
    outcomes.add(sim.run(Sim.lanTcp(40002, 22)).outcome());
    assertEquals(List.of("ppp0", "ppp1", "ppp1", "ppp0", "ppp1"), outcomes);
  }

  @Test
  void traceOfTheFailingSynAckNamesTheRulesItMet() {
    Simulator sim = simulator(seed(), Sim.plan(Sim.OBVIOUS));
    String text = sim.trace(Sim.lanTcp(40001, 443)).toString();
    assertTrue(text.contains("mangle PREROUTING rule 8 \"-m connmark --mark 0x1 -j MARK --set-xmark 0x1/0xffffffff\":"
        + " match -> mark 0x0 -> 0x1"), text);
    assertTrue(text.contains("mangle balance1 rule 3 \"-m statistic --mode nth --every 2 --packet 0"
        + " -j CONNMARK --set-xmark 0x1/0xffffffff\": match -> ctmark 0x0 -> 0x1"), text);
    assertTrue(text.contains("nat PREROUTING: reply de-NAT, destination 198.51.100.1 -> 192.0.2.100"), text);
    assertTrue(text.contains("=> LOST at provider on ppp0"), text);
  }
}
