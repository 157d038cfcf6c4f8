package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * mlb refuses what the real iptables-restore refuses: every rule of {@code iptables-rejects.txt}
 * (each one refused by iptables-restore 1.8.9 in a network namespace) is a parse error or a
 * validation error. Where mlb is deliberately stricter than iptables, the cases are listed here.
 */
class RestoreParserAgreementTest {

  private static String file(String rule) {
    return "*mangle\n:balance1 - [0:0]\n-A PREROUTING " + rule + "\nCOMMIT\n";
  }

  /** The parse error or the validation errors for {@code rule}, or an empty list. */
  private static List<String> problems(String rule) {
    Ruleset r;
    try {
      r = RestoreParser.parse("-", file(rule), IpFamily.V4);
    } catch (ParseException e) {
      assertEquals(3, e.line(), e::getMessage);
      return List.of(e.getMessage());
    }
    return r.validate().stream().filter(Finding::isError).map(Finding::toString)
        .collect(Collectors.toList());
  }

  @Test
  void everyRuleIptablesRefusesMlbRefusesToo() throws IOException {
    List<String> accepted = new ArrayList<>();
    int cases = 0;
    for (String line : RestoreParserGoldenTest.resource("iptables-rejects.txt").split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      cases++;
      String rule = line.substring(0, line.indexOf('\t'));
      if (problems(rule).isEmpty()) {
        accepted.add(rule + "   (iptables: " + line.substring(line.indexOf('\t') + 1) + ")");
      }
    }
    assertTrue(cases >= 70, "only " + cases + " cases");
    if (!accepted.isEmpty()) {
      fail("mlb accepts what iptables refuses:\n" + String.join("\n", accepted));
    }
  }

  /**
   * iptables 1.8.9 loads these, mlb refuses them: things the model cannot hold (address lists, {@code :} in interface names) and option
   * combinations iptables silently ignores or reinterprets.
   */
  @ParameterizedTest
  @ValueSource(strings = {
    "-s 1.2.3.4,5.6.7.8",
    "-i eth0:1",
    "! -p tcp -m tcp --dport 80",
    "-j CONNMARK --set-mark 1 --nfmask 0xff",
  })
  void mlbIsStricterHere(String rule) {
    assertFalse(problems(rule).isEmpty(), rule);
  }
}
