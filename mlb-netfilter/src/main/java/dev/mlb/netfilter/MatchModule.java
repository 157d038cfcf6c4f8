package dev.mlb.netfilter;

import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One match module ({@code -m NAME}) as mlb models it, the way one {@code extensions/libxt_NAME.c}
 * of iptables owns one: its options, how a rule's words for it are read, its canonical text and
 * its checks. {@link Modules} lists every module; adding one is one file and one line there.
 *
 * <pre>{@code
 * final class CommentModule extends MatchModule<CommentMatch> {
 *   CommentModule() { super("comment", CommentMatch.class); }
 *   List<String> options() { return List.of("--comment"); }
 *   String canonical(String option) { ... }
 *   Reader reader(ModuleContext rule, String name, Token at) { ... }   // --comment TEXT -> CommentMatch
 *   void write(CommentMatch m, StringBuilder out) { ... }              // " --comment TEXT"
 *   void check(CommentMatch m, RuleContext rule, Findings findings) { ... }
 * }
 * }</pre>
 *
 * <p>A modelled option takes one argument unless {@link #arity} says otherwise (0 for {@link #flags()}).
 * An option in {@link #unmodelled()} (a real option
 * of the module that mlb does not model) makes the module's words in that rule verbatim: the rule
 * gets an {@link OpaqueMatch} of the same name.
 *
 * @param <M> the match type the module reads, writes and checks
 */
abstract class MatchModule<M extends Match> {
  private final String name;
  private final Class<M> type;

  MatchModule(String name, Class<M> type) {
    this.name = name;
    this.type = type;
  }

  /** The name after {@code -m}. */
  final String name() {
    return name;
  }

  /** The match type; {@link Modules} finds the module of a match by it. */
  final Class<M> type() {
    return type;
  }

  /** The options, for messages and for what iptables would give to this module. */
  abstract List<String> options();

  /**
   * The option's canonical name if this module models it (aliases included), else null; by default
   * the option itself if {@link #options()} lists it.
   */
  String canonical(String option) {
    return options().contains(option) ? option : null;
  }

  /** The canonical options that take no argument. */
  Set<String> flags() {
    return Set.of();
  }

  /** Real options mlb does not model, with their number of arguments; they make the match opaque. */
  Map<String, Integer> unmodelled() {
    return Map.of();
  }

  /** How many arguments the option (as written) takes: 1, or 0 ({@code --syn}) or 2 ({@code --tcp-flags}). */
  int arity(String option) {
    String c = canonical(option);
    return c != null && flags().contains(c) ? 0 : 1;
  }

  /** Whether the canonical option takes {@code !}. */
  boolean negatable(String option) {
    return true;
  }

  /** Whether the canonical option may be given more than once (iptables keeps no count of it). */
  boolean repeatable(String option) {
    return false;
  }

  /** Whether this is the pass-through for modules mlb does not model. */
  boolean isOpaque() {
    return false;
  }

  /** A reader for one {@code -m NAME} of a rule ({@code name} is this module's, but for the opaque one). */
  abstract Reader reader(ModuleContext rule, String name, Token at);

  /** Appends the match's options, each with a leading blank, as {@code iptables-save} prints them. */
  abstract void write(M match, StringBuilder out);

  /**
   * Reports what is wrong with {@code match} in {@code rule} ({@link Ruleset#validate()}). Only the
   * rule itself may be looked at (not its table or chain): validation skips rules whose checks
   * found nothing when the rule was built.
   */
  void check(M match, RuleContext rule, Findings findings) {}

  @Override
  public String toString() {
    return "-m " + name;
  }

  /** One {@code -m NAME} of a rule while its options are read. */
  abstract static class Reader {
    final MatchModule<?> module;
    final String name;
    final Token at;
    final ModuleContext rule;
    /** The words so far, as written; the arguments if the module becomes opaque. */
    final List<Token> raw = new ArrayList<>(4);
    /** The options given, by canonical name. */
    final GivenOptions given = new GivenOptions();
    /** The second argument of the option being read, if it takes two; null otherwise. */
    Token secondArgument;
    /** Whether any option was negated. */
    boolean negated;
    /** Whether the option being read was negated. */
    boolean optionNegated;
    /** Whether the words are kept verbatim (an unmodelled module, or an unmodelled option met). */
    boolean opaque;

    Reader(MatchModule<?> module, String name, Token at, ModuleContext rule) {
      this.module = module;
      this.name = name;
      this.at = at;
      this.rule = rule;
      this.opaque = module.isOpaque();
    }

    /** Reads the canonical option's argument ({@code arg} is the option itself for one without, such as a flag). */
    abstract void value(String option, Token optionToken, Token arg);

    /**
     * The match read; called once the rule's words are read (and not if the match became opaque).
     * Null if the options leave nothing to test and iptables drops the match ({@code -m tcp ! --sport :}).
     */
    abstract Match finish();

    /** Checks that need the whole rule, made after the match was built (opaque or not). */
    void finishRule() {}

    final boolean knows(String option) {
      return module.canonical(option) != null || module.unmodelled().containsKey(option);
    }

    /** Reads option {@code t} (negated if {@code bang} is not null) and its arguments. */
    final void option(Token t, Token bang) {
      Map<String, Integer> unmodelled = module.unmodelled();
      if (opaque || unmodelled.containsKey(t.text())) {
        // From now on the module is kept verbatim; every option of a modelled module takes one
        // argument, the unmodelled ones say how many.
        opaque = true;
        if (bang != null) {
          raw.add(bang);
        }
        raw.add(t);
        String known = module.canonical(t.text());
        int count = unmodelled.getOrDefault(t.text(), known != null ? module.arity(t.text()) : 1);
        for (int i = 0; i < count; i++) {
          raw.add(rule.argumentOf(t));
        }
        return;
      }
      String c = module.canonical(t.text());
      if (bang != null && !module.negatable(c)) {
        throw error(bang, "-m " + name + ": option " + quoted(t.text()) + " cannot be negated");
      }
      if (given.containsKey(c) && !module.repeatable(c)) {
        throw error(t, "-m " + name + ": option " + quoted(c) + " can only be given once");
      }
      given.put(c, t);
      int arity = module.arity(t.text());
      // An option without arguments gets its own word as its argument.
      Token arg = arity == 0 ? t : rule.argumentOf(t);
      secondArgument = arity == 2 ? rule.argumentOf(t) : null;
      optionNegated = bang != null;
      if (bang != null) {
        raw.add(bang);
        negated = true;
      }
      raw.add(t);
      if (arity > 0) {
        raw.add(arg);
      }
      if (secondArgument != null) {
        raw.add(secondArgument);
      }
      value(c, t, arg);
    }

    final ParseException error(Token where, String problem) {
      return rule.error(where, problem);
    }

    /** An error at the {@code -m} unless {@code option} was given. */
    final void require(String option) {
      if (!given.containsKey(option)) {
        throw error(at, "-m " + name + " needs " + option);
      }
    }
  }
}
