package dev.mlb.iproute;

import dev.mlb.api.Compilation;
import dev.mlb.api.IpFamily;
import dev.mlb.api.policy.BalancingPolicy;

/**
 * Compiles a {@link BalancingPolicy} into the routing plan that realise it.
 * (Skeleton: the policy-iproute helper fills this in.)
 */
public final class BalancingRoutes {
  private BalancingRoutes() {}

  /**
   * The routing plan for {@code family} ({@code ip -batch} input via {@link IpBatchWriter}, undo
   * via {@link IpBatchWriter#renderUndo}), with findings.
   */
  public static Compilation<RoutingPlan> compile(BalancingPolicy policy, IpFamily family) {
    throw new UnsupportedOperationException("not yet");
  }
}
