package dev.mlb.testkit.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.Chain;
import dev.mlb.netfilter.Jump;
import dev.mlb.netfilter.Rule;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.netfilter.Table;
import dev.mlb.netfilter.TableName;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The public surface: outline against trace, the printed trace, argument checks. */
class TraceAndApiTest {

  private static Simulator seedSimulator() {
    return Simulator.of(Topology.standard(2), Sim.rules(Sim.seedText()), Sim.plan(Sim.OBVIOUS), 1);
  }

  @Test
  void outlineIsTheTraceWithoutSteps() {
    Simulator a = seedSimulator();
    Simulator b = seedSimulator();
    List<Flow> flows = List.of(Sim.lanTcp(40001, 443), Sim.routerTcp(50001, 80), Sim.lanUdp(40002, 53),
        Sim.inboundTcp(Sim.PPP1, dev.mlb.api.IpAddress.parse("198.51.100.17"), 33000, 22));
    for (Flow f : flows) {
      Trace full = a.trace(f);
      Trace outline = b.outline(f);
      assertEquals(full.result(), outline.result());
      assertEquals(full.uplinks(), outline.uplinks());
      assertEquals(full.packets().size(), outline.packets().size());
      for (int i = 0; i < full.packets().size(); i++) {
        Trace.Packet p = full.packets().get(i);
        Trace.Packet q = outline.packets().get(i);
        assertEquals(List.of(p.number(), p.description(), p.sender(), p.uplink(), p.loss()),
            List.of(q.number(), q.description(), q.sender(), q.uplink(), q.loss()));
        assertTrue(q.steps().isEmpty());
        assertTrue(!p.steps().isEmpty());
      }
    }
  }

  @Test
  void printedTraceShowsEachDecision() {
    String text = seedSimulator().trace(Sim.lanTcp(40001, 443)).toString();
    String[] expected = {
      "tcp lan 192.0.2.100:40001 -> 203.0.113.10:443: FAILED, packet 2 (SYN-ACK 203.0.113.10:443 -> 198.51.100.1:40001)"
          + " lost at provider on ppp0: ",
      "packet 1: SYN 192.0.2.100:40001 -> 203.0.113.10:443 (sent by LAN client 192.0.2.100:40001)\n",
      "    conntrack: new connection 192.0.2.100:40001 -> 203.0.113.10:443, state NEW, ctmark 0x0\n",
      "      mangle PREROUTING rule 7 \"-i eth0 -p tcp -m tcp --dport 443 -m state --state NEW -j balance1\":"
          + " match -> jump to balance1\n",
      "      end of mangle balance1: return\n",
      "      back in mangle PREROUTING at rule 8\n",
      "      mangle PREROUTING policy ACCEPT\n",
      "    nat PREROUTING: no destination NAT (null binding fixed)\n",
      "      ip rule 100 \"from all fwmark 0x1 lookup 1\": match, route \"default via 198.51.100.2 dev ppp0 table 1\":"
          + " out ppp0 via 198.51.100.2\n",
      "      nat POSTROUTING rule 1 \"-o ppp0 -j MASQUERADE\": match -> MASQUERADE to 198.51.100.1 (address of ppp0)\n",
      "    nat POSTROUTING: source 192.0.2.100 -> 198.51.100.1 (binding fixed for the connection)\n",
      "    provider on ppp0: source 198.51.100.1 is ppp0's address: passed on\n",
      "    delivered to server 203.0.113.10:443\n",
      "  => delivered (uplink ppp0)\n",
      "packet 2: SYN-ACK 203.0.113.10:443 -> 198.51.100.1:40001 (sent by server 203.0.113.10:443)\n",
      "    conntrack: reply direction, state ESTABLISHED, ctmark 0x1\n",
      "    nat PREROUTING: reply de-NAT, destination 198.51.100.1 -> 192.0.2.100\n",
      "  => LOST at provider on ppp0: source 203.0.113.10 is not ppp0's address 198.51.100.1",
    };
    int at = 0;
    for (String part : expected) {
      int found = text.indexOf(part, at);
      assertTrue(found >= 0, "missing, in order: " + part + "\n" + text);
      at = found + part.length();
    }
  }

  @Test
  void onlyIpv4() {
    Ruleset v6 = Ruleset.builder().family(IpFamily.V6).build();
    RoutingPlan plan = Sim.plan();
    assertThrows(IllegalArgumentException.class, () -> Simulator.of(Topology.standard(1), v6, plan, 1));
  }

  @Test
  void jumpToAMissingChainIsRefusedWhenReached() {
    Ruleset rules = Ruleset.builder().family(IpFamily.V4)
        .addTables(Table.builder().name(TableName.MANGLE)
            .addChains(Chain.builder().name("PREROUTING").addRules(Rule.builder().target(new Jump("nowhere")).build())
                .build())
            .build())
        .build();
    Simulator s = Simulator.of(Topology.standard(1), rules, Sim.plan("route replace default via 198.51.100.2 dev ppp0"), 1);
    SimulationException e = assertThrows(SimulationException.class, () -> s.run(Sim.lanUdp(40000, 53)));
    assertEquals("mangle PREROUTING rule 1 \"-j nowhere\" goes to chain \"nowhere\", which is not a user chain"
        + " of table mangle", e.getMessage());
  }

  @Test
  void inboundFlowOnAnUnknownUplinkIsRefused() {
    Simulator s = seedSimulator();
    assertThrows(IllegalArgumentException.class, () -> s.run(Sim.inboundTcp(
        dev.mlb.api.InterfaceName.of("ppp7"), dev.mlb.api.IpAddress.parse("198.51.100.1"), 33000, 22)));
  }
}
