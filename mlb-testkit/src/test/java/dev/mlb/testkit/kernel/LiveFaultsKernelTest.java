package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.testkit.check.CompiledPolicy;
import dev.mlb.testkit.live.Backend;
import dev.mlb.testkit.live.Deployment;
import dev.mlb.testkit.live.LiveChange;
import dev.mlb.testkit.live.Ownership;
import dev.mlb.testkit.live.StepFailedException;
import dev.mlb.testkit.live.ToolRunner;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failure at every step of apply, of a changed apply and of remove, against the real kernel:
 * the step's command fails either before it ran or after it ran in full (as when a tool reports an
 * error late), and mlb must roll the router back to exactly what it read before the change.
 */
class LiveFaultsKernelTest {

  /** Runs every command, but makes the command of step {@code failing} report failure, once. */
  static final class FailingRunner implements ToolRunner {
    private final ToolRunner real;
    private final List<String> failing;
    private final String failingStdin;
    private final boolean afterRunning;
    private boolean failed;

    FailingRunner(ToolRunner real, LiveChange.Step step, boolean afterRunning) {
      this.real = real;
      this.failing = step.command();
      this.failingStdin = step.stdin();
      this.afterRunning = afterRunning;
    }

    @Override
    public Result run(List<String> command, String stdin) {
      if (!failed && command.equals(failing) && stdin.equals(failingStdin)) {
        failed = true;
        if (afterRunning) {
          real.run(command, stdin).check();
        }
        return new Result(ImmutableList.copyOf(command), 1, "", "injected failure"
            + (afterRunning ? " after the step ran" : " before the step ran"));
      }
      return real.run(command, stdin);
    }
  }

  @Test
  void everyStepOfApplyChangeAndRemoveRollsBackExactly(@TempDir Path root) {
    KernelTests.requireKernel();
    BalancingPolicy first = LiveBackendsKernelTest.dualStack();
    // A changed policy: a third balanced selector and another router selector, so owned chains are
    // rewritten, and a lower priority base, so ip rules move.
    BalancingPolicy changed = BalancingPolicy.builder().from(first).priorityBase(2000)
        .addBalanced(dev.mlb.api.policy.TrafficSelector.of(dev.mlb.api.Protocol.UDP, 53)).build();
    Map<String, Integer> cases = new TreeMap<>();
    int[] dir = {0};
    // Each scenario: the state before (set up by the function), and the change to plan on it.
    List<String> scenarios = List.of("apply", "change", "remove");
    for (String scenario : scenarios) {
      for (int stepIndex = 0; ; stepIndex++) {
        boolean more = false;
        for (boolean after : List.of(false, true)) {
          Path state = root.resolve("s" + dir[0]++);
          try (LiveLab lab = LiveLab.create("livefault")) {
            ToolRunner r = lab.runner();
            LiveBackendsKernelTest.loadForeign(r, Backend.NFT);
            if (!scenario.equals("apply")) {
              Deployment.on(r, state).execute(Deployment.on(r, state).planApply(CompiledPolicy.compile(first)));
            }
            LiveBackendsKernelTest.Snapshot before = LiveBackendsKernelTest.Snapshot.of(r, Backend.NFT);
            Deployment plain = Deployment.on(r, state);
            LiveChange change = switch (scenario) {
              case "apply" -> plain.planApply(CompiledPolicy.compile(first));
              case "change" -> plain.planApply(CompiledPolicy.compile(changed));
              default -> plain.planRemove(Ownership.of(first));
            };
            assertTrue(change.steps().size() >= 3, scenario + ": " + change);
            if (stepIndex >= change.steps().size()) {
              break;
            }
            more = true;
            LiveChange.Step step = change.steps().get(stepIndex);
            String what = scenario + ", step " + (stepIndex + 1) + " (" + step.name() + "), failing "
                + (after ? "after" : "before") + " it ran";
            Deployment faulty = Deployment.on(new FailingRunner(r, step, after), state);
            StepFailedException e = assertThrows(StepFailedException.class, () -> faulty.execute(change), what);
            assertTrue(e.rolledBack(), what + ": " + e.getMessage());
            assertEquals(stepIndex + 1, e.step(), what);
            assertEquals(before, LiveBackendsKernelTest.Snapshot.of(r, Backend.NFT), what + ": rolled back exactly");
            cases.merge(scenario, 1, Integer::sum);
          }
        }
        if (!more) {
          break;
        }
      }
    }
    System.out.println("injected failures rolled back exactly, per scenario: " + cases);
    assertTrue(cases.get("apply") >= 8 && cases.get("remove") >= 8 && cases.get("change") >= 8, cases.toString());
  }
}
