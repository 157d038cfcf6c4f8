package dev.mlb.api.policy;

import static java.util.Objects.requireNonNull;

import com.google.common.collect.ImmutableList;
import java.time.Duration;
import java.util.List;

/**
 * How one uplink is probed, resolved: its {@link Uplink#health()} over the policy's
 * {@link BalancingPolicy#health()} over {@link #DEFAULTS}, the targets defaulting to its gateways.
 *
 * <pre>{@code
 * Probing p = policy.probing(isp2);
 * p.detectionBound();   // interval × down + timeout: the longest a dead uplink stays up
 * }</pre>
 *
 * <p>A round probes every target at once; it succeeds when at least {@code reliability} of them
 * answer within {@code timeout}. Rounds start every {@code interval}. An up uplink goes down after
 * {@code down} failed rounds in a row; a down uplink comes up after {@code up} successful rounds in
 * a row. {@code targets} is empty for an uplink without a gateway and without configured targets:
 * it cannot be probed.
 */
public record Probing(
    List<ProbeTarget> targets, Duration interval, Duration timeout, int down, int up, int reliability) {

  /**
   * mwan3's defaults ({@code mwan3track}): a round every 10 s, 4 s to answer, 5 rounds to go down
   * or up, one target answering suffices.
   */
  public static final Health DEFAULTS = Health.builder()
      .interval(Duration.ofSeconds(10))
      .timeout(Duration.ofSeconds(4))
      .down(5)
      .up(5)
      .reliability(1)
      .build();

  public Probing {
    targets = ImmutableList.copyOf(targets);
    requireNonNull(interval, "interval");
    requireNonNull(timeout, "timeout");
  }

  /**
   * The longest time from an uplink's death to its detection: the first round that starts after
   * it, plus {@code down - 1} more rounds, plus that round's timeout.
   */
  public Duration detectionBound() {
    return interval.multipliedBy(down).plus(timeout);
  }
}
