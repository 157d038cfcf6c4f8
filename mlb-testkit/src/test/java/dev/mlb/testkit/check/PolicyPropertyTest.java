package dev.mlb.testkit.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.testkit.gen.PolicyGenerator;
import dev.mlb.testkit.gen.PolicyGens;
import dev.mlb.testkit.policyfile.PolicyFile;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.FlowResult;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Issue 5, acceptance 3: over generated policies ({@link PolicyGenerator}), the compiled IPv4 half
 * holds every balancing property in the simulator ({@link CompiledPolicy#check()}), and every
 * policy survives its policy file ({@link PolicyFile}) unchanged.
 *
 * <p>Flows per example: LAN flows twice the weight sum, 16 to 40 (NTH's bound is checked at every
 * prefix, so a period need not be complete); 12 router flows when the policy balances router
 * traffic, else 4; inbound flows on every uplink when the policy is sticky; two flows just outside
 * each balanced selector and three per exclusion (see {@link BalancingCheck}).
 */
class PolicyPropertyTest {
  static final int EXAMPLES = 1000;

  /** The check of one generated policy, with this test's flow counts. */
  static BalancingCheck check(BalancingPolicy p, long seed) {
    return CompiledPolicy.compile(p).check()
        .lanFlows(Math.min(40, Math.max(16, 2 * p.weightSum())))
        .routerFlows(p.router().isEmpty() ? 4 : 12)
        .seed(seed)
        .build();
  }

  @Test
  void compiledPoliciesHoldEveryPropertyInTheSimulator() {
    long t0 = System.nanoTime();
    Map<String, Long> counts = new TreeMap<>();
    AtomicLong examples = new AtomicLong();
    qt().withExamples(EXAMPLES).withFixedSeed(20261126L)
        .forAll(PolicyGens.seeded(1, 8))
        .checkAssert(s -> {
          BalancingCheck check = check(s.policy(), s.seed());
          check.assertAll();
          examples.incrementAndGet();
          count(counts, "strategy " + s.policy().strategy(), 1);
          List<Flow> flows = check.flows();
          count(counts, "flows", flows.size());
          for (Flow f : flows) {
            count(counts, "flows " + f.origin(), 1);
          }
          count(counts, "balanced flows", check.split().values().stream().mapToInt(Integer::intValue).sum());
          count(counts, "completed flows", check.results().stream().filter(FlowResult::completed).count());
        });
    System.out.printf("PolicyPropertyTest: %d generated policies, all 8 properties hold in the simulator; %s; %d ms%n",
        examples.get(), counts, (System.nanoTime() - t0) / 1_000_000);
  }

  @Test
  void everyGeneratedPolicyReadsBackFromItsFile() {
    Map<String, Long> counts = new TreeMap<>();
    qt().withExamples(EXAMPLES).withFixedSeed(20261126L)
        .forAll(PolicyGens.seeded(1, 8))
        .checkAssert(s -> {
          String text = PolicyFile.write(s.policy());
          assertEquals(s.policy(), PolicyFile.parse("seed-" + s.seed() + ".yaml", text), text);
          assertEquals(text, PolicyFile.write(PolicyFile.parse("again.yaml", text)));
          count(counts, "policies", 1);
          count(counts, "lines", text.lines().count());
        });
    System.out.printf("PolicyPropertyTest: %d generated policies (%d YAML lines) read back equal from their file%n",
        counts.get("policies"), counts.get("lines"));
    assertTrue(counts.get("policies") >= EXAMPLES);
  }

  private static void count(Map<String, Long> counts, String key, long n) {
    counts.merge(key, n, Long::sum);
  }
}
