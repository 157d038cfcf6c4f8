package dev.mlb.testkit.gen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@link PolicyGenerator}: every policy is valid without a warning, the same seed gives the same
 * policy, and over 2000 seeds every variation the class comment promises occurs.
 */
class PolicyGeneratorTest {
  private static final int SEEDS = 2000;

  @Test
  void policiesAreValidWarningFreeAndVaried() {
    PolicyGenerator gen = PolicyGenerator.of(1, 8);
    TreeMap<String, Integer> seen = new TreeMap<>();
    List<String> warned = new ArrayList<>();
    for (long seed = 0; seed < SEEDS; seed++) {
      BalancingPolicy p = gen.generate(new SplittableRandom(seed));
      assertEquals(p, gen.generate(new SplittableRandom(seed)), "seed " + seed + " is not reproducible");
      List<Finding> findings = p.validate();
      if (!findings.isEmpty()) {
        warned.add("seed " + seed + ": " + findings);
      }
      count(seen, "uplinks " + p.uplinks().size());
      count(seen, "strategy " + p.strategy());
      count(seen, p.families().contains(IpFamily.V6) ? "dual stack" : "v4 only");
      count(seen, p.markMask() == BalancingPolicy.DEFAULT_MARK_MASK ? "mask default" : contiguous(p.markMask())
          ? "mask contiguous" : "mask scattered");
      if (p.foreignMarkBits() != 0) {
        count(seen, "foreign bits");
      }
      if (p.uplinks().stream().anyMatch(u -> u.mark().isPresent())) {
        count(seen, "explicit mark");
      }
      if (p.uplinks().stream().anyMatch(u -> u.table().isPresent())) {
        count(seen, "explicit table");
      }
      if (p.uplinks().stream().anyMatch(u -> u.weight() > 10)) {
        count(seen, "weight above 10");
      }
      for (Uplink u : p.uplinks()) {
        count(seen, u.gateway().isPresent() ? "gateway" : "point-to-point");
        count(seen, u.snat().isPresent() ? "snat" : "masquerade");
      }
      if (p.tableBase() != 100) {
        count(seen, "table base");
      }
      if (p.priorityBase() != 1000) {
        count(seen, "priority base");
      }
      count(seen, p.balanced().isEmpty() ? "balanced all" : "balanced selectors");
      count(seen, p.router().isEmpty() ? "router none" : "router selectors");
      count(seen, p.exclusions().isEmpty() ? "exclusions none" : "exclusions");
      count(seen, p.stickyInbound() ? "sticky" : "not sticky");
      for (TrafficSelector s : p.balanced()) {
        if (!s.sources().isEmpty()) {
          count(seen, "balanced sources");
        }
        if (!s.destinations().isEmpty()) {
          count(seen, "balanced destinations");
        }
        if (s.protocol().isEmpty()) {
          count(seen, "balanced any protocol");
        }
        if (s.ports().stream().anyMatch(r -> !r.isSingle())) {
          count(seen, "balanced port range");
        }
      }
      assertTrue(p.router().stream().allMatch(s -> s.sources().isEmpty()), "router selector with sources: " + p);
    }
    System.out.println("PolicyGenerator over " + SEEDS + " seeds: " + seen);
    assertEquals(List.of(), warned.subList(0, Math.min(3, warned.size())), warned.size() + " policies with findings");
    for (String feature : List.of("strategy nth", "strategy random", "strategy multipath", "dual stack", "v4 only",
        "mask default", "mask contiguous", "mask scattered", "foreign bits", "explicit mark", "explicit table",
        "weight above 10", "gateway", "point-to-point", "snat", "masquerade", "table base", "priority base",
        "balanced all", "balanced selectors", "router none", "router selectors", "exclusions none", "exclusions",
        "sticky", "not sticky", "balanced sources", "balanced destinations", "balanced any protocol",
        "balanced port range", "uplinks 1", "uplinks 8")) {
      assertTrue(seen.getOrDefault(feature, 0) >= 20, feature + " occurs " + seen.get(feature) + " times: " + seen);
    }
  }

  private static boolean contiguous(long mask) {
    long shifted = mask >>> Long.numberOfTrailingZeros(mask);
    return (shifted & (shifted + 1)) == 0;
  }

  private static void count(TreeMap<String, Integer> seen, String feature) {
    seen.merge(feature, 1, Integer::sum);
  }
}
