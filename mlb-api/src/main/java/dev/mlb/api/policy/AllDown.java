package dev.mlb.api.policy;

import java.util.Locale;

/**
 * What new connections do while every uplink is down.
 *
 * <pre>{@code
 * BalancingPolicy.builder()...allDown(AllDown.KEEP_LAST).build();
 * AllDown.parse("main");   // MAIN
 * }</pre>
 */
public enum AllDown {
  /**
   * No new connection is balanced: they leave by the main table's default route, as with mwan3's
   * {@code last_resort default}, which its shipped configuration uses. The default.
   */
  MAIN,
  /**
   * The uplinks that last carried new connections keep carrying them, as if the last one to fail
   * were still up: probes can fail while the provider still forwards (a dead probe target).
   */
  KEEP_LAST;

  /** The action named {@code text}: {@code main} or {@code keep-last}, in any case. */
  public static AllDown parse(String text) {
    for (AllDown a : values()) {
      if (a.toString().equalsIgnoreCase(text)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown all-down action \"" + text + "\"; expected main or keep-last");
  }

  /** {@code main} or {@code keep-last}. */
  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
