package dev.mlb.testkit.live;

import java.util.Optional;

/**
 * A step of a change failed. mlb then rolled the router back to what it read before the change;
 * if that failed too, {@link #rollbackFailure()} says why, and the router is in between.
 */
public final class StepFailedException extends LiveException {
  private static final long serialVersionUID = 1L;
  private final int step;
  private final transient LiveChange.Step failed;
  private final Optional<String> rollbackFailure;

  public StepFailedException(String what, int step, LiveChange.Step failed, String why,
      Optional<String> rollbackFailure) {
    super("mlb " + what + " failed at step " + step + " (" + failed.name() + "): " + why
        + rollbackFailure.map(r -> "\nthe rollback failed too, the router is between the two states: " + r)
            .orElse("\nrolled back: mlb's rules, routes and sysctl values are as they were before"));
    this.step = step;
    this.failed = failed;
    this.rollbackFailure = rollbackFailure;
  }

  /** The number of the failed step, from 1. */
  public int step() {
    return step;
  }

  /** The failed step. */
  public LiveChange.Step failed() {
    return failed;
  }

  /** Whether the rollback restored the state read before the change. */
  public boolean rolledBack() {
    return rollbackFailure.isEmpty();
  }

  /** Why the rollback failed, if it did. */
  public Optional<String> rollbackFailure() {
    return rollbackFailure;
  }
}
