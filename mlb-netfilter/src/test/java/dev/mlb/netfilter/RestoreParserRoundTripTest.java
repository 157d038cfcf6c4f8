package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import dev.mlb.api.Finding;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@code parse(render(r)).equals(r)} for generated valid rulesets, and render is a fixed point. */
class RestoreParserRoundTripTest {

  @Test
  void generatedRulesetsAreValid() {
    qt().withExamples(200).withFixedSeed(20261204L).forAll(RulesetGen.rulesets()).checkAssert(r -> {
      List<Finding> errors = r.validate().stream().filter(Finding::isError).collect(Collectors.toList());
      assertEquals(List.of(), errors, r::toString);
    });
  }

  @Test
  void parseOfRenderIsTheSameRuleset() {
    qt().withExamples(1000).withFixedSeed(20261205L).forAll(RulesetGen.rulesets()).checkAssert(r -> {
      String text = RestoreWriter.render(r);
      Ruleset back = RestoreParser.parse("-", text, r.family());
      assertEquals(r, back, text);
      assertEquals(text, RestoreWriter.render(back));
    });
  }

  @Test
  void everyRuleLineIsTheLineThatAddsIt() {
    qt().withExamples(300).withFixedSeed(20261206L).forAll(RulesetGen.rulesets()).checkAssert(r -> {
      String text = RestoreWriter.render(r);
      String[] lines = text.split("\n", -1);
      ParsedRuleset parsed = RestoreParser.parseWithLines("-", text, r.family());
      int rules = 0;
      for (Table t : r.tables()) {
        for (Chain c : t.chains()) {
          OptionalInt decl = parsed.chainLine(t.name(), c.name());
          assertTrue(decl.isPresent(), c.name());
          assertTrue(lines[decl.getAsInt() - 1].startsWith(":" + c.name() + " "));
          for (int i = 1; i <= c.rules().size(); i++) {
            int n = parsed.ruleLine(t.name(), c.name(), i).orElseThrow();
            assertEquals("-A " + c.name() + RestoreWriter.renderRule(c.rules().get(i - 1)),
                lines[n - 1]);
            rules++;
          }
        }
      }
      long declared = r.tables().stream().mapToLong(t -> t.chains().size()).sum();
      assertEquals(rules + declared, parsed.lines().size());
    });
  }
}
