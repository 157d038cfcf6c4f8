package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;

import dev.mlb.api.Finding;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@code parse(render(r)).equals(r)} for generated valid rulesets, and render is a fixed point. */
class RestoreParserRoundTripTest {

  @Test
  void generatedRulesetsAreValid() {
    qt().withExamples(200).forAll(RulesetGen.rulesets()).checkAssert(r -> {
      List<Finding> errors = r.validate().stream().filter(Finding::isError).collect(Collectors.toList());
      assertEquals(List.of(), errors, r::toString);
    });
  }

  @Test
  void parseOfRenderIsTheSameRuleset() {
    qt().withExamples(1000).forAll(RulesetGen.rulesets()).checkAssert(r -> {
      String text = RestoreWriter.render(r);
      Ruleset back = RestoreParser.parse("-", text, r.family());
      assertEquals(r, back, text);
      assertEquals(text, RestoreWriter.render(back));
    });
  }
}
