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

  /**
   * Bounds for X ~ Binomial(n, p) by the Chernoff-Hoeffding theorem: P(X >= an) <= exp(-n D(a||p))
   * for a > p and P(X <= an) <= exp(-n D(a||p)) for a < p, where D(a||p) = a ln(a/p) + (1-a)
   * ln((1-a)/(1-p)). Returns {low, high}, the widest counts whose tails beyond them are each at most
   * {@code tail}: P(X < low) <= exp(-n D((low-1)/n||p)) <= tail, and P(X > high) likewise.
   */
  static int[] chernoffBounds(int n, double p, double tail) {
    double need = Math.log(1 / tail);
    int high = (int) Math.ceil(n * p);
    while (high < n && n * divergence((high + 1.0) / n, p) < need) {
      high++;
    }
    int low = (int) Math.floor(n * p);
    while (low > 0 && n * divergence((low - 1.0) / n, p) < need) {
      low--;
    }
    return new int[] {low, high};
  }

  /** D(a||p), the Kullback-Leibler divergence of Bernoulli(a) from Bernoulli(p), with 0 ln 0 = 0. */
  private static double divergence(double a, double p) {
    return (a == 0 ? 0 : a * Math.log(a / p)) + (a == 1 ? 0 : (1 - a) * Math.log((1 - a) / (1 - p)));
  }

  @Test
  void chernoffBoundsAgreeWithTheBinomialTailsTheyBound() {
    // Binomial(100, 1/2), tails of 1e-10 (values from Python's math.log and math.comb): high is 82,
    // as exp(-100 D(0.83||0.5)) = 4.96e-11 <= 1e-10 < exp(-100 D(0.82||0.5)) = 2.34e-10, and the
    // exact P(X > 82) = 6.5e-12 is indeed below 1e-10; low is 18 by symmetry.
    assertEquals(List.of(18, 82), Arrays.stream(chernoffBounds(100, 0.5, 1e-10)).boxed().toList());
    assertEquals(List.of(0, 0), Arrays.stream(chernoffBounds(5, 0, 1e-9)).boxed().toList());
  }

  @Test
  void everyConnectionGetsExactlyOneMarkAndTheSplitFollowsTheWeights() {
    // Deterministic: the random numbers come from a SplittableRandom with a fixed seed. The bounds
    // are those a fair generator meets except with probability 1e-9 over all three uplinks, so any
    // other seed passes as well except with that probability.
    BalancingPolicy policy = random(3, 2, 1);
    SplittableRandom rnd = new SplittableRandom(0x6d6c62L);
    BalanceChainRun run = BalanceChainRun.of(
        RestoreWriter.render(BalancingRules.compile(policy, IpFamily.V4).output()), IpFamily.V4,
        "mlb-balance", rnd::nextInt);
    int connections = 60_000;
    int[] count = new int[3];
    for (int c = 0; c < connections; c++) {
      long mark = run.traverse(0);
      assertEquals(1, run.marksSet());
      count[(int) (mark >> 8) - 1]++;
      assertEquals(mark, run.traverse(mark), "a decided connection keeps its mark");
    }
    // Each uplink's share as the stored thresholds give it (uniform 31-bit draws): t0/2^31, then
    // (1 - t0/2^31) t1/2^31, the rest for the last. Each count is Binomial(60000, share).
    List<Long> t = thresholdsReadBack(policy);
    double first = t.get(0) / (double) Statistic.Random.ONE;
    double second = (1 - first) * (t.get(1) / (double) Statistic.Random.ONE);
    double[] share = {first, second, 1 - first - second};
    // Union bound: 3 uplinks x 2 tails, each at most 1e-9 / 6.
    for (int i = 0; i < 3; i++) {
      int[] bounds = chernoffBounds(connections, share[i], 1e-9 / 6);
      int got = count[i];
      assertTrue(bounds[0] <= got && got <= bounds[1], "uplink " + i + ": " + got + " of " + connections
          + ", expected " + bounds[0] + " to " + bounds[1] + " (share " + share[i] + ")");
    }
    System.out.printf("BalancingRules random 3:2:1: %d connections, one mark each, split %s%n",
        connections, Arrays.toString(count));
  }
}
