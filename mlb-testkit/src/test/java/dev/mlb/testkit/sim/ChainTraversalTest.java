package dev.mlb.testkit.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpAddress;
import dev.mlb.api.Protocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Chain traversal, matches and targets; each expectation is worked out by hand in the comments. */
class ChainTraversalTest {

  private static final String MASQ = "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o ppp+ -j MASQUERADE\nCOMMIT\n";

  private static Simulator sim(String mangle) {
    return sim(mangle, Sim.plan("route replace default via 198.51.100.2 dev ppp0"));
  }

  private static Simulator sim(String tables, dev.mlb.iproute.RoutingPlan plan) {
    return Simulator.of(Topology.standard(2), Sim.rules(tables + MASQ), plan, 7);
  }

  private static List<Long> ctmarks(Simulator s, List<Flow> flows) {
    List<Long> out = new ArrayList<>();
    for (Flow f : flows) {
      FlowResult r = s.run(f);
      assertTrue(r.completed(), r.toString());
      out.add(r.mark().getAsLong());
    }
    return out;
  }

  private static List<Flow> udpFlows(int n) {
    List<Flow> flows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      flows.add(Sim.lanUdp(42000 + i, 53));
    }
    return flows;
  }

  private static final String THREE_WAY = "*mangle\n"
      + ":PREROUTING ACCEPT [0:0]\n:balance - [0:0]\n:to_a - [0:0]\n:to_b - [0:0]\n:to_c - [0:0]\n"
      + "-A PREROUTING -i eth0 -m state --state NEW -j balance\n"
      + "-A balance -m statistic --mode nth --every 3 --packet 0 -j to_a\n"
      + "-A balance -m statistic --mode nth --every 2 --packet 0 -j to_b\n"
      + "-A balance -j to_c\n"
      + "-A to_a -j CONNMARK --set-xmark 0x1/0xffffffff\n%s"
      + "-A to_b -j CONNMARK --set-xmark 0x2/0xffffffff\n%s"
      + "-A to_c -j CONNMARK --set-xmark 0x3/0xffffffff\n%s"
      + "COMMIT\n";

  // Terminating sub-chains (each ends in ACCEPT): rule 1's counter runs 0,1,2,... for every flow and
  // matches at 0 and 3 (flows 1 and 4). Rule 2 is evaluated only for the other flows (2,3,5,6):
  // its counter runs 0,1,2,3 and matches at 0 and 2 (flows 2 and 5). Flows 3 and 6 reach to_c.
  @Test
  void nthCountersAdvanceOnlyWhenEvaluatedThroughTerminatingSubChains() {
    String accept0 = "-A to_a -j ACCEPT\n";
    String rules = String.format(THREE_WAY, accept0, "-A to_b -j ACCEPT\n", "-A to_c -j ACCEPT\n");
    assertEquals(List.of(1L, 2L, 3L, 1L, 2L, 3L), ctmarks(sim(rules), udpFlows(6)));
  }

  // Without the ACCEPTs every sub-chain returns and traversal goes on: each flow meets rule 3
  // (to_c) last, so every connmark ends as 3, whatever the counters did.
  @Test
  void nonTerminatingSubChainsLetLaterRulesOverwrite() {
    String rules = String.format(THREE_WAY, "", "", "");
    assertEquals(List.of(3L, 3L, 3L, 3L, 3L, 3L), ctmarks(sim(rules), udpFlows(6)));
  }

  // -m state comes before -m statistic, and -p tcp --dport 443 before both: port-80 flows and
  // ESTABLISHED packets never evaluate the statistic match. Its evaluations are the 443 flows'
  // SYNs only: flows 1, 3, 5 are evaluations 0, 1, 2; 0 and 2 match.
  @Test
  void nthCounterSkipsPacketsStoppedByAnEarlierMatch() {
    String rules = "*mangle\n:PREROUTING ACCEPT [0:0]\n"
        + "-A PREROUTING -i eth0 -p tcp -m tcp --dport 443 -m state --state NEW"
        + " -m statistic --mode nth --every 2 --packet 0 -j CONNMARK --set-xmark 0x1/0xffffffff\n"
        + "COMMIT\n";
    List<Flow> flows = List.of(Sim.lanTcp(40001, 443), Sim.lanTcp(40002, 80), Sim.lanTcp(40003, 443),
        Sim.lanTcp(40004, 80), Sim.lanTcp(40005, 443));
    assertEquals(List.of(1L, 0L, 0L, 0L, 1L), ctmarks(sim(rules), flows));
  }

  @Test
  void everySimulatorStartsWithFreshCounters() {
    String rules = String.format(THREE_WAY, "-A to_a -j ACCEPT\n", "-A to_b -j ACCEPT\n", "-A to_c -j ACCEPT\n");
    assertEquals(List.of(1L, 2L), ctmarks(sim(rules), udpFlows(2)));
    assertEquals(List.of(1L, 2L), ctmarks(sim(rules), udpFlows(2)));
  }

  private static final String JUMPS = "*mangle\n:PREROUTING ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n"
      + "-A PREROUTING -i eth0 -m state --state NEW -j A\n"
      + "-A PREROUTING -i eth0 -m state --state NEW -j CONNMARK --set-xmark 0x10/0x10\n"
      + "-A A %s B\n"
      + "-A A -j CONNMARK --set-xmark 0x2/0x2\n"
      + "-A B -j CONNMARK --set-xmark 0x1/0x1\n"
      + "-A B -j RETURN\n"
      + "-A B -j CONNMARK --set-xmark 0x4/0x4\n"
      + "COMMIT\n";

  // goto: PREROUTING jumps to A (returning to PREROUTING rule 2); A goes to B without a return
  // point; B sets 0x1, RETURN goes back to PREROUTING rule 2, which ORs 0x10: 0x11.
  @Test
  void gotoReturnsToTheChainThatJumpedToTheGotoingChain() {
    assertEquals(List.of(0x11L), ctmarks(sim(String.format(JUMPS, "-g")), udpFlows(1)));
  }

  // jump: B returns into A's rule 2 (0x2), A ends and returns to PREROUTING rule 2 (0x10): 0x13.
  @Test
  void jumpReturnsToTheNextRule() {
    assertEquals(List.of(0x13L), ctmarks(sim(String.format(JUMPS, "-j")), udpFlows(1)));
  }

  @Test
  void returnInABuiltinChainAppliesThePolicy() {
    String rules = "*filter\n:FORWARD DROP [0:0]\n-A FORWARD -j RETURN\n-A FORWARD -j ACCEPT\nCOMMIT\n";
    FlowResult r = sim(rules).run(Sim.lanUdp(42000, 53));
    assertFalse(r.completed());
    assertEquals(1, r.loss().get().packet());
    assertEquals("filter FORWARD policy DROP", r.loss().get().where());
  }

  // FORWARD goes to X; X's RETURN has nowhere to return to but the built-in chain's end: policy.
  // With -j X instead, X returns to FORWARD rule 2, which accepts.
  @Test
  void returnFromAChainReachedByGotoFromTheBuiltinAppliesThePolicy() {
    String rules = "*filter\n:FORWARD DROP [0:0]\n:X - [0:0]\n-A FORWARD %s X\n-A FORWARD -j ACCEPT\n"
        + "-A X -j RETURN\nCOMMIT\n";
    FlowResult viaGoto = sim(String.format(rules, "-g")).run(Sim.lanUdp(42000, 53));
    assertEquals("filter FORWARD policy DROP", viaGoto.loss().get().where());
    assertTrue(sim(String.format(rules, "-j")).run(Sim.lanUdp(42000, 53)).completed());
  }

  @Test
  void endOfAUserChainReturns() {
    String rules = "*filter\n:FORWARD DROP [0:0]\n:X - [0:0]\n-A FORWARD -j X\n-A FORWARD -j ACCEPT\n"
        + "-A X -p tcp -j DROP\nCOMMIT\n";
    assertTrue(sim(rules).run(Sim.lanUdp(42000, 53)).completed());
  }

  @Test
  void dropRuleLosesThePacketNamingTheRule() {
    String rules = "*filter\n:FORWARD ACCEPT [0:0]\n:X - [0:0]\n-A FORWARD -j X\n"
        + "-A X -p tcp -m tcp --dport 443 -j DROP\nCOMMIT\n";
    Simulator s = sim(rules);
    FlowResult r = s.run(Sim.lanTcp(40000, 443));
    assertEquals(new PacketLoss(1, "SYN 192.0.2.100:40000 -> 203.0.113.10:443",
        "filter X rule 1 \"-p tcp -m tcp --dport 443 -j DROP\"", "the rule matched and its target is DROP"),
        r.loss().get());
    assertTrue(s.run(Sim.lanTcp(40001, 80)).completed());
  }

  @Test
  void dropPolicyOfInputLosesRepliesToTheRouter() {
    String rules = "*filter\n:INPUT DROP [0:0]\nCOMMIT\n";
    FlowResult r = sim(rules).run(Sim.routerTcp(50000, 80));
    assertEquals(2, r.loss().get().packet());
    assertEquals("filter INPUT policy DROP", r.loss().get().where());
  }

  // Packet 1 from eth0: mark 0 -> (0 & ~0xff) ^ 0x12 = 0x12 -> | 0x100 = 0x112 -> ^ 0x2 = 0x110.
  // save-mark nfmask 0xf0 ctmask 0xff: ct = (0 & ~0xff) ^ (0x110 & 0xf0) = 0x10.
  // CONNMARK set-xmark 0x3000/0xf000: ct = (0x10 & ~0xf000) ^ 0x3000 = 0x3010.
  // MARK to 0; restore nfmask 0xff ctmask 0xf000: mark = (0 & ~0xff) ^ (0x3010 & 0xf000) = 0x3000.
  // -m mark --mark 0x3000/0xf000 matches: ct ^= 0x1 under mask 0x1: 0x3011.
  // -m connmark --mark 0x3011 matches: ct = (0x3011 & ~0x40000) ^ 0x40000 = 0x43011.
  // The packet leaves by fwmark 0x3000/0xf000 -> table 2 -> ppp1. Packet 3 (from eth0 again):
  // save: (0x43011 & ~0xff) ^ 0x10 = 0x43010; set-xmark: 0x43010; restore: mark 0x3000; mark
  // match: 0x43011; connmark 0x3011 (full mask) no longer matches. The flow ends with 0x43011.
  @Test
  void markAndConnmarkArithmeticWithMasks() {
    String rules = "*mangle\n:PREROUTING ACCEPT [0:0]\n"
        + "-A PREROUTING -i eth0 -j MARK --set-xmark 0x12/0xff\n"
        + "-A PREROUTING -i eth0 -j MARK --set-xmark 0x100/0x100\n"
        + "-A PREROUTING -i eth0 -j MARK --set-xmark 0x2/0x0\n"
        + "-A PREROUTING -i eth0 -j CONNMARK --save-mark --nfmask 0xf0 --ctmask 0xff\n"
        + "-A PREROUTING -i eth0 -j CONNMARK --set-xmark 0x3000/0xf000\n"
        + "-A PREROUTING -i eth0 -j MARK --set-xmark 0x0/0xffffffff\n"
        + "-A PREROUTING -i eth0 -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xf000\n"
        + "-A PREROUTING -i eth0 -m mark --mark 0x3000/0xf000 -j CONNMARK --set-xmark 0x1/0x1\n"
        + "-A PREROUTING -i eth0 -m connmark --mark 0x3011 -j CONNMARK --set-xmark 0x40000/0x40000\n"
        + "COMMIT\n";
    Simulator s = sim(rules, Sim.plan(
        "rule add priority 100 fwmark 0x3000/0xf000 lookup 2",
        "route replace default via 198.51.100.18 dev ppp1 table 2",
        "route replace default via 198.51.100.2 dev ppp0"));
    FlowResult r = s.run(Sim.lanUdp(42000, 53));
    assertTrue(r.completed(), r.toString());
    assertEquals(OptionalLong.of(0x43011), r.mark());
    assertEquals(Optional.of(Sim.PPP1), r.uplink());
  }

  // Flows alternate between TCP and UDP: the "! -p udp" header test and "-m multiport ! --dports"
  // are inverted tests; "-s 192.0.2.0/25" matches the client .100 but not .200; "-i eth+" is a
  // wildcard; a comment always matches.
  @Test
  void headerTestsAndNegations() {
    String rules = "*mangle\n:PREROUTING ACCEPT [0:0]\n"
        + "-A PREROUTING -s 192.0.2.0/25 ! -p udp -m state --state NEW -j CONNMARK --set-xmark 0x1/0x1\n"
        + "-A PREROUTING ! -s 192.0.2.0/25 -m state --state NEW -j CONNMARK --set-xmark 0x2/0x2\n"
        + "-A PREROUTING -i eth0 -p tcp -m multiport ! --dports 22,80:90 -m state --state NEW"
        + " -j CONNMARK --set-xmark 0x4/0x4\n"
        + "-A PREROUTING ! -d 203.0.113.10/32 -m state --state NEW -j CONNMARK --set-xmark 0x8/0x8\n"
        + "-A PREROUTING -i eth+ -p udp -m udp --dport 53 -m comment --comment \"dns\" -m state --state NEW"
        + " -j CONNMARK --set-xmark 0x10/0x10\n"
        + "COMMIT\n";
    // tcp 443: 0x1 (tcp, not udp) | 0x4 (443 not in 22,80:90) = 0x5; tcp 85: 0x1; udp 53: 0x10;
    // LAN client .200 (not in /25), tcp 22: 0x2 only; udp to another server: 0x8.
    Simulator s = sim(rules);
    List<Flow> flows = List.of(Sim.lanTcp(40001, 443), Sim.lanTcp(40002, 85), Sim.lanUdp(40003, 53),
        Flow.fromLan(IpAddress.parse("192.0.2.200"), 40004, Protocol.TCP, Sim.SERVER, 22),
        Flow.fromLan(Sim.CLIENT, 40005, Protocol.UDP, IpAddress.parse("203.0.113.99"), 123));
    assertEquals(List.of(0x5L, 0x1L, 0x10L, 0x2L, 0x8L), ctmarks(s, flows));
  }

  // One draw per evaluation of the random match (only NEW packets from eth0 reach it), from a
  // SplittableRandom seeded with the simulator's seed; 0.25 is stored as 2^29.
  @Test
  void randomMatchDrawsFromTheSeededGenerator() {
    String rules = "*mangle\n:PREROUTING ACCEPT [0:0]\n"
        + "-A PREROUTING -i eth0 -m state --state NEW -m statistic --mode random --probability 0.25"
        + " -j CONNMARK --set-xmark 0x1/0xffffffff\nCOMMIT\n";
    Simulator s = Simulator.of(Topology.standard(2), Sim.rules(rules + MASQ),
        Sim.plan("route replace default via 198.51.100.2 dev ppp0"), 1234);
    SplittableRandom expected = new SplittableRandom(1234);
    int hits = 0;
    for (Flow f : udpFlows(200)) {
      long want = (expected.nextInt() & 0x7fffffffL) < (1L << 29) ? 1 : 0;
      hits += want;
      assertEquals(OptionalLong.of(want), s.run(f).mark(), f.toString());
    }
    assertTrue(hits > 20 && hits < 80, "hits " + hits);
  }

  @Test
  void rawTableSeesPacketsBeforeConntrack() {
    // In raw PREROUTING no packet has a conntrack entry: "--state NEW" never matches.
    String rules = "*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m state --state NEW -j DROP\nCOMMIT\n";
    assertTrue(sim(rules).run(Sim.lanTcp(40000, 443)).completed());
    String invalid = "*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -i eth0 -m state --state INVALID -j DROP\nCOMMIT\n";
    assertEquals(1, sim(invalid).run(Sim.lanTcp(40000, 443)).loss().get().packet());
  }

  @Test
  void opaqueMatchesAndTargetsAreRefusedWhenReached() {
    String limit = "*mangle\n:PREROUTING ACCEPT [0:0]\n"
        + "-A PREROUTING -i ppp9 -m limit --limit 5/sec -j ACCEPT\n"
        + "-A PREROUTING -i eth0 -m limit --limit 5/sec -j ACCEPT\nCOMMIT\n";
    SimulationException e = assertThrows(SimulationException.class, () -> sim(limit).run(Sim.lanUdp(42000, 53)));
    assertTrue(e.getMessage().contains("-m limit")
        && e.getMessage().contains("mangle PREROUTING rule 2 \"-i eth0 -m limit --limit 5/sec -j ACCEPT\""),
        e.getMessage());
    String dnat = "*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -i ppp0 -j DNAT --to-destination 192.0.2.5\nCOMMIT\n";
    Simulator s = Simulator.of(Topology.standard(2), Sim.rules(dnat),
        Sim.plan("route replace default via 198.51.100.2 dev ppp0"), 1);
    assertThrows(SimulationException.class,
        () -> s.run(Sim.inboundTcp(Sim.PPP0, IpAddress.parse("198.51.100.1"), 33000, 80)));
  }

  @Test
  void logIsANoOp() {
    String rules = "*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j LOG --log-prefix \"seen \"\n"
        + "-A PREROUTING -m state --state NEW -j CONNMARK --set-xmark 0x9/0xffffffff\nCOMMIT\n";
    FlowResult r = sim(rules).run(Sim.lanUdp(42000, 53));
    assertTrue(r.completed());
    assertEquals(OptionalLong.of(9), r.mark());
  }
}
