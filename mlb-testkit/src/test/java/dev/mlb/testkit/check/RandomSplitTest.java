package dev.mlb.testkit.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.Uplink;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 5, acceptance 2 (RANDOM): compiled RANDOM policies split at least 2000 simulated flows
 * within exact binomial bounds around each uplink's weight share, for several seeds of the
 * simulator's random numbers.
 *
 * <p>Deterministic: the simulator draws from a SplittableRandom with the given seed. The bounds are
 * those a fair split leaves with probability at most 1e-9 over the whole test (12 runs, each
 * {@code 1e-9 / 12} over its uplinks), so other seeds pass as well except with that probability.
 */
class RandomSplitTest {
  static final int FLOWS = 2400;

  static BalancingPolicy random(int... weights) {
    BalancingPolicy.Builder b = BalancingPolicy.builder().strategy(Strategy.RANDOM)
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(IpPrefix.parse("192.0.2.0/24"));
    for (int i = 0; i < weights.length; i++) {
      b.addUplinks(Uplink.builder().name("isp" + (i + 1)).iface(InterfaceName.of("ppp" + i)).weight(weights[i]).build());
    }
    return b.build();
  }

  @Test
  void randomPoliciesStayWithinTheBinomialBound() {
    List<int[]> cases = List.of(new int[] {1, 1}, new int[] {3, 1}, new int[] {1, 1, 1}, new int[] {3, 2, 1});
    long seeds = 3;
    double perRun = BinomialBound.ONE_IN_A_BILLION / (cases.size() * seeds);
    List<String> lines = new ArrayList<>();
    for (int[] weights : cases) {
      for (long seed = 1; seed <= seeds; seed++) {
        BalancingCheck check = CompiledPolicy.compile(random(weights)).check()
            .lanFlows(FLOWS).routerFlows(0).seed(seed).randomAlpha(perRun).build();
        assertEquals(BalancingCheck.Strategy.RANDOM, check.strategy());
        check.assertAll();
        Map<InterfaceName, Integer> split = check.split();
        int total = split.values().stream().mapToInt(Integer::intValue).sum();
        assertTrue(total >= 2000, "balanced flows " + total);
        // The bounds again, from the weights alone: uplink i's count is Binomial(total, w_i / W).
        int weightSum = Arrays.stream(weights).sum();
        StringBuilder line = new StringBuilder(Arrays.toString(weights) + " seed " + seed + ": ");
        for (int i = 0; i < weights.length; i++) {
          BinomialBound bound = BinomialBound.of(total, weights[i] / (double) weightSum, perRun / weights.length);
          int got = split.get(InterfaceName.of("ppp" + i));
          assertTrue(bound.contains(got), "weights " + Arrays.toString(weights) + ", seed " + seed + ": ppp" + i
              + " got " + got + ", expected " + bound);
          line.append(String.format(Locale.ROOT, "ppp%d %d [%d, %d] ", i, got, bound.low(), bound.high()));
        }
        lines.add(line.toString().strip());
      }
    }
    System.out.println("RandomSplitTest: " + FLOWS + " LAN flows per run, every split within its binomial bounds"
        + " (1e-9 over the test):\n  " + String.join("\n  ", lines));
  }
}
