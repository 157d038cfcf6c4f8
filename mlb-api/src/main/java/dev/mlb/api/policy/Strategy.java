package dev.mlb.api.policy;

/**
 * How a {@link BalancingPolicy} spreads new connections over its uplinks.
 *
 * <pre>{@code
 * BalancingPolicy.builder()...strategy(Strategy.RANDOM).build();
 * Strategy.parse("multipath");   // MULTIPATH
 * }</pre>
 */
public enum Strategy {
  /**
   * Exact weighted round robin: {@code -m statistic --mode nth} rules give balanced connection
   * {@code m} the uplink of slot {@code m mod W} ({@code W} the weight sum), so every period of
   * {@code W} connections splits exactly by weight.
   */
  NTH,
  /**
   * {@code -m statistic --mode random} rules whose stored fixed-point probabilities realise the
   * weights as exactly as 31 bits allow; the split is binomial around the weights.
   */
  RANDOM,
  /**
   * A weighted multipath default route; the kernel's flow hash picks the uplink, no per-connection
   * marks are set for outgoing connections (inbound stickiness still uses marks).
   */
  MULTIPATH;

  /** The strategy named {@code text}, in any case ({@code nth}, {@code random}, {@code multipath}). */
  public static Strategy parse(String text) {
    for (Strategy s : values()) {
      if (s.name().equalsIgnoreCase(text)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown strategy \"" + text + "\"; expected nth, random or multipath");
  }

  @Override
  public String toString() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
