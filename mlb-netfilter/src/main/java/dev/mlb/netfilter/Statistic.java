package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * A mode of {@code -m statistic}: every n-th evaluation, or at random.
 *
 * <pre>{@code
 * new Statistic.Nth(3, 0)                    // --mode nth --every 3 --packet 0
 * Statistic.Random.ofProbability(0.1)        // --mode random --probability 0.10000000009
 * }</pre>
 *
 * <p>Both keep what the kernel keeps, so that what is rendered and read back is equal. Values the
 * kernel refuses ({@code --every 0}, a packet not below every, a probability outside [0, 1]) can be
 * built; {@link Ruleset#validate()} reports them.
 */
public sealed interface Statistic {

  /**
   * {@code --mode nth --every EVERY --packet PACKET}. Each rule has its own counter, which advances
   * only when the match is evaluated; evaluation {@code k} (from 0) matches when
   * {@code k mod every == packet}.
   *
   * @param every the period, 1 to 2^32-1
   * @param packet which evaluation of each period matches, 0 to every-1
   */
  record Nth(long every, long packet) implements Statistic {
    /** Whether evaluation number {@code k}, counted from 0, matches. */
    public boolean matches(long k) {
      return Long.remainderUnsigned(k, every) == packet;
    }
  }

  /**
   * {@code --mode random --probability P}. The kernel stores {@code lround(P * 2^31)} and matches
   * when {@code (random & 0x7fffffff) < threshold}.
   *
   * @param threshold the stored fixed-point probability, 0 to 2^31
   */
  record Random(long threshold) implements Statistic {
    /** 2^31: the threshold of probability 1. */
    public static final long ONE = 0x8000_0000L;

    /** The threshold the kernel stores for {@code probability}, as iptables computes it. */
    public static Random ofProbability(double probability) {
      checkArgument(!Double.isNaN(probability) && !Double.isInfinite(probability),
          "probability %s is not a number in [0, 1]", probability);
      return new Random(Math.round(ONE * probability));
    }

    /** The probability the stored threshold stands for. */
    public double probability() {
      return (double) threshold / ONE;
    }

    /**
     * The probability as iptables prints it: {@code printf("%.11f")} of the stored value, with the
     * C library's exact round-half-even.
     */
    public String probabilityText() {
      return new BigDecimal(threshold)
          .divide(BigDecimal.valueOf(ONE))
          .setScale(11, RoundingMode.HALF_EVEN)
          .toPlainString();
    }

    /** Whether a 32-bit random number makes the match succeed. */
    public boolean matches(int random) {
      return (random & 0x7fff_ffffL) < threshold;
    }
  }
}
