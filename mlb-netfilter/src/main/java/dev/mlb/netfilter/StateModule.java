package dev.mlb.netfilter;

import static dev.mlb.netfilter.Arguments.quoted;

import com.google.common.collect.ImmutableSet;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code -m state [!] --state STATES} ({@link StateMatch}) and {@code -m conntrack [!] --ctstate
 * STATES} ({@link ConntrackMatch}); conntrack's other options are kept verbatim.
 *
 * <pre>{@code
 * -m state --state new,est          // reads as StateMatch.of(NEW, ESTABLISHED)
 * -m state --state NEW,ESTABLISHED  // written so
 * -m conntrack --ctdir REPLY        // an OpaqueMatch: --ctdir is not modelled
 * }</pre>
 *
 * @param <M> {@link StateMatch} or {@link ConntrackMatch}
 */
final class StateModule<M extends Match> extends MatchModule<M> {
  static final StateModule<StateMatch> STATE = new StateModule<>("state", StateMatch.class, false);
  static final StateModule<ConntrackMatch> CONNTRACK = new StateModule<>("conntrack", ConntrackMatch.class, true);

  private static final List<String> STATE_OPTIONS = List.of("--state");
  private static final List<String> CONNTRACK_OPTIONS =
      List.of("--ctstate", "--ctproto", "--ctorigsrc", "--ctorigdst", "--ctreplsrc", "--ctrepldst",
          "--ctorigsrcport", "--ctorigdstport", "--ctreplsrcport", "--ctrepldstport", "--ctstatus", "--ctexpire",
          "--ctdir");
  /** Every conntrack option but --ctstate, each with one argument. */
  private static final Map<String, Integer> CONNTRACK_UNMODELLED = conntrackUnmodelled();

  private final boolean conntrack;
  private final String option;

  private StateModule(String name, Class<M> type, boolean conntrack) {
    super(name, type);
    this.conntrack = conntrack;
    this.option = conntrack ? "--ctstate" : "--state";
  }

  private static Map<String, Integer> conntrackUnmodelled() {
    Map<String, Integer> options = new java.util.HashMap<>();
    for (String o : CONNTRACK_OPTIONS.subList(1, CONNTRACK_OPTIONS.size())) {
      options.put(o, 1);
    }
    return Map.copyOf(options);
  }

  @Override
  List<String> options() {
    return conntrack ? CONNTRACK_OPTIONS : STATE_OPTIONS;
  }

  @Override
  String canonical(String o) {
    return o.equals(option) ? o : null;
  }

  @Override
  Map<String, Integer> unmodelled() {
    return conntrack ? CONNTRACK_UNMODELLED : Map.of();
  }

  @Override
  Reader reader(ModuleContext rule, String name, Token at) {
    return new StateReader(rule, at);
  }

  private final class StateReader extends Reader {
    private final EnumSet<ConnState> states = EnumSet.noneOf(ConnState.class);

    StateReader(ModuleContext rule, Token at) {
      super(StateModule.this, StateModule.this.name(), at, rule);
    }

    @Override
    void value(String o, Token optionToken, Token arg) {
      String list = arg.text();
      String[] parts = list.split(",", -1);
      for (String p : parts) {
        Optional<ConnState> s = ConnState.lookup(p);
        if (s.isEmpty() || (!conntrack && !s.get().isStateMatchState())) {
          String expected = conntrack
              ? "INVALID, NEW, ESTABLISHED, RELATED, UNTRACKED, SNAT or DNAT"
              : "INVALID, NEW, ESTABLISHED, RELATED or UNTRACKED";
          throw error(arg, (p.isEmpty() ? "empty state" : "unknown state " + quoted(p)) + " in "
              + o + " " + list + "; expected a comma-separated list of " + expected
              + " (or a prefix of one)");
        }
        states.add(s.get());
      }
    }

    @Override
    Match finish() {
      if (states.isEmpty()) {
        throw error(at, "-m " + name + " needs " + option);
      }
      ImmutableSet<ConnState> set = ImmutableSet.copyOf(states);
      return conntrack ? new ConntrackMatch(set, negated) : new StateMatch(set, negated);
    }
  }

  @Override
  void write(M m, StringBuilder out) {
    if (m instanceof StateMatch s) {
      states(out, s.negated(), s.states());
    } else {
      ConntrackMatch c = (ConntrackMatch) m;
      states(out, c.negated(), c.states());
    }
  }

  private void states(StringBuilder out, boolean negated, Iterable<ConnState> states) {
    out.append(negated ? " ! " : " ").append(option).append(' ');
    boolean first = true;
    for (ConnState s : states) {
      if (!first) {
        out.append(',');
      }
      out.append(s.name());
      first = false;
    }
  }
}
