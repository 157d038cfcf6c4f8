package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import com.google.common.base.Strings;
import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Validation skips the rules whose screen ({@link Rule#screen()}) shows nothing to find; these
 * tests run the same rulesets with every check on every rule and demand the same findings, in the
 * same order.
 */
class ValidationScreenTest {

  /** Rules that are wrong on their own, whatever chain they stand in. */
  private static final List<Rule> WRONG_ALONE = List.of(
      Rule.builder().addMatches(StatisticMatch.nth(0, 0)).build(),
      Rule.builder().addMatches(StatisticMatch.nth(2, 2)).build(),
      Rule.builder().addMatches(StatisticMatch.random(1.5)).build(),
      Rule.builder().target(new SetMark(0x1_0000_0000L, 0xffff_ffffL)).build(),
      Rule.builder().target(new SetConnmark(1, -1)).build(),
      Rule.builder().target(new SaveConnmark(0xff, -1)).build(),
      Rule.builder().target(new RestoreConnmark(-5, 0xff)).build(),
      Rule.builder().addMatches(new MarkMatch(Mark.of(0x3, 0x1), false)).build(),
      Rule.builder().addMatches(new ConnmarkMatch(Mark.of(0x10, 0x1), true)).build(),
      Rule.builder().addMatches(PortMatch.tcpDestination(PortRange.of(80))).build(),
      Rule.builder().notProtocol(Protocol.UDP).addMatches(PortMatch.udpDestination(PortRange.of(53))).build(),
      Rule.builder().protocol(Protocol.TCP).addMatches(PortMatch.tcpDestination(PortRange.of(80)),
          PortMatch.tcpDestination(PortRange.of(1, 2))).build(),
      Rule.builder().protocol(Protocol.ICMP)
          .addMatches(MultiportMatch.destination(PortRange.of(1), PortRange.of(2))).build(),
      Rule.builder().addMatches(new CommentMatch("one\n-A INPUT -j DROP")).build(),
      Rule.builder().addMatches(new CommentMatch(Strings.repeat("é", 128))).build(),
      Rule.builder().addMatches(new MarkMatch(Mark.of(1, 0xff), false), new ConnmarkMatch(Mark.of(1, 0xff), false),
          new MarkMatch(Mark.of(2, 0xff), false)).build(),
      Rule.builder().notSource(IpPrefix.parse("0.0.0.0/0")).build(),
      Rule.builder().notDestination(IpPrefix.parse("::/0")).build(),
      Rule.builder().protocol(Protocol.ICMP).build(),
      Rule.builder().protocol(new Protocol(58)).build(),
      Rule.builder().source(IpPrefix.parse("192.0.2.0/24")).build(),
      Rule.builder().destination(IpPrefix.parse("2001:db8::/32")).build(),
      Rule.builder().out(InterfaceName.of("ppp0")).in(InterfaceName.of("eth0")).target(Verdict.DROP).build());

  @Test
  void screenedValidationFindsWhatEveryCheckOnEveryRuleFinds() {
    AtomicInteger rulesets = new AtomicInteger();
    AtomicLong findings = new AtomicLong();
    AtomicLong skipped = new AtomicLong();
    qt().withExamples(1000).withFixedSeed(20261204L)
        .forAll(RulesetGen.rulesets(), longs().all()).checkAssert((valid, seed) -> {
      Ruleset mixed = shuffle(valid, new SplittableRandom(seed));
      List<Finding> screened = RulesetValidator.validate(mixed, true);
      List<Finding> full = RulesetValidator.validate(mixed, false);
      assertEquals(full, screened, () -> "screened validation differs on " + mixed);
      rulesets.incrementAndGet();
      findings.addAndGet(full.size());
      skipped.addAndGet(countSkipped(mixed));
    });
    System.out.printf("validation screen: %d rulesets, %d findings, all equal to every check on every rule;"
        + " %d rules needed no check%n", rulesets.get(), findings.get(), skipped.get());
    assertTrue(findings.get() > 1000, "the mixed rulesets should have plenty of findings");
    assertTrue(skipped.get() > 1000, "the screen should spare plenty of rules");
  }

  /**
   * {@code valid}'s tables and chains with rules drawn from any of its chains and from
   * {@link #WRONG_ALONE}, jumps to any name, in either family: rules out of their context.
   */
  private static Ruleset shuffle(Ruleset valid, SplittableRandom random) {
    List<Rule> pool = new ArrayList<>(WRONG_ALONE);
    List<String> names = new ArrayList<>(List.of("PREROUTING", "INPUT", "OUTPUT", "nowhere"));
    for (Table t : valid.tables()) {
      for (Chain c : t.chains()) {
        pool.addAll(c.rules());
        names.add(c.name());
      }
    }
    Ruleset.Builder b = Ruleset.builder().family(random.nextBoolean() ? valid.family()
        : valid.family() == IpFamily.V4 ? IpFamily.V6 : IpFamily.V4);
    for (Table t : valid.tables()) {
      Table.Builder tb = Table.builder().name(t.name());
      for (Chain c : t.chains()) {
        Chain.Builder cb = Chain.builder().name(c.name());
        c.policy().ifPresent(cb::policy);
        int n = random.nextInt(6);
        for (int i = 0; i < n; i++) {
          int kind = random.nextInt(10);
          if (kind == 0) {
            String to = names.get(random.nextInt(names.size()));
            cb.addRules(Rule.builder().target(random.nextBoolean() ? new Jump(to) : new Goto(to)).build());
          } else if (kind == 1) {
            cb.addRules(WRONG_ALONE.get(random.nextInt(WRONG_ALONE.size())));
          } else {
            cb.addRules(pool.get(random.nextInt(pool.size())));
          }
        }
        tb.addChains(cb.build());
      }
      b.addTables(tb.build());
    }
    return b.build();
  }

  private static long countSkipped(Ruleset r) {
    long all = 0;
    for (Table t : r.tables()) {
      for (Chain c : t.chains()) {
        all += c.rules().size();
      }
    }
    return all - RulesetValidator.rulesChecked(r);
  }
}
