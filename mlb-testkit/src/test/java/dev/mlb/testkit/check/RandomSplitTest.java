package dev.mlb.testkit.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.Uplink;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 5, acceptance 2 (RANDOM): compiled RANDOM policies split at least 2000 simulated flows
 * within the binomial bound of {@link BalancingCheck#RANDOM_SIGMAS} standard deviations (plus 0.5)
 * around each uplink's weight share, for several seeds of the simulator's random numbers.
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
    List<String> lines = new ArrayList<>();
    for (int[] weights : List.of(new int[] {1, 1}, new int[] {3, 1}, new int[] {1, 1, 1}, new int[] {3, 2, 1})) {
      for (long seed = 1; seed <= 3; seed++) {
        BalancingCheck check = CompiledPolicy.compile(random(weights)).check()
            .lanFlows(FLOWS).routerFlows(0).seed(seed).build();
        assertEquals(BalancingCheck.Strategy.RANDOM, check.strategy());
        check.assertAll();
        Map<InterfaceName, Integer> split = check.split();
        int total = split.values().stream().mapToInt(Integer::intValue).sum();
        assertTrue(total >= 2000, "balanced flows " + total);
        // The bound, computed here from the weights alone.
        int weightSum = java.util.Arrays.stream(weights).sum();
        StringBuilder line = new StringBuilder(java.util.Arrays.toString(weights) + " seed " + seed + ": ");
        for (int i = 0; i < weights.length; i++) {
          double p = weights[i] / (double) weightSum;
          double mean = total * p;
          double bound = BalancingCheck.RANDOM_SIGMAS * Math.sqrt(total * p * (1 - p)) + 0.5;
          int got = split.get(InterfaceName.of("ppp" + i));
          assertTrue(Math.abs(got - mean) <= bound, "ppp" + i + " got " + got + ", expected " + mean + " +- " + bound);
          line.append(String.format(java.util.Locale.ROOT, "ppp%d %d (%.1f +- %.1f) ", i, got, mean, bound));
        }
        lines.add(line.toString().strip());
      }
    }
    System.out.println("RandomSplitTest: " + FLOWS + " LAN flows per run, every split within "
        + BalancingCheck.RANDOM_SIGMAS + " standard deviations:\n  " + String.join("\n  ", lines));
  }
}
