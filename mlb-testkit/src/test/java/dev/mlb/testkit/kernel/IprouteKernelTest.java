package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableMultiset;
import dev.mlb.api.IpFamily;
import dev.mlb.iproute.IpBatchWriter;
import dev.mlb.iproute.IpRule;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.testkit.RoutingPlanGenerator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Rendered plans loaded into the real kernel with {@code ip -batch}, read back with {@code ip -json}.
 */
class IprouteKernelTest {

  /** Rules in evaluation order: by priority, ties in the order added (what ip rule show lists). */
  static List<IpRule> byPriority(List<IpRule> rules) {
    List<IpRule> sorted = new ArrayList<>(rules);
    sorted.sort(Comparator.comparingLong(r -> r.priority().orElse(-1L)));
    return sorted;
  }

  /** Asserts that the namespace holds exactly the plan's rules and routes, besides the kernel's own. */
  static void assertHolds(IprouteLab lab, RoutingPlan plan, String what) {
    RoutingPlan live = lab.live(plan.family());
    assertEquals(byPriority(plan.rules()), live.rules(), what + ": rules read back");
    assertEquals(ImmutableMultiset.copyOf(plan.routes()), ImmutableMultiset.copyOf(live.routes()), what + ": routes read back");
    assertEquals(List.of(), live.unmodelledJson(), what + ": unmodelled entries read back");
  }

  /**
   * Loads each of 100 generated plans per family into one namespace, checks the read-back model,
   * applies the batch again and checks nothing changed, then applies the undo batch and checks the
   * namespace is exactly as before, by {@code ip -json}.
   */
  @Test
  void generatedPlansLoadReapplyAndUndo() {
    KernelTests.requireKernel();
    int loaded = 0;
    for (IpFamily family : IpFamily.values()) {
      RoutingPlanGenerator gen = RoutingPlanGenerator.of(family);
      try (IprouteLab lab = IprouteLab.create("iprgen")) {
        String rules0 = lab.rulesJson(family);
        String routes0 = lab.routesJson(family);
        for (long seed = 0; seed < 100; seed++) {
          RoutingPlan plan = gen.generate(new SplittableRandom(seed));
          String what = family + " seed " + seed + ":\n" + plan;
          String batch = IpBatchWriter.render(plan);
          Netns.Result first = lab.batch(family, batch);
          assertEquals(0, first.exitCode(), what + "\nip -batch: " + first.stderr());
          loaded++;
          assertHolds(lab, plan, what);
          String rules1 = lab.rulesJson(family);
          String routes1 = lab.routesJson(family);
          Netns.Result again = lab.batch(family, batch);
          assertEquals(0, again.exitCode(), what + "\nsecond ip -batch: " + again.stderr());
          assertEquals(rules1, lab.rulesJson(family), what + ": rules after applying twice");
          assertEquals(routes1, lab.routesJson(family), what + ": routes after applying twice");
          Netns.Result undo = lab.batch(family, IpBatchWriter.renderUndo(plan));
          assertEquals(0, undo.exitCode(), what + "\nundo:\n" + IpBatchWriter.renderUndo(plan) + undo.stderr());
          assertEquals(rules0, lab.rulesJson(family), what + ": rules after undo");
          assertEquals(routes0, lab.routesJson(family), what + ": routes after undo");
        }
      }
    }
    assertTrue(loaded >= 200, "loaded " + loaded);
  }
}
