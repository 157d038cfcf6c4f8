package dev.mlb.testkit.live;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import java.util.List;
import java.util.Optional;

/**
 * A planned change of a live router: the steps that take what mlb owns there to what a policy
 * wants (or to nothing), in the order they must run, or the conflicts that forbid it. Nothing has
 * run yet; {@link Deployment#execute} runs it.
 *
 * <pre>{@code
 * LiveChange c = deployment.planApply(CompiledPolicy.compile(policy));
 * c.conflicts();        // []
 * c.steps().size();     // 4: routes and rules, owned chains, jumps for IPv4, and one sysctl step
 * System.out.print(c);  // the exact transaction, as --dry-run prints it
 * }</pre>
 *
 * @param what "apply" or "remove"
 * @param ownership what mlb owns on the router: the policy's, or for a removal the state record's
 * @param before the router as read before planning
 * @param steps the commands to run, in order; empty if the router is already as wanted
 * @param conflicts why the change must not be made; when not empty, {@code steps} must not run
 * @param record the state record to keep once the steps ran; empty to delete it
 */
public record LiveChange(String what, Ownership ownership, LiveState before, ImmutableList<Step> steps, ImmutableList<String> conflicts,
    Optional<StateRecord> record) {

  /**
   * One command of a change.
   *
   * @param name what it does: {@code "IPv4 routes and rules (add)"}
   * @param command the program and its arguments
   * @param stdin what it reads: the restore transaction or the ip batch; empty for none
   */
  public record Step(String name, ImmutableList<String> command, String stdin) {
    public Step {
      checkArgument(!command.isEmpty(), "step %s has no command", name);
    }

    /** The step as {@code --dry-run} prints it: a heading, the command, its input indented. */
    public String describe() {
      StringBuilder b = new StringBuilder("# ").append(name).append('\n').append(String.join(" ", command));
      if (!stdin.isEmpty()) {
        b.append(" <<'EOF'\n").append(stdin).append(stdin.endsWith("\n") ? "" : "\n").append("EOF");
      }
      return b.append('\n').toString();
    }
  }

  /** Whether the router already is as wanted: no step to run. */
  public boolean isEmpty() {
    return steps.isEmpty();
  }

  /** The conflicts, or the steps, as {@code --dry-run} prints them. */
  @Override
  public String toString() {
    if (!conflicts.isEmpty()) {
      return "mlb " + what + " refused, nothing changed:\n" + String.join("\n", conflicts) + "\n";
    }
    if (steps.isEmpty()) {
      return "mlb " + what + ": nothing to change (" + before.backend() + ")\n";
    }
    StringBuilder b = new StringBuilder("# mlb " + what + ": " + steps.size() + (steps.size() == 1 ? " step" : " steps")
        + " (" + before.backend() + ")\n");
    for (Step s : steps) {
      b.append(s.describe());
    }
    return b.toString();
  }

  static ImmutableList<Step> steps(List<Step> steps) {
    return ImmutableList.copyOf(steps);
  }
}
