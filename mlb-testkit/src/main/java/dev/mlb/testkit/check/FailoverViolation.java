package dev.mlb.testkit.check;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.testkit.sim.Flow;

/**
 * One flow that breaks one {@link FailoverProperty} at one step of a {@link FailoverCheck}.
 *
 * <pre>{@code
 * FailoverViolation v = check.violations(FailoverProperty.NO_NEW_FLOW_TO_DOWN).get(0);
 * v.step();           // 2: after the second transition (0 is before any)
 * v.explanation();    // "its connmark 0x1000000 designates ppp0, which is down ([isp1])"
 * }</pre>
 *
 * @param property the property broken
 * @param step the state it was broken in: 0 before any transition, k after the k-th
 * @param flow the flow
 * @param explanation what went wrong
 */
public record FailoverViolation(FailoverProperty property, int step, Flow flow, String explanation) {
  public FailoverViolation {
    checkArgument(property != null && flow != null && explanation != null, "null field");
    checkArgument(step >= 0, "step %s is negative", step);
  }

  @Override
  public String toString() {
    return property + ": step " + step + ", flow " + flow + ": " + explanation;
  }
}
