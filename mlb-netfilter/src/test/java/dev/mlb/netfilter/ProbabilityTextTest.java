package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The writer prints {@code --probability} in integer arithmetic; it must print exactly what
 * {@link Statistic.Random#probabilityText()} (BigDecimal, round-half-even) prints.
 */
class ProbabilityTextTest {

  private static void same(long threshold) {
    StringBuilder out = new StringBuilder();
    Statistic.Random r = new Statistic.Random(threshold);
    RestoreWriter.appendProbability(out, r);
    assertEquals(r.probabilityText(), out.toString(), "threshold " + threshold);
  }

  @Test
  void everyTieAndBoundaryAndManyOthers() {
    // Ties of the 11th decimal: threshold * 5^11 / 2^20 has remainder 2^19 exactly for odd multiples of 2^19.
    for (long k = 0; k < 4096; k++) {
      same((2 * k + 1) << 19);
      same(k << 20);
    }
    for (long t = 0; t < 5000; t++) {
      same(t);
      same(Statistic.Random.ONE - t);
    }
    SplittableRandom random = new SplittableRandom(1);
    for (int i = 0; i < 200_000; i++) {
      same(random.nextLong(Statistic.Random.ONE + 1));
    }
    assertEquals("0.10000000009", text(Statistic.Random.ofProbability(0.1)));
    assertEquals("1.00000000000", text(new Statistic.Random(Statistic.Random.ONE)));
  }

  @Test
  void outOfRangeThresholdsFallBackToTheExactForm() {
    same(-1);
    same(Statistic.Random.ONE + 1);
    same(Long.MAX_VALUE / 1024);
  }

  private static String text(Statistic.Random r) {
    StringBuilder out = new StringBuilder();
    RestoreWriter.appendProbability(out, r);
    return out.toString();
  }
}
