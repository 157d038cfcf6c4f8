package dev.mlb.netfilter;

import dev.mlb.api.IpFamily;
import java.util.List;

/** Rendering and findings of one target alone in a rule, for the targets' unit tests. */
final class TargetTestSupport {
  private TargetTestSupport() {}

  static String render(Target t) {
    return RestoreWriter.renderRule(Rule.builder().target(t).build());
  }

  static List<String> findings(IpFamily family, TableName table, String chain, Target t) {
    return ModuleForms.findings(family, table, chain, Rule.builder().target(t).build());
  }

  /** The problem mlb reports for {@code -A CHAIN RULE}, without the source, line and column. */
  static String refusal(IpFamily family, String table, String chain, String rule) {
    try {
      ModuleForms.read(family, table, chain, rule);
    } catch (dev.mlb.api.ParseException e) {
      return e.problem();
    }
    throw new AssertionError("mlb read " + rule);
  }
}
