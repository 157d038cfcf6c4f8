package dev.mlb.testkit.gen;

import dev.mlb.api.IpFamily;
import dev.mlb.iproute.RoutingPlan;
import java.util.SplittableRandom;
import org.quicktheories.core.Gen;
import org.quicktheories.impl.Constraint;

/**
 * QuickTheories adapters for {@link RoutingPlanGenerator} (needs QuickTheories on the class path,
 * an optional dependency of mlb-testkit).
 *
 * <pre>{@code
 * qt().withExamples(1000).forAll(RoutingPlanGens.plans(IpFamily.V4))
 *     .check(plan -> IpBatchParser.parse("t", IpBatchWriter.render(plan), IpFamily.V4).equals(plan));
 * }</pre>
 *
 * <p>Each example draws one 64-bit seed and builds the plan from it, so a failure report's plan is
 * reproducible with {@code generator.generate(new SplittableRandom(seed))}. Plans do not shrink.
 */
public final class RoutingPlanGens {
  private RoutingPlanGens() {}

  /** Plans of {@code family}. */
  public static Gen<RoutingPlan> plans(IpFamily family) {
    return from(RoutingPlanGenerator.of(family));
  }

  /** Plans from {@code generator}. */
  public static Gen<RoutingPlan> from(RoutingPlanGenerator generator) {
    Gen<RoutingPlan> gen = in -> generator.generate(new SplittableRandom(in.next(Constraint.none())));
    return gen.describedAs(plan -> "\n" + plan);
  }
}
