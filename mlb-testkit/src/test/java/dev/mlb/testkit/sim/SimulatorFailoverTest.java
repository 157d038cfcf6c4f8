package dev.mlb.testkit.sim;

import static dev.mlb.testkit.sim.Sim.PPP0;
import static dev.mlb.testkit.sim.Sim.PPP1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpAddress;
import dev.mlb.api.Mark;
import dev.mlb.api.Protocol;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.Ruleset;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * Killing and reviving providers, flows kept open across parts, and transitions (new rules and
 * routes, conntrack kept, entries of the uplinks that went down deleted by mark), on a hand-written
 * two-uplink router whose expectations are worked out by hand in each test: the nth pair gives the
 * first new connection mark 1 (ppp0), the second mark 2 (ppp1), and so on; the "ppp0 down" rules
 * give every new connection mark 2.
 */
class SimulatorFailoverTest {
  private static final String HEAD = "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
      + ":OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:balance - [0:0]\n"
      + "-A PREROUTING -i eth0 -m state --state NEW -j balance\n"
      + "-A PREROUTING -i ppp0 -m state --state NEW -j CONNMARK --set-mark 1\n"
      + "-A PREROUTING -i ppp1 -m state --state NEW -j CONNMARK --set-mark 2\n"
      + "-A PREROUTING -j CONNMARK --restore-mark\n"
      + "-A OUTPUT -j CONNMARK --restore-mark\n"
      + "-A balance -m connmark ! --mark 0x0 -j RETURN\n";
  private static final String NAT = "COMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
      + ":POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o ppp0 -j MASQUERADE\n-A POSTROUTING -o ppp1 -j MASQUERADE\nCOMMIT\n";
  /** Both uplinks up: nth alternates marks 1 and 2. */
  static final Ruleset BOTH = Sim.rules(HEAD
      + "-A balance -m statistic --mode nth --every 2 --packet 0 -j CONNMARK --set-mark 1\n"
      + "-A balance -m statistic --mode nth --every 2 --packet 1 -j CONNMARK --set-mark 2\n" + NAT);
  /** ppp0 down: every new connection gets mark 2. */
  static final Ruleset PPP0_DOWN = Sim.rules(HEAD + "-A balance -j CONNMARK --set-mark 2\n" + NAT);
  static final RoutingPlan PLAN = Sim.plan(Sim.with(Sim.OBVIOUS, "rule add priority 99 to 192.0.2.0/24 lookup main"));
  static final Mark MARK1 = Mark.of(1);
  static final Mark MARK2 = Mark.of(2);
  static final IpAddress PPP0_IP = IpAddress.parse("198.51.100.1");

  private static Simulator sim() {
    return Simulator.of(Topology.standard(2), BOTH, PLAN, 1);
  }

  @Test
  void aDeadProviderDropsEverythingBothWays() {
    Simulator sim = sim();
    sim.killUplink(PPP0);
    assertEquals(List.of(PPP0), sim.deadUplinks());
    FlowResult out = sim.run(Sim.lanTcp(40000, 443));        // nth slot 0: mark 1, ppp0
    assertFalse(out.completed());
    assertEquals(Optional.of(PPP0), out.uplink());
    assertEquals(1, out.loss().get().packet());
    assertEquals("provider on ppp0", out.loss().get().where());
    FlowResult next = sim.run(Sim.lanTcp(40001, 443));       // slot 1: mark 2, ppp1, alive
    assertTrue(next.completed());
    assertEquals(Optional.of(PPP1), next.uplink());
    // Inbound: the server's first packet would come through the dead provider.
    FlowResult in = sim.run(Sim.inboundTcp(PPP0, PPP0_IP, 50000, 22));
    assertFalse(in.completed());
    assertEquals("provider on ppp0", in.loss().get().where());
    sim.reviveUplink(PPP0);
    assertEquals(List.of(), sim.deadUplinks());
    assertTrue(sim.run(Sim.inboundTcp(PPP0, PPP0_IP, 50001, 22)).completed());
    assertThrows(IllegalArgumentException.class, () -> sim.killUplink(dev.mlb.api.InterfaceName.of("ppp7")));
  }

  @Test
  void anOpenFlowKeepsItsConnectionAcrossParts() {
    Simulator sim = sim();
    Flow call = Sim.lanUdp(41000, 53);
    FlowResult opened = sim.open(call);                       // slot 0: mark 1
    assertTrue(opened.completed());
    assertEquals(OptionalLong.of(1), opened.mark());
    assertEquals(List.of(call), sim.openFlows());
    // A fresh flow takes slot 1; the open flow's next exchange walks no nth rule (it is not NEW).
    assertEquals(Optional.of(PPP1), sim.run(Sim.lanTcp(41001, 443)).uplink());
    FlowResult again = sim.exchange(call);
    assertTrue(again.completed());
    assertEquals(Optional.of(PPP0), again.uplink());
    assertEquals(OptionalLong.of(1), again.mark());
    assertEquals(Optional.of(PPP0), sim.run(Sim.lanTcp(41002, 443)).uplink());  // slot 0 again
    assertTrue(sim.close(call).completed());
    assertEquals(List.of(), sim.openFlows());
    assertThrows(IllegalArgumentException.class, () -> sim.exchange(call));
  }

  @Test
  void aTcpFlowKeptOpenExchangesAndCloses() {
    Simulator sim = sim();
    Flow web = Sim.lanTcp(42000, 443);
    assertTrue(sim.open(web).completed());
    assertThrows(IllegalArgumentException.class, () -> sim.open(web));
    FlowResult data = sim.exchange(web);
    assertTrue(data.completed());
    assertEquals(Optional.of(PPP0), data.uplink());
    FlowResult closed = sim.close(web);
    assertTrue(closed.completed());
    assertEquals(OptionalLong.of(1), closed.mark());
  }

  @Test
  void aTransitionKeepsTheLiveUplinksConnectionsAndDeletesTheDeadOnesByMark() {
    Simulator sim = sim();
    Flow onPpp0 = Sim.lanUdp(43000, 53);                      // slot 0: mark 1
    Flow onPpp1 = Sim.lanUdp(43001, 53);                      // slot 1: mark 2
    Flow tcpOnPpp0 = Sim.lanTcp(43002, 443);                  // slot 0: mark 1
    Flow tcpOnPpp1 = Sim.lanTcp(43003, 443);                  // slot 1: mark 2
    for (Flow f : List.of(onPpp0, onPpp1, tcpOnPpp0, tcpOnPpp1)) {
      assertTrue(sim.open(f).completed(), f.toString());
    }
    sim.killUplink(PPP0);
    // Before the transition the old rules still send ppp0's flows into the dead provider.
    assertFalse(sim.exchange(onPpp0).completed());
    assertEquals(2, sim.transition(PPP0_DOWN, PLAN, List.of(MARK1)));   // the two mark-1 entries
    FlowResult survivor = sim.exchange(onPpp1);
    assertTrue(survivor.completed());
    assertEquals(Optional.of(PPP1), survivor.uplink());
    assertEquals(OptionalLong.of(2), survivor.mark());
    FlowResult tcpSurvivor = sim.exchange(tcpOnPpp1);
    assertTrue(tcpSurvivor.completed());
    assertEquals(OptionalLong.of(2), tcpSurvivor.mark());
    // UDP without its entry: NEW again, balanced onto ppp1, answered (a UDP server answers any source).
    FlowResult moved = sim.exchange(onPpp0);
    assertTrue(moved.completed());
    assertEquals(Optional.of(PPP1), moved.uplink());
    assertEquals(OptionalLong.of(2), moved.mark());
    // TCP without its entry: picked up mid-stream, leaves ppp1 with ppp1's address; the server
    // has no such connection and resets it.
    FlowResult reset = sim.exchange(tcpOnPpp0);
    assertFalse(reset.completed());
    assertEquals(Optional.of(PPP1), reset.uplink());
    assertTrue(reset.loss().get().where().startsWith("server"), reset.toString());
    // New connections: all on ppp1.
    for (int port = 43100; port < 43104; port++) {
      assertEquals(Optional.of(PPP1), sim.run(Sim.lanTcp(port, 443)).uplink());
    }
  }

  @Test
  void afterRecoveryTheNthCountersStartFresh() {
    Simulator sim = sim();
    sim.run(Sim.lanTcp(44000, 443));                          // slot 0; the next would be slot 1
    sim.killUplink(PPP0);
    assertEquals(0, sim.transition(PPP0_DOWN, PLAN, List.of(MARK1)));  // nothing open
    sim.reviveUplink(PPP0);
    assertEquals(0, sim.transition(BOTH, PLAN, List.of()));
    // A full restore: the nth pair starts at slot 0 again.
    assertEquals(Optional.of(PPP0), sim.run(Sim.lanTcp(44001, 443)).uplink());
    assertEquals(Optional.of(PPP1), sim.run(Sim.lanTcp(44002, 443)).uplink());
  }

  @Test
  void anOpenInboundFlowDiesWithItsProviderAndItsEntryGoesWithTheMark() {
    Simulator sim = sim();
    Flow in = Flow.inbound(PPP0, Sim.SERVER, 45000, Protocol.UDP, PPP0_IP, 53);
    FlowResult opened = sim.open(in);
    assertTrue(opened.completed());
    assertEquals(OptionalLong.of(1), opened.mark());
    sim.killUplink(PPP0);
    assertEquals(1, sim.transition(PPP0_DOWN, PLAN, List.of(MARK1, Mark.of(7))));
    FlowResult after = sim.exchange(in);
    assertFalse(after.completed());
    assertEquals(1, after.loss().get().packet());
    assertEquals("provider on ppp0", after.loss().get().where());
  }
}
