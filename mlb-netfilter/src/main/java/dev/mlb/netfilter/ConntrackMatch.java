package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import com.google.common.collect.Sets;
import java.util.Arrays;
import java.util.EnumSet;

/**
 * {@code -m conntrack}: {@code [!] --ctstate STATES} and the module's other tests
 * ({@link ConntrackCriterion}: protocol, tuple addresses and ports, status, expiry, direction).
 *
 * <pre>{@code
 * ConntrackMatch.of(ConnState.NEW)   // -m conntrack --ctstate NEW
 * // -m conntrack --ctstate NEW --ctproto 6 --ctorigdstport 0:4
 * }</pre>
 *
 * @param states the states that match, kept in iptables' order; empty if {@code --ctstate} is not given
 * @param negated whether the state test is inverted ({@code ! --ctstate})
 * @param criteria the other tests, each option at most once, in {@code iptables-save}'s order
 */
public record ConntrackMatch(ImmutableSet<ConnState> states, boolean negated,
    ImmutableList<ConntrackCriterion> criteria) implements Match {

  public ConntrackMatch {
    checkArgument(states != null, "states is null");
    checkArgument(criteria != null, "criteria is null");
    checkArgument(!states.isEmpty() || !criteria.isEmpty(), "-m conntrack needs at least one test");
    checkArgument(!states.isEmpty() || !negated, "! --ctstate needs at least one state");
    states = states.isEmpty() ? ImmutableSet.of() : Sets.immutableEnumSet(states);
    ConntrackCriterion.Option previous = null;
    for (ConntrackCriterion c : criteria) {
      checkArgument(previous == null || c.option().compareTo(previous) > 0,
          "conntrack criteria must be in iptables-save's order, each option once: %s", criteria);
      previous = c.option();
    }
  }

  /** {@code [!] --ctstate STATES} alone. */
  public ConntrackMatch(ImmutableSet<ConnState> states, boolean negated) {
    this(states, negated, ImmutableList.of());
  }

  public static ConntrackMatch of(ConnState... states) {
    return new ConntrackMatch(ImmutableSet.copyOf(EnumSet.copyOf(Arrays.asList(states))), false);
  }

  public static ConntrackMatch not(ConnState... states) {
    return new ConntrackMatch(ImmutableSet.copyOf(EnumSet.copyOf(Arrays.asList(states))), true);
  }

  /** Whether the match tests only the state ({@code --ctstate}), which the simulator models. */
  public boolean isStateOnly() {
    return criteria.isEmpty();
  }

  @Override
  public String module() {
    return "conntrack";
  }
}
