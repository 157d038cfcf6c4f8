package dev.mlb.testkit.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Protocol;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.testkit.check.BalancedConfig;
import dev.mlb.testkit.check.BalancingGens;
import dev.mlb.testkit.gen.FixedSeed;
import dev.mlb.testkit.gen.FlowGenerator;
import dev.mlb.testkit.gen.MlbGenerators;
import dev.mlb.testkit.gen.RoutingPlanGenerator;
import dev.mlb.testkit.gen.RoutingPlanGens;
import dev.mlb.testkit.gen.ScaleRulesetGenerator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The simulator's untraced runs ({@link Simulator#run}, {@link Simulator#outline}) walk the ruleset
 * and the routing plan through compiled rules; {@link Simulator#trace} walks the model itself, rule
 * by rule, with its visitors. Two simulators built alike, one running every flow untraced and one
 * traced, must agree on every flow: the same {@link FlowResult}, or the same
 * {@link SimulationException}, with the same nth counters and random draws carried into the next
 * flow. The route lookups are also compared one by one, over random plans and packets.
 */
class SimulatorFastPathTest {

  private static final List<Traffic> TRAFFIC = List.of(
      Traffic.of(Protocol.TCP, 22, 80, 443), Traffic.of(Protocol.UDP, 53, 123), Traffic.of(Protocol.TCP, 25));

  /** How a flow is run. */
  private enum Way { TRACE, RUN, OUTLINE }

  /** What one flow came to: every field of its result, or the simulator's refusal. */
  private static String outcome(Simulator sim, Flow flow, Way way) {
    try {
      FlowResult r = switch (way) {
        case TRACE -> sim.trace(flow).result();
        case RUN -> sim.run(flow);
        case OUTLINE -> sim.outline(flow).result();
      };
      return (r.completed() ? "completed" : "failed") + " uplink " + r.uplink() + " mark " + r.mark()
          + " loss " + r.loss();
    } catch (SimulationException e) {
      return "refused: " + e.getMessage();
    }
  }

  private static List<Flow> flows(Topology topology, SplittableRandom random, int count) {
    FlowGenerator g = FlowGenerator.of(topology, random);
    List<Flow> flows = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Traffic t = TRAFFIC.get(random.nextInt(TRAFFIC.size()));
      switch (random.nextInt(4)) {
        case 0, 1 -> flows.add(g.lan(t));
        case 2 -> flows.add(g.router(t));
        default -> flows.add(g.inbound(topology.uplinks().get(random.nextInt(topology.uplinks().size())), t));
      }
    }
    return flows;
  }

  /** Runs {@code flows} through both; returns how many completed, failing on the first difference. */
  private static int agree(Topology topology, Ruleset rules, RoutingPlan plan, long seed, List<Flow> flows) {
    Simulator fast = Simulator.of(topology, rules, plan, seed);
    Simulator full = Simulator.of(topology, rules, plan, seed);
    int completed = 0;
    for (int i = 0; i < flows.size(); i++) {
      Flow f = flows.get(i);
      String expected = outcome(full, f, Way.TRACE);
      // Every third flow through outline, which also records less than a trace.
      String actual = outcome(fast, f, i % 3 == 2 ? Way.OUTLINE : Way.RUN);
      assertEquals(expected, actual, "flow " + i + " " + f);
      if (expected.startsWith("completed")) {
        completed++;
      }
    }
    return completed;
  }

  @Test
  void balancedConfigurationsWithAndWithoutDefects() {
    assertEquals(7, BalancedConfig.Defect.values().length, "the defect numbers 1..7 below name every defect");
    int[] completed = {0};
    qt().withExamples(150).withFixedSeed(20261204L)
        .forAll(BalancingGens.configs(1, 6, 4), longs().all(), integers().between(0, 7))
        .checkAssert((config, seed, defect) -> {
          BalancedConfig c = defect == 0 ? config
              : config.with(BalancedConfig.Defect.values()[defect - 1]);
          SplittableRandom random = new SplittableRandom(seed);
          completed[0] += agree(c.topology(), c.ruleset(), c.plan(), seed, flows(c.topology(), random, 60));
        });
    System.out.println("fast path = traced walk on 150 balanced configurations x 60 flows; "
        + completed[0] + " flows completed");
    assertTrue(completed[0] > 1000, "most flows of correct configurations complete: " + completed[0]);
  }

  @Test
  void randomRulesetsUsingEveryMatchAndTarget() {
    Topology topology = Topology.standard(2);
    RoutingPlan plan = FixedSeed.routes();
    int[] refused = {0};
    qt().withExamples(300).withFixedSeed(20261205L).forAll(MlbGenerators.rulesets(IpFamily.V4), longs().all())
        .checkAssert((rules, seed) -> {
          List<Flow> flows = flows(topology, new SplittableRandom(seed), 20);
          agree(topology, rules, plan, seed, flows);
          refused[0] += outcome(Simulator.of(topology, rules, plan, seed), flows.get(0), Way.RUN)
              .startsWith("refused") ? 1 : 0;
        });
    System.out.println("fast path = traced walk on 300 random rulesets x 20 flows; " + refused[0]
        + " rulesets refused their first flow (unmodelled modules and targets), identically");
  }

  @Test
  void generatedSubscriberRulesets() {
    Topology topology = Topology.standard(2);
    RoutingPlan plan = FixedSeed.routes();
    qt().withExamples(40).withFixedSeed(20261206L)
        .forAll(integers().between(ScaleRulesetGenerator.MIN_RULES, 600), longs().all())
        .checkAssert((size, seed) -> {
          Ruleset rules = new ScaleRulesetGenerator(seed).generate(size);
          agree(topology, rules, plan, seed, flows(topology, new SplittableRandom(seed), 40));
        });
  }

  /** Everything a route lookup decided, or its refusal. */
  private static String decision(RoutingEngine.Decision d) {
    return d.kind + " rule " + (d.rule == null ? null : d.rule.where()) + " route " + d.route + " dev " + d.dev
        + " (" + d.devId + ") via " + d.via + " where " + d.where + " reason " + d.reason + " mark " + d.mark;
  }

  /** An address in {@code prefix} (IPv4), drawn from {@code random}. */
  private static IpAddress inside(IpPrefix prefix, SplittableRandom random) {
    long size = 1L << (32 - prefix.length());
    return IpAddress.v4((int) (prefix.address().low() + random.nextLong(size)));
  }

  @Test
  void routeLookupsOnRandomPlans() {
    // The lab's links as the topology (gateways resolve to devices), and the standard one (they do not).
    Topology lab = Topology.builder()
        .lanInterface(InterfaceName.of("mlb0")).lanAddress(IpPrefix.parse("192.0.2.2/26"))
        .addUplinks(new Topology.Uplink(InterfaceName.of("mlb1"), IpPrefix.parse("192.0.2.66/26"),
            Optional.of(IpAddress.parse("192.0.2.65"))))
        .addUplinks(new Topology.Uplink(InterfaceName.of("mlb2"), IpPrefix.parse("192.0.2.130/26"),
            Optional.of(IpAddress.parse("192.0.2.129"))))
        .build();
    List<String> inputs = List.of("lo", "mlb0", "mlb1", "mlb2", "eth0", "ppp0");
    List<Protocol> protocols = List.of(Protocol.TCP, Protocol.UDP, Protocol.ICMP);
    Map<String, Integer> kinds = new TreeMap<>();
    qt().withExamples(300).withFixedSeed(20261207L).forAll(RoutingPlanGens.plans(IpFamily.V4), longs().all())
        .checkAssert((plan, seed) -> {
          SplittableRandom random = new SplittableRandom(seed);
          Topology topology = random.nextBoolean() ? lab : Topology.standard(2);
          // Addresses the plan's selectors and routes talk about, and some it does not.
          List<IpPrefix> prefixes = new ArrayList<>();
          plan.rules().forEach(r -> {
            r.from().ifPresent(prefixes::add);
            r.to().ifPresent(prefixes::add);
          });
          plan.routes().forEach(r -> prefixes.add(r.destination()));
          RoutingPlanGenerator.labInterfaces(IpFamily.V4).values().forEach(prefixes::add);
          prefixes.add(IpPrefix.parse("0.0.0.0/0"));
          List<Long> marks = new ArrayList<>(List.of(0L, random.nextLong(1L << 32)));
          plan.rules().forEach(r -> r.fwmark().ifPresent(m -> marks.add(m.value())));
          RoutingEngine traced = new RoutingEngine(topology, plan);
          RoutingEngine fast = new RoutingEngine(topology, plan, new Devices());
          Devices devices = new Devices();
          RoutingEngine shared = new RoutingEngine(topology, plan, devices);
          RoutingEngine.Decision reused = new RoutingEngine.Decision();
          for (int i = 0; i < 50; i++) {
            IpAddress src = random.nextInt(5) == 0 ? null : inside(prefixes.get(random.nextInt(prefixes.size())), random);
            IpAddress dst = inside(prefixes.get(random.nextInt(prefixes.size())), random);
            long mark = marks.get(random.nextInt(marks.size()));
            String iif = inputs.get(random.nextInt(inputs.size()));
            Protocol protocol = protocols.get(random.nextInt(protocols.size()));
            int sport = 1 + random.nextInt(65535);
            int dport = 1 + random.nextInt(65535);
            String expected;
            try {
              expected = decision(traced.lookup(src, dst, mark, iif, protocol, sport, dport, new ArrayList<>()));
            } catch (SimulationException e) {
              expected = "refused: " + e.getMessage();
            }
            String actual;
            String actualReused;
            try {
              actual = decision(fast.lookup(src, dst, mark, iif, protocol, sport, dport, null));
            } catch (SimulationException e) {
              actual = "refused: " + e.getMessage();
            }
            try {
              actualReused = decision(shared.lookup(reused, src, dst, mark, devices.id(iif), protocol.number(),
                  sport, dport));
            } catch (SimulationException e) {
              actualReused = "refused: " + e.getMessage();
            }
            int n = i;
            Supplier<String> what = () -> "lookup " + n + " from " + src + " to " + dst + " mark " + mark + " iif "
                + iif + " " + protocol + " " + sport + " -> " + dport + " in\n" + plan;
            assertEquals(expected, actual, what);
            assertEquals(expected, actualReused, () -> what.get() + "\n(into a reused decision)");
            kinds.merge(expected.split(" ")[0], 1, Integer::sum);
          }
        });
    System.out.println("untraced route lookups = traced ones on 300 random plans x 50 packets: " + kinds);
    assertTrue(kinds.getOrDefault("FORWARD", 0) > 1000 && kinds.getOrDefault("LOSS", 0) > 1000
        && kinds.getOrDefault("refused:", 0) > 0, "lookups of every outcome: " + kinds);
  }

  @Test
  void conntrackSnatTestsOnSourceNattedConnections() {
    // The untraced walk skips rules whose first match is a state test failing for the packet's
    // state; "-m conntrack --ctstate SNAT" also depends on the connection's binding, so these
    // rules must be walked. Later packets of a masqueraded flow match the first rule added here
    // (and set ctmark bit 0x1000); packets of connections without NAT match the second (0x2000).
    String mangle = "-A PREROUTING -m conntrack --ctstate SNAT -j CONNMARK --set-xmark 0x1000/0x1000\n"
        + "-A PREROUTING -m conntrack ! --ctstate SNAT,NEW -j CONNMARK --set-xmark 0x2000/0x2000\n";
    String text = FixedSeed.rulesText().replaceFirst("COMMIT\n", mangle + "COMMIT\n");
    Ruleset rules = RestoreParser.parse("seed with conntrack SNAT rules", text, IpFamily.V4);
    Topology topology = Topology.standard(2);
    List<Flow> flows = flows(topology, new SplittableRandom(11), 200);
    agree(topology, rules, FixedSeed.routes(), 7, flows);
    Map<String, Integer> marks = new TreeMap<>();
    Simulator sim = Simulator.of(topology, rules, FixedSeed.routes(), 7);
    for (Flow f : flows) {
      sim.run(f).mark().ifPresent(m -> marks.merge(Long.toHexString(m & 0x3000), 1, Integer::sum));
    }
    System.out.println("fast path = traced walk with conntrack SNAT rules: flows by ctmark bits 0x3000 " + marks);
    assertTrue(marks.containsKey("1000") && marks.containsKey("2000"), "both rules matched some flows: " + marks);
  }

  @Test
  void theSeedPolicy() {
    Topology topology = Topology.standard(2);
    List<Flow> flows = flows(topology, new SplittableRandom(5), 400);
    int completed = agree(topology, FixedSeed.rules(), FixedSeed.routes(), 7, flows);
    System.out.println("fast path = traced walk on the seed policy: " + completed + " of 400 flows completed");
    assertTrue(completed > 0);
  }
}
