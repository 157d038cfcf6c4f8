package dev.mlb.testkit.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The expected bounds were computed outside mlb, with Python's exact {@code math.lgamma} sums of
 * the binomial probabilities (smallest k with P(X <= k) >= alpha/2; smallest k with
 * P(X > k) <= alpha/2), not with the library under test.
 */
class BinomialBoundTest {

  @Test
  void exactTailsAgreeWithAnIndependentSum() {
    assertBounds(6000, 1.0 / 260, 1, 58);
    assertBounds(1000, 0.5, 404, 596);
    assertBounds(200, 256.0 / 260, 182, 200);
  }

  private static void assertBounds(int n, double p, int low, int high) {
    BinomialBound b = BinomialBound.of(n, p, BinomialBound.ONE_IN_A_BILLION);
    assertEquals(low, b.low(), b.toString());
    assertEquals(high, b.high(), b.toString());
    assertTrue(b.contains(low) && b.contains(high));
    assertFalse(b.contains(low - 1L) || b.contains(high + 1L));
  }

  @Test
  void degenerateDrawsHaveOneCount() {
    assertEquals(new BinomialBound(10, 0, 1e-9, 0, 0), BinomialBound.of(10, 0, 1e-9));
    assertEquals(new BinomialBound(10, 1, 1e-9, 10, 10), BinomialBound.of(10, 1, 1e-9));
    assertEquals(new BinomialBound(0, 0.3, 1e-9, 0, 0), BinomialBound.of(0, 0.3, 1e-9));
  }

  @Test
  void drawsToSeeOnce() {
    // (259/260)^5378 <= 1e-9 < (259/260)^5377 (Python: ceil(log(1e-9) / log(1 - 1/260))).
    assertEquals(5378, BinomialBound.drawsToSeeOnce(1.0 / 260, 1e-9));
    assertEquals(30, BinomialBound.drawsToSeeOnce(0.5, 1e-9));
    assertEquals(1, BinomialBound.drawsToSeeOnce(1, 1e-9));
  }

  @Test
  void refusesImpossibleArguments() {
    assertEquals("probability 1.5 is outside [0, 1]",
        assertThrows(IllegalArgumentException.class, () -> BinomialBound.of(5, 1.5, 1e-9)).getMessage());
    assertEquals("alpha 0.0 is outside (0, 1)",
        assertThrows(IllegalArgumentException.class, () -> BinomialBound.of(5, 0.5, 0)).getMessage());
    assertEquals("trials -1 is negative",
        assertThrows(IllegalArgumentException.class, () -> BinomialBound.of(-1, 0.5, 1e-9)).getMessage());
  }
}
