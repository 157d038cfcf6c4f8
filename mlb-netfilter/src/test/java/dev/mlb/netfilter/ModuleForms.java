package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The check behind the modules' tables of canonical forms and refusals: one rule read by mlb,
 * against what iptables-save printed for it (or the start of mlb's refusal).
 *
 * <pre>{@code
 * ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-j LOG --log-level 4", "-j LOG", "same");
 * ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-j LOG --log-level 8", "refused: ...", "log level \"8\"");
 * }</pre>
 */
final class ModuleForms {
  private ModuleForms() {}

  /**
   * Reads {@code -A CHAIN RULE} in {@code table}; when {@code mlb} is "same", checks that mlb
   * writes {@code saved} (what iptables-save printed after {@code -A CHAIN}) and that validation
   * finds no error; otherwise checks that mlb refuses the rule with a problem starting with
   * {@code mlb}.
   */
  static Rule check(IpFamily family, String table, String chain, String rule, String saved, String mlb) {
    TableName name = TableName.fromId(table).orElseThrow();
    String declare = name.hook(chain).isPresent() ? "" : ":" + chain + " - [0:0]\n";
    String text = "*" + table + "\n" + declare + "-A " + chain + " " + rule + "\nCOMMIT\n";
    if (mlb.equals("same")) {
      Ruleset r = RestoreParser.parse("t", text, family);
      Rule read = r.table(name).orElseThrow().chain(chain).orElseThrow().rules().get(0);
      assertEquals(" " + saved.strip(), RestoreWriter.renderRule(read), () -> "mlb's text for " + rule);
      List<String> errors = r.validate().stream().filter(Finding::isError)
          .map(Finding::toString).collect(Collectors.toList());
      assertEquals(List.of(), errors, () -> "validation of " + rule);
      return read;
    }
    ParseException e = assertThrows(ParseException.class, () -> RestoreParser.parse("t", text, family), rule);
    assertTrue(e.problem().startsWith(mlb), () -> e.problem() + "\ndoes not start with\n" + mlb);
    return null;
  }

  /** {@code -A CHAIN RULE} in {@code table}, as mlb reads it (the chain declared if it is not built in). */
  static Rule read(IpFamily family, String table, String chain, String rule) {
    TableName name = TableName.fromId(table).orElseThrow();
    String declare = name.hook(chain).isPresent() ? "" : ":" + chain + " - [0:0]\n";
    String text = "*" + table + "\n" + declare + "-A " + chain + " " + rule + "\nCOMMIT\n";
    return RestoreParser.parse("t", text, family).table(name).orElseThrow().chain(chain).orElseThrow().rules().get(0);
  }

  /** The findings of validating {@code rule} alone in {@code table}'s {@code chain}. */
  static List<String> findings(IpFamily family, TableName table, String chain, Rule rule) {
    Ruleset r = Ruleset.builder().family(family)
        .addTables(Table.builder().name(table).addChains(Chain.builder().name(chain).addRules(rule).build()).build())
        .build();
    return r.validate().stream().map(Finding::toString).collect(Collectors.toList());
  }
}
