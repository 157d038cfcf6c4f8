package dev.mlb.testkit.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Conntrack states, NAT bindings, the three ends and the provider's ingress filter. */
class ConntrackNatAndEndsTest {

  private static final IpAddress PPP0_ADDRESS = IpAddress.parse("198.51.100.1");
  private static final IpAddress PPP1_ADDRESS = IpAddress.parse("198.51.100.17");
  private static final String[] MAIN_PPP0 = {"route replace default via 198.51.100.2 dev ppp0"};
  private static final String[] MARK2_TO_PPP1 = {
    "rule add priority 100 fwmark 0x2 lookup 2",
    "route replace default via 198.51.100.18 dev ppp1 table 2",
    "route replace default via 198.51.100.2 dev ppp0"};

  private static Simulator sim(String rules, String... plan) {
    return Simulator.of(Topology.standard(2), Sim.rules(rules), Sim.plan(plan), 5);
  }

  private static final String MASQ_ALL = "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o ppp+ -j MASQUERADE\nCOMMIT\n";

  // Packet 1 (from eth0, NEW) ORs 0x1; the connection has no NAT binding yet, so not ctstate SNAT.
  // Packet 2, the reply on ppp0, is ESTABLISHED and, the connection being masqueraded by then,
  // ctstate SNAT: 0x4. Packet 3 (from eth0 again, after a reply) is ESTABLISHED (0x2) and SNAT
  // (0x8). Packet 4 repeats 0x4. 0x1 | 0x4 | 0x2 | 0x8 = 0xf.
  @Test
  void statesAlongAUdpFlow() {
    String rules = "*mangle\n:PREROUTING ACCEPT [0:0]\n"
        + "-A PREROUTING -i eth0 -m state --state NEW -j CONNMARK --set-xmark 0x1/0x1\n"
        + "-A PREROUTING -i eth0 -m conntrack --ctstate ESTABLISHED -j CONNMARK --set-xmark 0x2/0x2\n"
        + "-A PREROUTING -i ppp0 -m conntrack --ctstate SNAT -j CONNMARK --set-xmark 0x4/0x4\n"
        + "-A PREROUTING -i eth0 -m conntrack --ctstate SNAT -j CONNMARK --set-xmark 0x8/0x8\n"
        + "COMMIT\n" + MASQ_ALL;
    FlowResult r = sim(rules, MAIN_PPP0).run(Sim.lanUdp(42000, 53));
    assertTrue(r.completed(), r.toString());
    assertEquals(OptionalLong.of(0xf), r.mark());
  }

  // First packet: mark 0, leaves ppp0 with the router's ppp0 address; nat POSTROUTING has only
  // "-o ppp1": the null binding is fixed. From packet 3 on, ESTABLISHED packets get mark 2 and are
  // re-routed to ppp1; nat is not consulted again, the source stays 198.51.100.1: provider ppp1
  // drops it.
  @Test
  void nullBindingIsFixedOnTheFirstPacket() {
    String rules = "*mangle\n:OUTPUT ACCEPT [0:0]\n"
        + "-A OUTPUT -m state --state ESTABLISHED -j MARK --set-xmark 0x2/0xffffffff\nCOMMIT\n"
        + "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o ppp1 -j MASQUERADE\nCOMMIT\n";
    Trace t = sim(rules, MARK2_TO_PPP1).trace(Sim.routerTcp(50000, 80));
    PacketLoss loss = t.result().loss().get();
    assertEquals(3, loss.packet(), t.toString());
    assertEquals("provider on ppp1", loss.where());
    assertTrue(loss.reason().contains("no source NAT (null binding fixed on its first packet)"), loss.reason());
    assertEquals(List.of(Optional.of(Sim.PPP0), Optional.of(Sim.PPP0), Optional.of(Sim.PPP1)), t.uplinks());
  }

  // Same re-route from packet 3 on. Masqueraded on ppp0, the connection is killed when a packet
  // leaves ppp1 (nf_nat_oif_changed): the ACK is lost at nat POSTROUTING. The router's data
  // (packet 4) is picked up mid-stream as a new connection, NEW, so mark 0: it leaves ppp0 and is
  // masqueraded there. The server's data makes it ESTABLISHED: the router's FIN gets mark 2 and is
  // killed the same way. The retransmitted FIN finds no entry, and a FIN opens none: INVALID, no
  // mark, no NAT; it leaves ppp0 with the router's ppp0 address, which the server knows. So does
  // the server's FIN (INVALID, delivered). The last ACK is picked up as a new connection, NEW,
  // mark 0, out ppp0. The flow completes with that connection's ctmark 0, as in the kernel lab.
  // SNAT to the same address has no such check: the packet leaves ppp1 with ppp0's address and
  // provider ppp1 drops it.
  @Test
  void masqueradedConnectionLeavingAnotherInterfaceIsKilled() {
    String mangle = "*mangle\n:OUTPUT ACCEPT [0:0]\n"
        + "-A OUTPUT -m state --state ESTABLISHED -j MARK --set-xmark 0x2/0xffffffff\nCOMMIT\n";
    String masq = mangle + "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o ppp+ -j MASQUERADE\nCOMMIT\n";
    Trace t = sim(masq, MARK2_TO_PPP1).trace(Sim.routerTcp(50000, 80));
    assertTrue(t.result().completed(), t.toString());
    assertEquals(OptionalLong.of(0), t.result().mark(), t.toString());
    Optional<InterfaceName> ppp0 = Optional.of(Sim.PPP0);
    assertEquals(List.of(ppp0, ppp0, Optional.empty(), ppp0, ppp0, Optional.empty(), ppp0, ppp0, ppp0), t.uplinks(),
        t.toString());
    assertEquals("nat POSTROUTING", t.packets().get(2).loss().get().where(), t.toString());
    assertEquals("nat POSTROUTING", t.packets().get(5).loss().get().where(), t.toString());
    assertEquals("FIN (retransmitted)", t.packets().get(6).description().split(" 198")[0], t.toString());
    assertTrue(t.packets().get(6).steps().contains(
        "conntrack: no entry, and a FIN opens none: state INVALID (no connmark, no NAT)"), t.toString());
    assertTrue(t.packets().get(7).steps().contains(
        "conntrack: no entry, and a FIN opens none: state INVALID (no connmark, no NAT)"), t.toString());
    String snat = mangle + "*nat\n:POSTROUTING ACCEPT [0:0]\n"
        + "-A POSTROUTING -o ppp0 -j SNAT --to-source 198.51.100.1\nCOMMIT\n";
    PacketLoss snatLoss = sim(snat, MARK2_TO_PPP1).run(Sim.routerTcp(50000, 80)).loss().get();
    assertEquals(3, snatLoss.packet());
    assertEquals("provider on ppp1", snatLoss.where());
  }

  @Test
  void lanFlowWithoutNatIsDroppedByTheProvider() {
    String rules = "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o ppp1 -j MASQUERADE\nCOMMIT\n";
    FlowResult r = sim(rules, MAIN_PPP0).run(Sim.lanTcp(40000, 443));
    assertEquals(Optional.of(Sim.PPP0), r.uplink());
    PacketLoss loss = r.loss().get();
    assertEquals(1, loss.packet());
    assertEquals("provider on ppp0", loss.where());
    assertTrue(loss.reason().startsWith("source 192.0.2.100 is not ppp0's address 198.51.100.1"), loss.reason());
  }

  // SNAT takes the first address of its range (ports kept); to another address than the uplink's
  // the provider drops it.
  @Test
  void snatUsesTheFirstAddressOfTheRange() {
    String good = "*nat\n:POSTROUTING ACCEPT [0:0]\n"
        + "-A POSTROUTING -o ppp0 -j SNAT --to-source 198.51.100.1-198.51.100.5\nCOMMIT\n";
    Trace t = sim(good, MAIN_PPP0).trace(Sim.lanTcp(40000, 443));
    assertTrue(t.result().completed(), t.toString());
    assertTrue(t.packets().get(1).description().equals("SYN-ACK 203.0.113.10:443 -> 198.51.100.1:40000"));
    String wrong = "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o ppp0 -j SNAT --to-source 198.51.100.5\nCOMMIT\n";
    PacketLoss loss = sim(wrong, MAIN_PPP0).run(Sim.lanTcp(40000, 443)).loss().get();
    assertEquals(1, loss.packet());
    assertTrue(loss.reason().startsWith("source 198.51.100.5 is not ppp0's address"), loss.reason());
  }

  // An inbound connection on ppp1 with no marking: the router's answer (source 198.51.100.17)
  // follows main's default out ppp0, and provider ppp0 drops it.
  @Test
  void inboundWithoutStickinessIsAnsweredTheWrongWay() {
    FlowResult r = sim(MASQ_ALL, MAIN_PPP0).run(Sim.inboundTcp(Sim.PPP1, PPP1_ADDRESS, 33000, 22));
    assertEquals(Optional.of(Sim.PPP1), r.uplink());
    PacketLoss loss = r.loss().get();
    assertEquals(2, loss.packet());
    assertEquals("SYN-ACK 198.51.100.17:22 -> 203.0.113.10:33000", loss.packetDescription());
    assertEquals("provider on ppp0", loss.where());
    assertTrue(sim(MASQ_ALL, MAIN_PPP0).run(Sim.inboundTcp(Sim.PPP0, PPP0_ADDRESS, 33000, 22)).completed());
  }

  // nat INPUT rewrites the remote's source to 192.0.2.50 for the router's socket; the router
  // answers 192.0.2.50, which routes locally, until nat OUTPUT turns the destination back into the
  // remote's address and the packet is re-routed out ppp0.
  @Test
  void sourceNatInInputIsUndoneForTheRoutersAnswers() {
    String rules = "*nat\n:INPUT ACCEPT [0:0]\n-A INPUT -i ppp0 -j SNAT --to-source 192.0.2.50\nCOMMIT\n";
    Trace t = sim(rules, MAIN_PPP0).trace(Sim.inboundTcp(Sim.PPP0, PPP0_ADDRESS, 33000, 22));
    assertTrue(t.result().completed(), t.toString());
    assertEquals("SYN-ACK 198.51.100.1:22 -> 192.0.2.50:33000", t.packets().get(1).description());
    assertTrue(t.toString().contains("nat OUTPUT: reply de-NAT, destination 192.0.2.50 -> 203.0.113.10"), t.toString());
  }

  @Test
  void packetRoutedToTheLanThatIsNotForTheLanClient() {
    Simulator s = sim(MASQ_ALL, "rule add priority 10 iif lo lookup 3", "route replace default dev eth0 table 3",
        "route replace default via 198.51.100.2 dev ppp0");
    FlowResult r = s.run(Sim.routerTcp(50000, 80));
    assertEquals(Optional.empty(), r.uplink());
    PacketLoss loss = r.loss().get();
    assertEquals(1, loss.packet());
    assertEquals("LAN on eth0", loss.where());
    assertTrue(loss.reason().startsWith("no LAN host of this flow is 203.0.113.10:80"), loss.reason());
  }

  @Test
  void firstPacketDroppedBeforeLeavingHasNoUplink() {
    String rules = "*filter\n:FORWARD DROP [0:0]\nCOMMIT\n" + MASQ_ALL;
    FlowResult r = sim(rules, MAIN_PPP0).run(Sim.lanTcp(40000, 443));
    assertEquals(Optional.empty(), r.uplink());
    assertEquals(OptionalLong.of(0), r.mark());
  }

  @Test
  void aFinishedFlowsConnectionIsForgotten() {
    // Flows with the same addresses and ports, one after the other, are new connections each:
    // the seed's nth balancing (with both fixes) alternates them.
    String text = Sim.seedText();
    int commit = text.indexOf("COMMIT");
    String fixed = text.substring(0, commit)
        + "-A OUTPUT -m connmark --mark 0x1 -j MARK --set-xmark 0x1/0xffffffff\n" + text.substring(commit);
    Simulator s = Simulator.of(Topology.standard(2), Sim.rules(fixed),
        Sim.plan(Sim.with(Sim.OBVIOUS, "rule add priority 50 to 192.0.2.0/24 lookup main")), 1);
    List<String> outcomes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      outcomes.add(s.run(Sim.lanTcp(40000, 443)).outcome());
    }
    assertEquals(List.of("ppp0", "ppp1", "ppp0", "ppp1"), outcomes);
  }

  @Test
  void runAllIsRunInOrder() {
    List<Flow> flows = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      flows.add(i % 3 == 2 ? Sim.routerTcp(50000 + i, 80) : Sim.lanTcp(40000 + i, 443));
    }
    Simulator a = Simulator.of(Topology.standard(2), Sim.rules(Sim.seedText()), Sim.plan(Sim.OBVIOUS), 9);
    Simulator b = Simulator.of(Topology.standard(2), Sim.rules(Sim.seedText()), Sim.plan(Sim.OBVIOUS), 9);
    List<FlowResult> one = new ArrayList<>();
    for (Flow f : flows) {
      one.add(a.run(f));
    }
    assertEquals(one, b.runAll(flows));
  }

  @Test
  void traceListsEveryPacketOfACompletedFlow() {
    Trace tcp = sim(MASQ_ALL, MAIN_PPP0).trace(Sim.lanTcp(40000, 443));
    assertEquals(8, tcp.packets().size());
    assertTrue(tcp.packets().stream().allMatch(Trace.Packet::delivered));
    assertEquals(List.of("SYN", "SYN-ACK", "ACK", "data", "data", "FIN", "FIN", "ACK"),
        tcp.packets().stream().map(p -> p.description().split(" ")[0]).toList());
    Trace udp = sim(MASQ_ALL, MAIN_PPP0).trace(Sim.lanUdp(40000, 53));
    assertEquals(4, udp.packets().size());
    String text = udp.toString();
    assertTrue(text.startsWith("udp lan 192.0.2.100:40000 -> 203.0.113.10:53: via ppp0 mark 0x0\n"), text);
    assertTrue(text.contains("packet 2: reply 203.0.113.10:53 -> 198.51.100.1:40000 (sent by server 203.0.113.10:53)"),
        text);
    assertTrue(text.contains("delivered to LAN client 192.0.2.100:40000"), text);
    assertFalse(text.contains("LOST"), text);
  }
}
