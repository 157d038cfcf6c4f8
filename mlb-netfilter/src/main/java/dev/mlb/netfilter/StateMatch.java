package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableSet;
import com.google.common.collect.Sets;
import java.util.Arrays;
import java.util.EnumSet;

/**
 * {@code -m state [!] --state STATES}: the connection tracking state of the packet.
 *
 * <pre>{@code
 * StateMatch.of(ConnState.ESTABLISHED, ConnState.RELATED)   // -m state --state RELATED,ESTABLISHED
 * }</pre>
 *
 * @param states the states that match, at least one; kept in iptables' order
 * @param negated whether the test is inverted ({@code ! --state})
 */
public record StateMatch(ImmutableSet<ConnState> states, boolean negated) implements Match {

  public StateMatch {
    checkArgument(states != null && !states.isEmpty(), "-m state needs at least one state");
    states = Sets.immutableEnumSet(states);
    for (ConnState s : states) {
      checkArgument(s.isStateMatchState(), "-m state does not know the state %s; use -m conntrack --ctstate", s);
    }
  }

  public static StateMatch of(ConnState... states) {
    return new StateMatch(ImmutableSet.copyOf(EnumSet.copyOf(Arrays.asList(states))), false);
  }

  public static StateMatch not(ConnState... states) {
    return new StateMatch(ImmutableSet.copyOf(EnumSet.copyOf(Arrays.asList(states))), true);
  }

  /** Whether a packet in state {@code state} matches. */
  public boolean test(ConnState state) {
    return states.contains(state) != negated;
  }

  @Override
  public String module() {
    return "state";
  }
}
