package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableSet;
import com.google.common.collect.Sets;
import java.util.Arrays;
import java.util.EnumSet;

/**
 * {@code -m conntrack [!] --ctstate STATES}. Other conntrack options are kept in an
 * {@link OpaqueMatch}.
 *
 * <pre>{@code
 * ConntrackMatch.of(ConnState.NEW)   // -m conntrack --ctstate NEW
 * }</pre>
 *
 * @param states the states that match, at least one; kept in iptables' order
 * @param negated whether the test is inverted ({@code ! --ctstate})
 */
public record ConntrackMatch(ImmutableSet<ConnState> states, boolean negated) implements Match {

  public ConntrackMatch {
    checkArgument(states != null && !states.isEmpty(), "-m conntrack --ctstate needs at least one state");
    states = Sets.immutableEnumSet(states);
  }

  public static ConntrackMatch of(ConnState... states) {
    return new ConntrackMatch(ImmutableSet.copyOf(EnumSet.copyOf(Arrays.asList(states))), false);
  }

  public static ConntrackMatch not(ConnState... states) {
    return new ConntrackMatch(ImmutableSet.copyOf(EnumSet.copyOf(Arrays.asList(states))), true);
  }

  @Override
  public String module() {
    return "conntrack";
  }
}
