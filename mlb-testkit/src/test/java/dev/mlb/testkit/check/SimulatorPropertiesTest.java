package dev.mlb.testkit.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.Protocol;
import dev.mlb.netfilter.Statistic;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.FlowResult;
import dev.mlb.testkit.sim.PacketLoss;
import dev.mlb.testkit.sim.Sim;
import dev.mlb.testkit.sim.Simulator;
import dev.mlb.testkit.sim.Topology;
import dev.mlb.testkit.sim.Trace;
import dev.mlb.testkit.sim.Traffic;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * Properties over generated weighted configurations (2 to 8 uplinks, weights 1 to 4, marks in the
 * mask 0xff00 beside an unrelated bit): an exact nth cascade through terminating sub-chains, shared
 * by LAN flows (PREROUTING) and router flows (OUTPUT), with connmark restore, inbound stickiness and
 * MASQUERADE on every uplink.
 *
 * <p>The cascade has one rule per slot j = 0 .. W-1 (W the sum of the weights):
 * {@code --every W-j --packet 0}, jumping to the chain of the slot's uplink, which ends in ACCEPT.
 * Rule 0 sees every LAN flow and matches flows 0, W, 2W, ...; rule j sees only the flows rules
 * 0..j-1 left, W-j per period, and matches the first of them: LAN flow m goes to slot m mod W.
 * That is the expectation the properties check, computed without the simulator.
 */
class SimulatorPropertiesTest {

  /**
   * The generated configuration for {@code weights} ({@link BalancedConfig}, cascade form): uplink i
   * of {@code Topology.standard(n)} has mark (i+1)&lt;&lt;8 under 0xff00 and table 10+i behind rule
   * priority 100+i; LAN TCP 443 and UDP 53 and router TCP 80 are balanced.
   */
  private static BalancedConfig config(List<Integer> weights, boolean lanReplies) {
    BalancedConfig c = new BalancedConfig(Topology.standard(weights.size()), weights, 8, 8, 10, 100,
        List.of(Traffic.of(Protocol.TCP, 443), Traffic.of(Protocol.UDP, 53)), Traffic.of(Protocol.TCP, 80), List.of(),
        EnumSet.noneOf(BalancedConfig.Defect.class), 0, BalancedConfig.NthStyle.CASCADE);
    return lanReplies ? c : c.with(BalancedConfig.Defect.NO_LAN_REPLY_RULE);
  }

  private static Simulator simulator(List<Integer> weights, boolean lanReplies) {
    BalancedConfig c = config(weights, lanReplies);
    return Simulator.of(c.topology(), c.ruleset(), c.plan(), 1);
  }

  private static String mark(int uplink) {
    return "0x" + Integer.toHexString((uplink + 1) << 8);
  }

  /** Uplink of each slot: uplink i fills weights[i] consecutive slots. */
  private static List<Integer> slots(List<Integer> weights) {
    List<Integer> slots = new ArrayList<>();
    for (int i = 0; i < weights.size(); i++) {
      for (int k = 0; k < weights.get(i); k++) {
        slots.add(i);
      }
    }
    return slots;
  }

  /**
   * Pattern value v: below 50 a LAN TCP flow, below 70 a LAN UDP flow, below 85 a router TCP flow
   * to port 80 (balanced by OUTPUT: the MARK in the uplink chain changes the mark, so the first
   * packet is re-routed and masqueraded on its uplink), else inbound on uplink v mod n.
   */
  private static Flow flow(int index, int v, Topology t) {
    int n = t.uplinks().size();
    if (v < 50) {
      return Sim.lanTcp(40000 + index, 443);
    } else if (v < 70) {
      return Sim.lanUdp(40000 + index, 53);
    } else if (v < 85) {
      return Sim.routerTcp(40000 + index, 80);
    }
    Topology.Uplink u = t.uplinks().get(v % n);
    return Flow.inbound(u.iface(), Sim.SERVER, 40000 + index, Protocol.TCP, u.ip(), 22);
  }

  // LAN and router flows take slots in the order they run: balanced flow m goes to slot m mod W.
  @Test
  void exactNthSplitsAreStickyAndComplete() {
    qt().withExamples(150).withFixedSeed(4L)
        .forAll(lists().of(integers().between(1, 4)).ofSizeBetween(2, 8),
            lists().of(integers().between(0, 99)).ofSizeBetween(1, 40))
        .checkAssert((weights, pattern) -> {
          Topology topology = Topology.standard(weights.size());
          Simulator sim = simulator(weights, true);
          List<Integer> slots = slots(weights);
          int balanced = 0;
          for (int k = 0; k < pattern.size(); k++) {
            Flow f = flow(k, pattern.get(k), topology);
            int uplink = f.origin() != Flow.Origin.INBOUND
                ? slots.get(balanced++ % slots.size())
                : Integer.parseInt(f.inboundUplink().get().name().substring(3));
            Trace t = sim.outline(f);
            InterfaceName want = InterfaceName.of("ppp" + uplink);
            String context = "weights " + weights + ", flow " + k + ": " + t.result();
            assertTrue(t.result().completed(), context);
            assertEquals(Optional.of(want), t.result().uplink(), context);
            assertEquals(OptionalLong.of((uplink + 1) << 8), t.result().mark(), context);
            for (Trace.Packet p : t.packets()) {
              assertEquals(Optional.of(want), p.uplink(), context + ", packet " + p.number());
            }
          }
        });
  }

  // Without "to 192.0.2.0/24 lookup main" every LAN flow's first reply follows its fwmark into the
  // uplink table and is dropped by that uplink's provider; inbound flows are unaffected.
  @Test
  void withoutTheLanReplyRuleEveryLanFlowDiesAtItsFirstReply() {
    qt().withExamples(60).withFixedSeed(5L)
        .forAll(lists().of(integers().between(1, 4)).ofSizeBetween(2, 8),
            lists().of(integers().between(0, 99)).ofSizeBetween(1, 20))
        .checkAssert((weights, pattern) -> {
          Topology topology = Topology.standard(weights.size());
          Simulator sim = simulator(weights, false);
          List<Integer> slots = slots(weights);
          int balanced = 0;
          for (int k = 0; k < pattern.size(); k++) {
            Flow f = flow(k, pattern.get(k), topology);
            FlowResult r = sim.run(f);
            if (f.origin() == Flow.Origin.ROUTER) {
              // Router flows and their replies never consult the LAN-reply rule.
              balanced++;
              assertTrue(r.completed(), r.toString());
            } else if (f.origin() == Flow.Origin.LAN) {
              int uplink = slots.get(balanced++ % slots.size());
              assertEquals(2, r.loss().map(PacketLoss::packet).orElse(0), r.toString());
              assertEquals("provider on ppp" + uplink, r.loss().get().where(), r.toString());
              assertTrue(r.loss().get().reason().contains(
                  "ip rule " + (100 + uplink) + " \"from all fwmark " + mark(uplink) + "/0xff00 lookup " + (10 + uplink) + "\""),
                  r.toString());
            } else {
              assertTrue(r.completed(), r.toString());
            }
          }
        });
  }

  // A random cascade: rule i matches with probability 1/(n-i), so each of the n uplinks gets a
  // flow with probability about 1/n (exactly: as the stored 31-bit thresholds give it). Over 1200
  // flows each count is Binomial(1200, share): checked within exact binomial bounds that a fair
  // generator leaves with probability 1e-9 over the n uplinks. Deterministic: the simulator's
  // SplittableRandom has seed 77, and the same seed gives the same outcomes.
  @Test
  void randomCascadeSplitsEvenlyAndIsReproducible() {
    int n = 4;
    StringBuilder b = new StringBuilder("*mangle\n:PREROUTING ACCEPT [0:0]\n:balance - [0:0]\n");
    for (int i = 0; i < n; i++) {
      b.append(":up").append(i).append(" - [0:0]\n");
    }
    b.append("-A PREROUTING -m conntrack --ctstate RELATED,ESTABLISHED"
        + " -j CONNMARK --restore-mark --nfmask 0xff00 --ctmask 0xff00\n");
    b.append("-A PREROUTING -i eth0 -m conntrack --ctstate NEW -j balance\n");
    for (int i = 0; i < n; i++) {
      String p = i == n - 1 ? "1.0" : Double.toString(1.0 / (n - i));
      b.append("-A balance -m statistic --mode random --probability ").append(p).append(" -j up").append(i).append('\n');
    }
    for (int i = 0; i < n; i++) {
      b.append("-A up").append(i).append(" -j CONNMARK --set-xmark ").append(mark(i)).append("/0xff00\n");
      b.append("-A up").append(i).append(" -j MARK --set-xmark ").append(mark(i)).append("/0xff00\n");
      b.append("-A up").append(i).append(" -j ACCEPT\n");
    }
    b.append("COMMIT\n*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o ppp+ -j MASQUERADE\nCOMMIT\n");
    String rules = b.toString();
    Topology topology = Topology.standard(n);
    List<String> first = new ArrayList<>();
    List<String> second = new ArrayList<>();
    dev.mlb.iproute.RoutingPlan plan = config(List.of(1, 1, 1, 1), true).plan();
    Simulator a = Simulator.of(topology, Sim.rules(rules), plan, 77);
    Simulator c = Simulator.of(topology, Sim.rules(rules), plan, 77);
    int flows = 1200;
    int[] counts = new int[n];
    for (int k = 0; k < flows; k++) {
      Flow f = Sim.lanUdp(20000 + k, 53);
      FlowResult r = a.run(f);
      assertTrue(r.completed(), r.toString());
      first.add(r.outcome());
      second.add(c.run(f).outcome());
      counts[Integer.parseInt(r.outcome().substring(3))]++;
    }
    assertEquals(first, second);
    double left = 1;
    for (int i = 0; i < n; i++) {
      String p = i == n - 1 ? "1.0" : Double.toString(1.0 / (n - i));
      double hit = Statistic.Random.ofProbability(Double.parseDouble(p)).probability();
      BinomialBound bound = BinomialBound.of(flows, left * hit, BinomialBound.ONE_IN_A_BILLION / n);
      assertTrue(bound.contains(counts[i]), "uplink " + i + ": " + counts[i] + " of " + flows + ", expected " + bound);
      left *= 1 - hit;
    }
    assertEquals(n, new HashSet<>(first).size());
  }
}
