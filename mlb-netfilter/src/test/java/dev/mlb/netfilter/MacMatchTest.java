package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** MacMatch built in code: factories, its text and the hooks the kernel allows (xt_mac.c's checkentry). */
class MacMatchTest {

  private static List<String> findings(Match m, TableName table, String chain) {
    Ruleset r = Ruleset.builder().family(IpFamily.V4)
        .addTables(Table.builder().name(table).addChains(Chain.builder().name(chain)
            .addRules(Rule.builder().addMatches(m).build()).build()).build())
        .build();
    return r.validate().stream().map(Finding::toString).collect(Collectors.toList());
  }

  @Test
  void factoriesAndText() {
    assertEquals(new MacMatch(List.of(0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f), false), MacMatch.source("AA:bb:cc:dd:ee:f"));
    assertEquals(" -m mac ! --mac-source 42:01:02:03:04:05",
        RestoreWriter.renderRule(Rule.builder().addMatches(MacMatch.notSource("42:1:2:3:4:5")).build()));
    assertEquals("00:01:02:03:04:ff", MacMatch.source(":1:2:3:4:-1").text());
    assertEquals("mac", MacMatch.source("42:01:02:03:04:05").module());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MacMatch.source("42-01-02-03-04-05"));
    assertEquals("bad MAC address \"42-01-02-03-04-05\"; expected six hex bytes like aa:bb:cc:dd:ee:0f", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new MacMatch(List.of(1, 2, 3, 4, 5, 256), false));
    assertThrows(IllegalArgumentException.class, () -> new MacMatch(List.of(1, 2, 3, 4, 5), false));
  }

  @Test
  void onlyChainsReachedFromPreroutingInputOrForward() {
    assertEquals(List.of(), findings(MacMatch.source("42:01:02:03:04:05"), TableName.FILTER, "FORWARD"));
    assertEquals(List.of("error [match-hook] table filter, chain OUTPUT, rule 1: -m mac in chain OUTPUT, which is"
        + " reached from [OUTPUT]; the kernel takes it only from [PREROUTING, INPUT, FORWARD]"),
        findings(MacMatch.source("42:01:02:03:04:05"), TableName.FILTER, "OUTPUT"));
  }

  @Test
  void badAddressInARuleNamesLineAndColumn() {
    ParseException e = assertThrows(ParseException.class, () -> RestoreParser.parse("t",
        "*filter\n-A INPUT -m mac --mac-source 42:01:02:03:04\nCOMMIT\n", IpFamily.V4));
    // "-A INPUT -m mac --mac-source " is 29 characters: the address starts at column 30.
    assertEquals("line 2, column 30: bad MAC address \"42:01:02:03:04\" for --mac-source; expected six hex bytes"
        + " like aa:bb:cc:dd:ee:0f", e.getMessage().split("\n")[0]);
  }
}
