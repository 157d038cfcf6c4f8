package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Uplink;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.impl.Constraint;

/**
 * NTH is exact: the compiled chain, run with the kernel's statistic semantics, gives every new
 * balanced connection exactly one uplink mark, every period of W connections splits exactly by
 * the weights, and every prefix of the sequence stays within the largest weight of the ideal.
 */
class BalancingRulesNthTest {

  /** A policy over uplinks ppp0, ppp1, ... with these weights, mask 0xff00: uplink i gets mark (i+1) << 8. */
  static BalancingPolicy withWeights(int... weights) {
    BalancingPolicy.Builder b = BalancingPolicy.builder()
        .markMask(0xff00)
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(IpPrefix.parse("192.0.2.0/24"));
    for (int i = 0; i < weights.length; i++) {
      b.addUplinks(Uplink.builder().name("isp" + (i + 1)).iface(InterfaceName.of("ppp" + i))
          .weight(weights[i]).build());
    }
    return b.build();
  }

  private static String rendered(BalancingPolicy policy) {
    Ruleset r = BalancingRules.compile(policy, IpFamily.V4).output();
    assertEquals(List.of(), r.validate().stream().filter(Finding::isError).toList());
    return RestoreWriter.render(r);
  }

  private static BalanceChainRun run(BalancingPolicy policy) {
    return BalanceChainRun.of(rendered(policy), IpFamily.V4, "mlb-balance", () -> {
      throw new AssertionError("nth chains draw no random numbers");
    });
  }

  /** The uplink index of each of {@code connections} new connections (mark 0x100 is uplink 0). */
  private static int[] uplinksOf(BalanceChainRun run, int connections) {
    int[] out = new int[connections];
    for (int c = 0; c < connections; c++) {
      long mark = run.traverse(0);
      assertEquals(1, run.marksSet(), "connection " + c + " must be marked by exactly one rule");
      assertEquals(0, mark & ~0xff00L, "only mask bits are set");
      out[c] = (int) (mark >> 8) - 1;
    }
    return out;
  }

  @Test
  void threeTwoOneIsTheSmoothRoundRobin() {
    // By hand, nginx's smooth weighted round robin over 3:2:1 (current += weight, pick the max, -= 6):
    // (3,2,1)->0 (0,4,2)->1 (3,0,3)->0 (0,2,4)->2 (3,4,-1)->1 (6,0,0)->0
    int[] period = {0, 1, 0, 2, 1, 0};
    BalanceChainRun run = run(withWeights(3, 2, 1));
    int[] seen = uplinksOf(run, 4 * 6);
    for (int c = 0; c < seen.length; c++) {
      assertEquals(period[c % 6], seen[c], "connection " + c);
    }
  }

  @Test
  void weightsAreDividedByTheirGcd() {
    List<String> balance = rendered(withWeights(2, 4)).lines()
        .filter(l -> l.startsWith("-A mlb-balance ")).toList();
    // 1:2 by hand: (1,2)->1 (2,1)->0 (0,3)->1
    assertEquals(List.of(
        "-A mlb-balance -m connmark ! --mark 0x0/0xff00 -j RETURN",
        "-A mlb-balance -m statistic --mode nth --every 3 --packet 0 -j CONNMARK --set-xmark 0x200/0xff00",
        "-A mlb-balance -m statistic --mode nth --every 3 --packet 1 -j CONNMARK --set-xmark 0x100/0xff00",
        "-A mlb-balance -m statistic --mode nth --every 3 --packet 2 -j CONNMARK --set-xmark 0x200/0xff00"),
        balance);
  }

  @Test
  void decidedConnectionsKeepTheirUplinkAndDoNotAdvanceTheCounters() {
    BalanceChainRun run = run(withWeights(3, 2, 1));
    int[] period = {0, 1, 0, 2, 1, 0};
    for (int c = 0; c < 12; c++) {
      long mark = run.traverse(0);
      assertEquals(period[c % 6], (int) (mark >> 8) - 1);
      // A retransmitted SYN (still NEW) and a second selector's jump traverse the chain again.
      assertEquals(mark, run.traverse(mark));
      assertEquals(0, run.marksSet());
      // Foreign bits outside the mask do not count as a decision.
      assertEquals(0x5L | ((period[(c + 1) % 6] + 1L) << 8), run.traverse(0x5L));
      c++;
    }
  }

  @Test
  void largePeriodsAreReported() {
    // 40:23 is 63 rules, 40:24 is 5:3 (8 rules): nothing to say.
    assertEquals(List.of(), BalancingRules.compile(withWeights(40, 23), IpFamily.V4).findings());
    assertEquals(List.of(), BalancingRules.compile(withWeights(40, 24), IpFamily.V4).findings());
    assertEquals(List.of("info [nth-rules] strategy: strategy nth over the weights 41:23 needs 64 -m statistic"
            + " rules, one per slot of the period; every new balanced connection is evaluated by all of them"),
        findings(withWeights(41, 23)));
    assertEquals(List.of("info [nth-rules] strategy: strategy nth over the weights 250:100:2 (125:50:1 after"
            + " dividing by their gcd 2) needs 176 -m statistic rules, one per slot of the period; every new"
            + " balanced connection is evaluated by all of them"),
        findings(withWeights(250, 100, 2)));
    BalancingPolicy big = withWeights(256, 255, 254, 253, 1, 7);
    assertEquals(List.of("warning [nth-rules] strategy: strategy nth over the weights 256:255:254:253:1:7 needs"
            + " 1026 -m statistic rules, one per slot of the period; every new balanced connection is evaluated"
            + " by all of them; more than 1024 slows connection setup: weights with a common factor, or strategy"
            + " random (one rule per uplink), need fewer"),
        findings(big));
    assertEquals(1 + 1026, BalancingRules.compile(big, IpFamily.V4).output().table(TableName.MANGLE)
        .orElseThrow().chain("mlb-balance").orElseThrow().rules().size());
  }

  private static List<String> findings(BalancingPolicy policy) {
    return BalancingRules.compile(policy, IpFamily.V4).findings().stream().map(Finding::toString).toList();
  }

  /** Weight vectors of 1 to 8 uplinks, weights 1 to {@code max}. */
  private static Gen<int[]> weights(int max) {
    return in -> {
      int n = (int) in.next(Constraint.between(1, 8));
      int[] w = new int[n];
      for (int i = 0; i < n; i++) {
        w[i] = (int) in.next(Constraint.between(1, max));
      }
      return w;
    };
  }

  @Test
  void everyPeriodSplitsExactlyAndEveryPrefixStaysClose() {
    long[] connections = {0};
    double[] worst = {0};
    List<String> worstCase = new ArrayList<>(List.of(""));
    qt().withExamples(300).withFixedSeed(20261126L).forAll(weights(40)).checkAssert(w -> {
      int g = Arrays.stream(w).reduce(0, (a, b) -> BigInteger.valueOf(a).gcd(BigInteger.valueOf(b)).intValue());
      int[] reduced = Arrays.stream(w).map(x -> x / g).toArray();
      int total = Arrays.stream(reduced).sum();
      int maxWeight = Arrays.stream(reduced).max().orElseThrow();
      int periods = 3;
      int[] seen = uplinksOf(run(withWeights(w)), periods * total);
      connections[0] += seen.length;
      int[] count = new int[w.length];
      for (int c = 0; c < seen.length; c++) {
        count[seen[c]]++;
        int n = c + 1;
        for (int i = 0; i < w.length; i++) {
          // |count_i - n * w_i / W| <= max weight, in integers
          long deviation = Math.abs((long) count[i] * total - (long) n * reduced[i]);
          assertTrue(deviation <= (long) maxWeight * total, () -> Arrays.toString(w) + " drifts at " + n);
          if ((double) deviation / total > worst[0]) {
            worst[0] = (double) deviation / total;
            worstCase.set(0, Arrays.toString(w));
          }
        }
        if (n % total == 0) {
          for (int i = 0; i < w.length; i++) {
            assertEquals((long) reduced[i] * (n / total), count[i],
                () -> Arrays.toString(w) + ": uplink " + " after " + n + " connections");
          }
        }
      }
    });
    System.out.printf("BalancingRules nth: 300 weight vectors (1-8 uplinks, weights 1-40), %d connections,"
        + " each marked exactly once, every period exact; largest prefix deviation %.3f connections (%s)%n",
        connections[0], worst[0], worstCase.get(0));
  }

  @Test
  void oneToEightEqualUplinksAlternate() {
    for (int n = 1; n <= 8; n++) {
      int[] w = new int[n];
      Arrays.fill(w, 7);
      int[] seen = uplinksOf(run(withWeights(w)), 3 * n);
      for (int c = 0; c < seen.length; c++) {
        assertEquals(c % n, seen[c], n + " uplinks, connection " + c);
      }
    }
  }
}
