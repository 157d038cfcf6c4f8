package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import dev.mlb.api.Finding;
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
 * @param ruleset the ruleset
 * @param lines location text to 1-based line number
 */
public record ParsedRuleset(Ruleset ruleset, ImmutableMap<String, Integer> lines) {

  public ParsedRuleset {
    checkArgument(ruleset != null, "ruleset is null");
    lines = ImmutableMap.copyOf(lines);
  }

  /** The line of the rule {@code index} (from 1) of {@code chain} in {@code table}. */
  public OptionalInt ruleLine(TableName table, String chain, int index) {
    return line(RulesetValidator.location(table, chain, index));
  }

  /** The line that declared {@code chain} in {@code table}. */
  public OptionalInt chainLine(TableName table, String chain) {
    return line(RulesetValidator.location(table, chain));
  }

  /** The line of a location text as findings carry it. */
  public OptionalInt line(String location) {
    Integer n = lines.get(location);
    return n == null ? OptionalInt.empty() : OptionalInt.of(n);
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
}
