package dev.mlb.netfilter;

import static dev.mlb.netfilter.MatchTestSupport.findings;
import static dev.mlb.netfilter.MatchTestSupport.render;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code -m connlimit} built in code, and mlb's refusals. The canonical forms read from text are in
 * {@code extension-cases/connlimit.cases} (recorded from iptables-nft 1.8.9).
 */
class ConnlimitMatchTest {

  private static String refusal(String options) {
    String text = "*filter\n-A INPUT -m connlimit" + options + "\nCOMMIT\n";
    return assertThrows(ParseException.class, () -> RestoreParser.parse("t", text, IpFamily.V4)).getMessage();
  }

  @Test
  void factoriesRenderAsIptablesSavePrints() {
    // The expected texts are iptables-save's (connlimit.cases rows 1, 2 and 5).
    assertEquals(" -m connlimit --connlimit-above 10 --connlimit-mask 32 --connlimit-saddr",
        render(ConnlimitMatch.above(10, 32)));
    assertEquals(" -m connlimit --connlimit-upto 0 --connlimit-mask 32 --connlimit-saddr",
        render(ConnlimitMatch.upto(0, 32)));
    assertEquals(" -m connlimit --connlimit-above 16 --connlimit-mask 24 --connlimit-daddr",
        render(ConnlimitMatch.above(16, 24).byDestination()));
    assertEquals(new ConnlimitMatch(4, true, 64, true), ConnlimitMatch.upto(4, 64).byDestination());
    assertEquals("connlimit", ConnlimitMatch.above(1, 0).module());
  }

  @Test
  void valuesOutsideTheKernelsFieldsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> ConnlimitMatch.above(-1, 32));
    assertThrows(IllegalArgumentException.class, () -> ConnlimitMatch.above(4_294_967_296L, 32));
    assertThrows(IllegalArgumentException.class, () -> ConnlimitMatch.above(1, 129));
    assertThrows(IllegalArgumentException.class, () -> ConnlimitMatch.above(1, -1));
  }

  @Test
  void aWideMaskInAnIpv4RulesetIsAWarning() {
    assertEquals(List.of(), findings(IpFamily.V4, ConnlimitMatch.above(1, 32)));
    assertEquals(List.of(), findings(IpFamily.V6, ConnlimitMatch.above(1, 128)));
    assertEquals(List.of("warning [connlimit-mask] table filter, chain INPUT, rule 1: -m connlimit --connlimit-mask 64"
        + " in an IPv4 ruleset; the kernel keeps it as 32 (iptables-save prints --connlimit-mask 32)"),
        findings(IpFamily.V4, ConnlimitMatch.above(1, 64)));
  }

  @Test
  void refusalsNameTheWordAndWhatWasExpected() {
    String m = refusal(" --connlimit-above -1");
    assertTrue(m.contains("bad value \"-1\" for --connlimit-above; expected a number from 0 to 4294967295"), m);
    assertTrue(m.contains("line 2"), m);
    m = refusal(" --connlimit-upto 1 --connlimit-above 1");
    assertTrue(m.contains("--connlimit-above cannot be given with --connlimit-upto"), m);
    m = refusal(" --connlimit-above 1 --connlimit-saddr --connlimit-daddr");
    assertTrue(m.contains("--connlimit-daddr cannot be given with --connlimit-saddr"), m);
    m = refusal(" --connlimit-mask 24");
    assertTrue(m.contains("-m connlimit needs --connlimit-above or --connlimit-upto"), m);
    m = refusal(" --connlimit-above 1 --connlimit-mask 129");
    assertTrue(m.contains("bad value \"129\" for --connlimit-mask; expected a prefix length from 0 to 128"), m);
    m = refusal(" --connlimit-above 1 ! --connlimit-saddr");
    assertTrue(m.contains("cannot be negated"), m);
  }
}
