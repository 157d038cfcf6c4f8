package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code -m rpfilter} built in code, and the exact messages of its refusals (the kernel's forms are
 * in {@code extension-cases/rpfilter.cases}, RpfilterCasesTest).
 */
class RpfilterMatchTest {

  private static Rule drop(RpfilterMatch m) {
    return Rule.builder().addMatches(m).target(Verdict.DROP).build();
  }

  @Test
  void factoriesRenderAsIptablesSavePrints() {
    assertEquals(" -m rpfilter -j DROP", RestoreWriter.renderRule(drop(RpfilterMatch.strict())));
    assertEquals(" -m rpfilter --loose --validmark --accept-local --invert -j DROP",
        RestoreWriter.renderRule(drop(RpfilterMatch.looseCheck().inverted().withAcceptLocal().withValidMark())));
    assertEquals(new RpfilterMatch(false, false, false, true), RpfilterMatch.strict().inverted());
  }

  @Test
  void theKernelsTablesAndHooksAreFindings() {
    assertEquals(List.of(), ModuleForms.findings(IpFamily.V4, TableName.RAW, "PREROUTING", drop(RpfilterMatch.strict())));
    assertEquals(List.of(), ModuleForms.findings(IpFamily.V6, TableName.MANGLE, "PREROUTING",
        drop(RpfilterMatch.looseCheck())));
    assertEquals(List.of("error [match-table] table filter, chain INPUT, rule 1: -m rpfilter is only valid in the raw"
        + " and mangle tables, not in filter; the kernel refuses it"),
        ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT", drop(RpfilterMatch.strict())));
    assertEquals(List.of("error [match-hook] table mangle, chain FORWARD, rule 1: -m rpfilter is only valid where"
        + " packets come from PREROUTING, but chain FORWARD is reached from [FORWARD]; the kernel refuses it"),
        ModuleForms.findings(IpFamily.V6, TableName.MANGLE, "FORWARD", drop(RpfilterMatch.strict())));
  }

  @Test
  void refusalsNameTheLineColumnAndWhatWasExpected() {
    ParseException twice = assertThrows(ParseException.class, () -> RestoreParser.parse("x",
        "*raw\n-A PREROUTING -m rpfilter --loose --loose -j DROP\nCOMMIT\n", IpFamily.V4));
    assertEquals("line 2, column 35: -m rpfilter: option \"--loose\" can only be given once",
        twice.getMessage().lines().findFirst().orElseThrow());
    ParseException negated = assertThrows(ParseException.class, () -> RestoreParser.parse("x",
        "*raw\n-A PREROUTING -m rpfilter ! --invert -j DROP\nCOMMIT\n", IpFamily.V4));
    assertEquals("line 2, column 27: -m rpfilter: option \"--invert\" cannot be negated",
        negated.getMessage().lines().findFirst().orElseThrow());
  }
}
