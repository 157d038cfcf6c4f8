package dev.mlb.testkit.check;

import static com.google.common.base.Preconditions.checkArgument;

import org.apache.commons.statistics.distribution.BinomialDistribution;

/**
 * The counts a fair draw may give: of {@code trials} independent draws that each hit with
 * probability {@code p}, the number of hits lies in {@code [low, high]} except with probability at
 * most {@code alpha}. Exact binomial tails (Apache Commons Statistics), no normal approximation.
 *
 * <pre>{@code
 * BinomialBound b = BinomialBound.of(6000, 1.0 / 260, BinomialBound.ONE_IN_A_BILLION);
 * b.low();            // 1: P(X < 1) = (259/260)^6000 = 9.1e-11 <= 5e-10
 * b.high();           // 58: P(X > 58) <= 5e-10
 * b.contains(23);     // true
 * }</pre>
 *
 * <p>This is how mlb's checks and tests bound what depends on chance (the kernel's
 * {@code statistic --mode random}, its multipath hash under a seed drawn at boot): a test that
 * asserts {@code contains} fails by chance with probability at most {@code alpha}; with several
 * such assertions in one run, split {@code alpha} between them (a union bound).
 *
 * @param trials the number of draws
 * @param p the probability of a hit on each draw
 * @param alpha the allowed probability of a count outside the bounds, half on each side
 * @param low the smallest count allowed: {@code P(X < low) <= alpha / 2}
 * @param high the largest count allowed: {@code P(X > high) <= alpha / 2}
 */
public record BinomialBound(int trials, double p, double alpha, int low, int high) {

  /** The failure probability every chance-dependent assertion in mlb's tests stays under. */
  public static final double ONE_IN_A_BILLION = 1e-9;

  public BinomialBound {
    checkArgument(trials >= 0, "trials %s is negative", trials);
    checkArgument(p >= 0 && p <= 1, "probability %s is outside [0, 1]", p);
    checkArgument(alpha > 0 && alpha < 1, "alpha %s is outside (0, 1)", alpha);
    checkArgument(0 <= low && low <= high && high <= trials, "bounds [%s, %s] for %s trials", low, high, trials);
  }

  /** The bounds for {@code trials} draws that hit with probability {@code p}, failing with probability {@code alpha}. */
  public static BinomialBound of(int trials, double p, double alpha) {
    checkArgument(trials >= 0, "trials %s is negative", trials);
    checkArgument(p >= 0 && p <= 1, "probability %s is outside [0, 1]", p);
    checkArgument(alpha > 0 && alpha < 1, "alpha %s is outside (0, 1)", alpha);
    if (trials == 0 || p == 0 || p == 1) {
      int k = p == 1 ? trials : 0;
      return new BinomialBound(trials, p, alpha, k, k);
    }
    BinomialDistribution d = BinomialDistribution.of(trials, p);
    // Smallest k with P(X <= k) >= alpha/2, so P(X < k) < alpha/2; smallest k with P(X > k) <= alpha/2.
    int low = d.inverseCumulativeProbability(alpha / 2);
    int high = d.inverseSurvivalProbability(alpha / 2);
    return new BinomialBound(trials, p, alpha, low, high);
  }

  /** Whether {@code count} lies within the bounds. */
  public boolean contains(long count) {
    return low <= count && count <= high;
  }

  /**
   * The smallest number of draws after which a hit of probability {@code p} has been seen at
   * least once, except with probability at most {@code alpha}: {@code (1 - p)^n <= alpha}.
   */
  public static int drawsToSeeOnce(double p, double alpha) {
    checkArgument(p > 0 && p <= 1, "probability %s is outside (0, 1]", p);
    checkArgument(alpha > 0 && alpha < 1, "alpha %s is outside (0, 1)", alpha);
    return p == 1 ? 1 : (int) Math.ceil(Math.log(alpha) / Math.log1p(-p));
  }

  @Override
  public String toString() {
    return String.format("[%d, %d] of %d at p=%.6g (fails with probability <= %.1g)", low, high, trials, p, alpha);
  }
}
