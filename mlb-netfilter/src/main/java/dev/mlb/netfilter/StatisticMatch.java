package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * {@code -m statistic}: every n-th evaluation or a random share of packets.
 *
 * <pre>{@code
 * StatisticMatch.nth(2, 0)          // -m statistic --mode nth --every 2 --packet 0
 * StatisticMatch.random(0.5)        // -m statistic --mode random --probability 0.50000000000
 * }</pre>
 *
 * @param mode nth or random, with its numbers
 * @param negated whether the outcome is inverted ({@code --mode nth ! --every 2 ...})
 */
public record StatisticMatch(Statistic mode, boolean negated) implements Match {

  public StatisticMatch {
    checkArgument(mode != null, "statistic mode is null");
  }

  public static StatisticMatch nth(long every, long packet) {
    return new StatisticMatch(new Statistic.Nth(every, packet), false);
  }

  public static StatisticMatch random(double probability) {
    return new StatisticMatch(Statistic.Random.ofProbability(probability), false);
  }

  @Override
  public String module() {
    return "statistic";
  }
}
