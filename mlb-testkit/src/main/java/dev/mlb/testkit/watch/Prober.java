package dev.mlb.testkit.watch;

import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Uplink;
import dev.mlb.testkit.live.ProbeLog;

/**
 * Runs one probe round of an uplink: every target of its {@link dev.mlb.api.policy.Probing} at
 * once, through the uplink itself; the round succeeds when at least {@code reliability} targets
 * answer within {@code timeout}.
 *
 * <pre>{@code
 * Prober prober = new ToolProber(ProcessRunner.inNamespace("edge"), Clock.systemUTC());
 * ProbeLog.Round r = prober.probe(policy, policy.uplinks().get(1));
 * r.ok();       // false
 * r.detail();   // "198.51.100.17: no answer within 1s"
 * }</pre>
 *
 * <p>{@link ToolProber} runs {@code ping} and {@code socat}; tests give a scripted one.
 */
@FunctionalInterface
public interface Prober {

  /**
   * Probes {@code uplink} of {@code policy} once. Never throws for a failing target or tool: what
   * went wrong is the round's detail.
   */
  ProbeLog.Round probe(BalancingPolicy policy, Uplink uplink);
}
