package dev.mlb.testkit.check;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import dev.mlb.api.policy.Strategy;
import dev.mlb.testkit.gen.PolicyGens;
import dev.mlb.testkit.gen.UplinkStates;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, acceptance 5 (simulator half): over 1000 generated policies
 * ({@link PolicyGens#failovers}: tiers a quarter of the time, keep-last a quarter) with random
 * sequences of provider deaths and recoveries, the failover properties 8 to 11 hold in the
 * simulator ({@link FailoverCheck}), and the policy with its first non-empty down set holds
 * properties 1 to 7 and 12, property 2 splitting over the active uplinks ({@link CompiledPolicy#check()};
 * not with every uplink down under all-down main, when nothing is balanced).
 *
 * <p>Chance: RANDOM splits are checked against binomial bounds. Each {@link FailoverCheck} gets
 * {@code 1e-9 / 1000 / 2} and the one {@link BalancingCheck} per example {@code 1e-9 / 1000 / 2 / 8},
 * so a correct implementation fails this test with probability at most 1e-9 (a union bound).
 */
class FailoverPropertyTest {
  static final int EXAMPLES = 1000;
  static final int MAX_STEPS = 6;
  static final double ALPHA = 1e-9 / EXAMPLES / 2;

  @Test
  void failoverPropertiesHoldOverGeneratedPoliciesAndTransitions() {
    long t0 = System.nanoTime();
    Map<String, Long> counts = new TreeMap<>();
    AtomicLong examples = new AtomicLong();
    qt().withExamples(EXAMPLES).withFixedSeed(20261204L)
        .forAll(PolicyGens.failovers(1, 8, MAX_STEPS))
        .checkAssert(s -> {
          FailoverCheck check = FailoverCheck.builder(s.policy(), s.transitions()).seed(s.seed())
              .newFlows(Math.min(24, Math.max(10, s.policy().weightSum()))).randomAlpha(ALPHA).build();
          check.assertAll();
          examples.incrementAndGet();
          count(counts, "transitions", s.transitions().size());
          count(counts, "strategy " + s.policy().strategy(), 1);
          if (s.policy().uplinks().stream().anyMatch(u -> u.tier() != 1)) {
            count(counts, "tiered policies", 1);
          }
          for (UplinkStates st : s.transitions()) {
            if (st.dead().size() == s.policy().uplinks().size()) {
              count(counts, "all dead", 1);
            }
          }
          int step = 0;
          for (UplinkStates st : s.transitions()) {
            step++;
            if (st.down().isEmpty()) {
              continue;   // the plain policy: PolicyPropertyTest's
            }
            if (s.policy().withDown(st.down()).activeUplinks().isEmpty()) {
              // All down, all-down main: nothing is balanced (properties 1 and 2 do not apply);
              // FailoverCheck's property 8 checks that no new flow carries an uplink mark.
              count(counts, "all down (main)", 1);
              continue;
            }
            CompiledPolicy.compile(s.policy().withDown(st.down())).check()
                .lanFlows(Math.min(24, Math.max(12, s.policy().weightSum())))
                .routerFlows(s.policy().router().isEmpty() ? 2 : 6)
                .randomAlpha(ALPHA / 8).seed(s.seed() + step).build().assertAll();
            count(counts, "down-set balancing checks", 1);
            break;   // one down set per example keeps the test under a minute
          }
          count(counts, "runs: " + (s.policy().strategy() == Strategy.MULTIPATH ? "multipath (no transitions)" : "failover"), 1);
          String run = check.describeRun();
          count(counts, "flows", Long.parseLong(run.replaceAll(".*?(\\d+) flows.*", "$1")));
          count(counts, "exchanges", Long.parseLong(run.replaceAll(".*?(\\d+) exchanges.*", "$1")));
        });
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.printf("FailoverPropertyTest: %d generated policies, properties 8-11 (and 1-7, 12 per down set) hold"
        + " in the simulator; %s; %d ms%n", examples.get(), counts, ms);
    assertTrue(examples.get() >= EXAMPLES);
  }

  private static void count(Map<String, Long> counts, String key, long n) {
    counts.merge(key, n, Long::sum);
  }
}
