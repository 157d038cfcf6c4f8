package dev.mlb.testkit.watch;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * One uplink's state with mwan3's hysteresis: an up uplink goes down after {@code down} failed
 * rounds in a row, a down uplink comes up after {@code up} successful rounds in a row; a round
 * that agrees with the state resets the count, so an uplink that flaps faster than the thresholds
 * never changes state.
 *
 * <pre>{@code
 * UplinkHealth h = UplinkHealth.up(3, 2);
 * h.record(false); h.record(false);   // false: 2 failed rounds, still up
 * h.record(false);                     // true: the 3rd in a row, now down
 * h.isDown();                          // true
 * }</pre>
 */
public final class UplinkHealth {
  private final int downAfter;
  private final int upAfter;
  private boolean down;
  private int streak;

  private UplinkHealth(boolean down, int downAfter, int upAfter) {
    checkArgument(downAfter >= 1 && upAfter >= 1, "thresholds must be at least 1: down %s, up %s", downAfter, upAfter);
    this.down = down;
    this.downAfter = downAfter;
    this.upAfter = upAfter;
  }

  /** An uplink taken to be up, going down after {@code downAfter} failed rounds, up after {@code upAfter}. */
  public static UplinkHealth up(int downAfter, int upAfter) {
    return new UplinkHealth(false, downAfter, upAfter);
  }

  /** An uplink taken to be down (as the state record left it). */
  public static UplinkHealth down(int downAfter, int upAfter) {
    return new UplinkHealth(true, downAfter, upAfter);
  }

  /** Counts one round; returns whether the state changed with it. */
  public boolean record(boolean ok) {
    if (ok != down) {   // the round agrees with the state
      streak = 0;
      return false;
    }
    streak++;
    if (streak < (down ? upAfter : downAfter)) {
      return false;
    }
    down = !down;
    streak = 0;
    return true;
  }

  /** Whether the uplink is down. */
  public boolean isDown() {
    return down;
  }

  /** Rounds in a row that disagree with the state so far (0 when they agree). */
  public int streak() {
    return streak;
  }

  @Override
  public String toString() {
    return (down ? "down" : "up") + (streak == 0 ? "" : ", " + streak + " round" + (streak == 1 ? "" : "s")
        + " towards " + (down ? "up" : "down"));
  }
}
