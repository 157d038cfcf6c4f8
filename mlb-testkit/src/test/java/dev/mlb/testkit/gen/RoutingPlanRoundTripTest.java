package dev.mlb.testkit.gen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.iproute.IpBatchParser;
import dev.mlb.iproute.IpBatchWriter;
import dev.mlb.iproute.IpRule;
import dev.mlb.iproute.Route;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.iproute.RuleAction;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@code parse(render(plan)).equals(plan)} for generated plans of both families. */
class RoutingPlanRoundTripTest {

  private static boolean roundTrips(RoutingPlan plan) {
    String batch = IpBatchWriter.render(plan);
    RoutingPlan back = IpBatchParser.parse("generated", batch, plan.family());
    return back.equals(plan) && IpBatchWriter.render(back).equals(batch);
  }

  @Test
  void ipv4PlansRoundTrip() {
    qt().withExamples(1000).withFixedSeed(20261126L)
        .forAll(RoutingPlanGens.from(RoutingPlanGenerator.of(IpFamily.V4).withVerbatim()))
        .check(RoutingPlanRoundTripTest::roundTrips);
  }

  @Test
  void ipv6PlansRoundTrip() {
    qt().withExamples(1000).withFixedSeed(20261127L)
        .forAll(RoutingPlanGens.from(RoutingPlanGenerator.of(IpFamily.V6).withVerbatim()))
        .check(RoutingPlanRoundTripTest::roundTrips);
  }

  @Test
  void generatedPlansHaveNoErrors() {
    for (IpFamily family : IpFamily.values()) {
      RoutingPlanGenerator gen = RoutingPlanGenerator.of(family);
      for (long seed = 0; seed < 500; seed++) {
        RoutingPlan plan = gen.generate(new SplittableRandom(seed));
        List<Finding> errors = plan.validate().stream().filter(Finding::isError).collect(Collectors.toList());
        assertEquals(List.of(), errors, "seed " + seed + ":\n" + plan);
      }
    }
  }

  /** The 100 seeds the kernel test loads reach every part of the model, in both families. */
  @Test
  void theKernelSampleCoversTheModel() {
    for (IpFamily family : IpFamily.values()) {
      java.util.Map<String, Integer> seen = new java.util.TreeMap<>();
      RoutingPlanGenerator gen = RoutingPlanGenerator.of(family);
      for (long seed = 0; seed < 100; seed++) {
        RoutingPlan plan = gen.generate(new SplittableRandom(seed));
        for (IpRule r : plan.rules()) {
          count(seen, "not", r.not());
          count(seen, "from", r.from().isPresent());
          count(seen, "to", r.to().isPresent());
          count(seen, "fwmark/mask", r.fwmark().filter(m -> !m.isFullMask()).isPresent());
          count(seen, "fwmark", r.fwmark().filter(m -> m.isFullMask()).isPresent());
          count(seen, "iif", r.iif().isPresent());
          count(seen, "oif", r.oif().isPresent());
          count(seen, "ports", r.sport().isPresent() || r.dport().isPresent());
          count(seen, "action " + r.action().getClass().getSimpleName(), true);
          count(seen, "action unreachable", r.action().equals(RuleAction.UNREACHABLE));
          count(seen, "suppress_prefixlength 0", r.suppressPrefixLength().equals(java.util.OptionalInt.of(0)));
          count(seen, "suppress_ifgroup", r.suppressIfgroup().isPresent());
        }
        for (Route r : plan.routes()) {
          count(seen, "route " + r.type(), true);
          count(seen, "default", r.destination().length() == 0);
          count(seen, "multipath", r.nexthops().size() >= 2);
          count(seen, "weight>1", r.nexthops().stream().anyMatch(n -> n.weight() > 1));
          count(seen, "onlink", r.onlink());
          count(seen, "src", r.src().isPresent());
          count(seen, "metric", r.metric().isPresent());
          count(seen, "scope", r.scope().isPresent());
          count(seen, "table>2^31", r.table().id() > 0x7FFF_FFFFL);
        }
        count(seen, "table names", !plan.tableNames().isEmpty());
      }
      List<String> expected = new java.util.ArrayList<>(List.of("not", "from", "to", "fwmark/mask", "fwmark", "iif",
          "oif", "ports", "action Lookup", "action Goto", "action Reject", "action Nop", "action unreachable",
          "suppress_prefixlength 0", "suppress_ifgroup", "route unicast", "route unreachable", "route blackhole",
          "route prohibit", "route throw", "route local", "default", "multipath", "weight>1", "onlink", "src", "metric",
          "table>2^31", "table names"));
      if (family == IpFamily.V4) {
        expected.add("route broadcast");
        expected.add("scope");
      }
      for (String feature : expected) {
        assertTrue(seen.getOrDefault(feature, 0) > 0, family + ": no " + feature + " in " + seen);
      }
    }
  }

  private static void count(java.util.Map<String, Integer> seen, String feature, boolean present) {
    if (present) {
      seen.merge(feature, 1, Integer::sum);
    }
  }

  @Test
  void sameSeedSamePlan() {
    RoutingPlanGenerator gen = RoutingPlanGenerator.of(IpFamily.V4);
    assertEquals(gen.generate(new SplittableRandom(7)), gen.generate(new SplittableRandom(7)));
  }
}
