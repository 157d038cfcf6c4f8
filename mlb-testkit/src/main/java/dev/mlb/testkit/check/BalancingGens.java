package dev.mlb.testkit.check;

import dev.mlb.testkit.gen.FlowGenerator;
import dev.mlb.testkit.gen.TopologyGenerator;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.Topology;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.quicktheories.core.Gen;
import org.quicktheories.impl.Constraint;

/**
 * QuickTheories adapters for the seeded balancing generators (needs QuickTheories on the class
 * path, an optional dependency of mlb-testkit).
 *
 * <pre>{@code
 * qt().withExamples(100).forAll(BalancingGens.configs(2, 8, 10))
 *     .checkAssert(config -> config.check().build().assertAll());
 * }</pre>
 *
 * <p>Each example draws one 64-bit seed and builds its value from it, so a failure is reproducible
 * with the plain generator and {@code new SplittableRandom(seed)}. Values do not shrink.
 */
public final class BalancingGens {
  private BalancingGens() {}

  /** Correct balanced configurations ({@link BalancedConfigGenerator}). */
  public static Gen<BalancedConfig> configs(int minUplinks, int maxUplinks, int maxWeight) {
    BalancedConfigGenerator g = BalancedConfigGenerator.of(minUplinks, maxUplinks, maxWeight);
    return seeded(g::generate).describedAs(c -> "\n" + c.rulesText() + c.routesText());
  }

  /** Topologies ({@link TopologyGenerator}). */
  public static Gen<Topology> topologies(int minUplinks, int maxUplinks) {
    return seeded(TopologyGenerator.of(minUplinks, maxUplinks)::generate);
  }

  /** Flow generators for {@code topology}, each seeded by the example. */
  public static Gen<FlowGenerator> flows(Topology topology) {
    return seeded(r -> FlowGenerator.of(topology, r));
  }

  private static <T> Gen<T> seeded(Function<SplittableRandom, T> build) {
    return in -> build.apply(new SplittableRandom(in.next(Constraint.none())));
  }
}
