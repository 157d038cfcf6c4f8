package dev.mlb.api.policy;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.MlbStyle;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import org.immutables.value.Value;

/**
 * How uplinks are probed, as given: the policy's defaults ({@link BalancingPolicy#health()}) or an
 * uplink's overrides ({@link Uplink#health()}). Every setting is optional; what neither gives
 * comes from {@link Probing#DEFAULTS} (mwan3's), and the targets default to the uplink's gateways.
 * {@link BalancingPolicy#probing(Uplink)} resolves them.
 *
 * <pre>{@code
 * Health defaults = Health.builder()
 *     .addTargets(ProbeTarget.parse("192.0.2.53"), ProbeTarget.parse("tcp:203.0.113.9:443"))
 *     .interval(Duration.ofSeconds(1))
 *     .timeout(Duration.ofMillis(500))
 *     .down(3).up(5)
 *     .reliability(1)
 *     .build();
 * }</pre>
 */
@Value.Immutable
@MlbStyle
public abstract class Health {
  Health() {}

  public static Builder builder() {
    return new Builder();
  }

  public static final class Builder extends ImmutableHealth.Builder {}

  /** Nothing given: every setting inherited. */
  public static Health inherit() {
    return builder().build();
  }

  /** The addresses probed; empty: inherited (in the end, the uplink's gateways). */
  public abstract ImmutableList<ProbeTarget> targets();

  /** Time from the start of one probe round to the next. */
  public abstract Optional<Duration> interval();

  /** How long a probe waits for its answer, at most the interval. */
  public abstract Optional<Duration> timeout();

  /** Consecutive failed rounds that take an up uplink down. */
  public abstract OptionalInt down();

  /** Consecutive successful rounds that bring a down uplink up. */
  public abstract OptionalInt up();

  /** How many targets must answer for a round to succeed. */
  public abstract OptionalInt reliability();

  /** Whether nothing is given. */
  public boolean isEmpty() {
    return equals(inherit());
  }

  /** These settings where given, else {@code defaults}'. */
  public Health over(Health defaults) {
    return builder()
        .addAllTargets(targets().isEmpty() ? defaults.targets() : targets())
        .interval(interval().or(defaults::interval))
        .timeout(timeout().or(defaults::timeout))
        .down(down().isPresent() ? down() : defaults.down())
        .up(up().isPresent() ? up() : defaults.up())
        .reliability(reliability().isPresent() ? reliability() : defaults.reliability())
        .build();
  }
}
