package dev.mlb.netfilter;

import java.util.List;
import java.util.Set;

/**
 * A match module whose options are all flags without arguments or {@code !}, each given at most
 * once and printed by {@code iptables-save} in a fixed order ({@code -m rpfilter}, {@code -m socket}).
 *
 * <pre>{@code
 * static final class SocketModule extends FlagMatchModule<SocketMatch> {
 *   SocketModule() { super("socket", SocketMatch.class, List.of("--transparent", "--nowildcard", "--restore-skmark")); }
 *   SocketMatch build(Set<String> flags) { ... }
 *   boolean has(SocketMatch m, String flag) { ... }
 * }
 * }</pre>
 *
 * @param <M> the match type
 */
abstract class FlagMatchModule<M extends Match> extends MatchModule<M> {
  private final List<String> flags;
  private final Set<String> flagSet;

  /** {@code flags} in the order {@code iptables-save} prints them. */
  FlagMatchModule(String name, Class<M> type, List<String> flags) {
    super(name, type);
    this.flags = List.copyOf(flags);
    this.flagSet = Set.copyOf(flags);
  }

  /** The match with the given flags. */
  abstract M build(Set<String> given);

  /** Whether {@code match} has {@code flag}. */
  abstract boolean has(M match, String flag);

  @Override
  final List<String> options() {
    return flags;
  }

  @Override
  final String canonical(String option) {
    return flagSet.contains(option) ? option : null;
  }

  @Override
  final Set<String> flags() {
    return flagSet;
  }

  @Override
  final boolean negatable(String option) {
    return false;
  }

  @Override
  final Reader reader(ModuleContext rule, String name, Token at) {
    return new Reader(this, name(), at, rule) {
      @Override
      void value(String option, Token optionToken, Token arg) {
        // Flags only; Reader refuses a repeated or negated one.
      }

      @Override
      Match finish() {
        return build(given.keySet());
      }
    };
  }

  @Override
  final void write(M match, StringBuilder out) {
    for (String flag : flags) {
      if (has(match, flag)) {
        out.append(' ').append(flag);
      }
    }
  }
}
