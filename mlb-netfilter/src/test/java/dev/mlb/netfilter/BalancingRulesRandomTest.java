package dev.mlb.netfilter;

import static dev.mlb.netfilter.BalancingRulesNthTest.withWeights;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Mark;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Strategy;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.impl.Constraint;

/**
 * RANDOM: the thresholds, as iptables-restore reads them back from the rendered text, give the
 * uplinks shares that sum to exactly 1 and differ from the weights by at most a few 2^-32; every
 * uplink whose share is not exact gets a random-inexact warning, and only those.
 */
class BalancingRulesRandomTest {
  private static final BigInteger TWO_31 = BigInteger.ONE.shiftLeft(31);

  static BalancingPolicy random(int... weights) {
    return BalancingPolicy.builder().from(withWeights(weights)).strategy(Strategy.RANDOM).build();
  }

  private static List<String> balanceLines(BalancingPolicy policy) {
    return RestoreWriter.render(BalancingRules.compile(policy, IpFamily.V4).output()).lines()
        .filter(l -> l.startsWith("-A mlb-balance ")).toList();
  }

  private static List<String> findings(BalancingPolicy policy) {
    return BalancingRules.compile(policy, IpFamily.V4).findings().stream().map(Finding::toString).toList();
  }

  @Test
  void threeTwoOne() {
    // Thresholds by hand: t0 = 2^31 * 3/6 = 2^30 exactly; then 2/6 of the remaining 1/2 is 2/3:
    // t1 = round(2^31 * 2/3) = 1431655765, printed %.11f as 0.66666666651.
    assertEquals(List.of(
        "-A mlb-balance -m connmark ! --mark 0x0/0xff00 -j RETURN",
        "-A mlb-balance -m connmark --mark 0x0/0xff00 -m statistic --mode random --probability 0.50000000000"
            + " -j CONNMARK --set-xmark 0x100/0xff00",
        "-A mlb-balance -m connmark --mark 0x0/0xff00 -m statistic --mode random --probability 0.66666666651"
            + " -j CONNMARK --set-xmark 0x200/0xff00",
        "-A mlb-balance -m connmark --mark 0x0/0xff00 -j CONNMARK --set-xmark 0x300/0xff00"),
        balanceLines(random(3, 2, 1)));
    // isp2: 1/2 * 1431655765/2^31 = 0.33333333325572...; isp3 takes the rest, 0.16666666674427...
    assertEquals(List.of(
        "warning [random-inexact] uplinks[1].weight: uplink isp2: weight 2 of 6 asks for 0.333333333333 of the"
            + " new balanced connections; the 31-bit --probability thresholds give it 0.333333333256"
            + " (error -7.76e-11)",
        "warning [random-inexact] uplinks[2].weight: uplink isp3: weight 1 of 6 asks for 0.166666666667 of the"
            + " new balanced connections; the 31-bit --probability thresholds give it 0.166666666744"
            + " (error +7.76e-11)"),
        findings(random(3, 2, 1)));
  }

  @Test
  void oneOneOne() {
    // t0 = round(2^31 / 3) = 715827883 (0.33333333349); the remaining 1 - t0/2^31 asks for
    // (1/3) / remaining = 0.50000000012 of it, which rounds to t1 = 2^30.
    assertEquals(List.of(
        "warning [random-inexact] uplinks[0].weight: uplink isp1: weight 1 of 3 asks for 0.333333333333 of the"
            + " new balanced connections; the 31-bit --probability thresholds give it 0.333333333489"
            + " (error +1.55e-10)",
        "warning [random-inexact] uplinks[1].weight: uplink isp2: weight 1 of 3 asks for 0.333333333333 of the"
            + " new balanced connections; the 31-bit --probability thresholds give it 0.333333333256"
            + " (error -7.76e-11)",
        "warning [random-inexact] uplinks[2].weight: uplink isp3: weight 1 of 3 asks for 0.333333333333 of the"
            + " new balanced connections; the 31-bit --probability thresholds give it 0.333333333256"
            + " (error -7.76e-11)"),
        findings(random(1, 1, 1)));
    assertTrue(balanceLines(random(1, 1, 1)).get(1).contains("--probability 0.33333333349 "));
    assertTrue(balanceLines(random(1, 1, 1)).get(2).contains("--probability 0.50000000000 "));
  }

  /** Weight vectors of 1 to 8 uplinks, weights 1 to 256. */
  private static Gen<int[]> weights() {
    return in -> {
      int n = (int) in.next(Constraint.between(1, 8));
      int[] w = new int[n];
      for (int i = 0; i < n; i++) {
        w[i] = (int) in.next(Constraint.between(1, 256));
      }
      return w;
    };
  }

  /** The thresholds of the random rules of the chain read back from the rendered text, in order. */
  private static List<Long> thresholdsReadBack(BalancingPolicy policy) {
    Ruleset compiled = BalancingRules.compile(policy, IpFamily.V4).output();
    Ruleset parsed = RestoreParser.parse("rendered", RestoreWriter.render(compiled), IpFamily.V4);
    assertEquals(compiled, parsed, "the ruleset reads back as compiled");
    Chain balance = parsed.table(TableName.MANGLE).orElseThrow().chain("mlb-balance").orElseThrow();
    int n = policy.uplinks().size();
    assertEquals(n + 1, balance.rules().size());
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Rule r = balance.rules().get(i + 1);
      assertEquals(new ConnmarkMatch(Mark.of(0, 0xff00), false), r.matches().get(0));
      assertEquals(new SetConnmark((i + 1L) << 8, 0xff00), r.target().orElseThrow());
      if (i < n - 1) {
        StatisticMatch s = (StatisticMatch) r.matches().get(1);
        out.add(((Statistic.Random) s.mode()).threshold());
      } else {
        assertEquals(1, r.matches().size(), "the last uplink takes the rest");
      }
    }
    return out;
  }

  @Test
  void sharesSumToOneAndAreWithinAFewTwoToTheMinus32() {
    double[] worst = {0};
    long[] checked = {0, 0, 0};   // vectors, thresholds, warnings
    TreeSet<Long> thresholds = new TreeSet<>();
    qt().withExamples(400).withFixedSeed(20261127L).forAll(weights()).checkAssert(w -> {
      BalancingPolicy policy = random(w);
      List<Long> t = thresholdsReadBack(policy);
      thresholds.addAll(t);
      int total = Arrays.stream(w).sum();
      // Exact shares: s_i = t_i/2^31 * prod_{j<i} (1 - t_j/2^31), the last one the product of all.
      BigInteger denominator = BigInteger.ONE.shiftLeft(31 * t.size());
      BigInteger remaining = denominator;   // 1, in units of 2^-(31 * (n-1))
      BigInteger[] shares = new BigInteger[w.length];
      for (int i = 0; i < t.size(); i++) {
        BigInteger taken = remaining.multiply(BigInteger.valueOf(t.get(i))).shiftRight(31);
        assertEquals(remaining.multiply(BigInteger.valueOf(t.get(i))), taken.shiftLeft(31), "exact");
        shares[i] = taken;
        remaining = remaining.subtract(taken);
      }
      shares[w.length - 1] = remaining;
      assertEquals(denominator, Arrays.stream(shares).reduce(BigInteger.ZERO, BigInteger::add));
      List<String> expectedWarnings = new ArrayList<>();
      for (int i = 0; i < w.length; i++) {
        // error_i = s_i - w_i/W = (shares_i * W - w_i * denominator) / (W * denominator)
        BigInteger errorNumerator = shares[i].multiply(BigInteger.valueOf(total))
            .subtract(BigInteger.valueOf(w[i]).multiply(denominator));
        double error = new BigDecimal(errorNumerator)
            .divide(new BigDecimal(denominator.multiply(BigInteger.valueOf(total))), MathContext.DECIMAL64)
            .doubleValue();
        assertTrue(Math.abs(error) <= Math.max(1, w.length - 1) * Math.pow(2, -32),
            () -> Arrays.toString(w) + ": error " + error);
        worst[0] = Math.max(worst[0], Math.abs(error));
        if (errorNumerator.signum() != 0) {
          expectedWarnings.add("uplinks[" + i + "].weight");
        }
      }
      List<String> warned = BalancingRules.compile(policy, IpFamily.V4).findings().stream()
          .filter(f -> f.code().equals("random-inexact")).map(Finding::location).toList();
      assertEquals(expectedWarnings, warned, Arrays.toString(w));
      checked[0]++;
      checked[2] += warned.size();
    });
    // Every threshold used survives iptables' %.11f text and its strtod + lround.
    for (long t : thresholds) {
      String text = new Statistic.Random(t).probabilityText();
      assertEquals(t, Math.round(Double.parseDouble(text) * Statistic.Random.ONE), text);
      Rule back = RestoreParser.parse("-", "*mangle\n-A PREROUTING -m statistic --mode random --probability "
          + text + "\nCOMMIT\n", IpFamily.V4).table(TableName.MANGLE).orElseThrow().chain("PREROUTING")
          .orElseThrow().rules().get(0);
      assertEquals(new StatisticMatch(new Statistic.Random(t), false), back.matches().get(0), text);
    }
    System.out.printf("BalancingRules random: %d weight vectors (1-8 uplinks, weights 1-256), shares sum to 1"
        + " exactly, largest error %.3e (2^-32 = %.3e), %d random-inexact warnings, %d distinct thresholds"
        + " round-trip through the text%n", checked[0], worst[0], Math.pow(2, -32), checked[2], thresholds.size());
  }

  @Test
  void everyConnectionGetsExactlyOneMarkAndTheSplitFollowsTheWeights() {
    SplittableRandom rnd = new SplittableRandom(0x6d6c62L);
    BalanceChainRun run = BalanceChainRun.of(
        RestoreWriter.render(BalancingRules.compile(random(3, 2, 1), IpFamily.V4).output()), IpFamily.V4,
        "mlb-balance", rnd::nextInt);
    int connections = 60_000;
    int[] count = new int[3];
    for (int c = 0; c < connections; c++) {
      long mark = run.traverse(0);
      assertEquals(1, run.marksSet());
      count[(int) (mark >> 8) - 1]++;
      assertEquals(mark, run.traverse(mark), "a decided connection keeps its mark");
    }
    double[] share = {3 / 6.0, 2 / 6.0, 1 / 6.0};
    for (int i = 0; i < 3; i++) {
      double sigma = Math.sqrt(connections * share[i] * (1 - share[i]));
      double z = (count[i] - connections * share[i]) / sigma;
      assertTrue(Math.abs(z) < 5, "uplink " + i + ": " + count[i] + " of " + connections + ", z = " + z);
    }
    System.out.printf("BalancingRules random 3:2:1: %d connections, one mark each, split %s%n",
        connections, Arrays.toString(count));
  }
}
