package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.ParseException;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Long runs of {@code -A} lines are read in pieces on several threads: the result, the lines kept
 * for messages and the first error must be those of reading line by line.
 */
class RestoreParserParallelTest {

  /** About 60,000 rules in mangle (a dispatch chain and 40 group chains) and 5,000 in filter. */
  private static String bigText() {
    SplittableRandom random = new SplittableRandom(7);
    Table.Builder mangle = Table.builder().name(TableName.MANGLE);
    Chain.Builder prerouting = Chain.builder().name("PREROUTING");
    for (int g = 0; g < 40; g++) {
      String group = "group" + g;
      prerouting.addRules(Rule.builder().source(IpPrefix.parse("198.51.100." + g + "/32"))
          .target(new Jump(group)).build());
      Chain.Builder chain = Chain.builder().name(group);
      for (int i = 0; i < 1500; i++) {
        chain.addRules(rule(random));
      }
      mangle.addChains(chain.build());
    }
    mangle.addChains(prerouting.build());
    Chain.Builder forward = Chain.builder().name("FORWARD");
    for (int i = 0; i < 5000; i++) {
      forward.addRules(Rule.builder().protocol(Protocol.UDP)
          .addMatches(PortMatch.udpDestination(PortRange.of(1 + random.nextInt(65535))))
          .target(random.nextBoolean() ? Verdict.ACCEPT : Verdict.DROP).build());
    }
    Ruleset r = Ruleset.builder().family(IpFamily.V4).addTables(mangle.build())
        .addTables(Table.builder().name(TableName.FILTER).addChains(forward.build()).build()).build();
    return RestoreWriter.render(r);
  }

  private static Rule rule(SplittableRandom random) {
    Rule.Builder b = Rule.builder()
        .source(IpPrefix.parse("203.0.113." + random.nextInt(256) + "/32"))
        .protocol(Protocol.TCP)
        .addMatches(PortMatch.tcpDestination(PortRange.of(1 + random.nextInt(65535))))
        .addMatches(StateMatch.of(ConnState.NEW));
    return random.nextInt(4) == 0
        ? b.addMatches(ConnmarkMatch.of(Mark.of(random.nextInt(256), 0xff))).target(Verdict.RETURN).build()
        : b.target(SetMark.set(random.nextInt(256), 0xff)).build();
  }

  private static final String TEXT = bigText();

  @Test
  void parallelReadingGivesTheSameRulesetAndLines() {
    long rules = TEXT.lines().filter(l -> l.startsWith("-A ")).count();
    assertTrue(rules > 10 * RestoreParser.PARALLEL_PIECE, "rules: " + rules);
    Ruleset sequential = RestoreParser.parse("big", TEXT, IpFamily.V4, false);
    Ruleset parallel = RestoreParser.parse("big", TEXT, IpFamily.V4, true);
    assertEquals(sequential, parallel);
    assertEquals(TEXT, RestoreWriter.render(parallel));
    assertEquals(RestoreParser.parseWithLines("big", TEXT, IpFamily.V4, false).lines(),
        RestoreParser.parseWithLines("big", TEXT, IpFamily.V4, true).lines());
    System.out.printf("parallel parse: %d rule lines, same ruleset and lines as line by line%n", rules);
  }

  @Test
  void theFirstErrorInLineOrderIsReported() {
    List<String> lines = new ArrayList<>(TEXT.lines().toList());
    int total = lines.size();
    // Errors late in the run and early in it: the early one comes first, whichever thread reads it.
    int late = total - 100;
    int early = total / 3;
    lines.set(late, lines.get(late) + " --bogus-late");
    lines.set(early, lines.get(early).replace("-m state --state NEW", "-m state --state NEWISH"));
    String text = String.join("\n", lines) + "\n";
    assertTrue(lines.get(late).startsWith("-A ") && lines.get(early).startsWith("-A "));
    ParseException seq = assertThrows(ParseException.class, () -> RestoreParser.parse("big", text, IpFamily.V4, false));
    ParseException par = assertThrows(ParseException.class, () -> RestoreParser.parse("big", text, IpFamily.V4, true));
    assertEquals(early + 1, par.line());
    assertEquals(seq.getMessage(), par.getMessage());
  }

  @Test
  void anUndefinedChainInTheRunIsReportedWithItsLine() {
    List<String> lines = new ArrayList<>(TEXT.lines().toList());
    int at = lines.size() / 2;
    lines.set(at, lines.get(at).replaceFirst("^-A group[0-9]+ ", "-A nosuchchain "));
    String text = String.join("\n", lines) + "\n";
    ParseException seq = assertThrows(ParseException.class, () -> RestoreParser.parse("big", text, IpFamily.V4, false));
    ParseException par = assertThrows(ParseException.class, () -> RestoreParser.parse("big", text, IpFamily.V4, true));
    assertEquals(at + 1, par.line());
    assertEquals(seq.getMessage(), par.getMessage());
    assertTrue(par.getMessage().contains("chain \"nosuchchain\" does not exist in table mangle"), par.getMessage());
  }

  @Test
  void anErrorAfterTheRunComesAfterTheRunsErrors() {
    List<String> lines = new ArrayList<>(TEXT.lines().toList());
    int commit = lines.indexOf("COMMIT");
    int inRun = commit - 5;
    lines.set(inRun, lines.get(inRun) + " -j ACCEPT");
    lines.set(commit, "COMMITTED");
    String text = String.join("\n", lines) + "\n";
    ParseException seq = assertThrows(ParseException.class, () -> RestoreParser.parse("big", text, IpFamily.V4, false));
    ParseException par = assertThrows(ParseException.class, () -> RestoreParser.parse("big", text, IpFamily.V4, true));
    assertEquals(inRun + 1, par.line());
    assertEquals(seq.getMessage(), par.getMessage());
  }
}
