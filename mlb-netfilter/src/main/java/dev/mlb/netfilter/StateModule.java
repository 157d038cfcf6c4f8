package dev.mlb.netfilter;

import static dev.mlb.netfilter.Arguments.quoted;

import com.google.common.collect.ImmutableSet;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;

/**
 * {@code -m state [!] --state STATES} ({@link StateMatch}); {@code -m conntrack} is
 * {@link ConntrackModule}'s.
 *
 * <pre>{@code
 * -m state --state new,est          // reads as StateMatch.of(NEW, ESTABLISHED)
 * -m state --state NEW,ESTABLISHED  // written so
 * }</pre>
 */
final class StateModule extends MatchModule<StateMatch> {
  static final StateModule STATE = new StateModule();

  private static final List<String> STATE_OPTIONS = List.of("--state");

  private StateModule() {
    super("state", StateMatch.class);
  }

  @Override
  List<String> options() {
    return STATE_OPTIONS;
  }

  @Override
  String canonical(String o) {
    return o.equals("--state") ? o : null;
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
        if (s.isEmpty() || !s.get().isStateMatchState()) {
          throw error(arg, (p.isEmpty() ? "empty state" : "unknown state " + quoted(p)) + " in "
              + o + " " + list + "; expected a comma-separated list of"
              + " INVALID, NEW, ESTABLISHED, RELATED or UNTRACKED (or a prefix of one)");
        }
        states.add(s.get());
      }
    }

    @Override
    Match finish() {
      if (states.isEmpty()) {
        throw error(at, "-m state needs --state");
      }
      return new StateMatch(ImmutableSet.copyOf(states), negated);
    }
  }

  @Override
  void write(StateMatch s, StringBuilder out) {
    out.append(s.negated() ? " ! " : " ").append("--state ");
    boolean first = true;
    for (ConnState c : s.states()) {
      if (!first) {
        out.append(',');
      }
      out.append(c.name());
      first = false;
    }
  }
}
