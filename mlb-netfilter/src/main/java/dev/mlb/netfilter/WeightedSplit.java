package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * The arithmetic behind the balancing chains: the smooth weighted round robin order of the
 * {@code nth} rules and the fixed-point thresholds of the {@code random} rules.
 *
 * <pre>{@code
 * WeightedSplit.smoothOrder(new int[] {3, 2, 1});   // [0, 1, 0, 2, 1, 0]
 * WeightedSplit.randomThresholds(new int[] {1, 1}); // [1073741824]: probability 0.5, then the rest
 * }</pre>
 */
final class WeightedSplit {
  private WeightedSplit() {}

  /** 2^31 as a BigInteger: the threshold of probability 1. */
  private static final BigInteger ONE = BigInteger.valueOf(Statistic.Random.ONE);

  /**
   * The uplink of each slot of one period, by nginx's smooth weighted round robin: at each step
   * every uplink's current value grows by its weight, the largest (lowest index on a tie) is
   * picked and loses the weight sum. Each uplink {@code i} appears exactly {@code weights[i]}
   * times, spread as evenly as the weights allow.
   */
  static int[] smoothOrder(int[] weights) {
    int total = sum(weights);
    int[] current = new int[weights.length];
    int[] order = new int[total];
    for (int step = 0; step < total; step++) {
      int best = 0;
      for (int i = 0; i < weights.length; i++) {
        current[i] += weights[i];
        if (current[i] > current[best]) {
          best = i;
        }
      }
      current[best] -= total;
      order[step] = best;
    }
    return order;
  }

  /**
   * The thresholds {@code t_0 .. t_{n-2}} of the random rules, each tried only by connections the
   * earlier ones left unmarked (the last uplink takes the rest, without a rule). Greedy with exact
   * arithmetic: {@code t_i = round(2^31 * (w_i / W) / R_i)}, with {@code R_i} the exact share not
   * yet taken, {@code prod_{j<i} (1 - t_j / 2^31)}.
   */
  static long[] randomThresholds(int[] weights) {
    checkArgument(weights.length >= 1, "no weights");
    BigInteger total = BigInteger.valueOf(sum(weights));
    long[] thresholds = new long[weights.length - 1];
    BigInteger remaining = BigInteger.ONE;   // R_i = remaining / 2^(31 i)
    int shift = 0;
    for (int i = 0; i < thresholds.length; i++) {
      BigInteger num = BigInteger.valueOf(weights[i]).shiftLeft(31 + shift);
      BigInteger den = total.multiply(remaining);
      long t = num.shiftLeft(1).add(den).divide(den.shiftLeft(1)).min(ONE).longValueExact();
      thresholds[i] = t;
      remaining = remaining.multiply(ONE.subtract(BigInteger.valueOf(t)));
      shift += 31;
    }
    return thresholds;
  }

  /**
   * The exact share of connections each uplink gets from {@code thresholds} (as
   * {@link #randomThresholds} returns them, one fewer than uplinks): uplink {@code i < n-1} gets
   * {@code t_i / 2^31 * R_i}, the last one {@code R_{n-1}}. The shares sum to exactly 1.
   */
  static BigDecimal[] realisedShares(long[] thresholds) {
    BigDecimal[] shares = new BigDecimal[thresholds.length + 1];
    BigInteger remaining = BigInteger.ONE;
    int shift = 0;
    for (int i = 0; i < thresholds.length; i++) {
      BigInteger t = BigInteger.valueOf(thresholds[i]);
      shares[i] = dyadic(t.multiply(remaining), shift + 31);
      remaining = remaining.multiply(ONE.subtract(t));
      shift += 31;
    }
    shares[thresholds.length] = dyadic(remaining, shift);
    return shares;
  }

  /** {@code numerator / 2^exponent}, exactly (a binary fraction has a finite decimal form). */
  private static BigDecimal dyadic(BigInteger numerator, int exponent) {
    // x / 2^e = x * 5^e / 10^e
    return new BigDecimal(numerator.multiply(BigInteger.valueOf(5).pow(exponent)), exponent)
        .stripTrailingZeros();
  }

  static int sum(int[] weights) {
    int total = 0;
    for (int w : weights) {
      total += w;
    }
    return total;
  }

  static int gcd(int[] weights) {
    int g = 0;
    for (int w : weights) {
      g = BigInteger.valueOf(g).gcd(BigInteger.valueOf(w)).intValueExact();
    }
    return g;
  }
}
