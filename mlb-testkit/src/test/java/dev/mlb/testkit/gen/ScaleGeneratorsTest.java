package dev.mlb.testkit.gen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.iproute.IpBatchParser;
import dev.mlb.iproute.IpBatchWriter;
import dev.mlb.iproute.Route;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.Chain;
import dev.mlb.netfilter.ConnmarkMatch;
import dev.mlb.netfilter.Jump;
import dev.mlb.netfilter.Match;
import dev.mlb.netfilter.PortMatch;
import dev.mlb.netfilter.RestoreConnmark;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Rule;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.netfilter.SaveConnmark;
import dev.mlb.netfilter.SetConnmark;
import dev.mlb.netfilter.SetMark;
import dev.mlb.netfilter.StateMatch;
import dev.mlb.netfilter.Statistic;
import dev.mlb.netfilter.StatisticMatch;
import dev.mlb.netfilter.Table;
import dev.mlb.netfilter.TableName;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The generators of large rulesets and routing plans: exact sizes, the promised mix, validity. */
class ScaleGeneratorsTest {

  private static int rules(Ruleset r) {
    int n = 0;
    for (Table t : r.tables()) {
      for (Chain c : t.chains()) {
        n += c.rules().size();
      }
    }
    return n;
  }

  @Test
  void exactRuleCountsValidWithoutWarnings() {
    for (int n : List.of(4, 5, 52, 53, 1000, 12_345)) {
      Ruleset r = new ScaleRulesetGenerator(n).generate(n);
      assertEquals(n, rules(r), "rules of generate(" + n + ")");
      List<Finding> findings = r.validate();
      assertEquals(List.of(), findings, "findings for " + n + " rules");
    }
  }

  @Test
  void theMixHasEveryPromisedKindAndChainsOfAboutFiftyRules() {
    Ruleset r = new ScaleRulesetGenerator(7).generate(10_000);
    TreeMap<String, Integer> mix = new TreeMap<>();
    Table mangle = r.table(TableName.MANGLE).orElseThrow();
    int userChains = 0;
    for (Chain c : mangle.chains()) {
      if (!mangle.isBuiltin(c)) {
        userChains++;
        assertTrue(c.rules().size() >= ScaleRulesetGenerator.RULES_PER_CHAIN - 2
            && c.rules().size() <= ScaleRulesetGenerator.RULES_PER_CHAIN, c.name() + ": " + c.rules().size());
      }
      for (Rule rule : c.rules()) {
        rule.source().ifPresent(p -> mix.merge("-s", 1, Integer::sum));
        rule.destination().ifPresent(p -> mix.merge("-d", 1, Integer::sum));
        rule.in().ifPresent(p -> mix.merge("-i", 1, Integer::sum));
        for (Match m : rule.matches()) {
          String kind = m instanceof StatisticMatch s
              ? (s.mode() instanceof Statistic.Nth ? "statistic nth" : "statistic random")
              : m instanceof PortMatch p ? "-m " + p.module() + (p.source().isPresent() ? " --sport" : " --dport")
              : m instanceof StateMatch ? "-m state"
              : m instanceof ConnmarkMatch ? "-m connmark" : "other match " + m.module();
          mix.merge(kind, 1, Integer::sum);
        }
        rule.target().ifPresent(t -> mix.merge(
            t instanceof SetMark ? "MARK" : t instanceof SetConnmark ? "CONNMARK --set-xmark"
                : t instanceof SaveConnmark ? "CONNMARK --save-mark" : t instanceof RestoreConnmark
                ? "CONNMARK --restore-mark" : t instanceof Jump ? "jump" : t.name(), 1, Integer::sum));
      }
    }
    System.out.println("10,000 generated rules: " + userChains + " user chains; " + mix);
    // 9,998 rules in mangle: a restore, 199 dispatch jumps, 9,798 in 199 group chains.
    assertEquals(199, userChains);
    for (String kind : List.of("-s", "-d", "-i", "-m tcp --dport", "-m tcp --sport", "-m udp --sport", "-m state",
        "-m connmark", "statistic nth", "statistic random", "MARK", "CONNMARK --set-xmark", "CONNMARK --save-mark",
        "CONNMARK --restore-mark", "jump", "RETURN", "ACCEPT")) {
      assertTrue(mix.getOrDefault(kind, 0) >= 100 || kind.equals("CONNMARK --restore-mark"),
          kind + " appears " + mix.get(kind) + " times");
    }
    assertEquals(1, mix.get("CONNMARK --restore-mark"));
    assertTrue(mix.keySet().stream().noneMatch(k -> k.startsWith("other match")), mix.toString());
  }

  @Test
  void jumpsNestAtMostTwoDeep() {
    Table mangle = new ScaleRulesetGenerator(3).generate(5_000).table(TableName.MANGLE).orElseThrow();
    Set<String> jumpedFromUserChains = new HashSet<>();
    for (Chain c : mangle.chains()) {
      if (!mangle.isBuiltin(c)) {
        c.rules().forEach(r -> r.target().filter(Jump.class::isInstance)
            .ifPresent(t -> jumpedFromUserChains.add(((Jump) t).chain())));
      }
    }
    assertTrue(!jumpedFromUserChains.isEmpty());
    for (Chain c : mangle.chains()) {
      if (jumpedFromUserChains.contains(c.name())) {
        assertTrue(c.rules().stream().noneMatch(r -> r.target().filter(Jump.class::isInstance).isPresent()),
            c.name() + " is jumped to from a user chain and jumps on");
      }
    }
  }

  @Test
  void sameSeedSameRulesetAndTheTextReadsBack() {
    Ruleset a = new ScaleRulesetGenerator(11).generate(2_000);
    assertEquals(a, new ScaleRulesetGenerator(11).generate(2_000));
    assertNotEquals(a, new ScaleRulesetGenerator(12).generate(2_000));
    assertEquals(a, RestoreParser.parse("generated", RestoreWriter.render(a), IpFamily.V4));
  }

  @Test
  void tooSmallIsRefused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new ScaleRulesetGenerator(1).generate(3));
    assertEquals("a generated ruleset has at least 4 rules, not 3", e.getMessage());
  }

  @Test
  void routingPlansOfExactSizeValidAndReadBack() {
    for (int n : List.of(1, 999, 1000, 1001, 25_000)) {
      RoutingPlan plan = new ScaleRoutingPlanGenerator(n).generate(n);
      assertEquals(n, plan.routes().size());
      assertEquals(List.of(), plan.validate().stream().filter(Finding::isError).toList(), "errors for " + n);
      Set<String> keys = new HashSet<>();
      for (Route r : plan.routes()) {
        assertTrue(keys.add(r.table() + " " + r.destination()), "repeated " + r);
      }
      RoutingPlan back = IpBatchParser.parse("generated", IpBatchWriter.render(plan), IpFamily.V4);
      assertEquals(plan.routes(), back.routes());
    }
  }
}
