package dev.mlb.netfilter;

/**
 * The unit of a rate in {@code -m limit} and {@code -m hashlimit}, as {@code iptables-save} prints it
 * after the slash.
 *
 * <pre>{@code
 * LimitMatch.perMinute(5)                                  // -m limit --limit 5/min
 * HashlimitMatch.upto(40, RateUnit.SECOND, "syn-flood")    // --hashlimit-upto 40/sec
 * RateUnit.HOUR.seconds()                                  // 3600
 * }</pre>
 */
public enum RateUnit {
  SECOND("sec", 1),
  MINUTE("min", 60),
  HOUR("hour", 60 * 60),
  DAY("day", 24 * 60 * 60);

  private final String text;
  private final long seconds;

  RateUnit(String text, long seconds) {
    this.text = text;
    this.seconds = seconds;
  }

  /** {@code sec}, {@code min}, {@code hour} or {@code day}. */
  public String text() {
    return text;
  }

  /** How many seconds the unit lasts. */
  public long seconds() {
    return seconds;
  }
}
