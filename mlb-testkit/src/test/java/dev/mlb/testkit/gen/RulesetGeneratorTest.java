package dev.mlb.testkit.gen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.netfilter.Chain;
import dev.mlb.netfilter.CommentMatch;
import dev.mlb.netfilter.Masquerade;
import dev.mlb.netfilter.Match;
import dev.mlb.netfilter.Policy;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Rule;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.netfilter.Snat;
import dev.mlb.netfilter.StatisticMatch;
import dev.mlb.netfilter.Table;
import dev.mlb.netfilter.TableName;
import dev.mlb.netfilter.Target;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The seeded ruleset generator: deterministic, always valid, and covering the whole model.
 *
 * <pre>{@code
 * new RulesetGenerator(7).next(IpFamily.V6).validate()   // no errors, ever
 * }</pre>
 */
class RulesetGeneratorTest {

  @Test
  void sameSeedGivesSameRulesets() {
    RulesetGenerator a = new RulesetGenerator(123);
    RulesetGenerator b = new RulesetGenerator(123);
    for (int i = 0; i < 50; i++) {
      IpFamily f = i % 2 == 0 ? IpFamily.V4 : IpFamily.V6;
      assertEquals(a.next(f), b.next(f));
    }
    assertNotEquals(new RulesetGenerator(1).next(IpFamily.V4), new RulesetGenerator(2).next(IpFamily.V4));
  }

  @Test
  void everyRulesetIsValidAndRenders() {
    for (IpFamily family : IpFamily.values()) {
      RulesetGenerator gen = new RulesetGenerator(99 + family.ordinal());
      for (int i = 0; i < 1500; i++) {
        Ruleset r = gen.next(family);
        List<Finding> errors = r.validate().stream().filter(Finding::isError).collect(Collectors.toList());
        int sample = i;
        assertTrue(errors.isEmpty(), () -> "sample " + sample + " of " + family + ": " + errors + "\n" + r);
        assertEquals(family, r.family());
        assertTrue(!r.tables().isEmpty());
        RestoreWriter.render(r);
      }
    }
  }

  @Test
  void coversEveryTableMatchTargetAndNegation() {
    Set<String> seen = new TreeSet<>();
    RulesetGenerator gen = new RulesetGenerator(5);
    for (int i = 0; i < 2000; i++) {
      Ruleset r = gen.next(i % 2 == 0 ? IpFamily.V4 : IpFamily.V6);
      for (Table t : r.tables()) {
        seen.add("table " + t.name());
        for (Chain c : t.chains()) {
          c.policy().filter(p -> p == Policy.DROP).ifPresent(p -> seen.add("policy DROP"));
          if (!t.isBuiltin(c)) {
            seen.add("user chain");
            if (c.name().length() == 28) {
              seen.add("chain name of 28");
            }
          }
          for (Rule rule : c.rules()) {
            if (rule.sourceNegated() && rule.destinationNegated() && rule.inNegated() | rule.outNegated()) {
              seen.add("negated addresses and interface");
            }
            if (rule.protocolNegated()) {
              seen.add("negated protocol");
            }
            rule.in().filter(n -> n.isWildcard()).ifPresent(n -> seen.add("wildcard interface"));
            for (Match m : rule.matches()) {
              seen.add(m.getClass().getSimpleName());
              if (m instanceof StatisticMatch s) {
                seen.add("statistic " + s.mode().getClass().getSimpleName());
              }
              if (m instanceof CommentMatch cm) {
                String text = cm.text();
                if (text.contains("\"") && text.contains("\\") && text.contains("'")) {
                  seen.add("comment with quotes and backslash");
                }
                if (text.getBytes(StandardCharsets.UTF_8).length > 250) {
                  seen.add("comment near 255 bytes");
                }
                if (text.codePoints().anyMatch(cp -> cp > 0x7f)) {
                  seen.add("comment with non-ASCII");
                }
              }
            }
            rule.target().map(Target::getClass).map(Class::getSimpleName).ifPresent(seen::add);
            if (rule.target().orElse(null) instanceof Masquerade mq && mq.toPorts().isPresent()) {
              seen.add("MASQUERADE --to-ports");
            }
            if (rule.target().orElse(null) instanceof Snat s && s.ports().isPresent()
                && !s.first().equals(s.last())) {
              seen.add("SNAT range with ports");
            }
          }
        }
      }
    }
    Set<String> expected = new TreeSet<>(List.of(
        "table mangle", "table raw", "table filter", "table nat", "table security", "policy DROP",
        "user chain", "chain name of 28", "negated addresses and interface", "negated protocol",
        "wildcard interface", "StateMatch", "ConntrackMatch", "ConnmarkMatch", "MarkMatch", "StatisticMatch",
        "statistic Nth", "statistic Random", "PortMatch", "MultiportMatch", "CommentMatch",
        "PkttypeMatch", "LengthMatch",
        "comment with quotes and backslash", "comment near 255 bytes", "comment with non-ASCII",
        "Verdict", "Jump", "Goto", "SetMark", "SetConnmark", "SaveConnmark", "RestoreConnmark", "Masquerade",
        "Snat", "OpaqueTarget", "Log", "Reject", "Nflog", "MASQUERADE --to-ports", "SNAT range with ports"));
    expected.removeAll(seen);
    assertEquals(Set.of(), expected, "never generated");
  }

  @Test
  void generatedCommentsAreValidAndAtMost255Bytes() {
    qt().withExamples(2000).withFixedSeed(20261204L).forAll(MlbGenerators.comments()).checkAssert(text -> {
      assertTrue(text.getBytes(StandardCharsets.UTF_8).length <= CommentMatch.MAX_BYTES, text);
      assertTrue(text.chars().noneMatch(c -> c < ' ' && c != '\t' || c == 0x7f), text);
      Ruleset r = Ruleset.builder().family(IpFamily.V4)
          .addTables(Table.builder().name(TableName.FILTER)
              .addChains(Chain.builder().name("INPUT")
                  .addRules(Rule.builder().addMatches(new CommentMatch(text)).build()).build())
              .build())
          .build();
      assertEquals(List.of(), r.validate().stream().filter(Finding::isError).collect(Collectors.toList()));
    });
  }

  @Test
  void natTargetsOnlyWhereTheKernelTakesThem() {
    RulesetGenerator gen = new RulesetGenerator(11);
    for (int i = 0; i < 1000; i++) {
      for (Table t : gen.next(IpFamily.V4).tables()) {
        for (Chain c : t.chains()) {
          for (Rule rule : c.rules()) {
            Target target = rule.target().orElse(null);
            if (target instanceof Masquerade) {
              assertEquals(List.of(TableName.NAT, "POSTROUTING"), List.of(t.name(), c.name()));
            }
            if (target instanceof Snat) {
              assertEquals(TableName.NAT, t.name());
              assertTrue(Set.of("POSTROUTING", "INPUT").contains(c.name()), c.name());
            }
          }
        }
      }
    }
  }
}
