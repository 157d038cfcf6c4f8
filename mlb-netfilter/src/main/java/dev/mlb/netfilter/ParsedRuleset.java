package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import dev.mlb.api.Finding;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * A parsed ruleset together with the source line of every rule and chain declaration, so that a
 * validation finding can point at the line it is about.
 *
 * <pre>{@code
 * ParsedRuleset parsed = RestoreParser.parseWithLines("rules.v4", text, IpFamily.V4);
 * for (Finding f : parsed.ruleset().validate()) {
 *   OptionalInt line = parsed.lineOf(f);   // e.g. 12 for "table mangle, chain balance1, rule 3"
 *   System.err.println((line.isPresent() ? "line " + line.getAsInt() + ": " : "") + f.message());
 * }
 * }</pre>
 *
 * <p>The keys are the location texts {@link Ruleset#validate()} puts into its findings:
 * {@code "table mangle, chain balance1, rule 3"} for a rule (counted from 1 within its chain, in
 * the final order, so {@code -I} is taken into account) and {@code "table mangle, chain balance1"}
 * for a chain that was declared by a {@code :CHAIN} line or {@code -N}. Built-in chains that were
 * never declared have no line.
 *
 * <p>The lines are kept compactly, one {@code int[]} per chain (its declaration's line, then its
 * rules' lines); {@link #lines()} spells them out as a map only when asked for.
 */
public final class ParsedRuleset {

  private final Ruleset ruleset;
  /** "table T, chain C" to {declaration line or 0, rule 1's line, rule 2's line, ...}. */
  private final Map<String, int[]> chains;

  /**
   * @param ruleset the ruleset
   * @param lines location text to 1-based line number
   */
  public ParsedRuleset(Ruleset ruleset, Map<String, Integer> lines) {
    checkArgument(ruleset != null, "ruleset is null");
    checkArgument(lines != null, "lines is null");
    this.ruleset = ruleset;
    this.chains = new HashMap<>();
    for (Map.Entry<String, Integer> e : lines.entrySet()) {
      String location = e.getKey();
      int line = e.getValue();
      int cut = ruleCut(location);
      if (cut < 0) {
        put(chains, location, 0, line, null);
      } else {
        int index = Integer.parseInt(location.substring(cut + RULE.length()));
        int[] one = new int[index];
        one[index - 1] = line;
        put(chains, location.substring(0, cut), index, 0, one);
      }
    }
  }

  private ParsedRuleset(Ruleset ruleset, Map<String, int[]> chains, boolean compact) {
    this.ruleset = ruleset;
    this.chains = chains;
  }

  /** The ruleset with the lines of its chains, as the parser collected them ({@link Lines}). */
  static ParsedRuleset of(Ruleset ruleset, Lines lines) {
    return new ParsedRuleset(ruleset, lines.chains, true);
  }

  /** The lines of a ruleset's chains and rules, added table by table as the parser commits them. */
  static final class Lines {
    private final Map<String, int[]> chains = new HashMap<>();

    /**
     * Adds a chain's lines: {@code chainLine} (0: not declared) and the first {@code count} of
     * {@code ruleLines}. A table given twice keeps, location by location, the last line given.
     */
    void add(TableName table, String chain, int chainLine, int[] ruleLines, int count) {
      put(chains, RulesetValidator.location(table, chain), count, chainLine, ruleLines);
    }
  }

  private static final String RULE = ", rule ";

  /** Where {@code ", rule N"} starts in a rule's location text, or -1 for a chain's. */
  private static int ruleCut(String location) {
    int cut = location.lastIndexOf(RULE);
    // "rule 0" and "rule 01" are no rule's location: kept as they are, like a chain's.
    if (cut < 0 || cut + RULE.length() == location.length() || location.charAt(cut + RULE.length()) == '0') {
      return -1;
    }
    for (int i = cut + RULE.length(); i < location.length(); i++) {
      char c = location.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
    }
    return location.length() - cut - RULE.length() > 9 ? -1 : cut;
  }

  /** Merges lines into {@code chains}, later lines (non-zero) winning, as a map keeping the last would. */
  private static void put(Map<String, int[]> chains, String key, int count, int chainLine, int[] ruleLines) {
    int[] old = chains.get(key);
    int[] lines = new int[1 + Math.max(count, old == null ? 0 : old.length - 1)];
    if (old != null) {
      System.arraycopy(old, 0, lines, 0, old.length);
    }
    if (chainLine > 0) {
      lines[0] = chainLine;
    }
    for (int i = 0; i < count; i++) {
      if (ruleLines[i] > 0) {
        lines[1 + i] = ruleLines[i];
      }
    }
    chains.put(key, lines);
  }

  /** The ruleset. */
  public Ruleset ruleset() {
    return ruleset;
  }

  /** Location text to 1-based line number, for every declared chain and every rule (built on each call). */
  public ImmutableMap<String, Integer> lines() {
    ImmutableMap.Builder<String, Integer> b = ImmutableMap.builder();
    for (Map.Entry<String, int[]> e : chains.entrySet()) {
      int[] lines = e.getValue();
      if (lines[0] > 0) {
        b.put(e.getKey(), lines[0]);
      }
      for (int i = 1; i < lines.length; i++) {
        if (lines[i] > 0) {
          b.put(e.getKey() + RULE + i, lines[i]);
        }
      }
    }
    return b.buildOrThrow();
  }

  /** The line of the rule {@code index} (from 1) of {@code chain} in {@code table}. */
  public OptionalInt ruleLine(TableName table, String chain, int index) {
    int[] lines = chains.get(RulesetValidator.location(table, chain));
    return lines == null || index < 1 || index >= lines.length || lines[index] == 0
        ? OptionalInt.empty() : OptionalInt.of(lines[index]);
  }

  /** The line that declared {@code chain} in {@code table}. */
  public OptionalInt chainLine(TableName table, String chain) {
    int[] lines = chains.get(RulesetValidator.location(table, chain));
    return lines == null || lines[0] == 0 ? OptionalInt.empty() : OptionalInt.of(lines[0]);
  }

  /** The line of a location text as findings carry it. */
  public OptionalInt line(String location) {
    if (location == null) {
      return OptionalInt.empty();
    }
    int cut = ruleCut(location);
    int index = cut < 0 ? 0 : Integer.parseInt(location.substring(cut + RULE.length()));
    int[] lines = chains.get(cut < 0 ? location : location.substring(0, cut));
    if (lines != null && index < lines.length && lines[index] > 0) {
      return OptionalInt.of(lines[index]);
    }
    return OptionalInt.empty();
  }

  /** The line a finding is about, if its location is a rule or a declared chain. */
  public OptionalInt lineOf(Finding finding) {
    return line(finding.location());
  }

  /**
   * The finding for a person reading the file: {@code line N: } and the finding's text, or the
   * finding's text alone when it has no line.
   *
   * <pre>{@code
   * parsed.describe(f)
   * // line 4: error [interface-direction] table mangle, chain PREROUTING, rule 2: -o eth0 in chain ...
   * }</pre>
   */
  public String describe(Finding finding) {
    OptionalInt n = lineOf(finding);
    return n.isPresent() ? "line " + n.getAsInt() + ": " + finding : finding.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ParsedRuleset p && ruleset.equals(p.ruleset) && lines().equals(p.lines());
  }

  @Override
  public int hashCode() {
    return Objects.hash(ruleset, lines());
  }

  @Override
  public String toString() {
    return "ParsedRuleset[ruleset=" + ruleset + ", lines=" + lines() + "]";
  }
}
