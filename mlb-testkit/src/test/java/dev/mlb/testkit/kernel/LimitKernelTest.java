package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import dev.mlb.netfilter.LimitMatch;
import dev.mlb.netfilter.RateUnit;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Rule;
import dev.mlb.netfilter.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code -m limit} against the running kernel: mlb's canonical text loads and saves back unchanged,
 * and mlb reads each input form as iptables-nft does (the same rule, or a refusal of both).
 */
class LimitKernelTest {

  /** The forms of LimitMatchTest (mlb-netfilter), which records what iptables printed or said for each. */
  private static final List<String> FORMS = List.of(
      "", "--limit 5/sec", "--limit 5", "--limit 5/s", "--limit 5/SECOND", "--limit 5/m", "--limit 5/h",
      "--limit 5/d", "--limit 13/min", "--limit 90/min", "--limit 3/hour", "--limit 60/hour", "--limit 100/day",
      "--limit 1440/day", "--limit 86400/day", "--limit 1/day", "--limit 2/day", "--limit 6000/sec",
      "--limit 7000/sec", "--limit 10000/sec", "--limit 3/hour --limit-burst 5", "--limit 5/sec --limit-burst 1",
      "--limit 1/day --limit-burst 4", "--limit-burst 10000", "--limit-burst 0", "--limit-burst 0x10",
      "--limit-burst 010", "--limit-burst 8 --limit 2/min", "--limit 10001/sec", "--limit 4294967295/day",
      "--limit 0/sec", "--limit 5/x", "--limit 5/", "--limit /sec", "--limit 3/minutes", "--limit 0x10/sec",
      "--limit -5/sec", "--limit 5x/sec", "--limit-burst 10001", "--limit-burst -1", "--limit-burst 5x",
      "--limit 5/sec --limit-burst", "! --limit 5/sec", "--limit 5/sec ! --limit-burst 3",
      "--limit 5/sec --limit 6/sec");

  /** Where mlb refuses what iptables takes (its atoi reads "5x" as 5). */
  private static final Set<String> MLB_STRICTER = Set.of("--limit 5x/sec");

  @Test
  void inputFormsReadAsTheKernelKeepsThem() {
    KernelTests.requireKernel();
    List<String> texts = new ArrayList<>();
    for (String form : FORMS) {
      texts.add("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m limit " + form + " -j ACCEPT\nCOMMIT\n");
    }
    List<String> problems = new ArrayList<>();
    try (RestoreLab lab = RestoreLab.open(IpFamily.V4, "limit")) {
      List<RestoreLab.Loaded> loaded = lab.loadAll(texts);
      for (int i = 0; i < FORMS.size(); i++) {
        String form = FORMS.get(i);
        String mlb;
        try {
          mlb = RestoreWriter.render(RestoreParser.parse("form", texts.get(i), IpFamily.V4));
        } catch (ParseException e) {
          mlb = null;
        }
        RestoreLab.Loaded kernel = loaded.get(i);
        boolean kernelTakes = kernel.exitCode() == 0;
        if (MLB_STRICTER.contains(form)) {
          if (!kernelTakes || mlb != null) {
            problems.add(form + ": expected iptables to take it and mlb to refuse it");
          }
        } else if (kernelTakes != (mlb != null)) {
          problems.add(form + ": iptables " + (kernelTakes ? "takes it" : "refuses it (" + kernel.stderr().strip()
              + ")") + ", mlb " + (mlb != null ? "takes it" : "refuses it"));
        } else if (kernelTakes && !kernel.saved().equals(mlb)) {
          problems.add(form + ": iptables-save printed\n" + kernel.saved() + "mlb wrote\n" + mlb);
        }
      }
    }
    assertEquals(List.of(), problems);
  }

  @Test
  void mlbsCanonicalTextSavesBackUnchanged() {
    KernelTests.requireKernel();
    StringBuilder rules = new StringBuilder();
    for (RateUnit unit : RateUnit.values()) {
      for (long rate : new long[] {1, 2, 3, 7, 13, 59, 60, 61, 100, 999, 1000, 3600, 9999, 10_000}) {
        for (long burst : new long[] {1, 5, 10_000}) {
          Rule rule = Rule.builder().addMatches(new LimitMatch(rate, unit, burst)).target(Verdict.ACCEPT).build();
          rules.append("-A INPUT").append(RestoreWriter.renderRule(rule)).append('\n');
        }
      }
    }
    String text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" + rules + "COMMIT\n";
    for (IpFamily family : IpFamily.values()) {
      assertEquals(text, RestoreWriter.render(RestoreParser.parse("mlb", text, family)), "mlb's text is canonical");
      try (RestoreLab lab = RestoreLab.open(family, "limitsave")) {
        RestoreLab.Loaded loaded = lab.load(text);
        assertEquals(0, loaded.exitCode(), loaded::stderr);
        assertEquals(text, loaded.saved());
      }
    }
  }
}
