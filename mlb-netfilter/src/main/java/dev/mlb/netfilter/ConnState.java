package dev.mlb.netfilter;

import java.util.Locale;
import java.util.Optional;

/**
 * A connection tracking state, as {@code -m state --state} and {@code -m conntrack --ctstate} test
 * it. The declaration order is the order iptables prints states in. {@link #SNAT} and {@link #DNAT}
 * are virtual states that only {@code --ctstate} knows.
 */
public enum ConnState {
  INVALID,
  NEW,
  RELATED,
  ESTABLISHED,
  UNTRACKED,
  SNAT,
  DNAT;

  /** The order in which iptables tries a (possibly abbreviated) state name. */
  private static final ConnState[] PARSE_ORDER = {
    INVALID, NEW, ESTABLISHED, RELATED, UNTRACKED, SNAT, DNAT
  };

  /** Whether {@code -m state} accepts this state (it knows neither SNAT nor DNAT). */
  public boolean isStateMatchState() {
    return this != SNAT && this != DNAT;
  }

  /**
   * Reads a state name as iptables does: case-insensitive, and a prefix selects the first state in
   * iptables' order that starts with it ({@code est} is ESTABLISHED).
   */
  public static Optional<ConnState> lookup(String text) {
    if (text.isEmpty()) {
      return Optional.empty();
    }
    String upper = text.toUpperCase(Locale.ROOT);
    for (ConnState s : PARSE_ORDER) {
      if (s.name().startsWith(upper)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }
}
