package dev.mlb.netfilter;

import java.util.List;

/**
 * A match module with one option that takes one argument and is needed ({@code -m length --length},
 * {@code -m tcpmss --mss}, {@code -m cpu --cpu}, ...): the option's name, its reading into the match
 * and the "needs" error are here; the module says how one argument becomes the match.
 *
 * <pre>{@code
 * static final class CpuModule extends OneOptionMatchModule<CpuMatch> {
 *   CpuModule() { super("cpu", CpuMatch.class, "--cpu"); }
 *   CpuMatch read(ModuleContext rule, Token arg, boolean negated) { ... }
 *   void write(CpuMatch m, StringBuilder out) { ... }
 * }
 * }</pre>
 *
 * @param <M> the match type
 */
abstract class OneOptionMatchModule<M extends Match> extends MatchModule<M> {
  private final String option;
  private final List<String> options;

  OneOptionMatchModule(String name, Class<M> type, String option) {
    super(name, type);
    this.option = option;
    this.options = List.of(option);
  }

  /** The match {@code arg} gives (negated with {@code !}), or an error at {@code arg}. */
  abstract M read(ModuleContext rule, Token arg, boolean negated);

  @Override
  final List<String> options() {
    return options;
  }

  @Override
  final String canonical(String given) {
    return option.equals(given) ? given : null;
  }

  @Override
  final Reader reader(ModuleContext rule, String name, Token at) {
    return new Reader(this, name(), at, rule) {
      private M match;

      @Override
      void value(String given, Token optionToken, Token arg) {
        match = read(rule, arg, optionNegated);
      }

      @Override
      Match finish() {
        require(option);
        return match;
      }
    };
  }
}
