package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code -m socket} built in code, and the exact messages of its refusals (the kernel's forms are
 * in {@code extension-cases/socket.cases}, SocketCasesTest).
 */
class SocketMatchTest {

  private static Rule accept(SocketMatch m) {
    return Rule.builder().addMatches(m).target(Verdict.ACCEPT).build();
  }

  @Test
  void factoriesRenderAsIptablesSavePrints() {
    assertEquals(" -m socket -j ACCEPT", RestoreWriter.renderRule(accept(SocketMatch.any())));
    assertEquals(" -m socket --transparent --nowildcard --restore-skmark -j ACCEPT", RestoreWriter.renderRule(
        accept(SocketMatch.any().restoringSocketMark().withoutWildcard().transparentOnly())));
  }

  @Test
  void onlyPreroutingAndInputReachIt() {
    assertEquals(List.of(), ModuleForms.findings(IpFamily.V4, TableName.MANGLE, "PREROUTING", accept(SocketMatch.any())));
    assertEquals(List.of(), ModuleForms.findings(IpFamily.V6, TableName.FILTER, "INPUT", accept(SocketMatch.any())));
    assertEquals(List.of("error [match-hook] table mangle, chain OUTPUT, rule 1: -m socket is only valid where packets"
        + " come from PREROUTING or INPUT, but chain OUTPUT is reached from [OUTPUT]; the kernel refuses it"),
        ModuleForms.findings(IpFamily.V4, TableName.MANGLE, "OUTPUT", accept(SocketMatch.any())));
  }

  @Test
  void anUnknownOptionNamesTheLineAndColumn() {
    ParseException e = assertThrows(ParseException.class, () -> RestoreParser.parse("x",
        "*mangle\n-A PREROUTING -m socket --wildcard -j ACCEPT\nCOMMIT\n", IpFamily.V4));
    assertEquals("line 2, column 25: unknown option \"--wildcard\" for -m socket; expected --transparent, --nowildcard or"
        + " --restore-skmark\n  -A PREROUTING -m socket [*]--wildcard -j ACCEPT", e.getMessage());
  }
}
