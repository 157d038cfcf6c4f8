package dev.mlb.netfilter;

import dev.mlb.api.Compilation;
import dev.mlb.api.IpFamily;
import dev.mlb.api.policy.BalancingPolicy;

/**
 * Compiles a {@link BalancingPolicy} into the mangle and nat rules that realise it.
 * (Skeleton: the policy-netfilter helper fills this in.)
 */
public final class BalancingRules {
  private BalancingRules() {}

  /**
   * The ruleset for {@code family} ({@code iptables-restore} input via {@link RestoreWriter}), with
   * findings such as inexact RANDOM probabilities.
   *
   * @throws IllegalArgumentException if the policy does not compile for {@code family}
   */
  public static Compilation<Ruleset> compile(BalancingPolicy policy, IpFamily family) {
    throw new UnsupportedOperationException("not yet");
  }
}
