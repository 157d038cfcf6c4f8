package dev.mlb.netfilter;

import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One target extension ({@code -j NAME}) as mlb models it, as {@link MatchModule} is for matches:
 * its options, how a rule's words for it are read, its canonical text and its checks. Verdicts,
 * jumps and gotos are part of the rule grammar, not modules.
 *
 * <pre>{@code
 * TargetModule<Masquerade> m = MasqueradeModule.INSTANCE;
 * m.write(Masquerade.INSTANCE, out);   // " -j MASQUERADE"
 * }</pre>
 *
 * <p>A module reads one name into one or more target types ({@link #types()}: {@code -j CONNMARK}
 * is a {@link SetConnmark}, a {@link SaveConnmark} or a {@link RestoreConnmark}).
 *
 * @param <T> the target type, or a common supertype of its target types
 */
abstract class TargetModule<T extends Target> {
  private final String name;
  private final List<Class<? extends T>> types;

  TargetModule(String name, List<Class<? extends T>> types) {
    this.name = name;
    this.types = List.copyOf(types);
  }

  /** The name after {@code -j}. */
  final String name() {
    return name;
  }

  /** The target types; {@link Modules} finds the module of a target by them. */
  final List<Class<? extends T>> types() {
    return types;
  }

  /** The options, for messages and for which options the target takes. */
  abstract List<String> options();

  /** Options that take no argument. */
  Set<String> flags() {
    return Set.of();
  }

  /** Real options mlb does not model, with their number of arguments; they make the target opaque. */
  Map<String, Integer> unmodelled() {
    return Map.of();
  }

  /** Whether the option may be given more than once (iptables keeps no count of it). */
  boolean repeatable(String option) {
    return false;
  }

  /** Whether this is the pass-through for targets mlb does not model. */
  boolean isOpaque() {
    return false;
  }

  /** A reader for one {@code -j NAME} of a rule; {@code at} is the name's word. */
  abstract Reader reader(ModuleContext rule, Token at);

  /** Appends the target as {@code iptables-save} prints it, from the blank before {@code -j}. */
  abstract void write(T target, StringBuilder out);

  /**
   * Whether {@link #check} finds nothing for {@code target} in any table and chain: validation
   * skips the rule's target checks then, and rules whose other checks find nothing (false: check).
   */
  boolean passes(T target) {
    return false;
  }

  /** Reports what is wrong with {@code target} in {@code rule} ({@link Ruleset#validate()}). */
  abstract void check(T target, RuleContext rule, Findings findings);

  @Override
  public String toString() {
    return "-j " + name;
  }

  /** A target extension of a rule while its options are read. */
  abstract static class Reader {
    final TargetModule<?> module;
    final String name;
    final Token at;
    final ModuleContext rule;
    final List<Token> raw = new ArrayList<>(4);
    final GivenOptions given = new GivenOptions();
    boolean opaque;

    Reader(TargetModule<?> module, Token at, ModuleContext rule) {
      this.module = module;
      this.name = at.text();
      this.at = at;
      this.rule = rule;
      this.opaque = module.isOpaque();
    }

    final boolean knows(String option) {
      return module.options().contains(option) || module.unmodelled().containsKey(option);
    }

    /** Reads option {@code t} and its argument, if it takes one. */
    final void option(Token t) {
      Map<String, Integer> unmodelled = module.unmodelled();
      if (unmodelled.containsKey(t.text())) {
        opaque = true;
        raw.add(t);
        for (int i = 0; i < unmodelled.get(t.text()); i++) {
          raw.add(rule.argumentOf(t));
        }
        return;
      }
      if (given.containsKey(t.text()) && !module.repeatable(t.text())) {
        throw error(t, "-j " + name + ": option " + quoted(t.text()) + " can only be given once");
      }
      given.put(t.text(), t);
      raw.add(t);
      Token arg = null;
      if (!module.flags().contains(t.text())) {
        arg = rule.argumentOf(t);
        raw.add(arg);
      }
      value(t, arg);
    }

    /** Reads an option given once; {@code arg} is null for a flag. */
    abstract void value(Token option, Token arg);

    /** The target read; not called if it became opaque. */
    abstract Target finish();

    final ParseException error(Token where, String problem) {
      return rule.error(where, problem);
    }
  }
}
