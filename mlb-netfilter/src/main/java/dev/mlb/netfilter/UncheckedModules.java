package dev.mlb.netfilter;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.mlb.api.Finding;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The matches and targets of a ruleset that mlb keeps verbatim (modules it does not model, or
 * modelled ones used with an option it does not model), each with the number of rules using it and
 * the first of them: what passes through unchecked.
 *
 * <pre>{@code
 * UncheckedModules u = UncheckedModules.of(ruleset);
 * u.toString();        // "LED ×2, u32 ×1"
 * u.counts();          // {LED=2, u32=1}, in the order of first use
 * }</pre>
 *
 * <p>{@link Ruleset#validate()} reports each as one warning {@code not-checked} at its first rule.
 *
 * @param counts each module's name ({@code owner} for {@code -m owner}, {@code LOG} for
 *     {@code -j LOG}) and how many rules use it, in the order of first use
 * @param first each module's first rule, as a location text ({@code table filter, chain INPUT, rule 3})
 */
public record UncheckedModules(ImmutableMap<String, Integer> counts, ImmutableMap<String, String> first) {

  /** The unchecked modules of {@code ruleset}. */
  public static UncheckedModules of(Ruleset ruleset) {
    Counter counter = new Counter();
    for (Table t : ruleset.tables()) {
      for (Chain c : t.chains()) {
        List<Rule> rules = c.rules();
        for (int i = 0; i < rules.size(); i++) {
          counter.add(rules.get(i), t.name(), c.name(), i + 1);
        }
      }
    }
    return counter.result();
  }

  /** Whether every module of the ruleset is modelled. */
  public boolean isEmpty() {
    return counts.isEmpty();
  }

  /** {@code LED ×2, u32 ×1}, or an empty text. */
  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    counts.forEach((name, n) -> out.append(out.length() == 0 ? "" : ", ").append(name).append(" \u00d7").append(n));
    return out.toString();
  }

  /** Counts the opaque matches and targets of the rules given to it. */
  static final class Counter {
    private final Map<String, int[]> counts = new LinkedHashMap<>();
    private final Map<String, String> first = new LinkedHashMap<>();
    /** The kind of each name: "-m" or "-j". */
    private final Map<String, String> kinds = new LinkedHashMap<>();

    void add(Rule rule, TableName table, String chain, int index) {
      for (Match m : rule.matches()) {
        if (m instanceof OpaqueMatch o) {
          count(o.module(), "-m", table, chain, index);
        }
      }
      if (rule.target().isPresent() && rule.target().get() instanceof OpaqueTarget t
          && RulesetValidator.TARGET_NAMES.contains(t.name())) {
        count(t.name(), "-j", table, chain, index);
      }
    }

    private void count(String name, String kind, TableName table, String chain, int index) {
      int[] n = counts.computeIfAbsent(name, k -> new int[1]);
      if (n[0]++ == 0) {
        first.put(name, RulesetValidator.location(table, chain, index));
        kinds.put(name, kind);
      }
    }

    UncheckedModules result() {
      ImmutableMap.Builder<String, Integer> c = ImmutableMap.builder();
      counts.forEach((name, n) -> c.put(name, n[0]));
      return new UncheckedModules(c.build(), ImmutableMap.copyOf(first));
    }

    /** One warning {@code not-checked} per module, at its first rule. */
    List<Finding> findings() {
      List<Finding> out = new ArrayList<>(counts.size());
      counts.forEach((name, n) -> out.add(Finding.warning("not-checked", first.get(name),
          kinds.get(name) + " " + name + " is kept verbatim in " + n[0] + (n[0] == 1 ? " rule" : " rules")
              + (n[0] == 1 ? "" : " (this is the first)") + "; mlb does not check or simulate it")));
      return ImmutableList.copyOf(out);
    }
  }
}
