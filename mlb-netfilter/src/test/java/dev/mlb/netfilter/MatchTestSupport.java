package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.List;
import java.util.stream.Collectors;

/** Rendering, reading, findings and refusals of matches in filter INPUT, for the matches' unit tests. */
final class MatchTestSupport {
  private MatchTestSupport() {}

  /** The rule of {@code matches} alone, as it follows {@code -A CHAIN}. */
  static String render(Match... matches) {
    return RestoreWriter.renderRule(Rule.builder().addMatches(matches).build());
  }

  /** The rule mlb reads from {@code -A INPUT RULE} in the filter table. */
  static Rule read(IpFamily family, String rule) {
    String text = "*filter\n-A INPUT " + rule + "\nCOMMIT\n";
    return RestoreParser.parse("t", text, family).table(TableName.FILTER).orElseThrow()
        .chain("INPUT").orElseThrow().rules().get(0);
  }

  /** The findings of {@code rules} in filter INPUT. */
  static List<String> findings(IpFamily family, Rule... rules) {
    Ruleset r = Ruleset.builder().family(family)
        .addTables(Table.builder().name(TableName.FILTER).addChains(Chain.builder().name("INPUT")
            .addRules(rules).build()).build())
        .build();
    return r.validate().stream().map(Finding::toString).collect(Collectors.toList());
  }

  /** The findings of a rule with {@code m} alone in filter INPUT. */
  static List<String> findings(IpFamily family, Match m) {
    return findings(family, TableName.FILTER, "INPUT", m);
  }

  /** The findings of a rule with {@code m} alone in {@code chain} of {@code table}. */
  static List<String> findings(IpFamily family, TableName table, String chain, Match m) {
    return ModuleForms.findings(family, table, chain, Rule.builder().addMatches(m).build());
  }

  /** The first line of mlb's refusal of {@code -A INPUT -m MODULE OPTIONS}. */
  static String refusal(IpFamily family, String module, String options) {
    String text = "*filter\n-A INPUT -m " + module + options + "\nCOMMIT\n";
    return assertThrows(ParseException.class, () -> RestoreParser.parse("t", text, family)).getMessage()
        .split("\n")[0];
  }
}
