package dev.mlb.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.iproute.IpBatchParser;
import dev.mlb.iproute.IpBatchWriter;
import dev.mlb.iproute.RoutingPlan;
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

  @Test
  void sameSeedSamePlan() {
    RoutingPlanGenerator gen = RoutingPlanGenerator.of(IpFamily.V4);
    assertEquals(gen.generate(new SplittableRandom(7)), gen.generate(new SplittableRandom(7)));
  }
}
