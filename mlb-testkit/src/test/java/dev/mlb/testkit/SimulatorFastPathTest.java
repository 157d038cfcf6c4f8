package dev.mlb.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Protocol;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.Ruleset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The simulator's untraced runs ({@link Simulator#run}, {@link Simulator#outline}) walk the ruleset
 * through compiled rules; {@link Simulator#trace} walks the model itself, rule by rule, with its
 * visitors. Two simulators built alike, one running every flow untraced and one traced, must agree
 * on every flow: the same {@link FlowResult}, or the same {@link SimulationException}, with the same
 * nth counters and random draws carried into the next flow.
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
    qt().withExamples(150).forAll(BalancingGens.configs(1, 6, 4), longs().all(), integers().between(0, 7))
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
    qt().withExamples(300).forAll(MlbGenerators.rulesets(IpFamily.V4), longs().all())
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
    qt().withExamples(40).forAll(integers().between(ScaleRulesetGenerator.MIN_RULES, 600), longs().all())
        .checkAssert((size, seed) -> {
          Ruleset rules = new ScaleRulesetGenerator(seed).generate(size);
          agree(topology, rules, plan, seed, flows(topology, new SplittableRandom(seed), 40));
        });
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
