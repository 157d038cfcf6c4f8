package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import dev.mlb.netfilter.StringMatch.Algorithm;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code -m string} built in code: factories, rendering (always one quoted word), findings and
 * messages. The forms iptables reads and prints are in {@code extension-cases/string.cases}
 * (recorded from iptables-nft 1.8.9 on Linux 6.18).
 */
class StringMatchTest {

  private static Rule rule(Match m) {
    return Rule.builder().addMatches(m).target(Verdict.DROP).build();
  }

  private static String render(Match m) {
    return RestoreWriter.renderRule(rule(m));
  }

  @Test
  void factoriesRenderAsIptablesSavePrints() {
    assertEquals(" -m string --string \"GET /admin\" --algo bm -j DROP",
        render(StringMatch.of("GET /admin", Algorithm.BM)));
    assertEquals(" -m string ! --string \"host\" --algo kmp --to 64 --icase -j DROP",
        render(StringMatch.of("host", Algorithm.KMP).within(0, 64).ignoringCase().inverted()));
    assertEquals(" -m string --hex-string \"|0001ff|\" --algo bm --from 2 -j DROP",
        render(StringMatch.of(new byte[] {0, 1, (byte) 0xff}, Algorithm.BM).within(2, 65535)));
    // Printable bytes given as hex print as text, as iptables-save does.
    assertEquals(" -m string --string \"AB\" --algo bm -j DROP", render(StringMatch.of(new byte[] {0x41, 0x42},
        Algorithm.BM)));
    assertEquals(StringMatch.of("AB", Algorithm.BM), StringMatch.of(new byte[] {0x41, 0x42}, Algorithm.BM));
    assertNotEquals(StringMatch.of("AB", Algorithm.BM), StringMatch.of("AB", Algorithm.KMP));
    assertEquals("-m string --string \"a\" --algo bm", StringMatch.of("a", Algorithm.BM).toString());
  }

  @Test
  void noPatternCanAddWordsOrLinesToTheRule() {
    // Quotes and backslashes are escaped; a line break, a tab or a trailing backslash turn the pattern into hex.
    assertEquals(" -m string --string \"a\\\" -j ACCEPT \\\\x\" --algo bm -j DROP",
        render(StringMatch.of("a\" -j ACCEPT \\x", Algorithm.BM)));
    assertEquals(" -m string --hex-string \"|610a2d6a|\" --algo bm -j DROP",
        render(StringMatch.of("a\n-j", Algorithm.BM)));
    assertEquals(" -m string --hex-string \"|615c|\" --algo bm -j DROP", render(StringMatch.of("a\\", Algorithm.BM)));
    assertTrue(StringMatch.of("a\t", Algorithm.BM).printsAsHex());
    assertFalse(StringMatch.of("a b", Algorithm.BM).printsAsHex());
    for (String text : List.of("a\" -j ACCEPT \\x", "a\n-j", "a\\", "\"", "|41|", "x\r\ny")) {
      StringMatch m = StringMatch.of(text, Algorithm.KMP).inverted();
      Rule back = ModuleForms.read(IpFamily.V4, "filter", "INPUT", render(m).strip());
      assertEquals(rule(m), back, text);
    }
  }

  @Test
  void thePatternIsCopied() {
    byte[] bytes = {1, 2};
    StringMatch m = StringMatch.of(bytes, Algorithm.BM);
    bytes[0] = 9;
    m.pattern()[1] = 9;
    assertEquals(StringMatch.of(new byte[] {1, 2}, Algorithm.BM), m);
  }

  @Test
  void findingsNameTheKernelsRefusals() {
    assertEquals(List.of("error [string-pattern] table filter, chain INPUT, rule 1: -m string pattern is 129 bytes;"
        + " the kernel takes 1 to 128"), ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT",
            rule(StringMatch.of("x".repeat(129), Algorithm.BM))));
    assertEquals(List.of("error [string-pattern] table filter, chain INPUT, rule 1: -m string pattern is 0 bytes;"
        + " the kernel takes 1 to 128"), ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT",
            rule(StringMatch.of("", Algorithm.BM))));
    assertEquals(List.of("error [string-offset] table filter, chain INPUT, rule 1: -m string --from 10 --to 5:"
        + " expected offsets from 0 to 65535 with --from not above --to"),
        ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT",
            rule(StringMatch.of("a", Algorithm.BM).within(10, 5))));
  }

  @Test
  void badInputIsRefusedWithWhatWasExpected() {
    ParseException e = assertThrows(ParseException.class, () -> ModuleForms.read(IpFamily.V4, "filter", "INPUT",
        "-m string --string x --algo fsm"));
    assertEquals("-m string: algorithm \"fsm\" unknown; expected bm or kmp (the kernel's fsm takes a token program,"
        + " not a string)", e.problem());
    e = assertThrows(ParseException.class, () -> ModuleForms.read(IpFamily.V4, "filter", "INPUT",
        "-m string --hex-string \"|0g|\" --algo bm"));
    assertEquals("--hex-string \"|0g|\": 'g' is not a hex digit; expected pairs of hex digits between two |",
        e.problem());
    e = assertThrows(ParseException.class, () -> ModuleForms.read(IpFamily.V4, "filter", "INPUT",
        "-m string --string x"));
    assertEquals("-m string needs --algo", e.problem());
    e = assertThrows(ParseException.class, () -> ModuleForms.read(IpFamily.V4, "filter", "INPUT",
        "-m string --algo bm"));
    assertEquals("-m string needs --string TEXT or --hex-string HEX", e.problem());
  }
}
