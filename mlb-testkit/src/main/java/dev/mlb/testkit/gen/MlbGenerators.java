package dev.mlb.testkit.gen;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ValidationException;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Ruleset;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * QuickTheories adapters for mlb's seeded generators. QuickTheories is an optional dependency of
 * mlb-testkit: add it to your test scope to use this class.
 *
 * <pre>{@code
 * qt().withExamples(1000)
 *     .forAll(MlbGenerators.rulesets(IpFamily.V4))
 *     .check(r -> RestoreParser.parse("-", RestoreWriter.render(r), IpFamily.V4).equals(r));
 * }</pre>
 *
 * <p>Each example is drawn from a {@link RulesetGenerator} seeded by a long that QuickTheories
 * draws; a failing example is reported as its rendered restore text. Shrinking shrinks the seed,
 * so a "shrunk" example is another valid ruleset, not a smaller one.
 */
public final class MlbGenerators {
  private MlbGenerators() {}

  /** Valid rulesets of {@code family}, as {@link RulesetGenerator#next(IpFamily)} makes them. */
  public static Gen<Ruleset> rulesets(IpFamily family) {
    return Generate.longRange(Long.MIN_VALUE, Long.MAX_VALUE)
        .map(seed -> new RulesetGenerator(seed).next(family))
        .describedAs(MlbGenerators::describe);
  }

  /** Comment texts as {@link RulesetGenerator#nextComment()} makes them. */
  public static Gen<String> comments() {
    return Generate.longRange(Long.MIN_VALUE, Long.MAX_VALUE)
        .map(seed -> new RulesetGenerator(seed).nextComment());
  }

  private static String describe(Ruleset r) {
    try {
      return "\n" + RestoreWriter.render(r);
    } catch (ValidationException e) {
      return r + "\n(does not render: " + e.getMessage() + ")";
    }
  }
}
