package dev.mlb.testkit.gen;

import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.testkit.policyfile.PolicyFile;
import java.util.List;
import java.util.SplittableRandom;
import org.quicktheories.core.Gen;
import org.quicktheories.impl.Constraint;

/**
 * QuickTheories adapters for {@link PolicyGenerator} (needs QuickTheories on the class path, an
 * optional dependency of mlb-testkit).
 *
 * <pre>{@code
 * qt().withExamples(1000).forAll(PolicyGens.policies(1, 8))
 *     .checkAssert(p -> CompiledPolicy.compile(p).check().build().assertAll());
 * }</pre>
 *
 * <p>Each example draws one 64-bit seed and builds its policy from it, so a failure is
 * reproducible with {@code PolicyGenerator.of(min, max).generate(new SplittableRandom(seed))}; a
 * failing example is described by its policy file ({@link PolicyFile#write}). Values do not shrink.
 */
public final class PolicyGens {
  private PolicyGens() {}

  /** One seeded policy: the seed that made it and the policy. */
  public record Seeded(long seed, BalancingPolicy policy) {
    @Override
    public String toString() {
      return "seed " + seed + ":\n" + describe(policy);
    }
  }

  /** Valid policies with {@code minUplinks..maxUplinks} uplinks ({@link PolicyGenerator}). */
  public static Gen<BalancingPolicy> policies(int minUplinks, int maxUplinks) {
    return seeded(minUplinks, maxUplinks).map(Seeded::policy).describedAs(p -> "\n" + describe(p));
  }

  /** Like {@link #policies}, with the seed of each (for reproducing a failure). */
  public static Gen<Seeded> seeded(int minUplinks, int maxUplinks) {
    PolicyGenerator g = PolicyGenerator.of(minUplinks, maxUplinks);
    return in -> {
      long seed = in.next(Constraint.none());
      return new Seeded(seed, g.generate(new SplittableRandom(seed)));
    };
  }

  /** One seeded failover scenario: a policy and its transitions ({@link TransitionGenerator}). */
  public record Failover(long seed, BalancingPolicy policy, List<UplinkStates> transitions) {
    @Override
    public String toString() {
      return "seed " + seed + ", transitions " + transitions + ":\n" + describe(policy);
    }
  }

  /**
   * Policies with {@code minUplinks..maxUplinks} uplinks and 1 to {@code maxSteps} transitions
   * each (none for MULTIPATH), both from one seed per example.
   */
  public static Gen<Failover> failovers(int minUplinks, int maxUplinks, int maxSteps) {
    PolicyGenerator g = PolicyGenerator.of(minUplinks, maxUplinks);
    TransitionGenerator t = TransitionGenerator.of(maxSteps);
    return in -> {
      long seed = in.next(Constraint.none());
      SplittableRandom random = new SplittableRandom(seed);
      BalancingPolicy policy = g.generate(random);
      return new Failover(seed, policy, t.generate(policy, random));
    };
  }

  static String describe(BalancingPolicy p) {
    return PolicyFile.write(p);
  }
}
