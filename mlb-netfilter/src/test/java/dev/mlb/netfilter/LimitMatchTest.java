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

/** {@code -m limit}: its canonical forms and refusals, as iptables-nft 1.8.9 has them. */
class LimitMatchTest {

  /**
   * Each row: the options after {@code -m limit}; what {@code iptables-save} printed after
   * {@code iptables-restore} loaded {@code -A INPUT -m limit OPTIONS -j ACCEPT} (or "refused:" and
   * what iptables-restore said); what mlb reads it as ("same" when it is the saved text).
   *
   * <p>Made with iptables v1.8.9 (nf_tables) on Linux 6.18, in a network namespace made for it
   * ({@code ip netns add mlb-lim-$$}, {@code ip netns exec NS iptables-restore < rules; ip netns exec
   * NS iptables-save}, then {@code ip netns del}), and read against {@code parse_rate},
   * {@code print_rate} and the option table of iptables' {@code extensions/libxt_limit.c}
   * ({@code XT_LIMIT_SCALE} 10000, default 3/hour and burst 5, burst 0 to 10000). mlb refuses
   * where it is stricter than iptables' {@code atoi} ("5x/sec", "-5/sec"). iptables-legacy also
   * refuses {@code --limit-burst 0} and {@code --limit 1/day} with burst 5 (the kernel's xt_limit:
   * "Overflow, try lower"), which iptables-nft's limit expression takes. LimitKernelTest (mlb-testkit)
   * checks the accepted and refused forms against the running kernel.
   */
  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
    "                                 | -m limit --limit 3/hour                          | same",
    "--limit 5/sec                    | -m limit --limit 5/sec                           | same",
    "--limit 5                        | -m limit --limit 5/sec                           | same",
    "--limit 5/s                      | -m limit --limit 5/sec                           | same",
    "--limit 5/SECOND                 | -m limit --limit 5/sec                           | same",
    "--limit 5/m                      | -m limit --limit 5/min                           | same",
    "--limit 5/h                      | -m limit --limit 5/hour                          | same",
    "--limit 5/d                      | -m limit --limit 5/day                           | same",
    "--limit 13/min                   | -m limit --limit 13/min                          | same",
    "--limit 90/min                   | -m limit --limit 90/min                          | same",
    "--limit 3/hour                   | -m limit --limit 3/hour                          | same",
    "--limit 60/hour                  | -m limit --limit 1/min                           | same",
    "--limit 100/day                  | -m limit --limit 100/day                         | same",
    "--limit 1440/day                 | -m limit --limit 1/min                           | same",
    "--limit 86400/day                | -m limit --limit 1/sec                           | same",
    "--limit 1/day                    | -m limit --limit 1/day                           | same",
    "--limit 2/day                    | -m limit --limit 2/day                           | same",
    "--limit 6000/sec                 | -m limit --limit 10000/sec                       | same",
    "--limit 7000/sec                 | -m limit --limit 10000/sec                       | same",
    "--limit 10000/sec                | -m limit --limit 10000/sec                       | same",
    "--limit 3/hour --limit-burst 5   | -m limit --limit 3/hour                          | same",
    "--limit 5/sec --limit-burst 1    | -m limit --limit 5/sec --limit-burst 1           | same",
    "--limit 1/day --limit-burst 4    | -m limit --limit 1/day --limit-burst 4           | same",
    "--limit-burst 10000              | -m limit --limit 3/hour --limit-burst 10000      | same",
    "--limit-burst 0                  | -m limit --limit 3/hour                          | same",
    "--limit-burst 0x10               | -m limit --limit 3/hour --limit-burst 16         | same",
    "--limit-burst 010                | -m limit --limit 3/hour --limit-burst 8          | same",
    "--limit-burst 8 --limit 2/min    | -m limit --limit 2/min --limit-burst 8           | same",
    "--limit 10001/sec                | `refused: Rate too fast \"10001/sec\"` "
        + "| `--limit 10001/sec: rate too fast; the kernel's limit match counts at most 10000/sec (10000 a second)`",
    "--limit 4294967295/day           | `refused: Rate too fast \"4294967295/day\"` "
        + "| `--limit 4294967295/day: rate too fast; the kernel's limit match counts at most 864000000/day (10000 a second)`",
    "--limit 0/sec                    | `refused: bad rate \"0/sec\"'` | `bad rate \"0/sec\" for --limit; expected N/second,"
        + " N/minute, N/hour or N/day with N from 1 (a unit may be shortened, as in 5/s or 5/min; without one it is"
        + " per second)`",
    "--limit 5/x                      | `refused: bad rate \"5/x\"'`       | `bad rate \"5/x\" for --limit`",
    "--limit 5/                       | `refused: bad rate \"5/\"'`        | `bad rate \"5/\" for --limit`",
    "--limit /sec                     | `refused: bad rate \"/sec\"'`      | `bad rate \"/sec\" for --limit`",
    "--limit 3/minutes                | `refused: bad rate \"3/minutes\"'` | `bad rate \"3/minutes\" for --limit`",
    "--limit 0x10/sec                 | `refused: bad rate \"0x10/sec\"'`  | `bad rate \"0x10/sec\" for --limit`",
    "--limit -5/sec                   | `refused: Rate too fast \"-5/sec\"` | `bad rate \"-5/sec\" for --limit`",
    "--limit 5x/sec                   | -m limit --limit 5/sec                           | `bad rate \"5x/sec\" for --limit`",
    "--limit-burst 10001              | `refused: limit: bad value for option \"--limit-burst\", or out of range (0-10000).` "
        + "| `bad value \"10001\" for --limit-burst; expected a number from 0 to 10000`",
    "--limit-burst -1                 | `refused: limit: bad value for option \"--limit-burst\", or out of range (0-10000).` "
        + "| `bad value \"-1\" for --limit-burst`",
    "--limit-burst 5x                 | `refused: limit: bad value for option \"--limit-burst\", or out of range (0-10000).` "
        + "| `bad value \"5x\" for --limit-burst`",
    "--limit 5/sec --limit-burst      | `refused: limit: bad value for option \"--limit-burst\", or out of range (0-10000).` "
        + "| `bad value \"-j\" for --limit-burst`",
    "! --limit 5/sec                  | `refused: limit: option \"--limit\" cannot be inverted.` "
        + "| `-m limit: option \"--limit\" cannot be negated`",
    "--limit 5/sec ! --limit-burst 3  | `refused: limit: option \"--limit-burst\" cannot be inverted.` "
        + "| `-m limit: option \"--limit-burst\" cannot be negated`",
    "--limit 5/sec --limit 6/sec      | `refused: limit: option \"--limit\" can only be used once.` "
        + "| `-m limit: option \"--limit\" can only be given once`",
  })
  void canonicalFormsAndRefusals(String options, String iptablesSave, String mlb) {
    String line = "-m limit" + (options == null ? "" : " " + options.strip());
    String text = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT " + line + " -j ACCEPT\nCOMMIT\n";
    if (mlb.equals("same")) {
      Rule rule = RestoreParser.parse("t", text, IpFamily.V4).table(TableName.FILTER).orElseThrow()
          .chain("INPUT").orElseThrow().rules().get(0);
      assertEquals(" " + iptablesSave + " -j ACCEPT", RestoreWriter.renderRule(rule));
      assertTrue(rule.matches().get(0) instanceof LimitMatch);
      assertEquals(List.of(), findings(rule.matches().get(0)));
      return;
    }
    ParseException e = assertThrows(ParseException.class, () -> RestoreParser.parse("t", text, IpFamily.V4));
    assertTrue(e.problem().startsWith(mlb), () -> e.problem() + "\ndoes not start with\n" + mlb);
  }

  private static List<String> findings(Match m) {
    Ruleset r = Ruleset.builder().family(IpFamily.V4)
        .addTables(Table.builder().name(TableName.FILTER).addChains(Chain.builder().name("INPUT")
            .addRules(Rule.builder().addMatches(m).build()).build()).build())
        .build();
    return r.validate().stream().map(Finding::toString).collect(Collectors.toList());
  }

  @Test
  void factoriesKeepTheRateAsTheKernelDoes() {
    assertEquals(new LimitMatch(3, RateUnit.SECOND, 5), LimitMatch.perSecond(3));
    assertEquals(LimitMatch.perMinute(1), LimitMatch.perHour(60));
    assertEquals(LimitMatch.perMinute(1), LimitMatch.perDay(1440));
    assertEquals(LimitMatch.perSecond(10_000), LimitMatch.perSecond(7_000));
    assertEquals(LimitMatch.perHour(3), LimitMatch.defaults());
    assertEquals(5, LimitMatch.perSecond(1).withBurst(0).burst());
    assertEquals(12_000_000, LimitMatch.defaults().period());
    assertEquals("limit", LimitMatch.defaults().module());
    assertEquals(" -m limit --limit 5/min --limit-burst 10",
        RestoreWriter.renderRule(Rule.builder().addMatches(LimitMatch.perMinute(5).withBurst(10)).build()));
    assertThrows(IllegalArgumentException.class, () -> new LimitMatch(1, null, 5));
  }

  @Test
  void validationRefusesWhatIptablesRefuses() {
    assertEquals(List.of("error [limit-rate] table filter, chain INPUT, rule 1: -m limit --limit 0/sec: the rate must"
        + " be at least 1 a sec; iptables refuses it (bad rate)"), findings(LimitMatch.perSecond(0)));
    assertEquals(List.of("error [limit-rate] table filter, chain INPUT, rule 1: -m limit --limit 600001/min is too"
        + " fast; the kernel's limit match counts at most 600000/min (10000 a second), iptables refuses it (Rate too"
        + " fast)"), findings(LimitMatch.perMinute(600_001)));
    assertEquals(List.of("error [limit-burst] table filter, chain INPUT, rule 1: -m limit --limit-burst 10001 is"
        + " outside 0 to 10000; iptables refuses it"), findings(LimitMatch.perSecond(1).withBurst(10_001)));
    assertEquals(List.of("error [limit-burst] table filter, chain INPUT, rule 1: -m limit --limit-burst -1 is"
        + " outside 0 to 10000; iptables refuses it"), findings(LimitMatch.perSecond(1).withBurst(-1)));
  }

  @Test
  void anOpaqueLimitNoLongerReadsBackAsItself() {
    List<String> found = findings(OpaqueMatch.of("limit", "--limit", "60/hour"));
    assertEquals("error [opaque-not-verbatim] table filter, chain INPUT, rule 1: -m limit kept verbatim as"
        + " \"-m limit --limit 60/hour\" reads back as -m limit --limit 1/min; build the modelled match or target"
        + " instead", found.get(0));
  }

  @Test
  void readAndWrittenBackAmongTheRulesOtherModules() {
    String line = "-A PREROUTING -p tcp -m tcp --dport 22 -m limit --limit 3/min --limit-burst 4 -m state --state NEW"
        + " -j ACCEPT\n";
    String text = RestoreWriter.render(RestoreParser.parse("t", "*mangle\n" + line + "COMMIT\n", IpFamily.V4));
    assertTrue(text.contains("\n" + line + "COMMIT\n"), text);
  }
}
