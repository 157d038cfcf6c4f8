package dev.mlb.testkit.check;

/**
 * The failover properties of DESIGN.md (8 to 11), checked by {@link FailoverCheck} over a
 * sequence of transitions in the simulator.
 *
 * <pre>{@code
 * check.violations(FailoverProperty.LIVE_FLOWS_SURVIVE);   // the open flows a transition broke
 * FailoverProperty.TIERS.number();                          // 11
 * }</pre>
 */
public enum FailoverProperty {
  /** 8. No new flow is sent to an uplink that is down, once the transition is applied. */
  NO_NEW_FLOW_TO_DOWN(8, "no new flow goes to a down uplink after the transition"),
  /** 9. Flows on live uplinks survive a transition: same mark, same route, still answered. */
  LIVE_FLOWS_SURVIVE(9, "flows on live uplinks survive a transition (same mark, same route, still answered)"),
  /** 10. After a transition (a recovery above all) new flows split over the active uplinks by their weights. */
  SPLIT_RETURNS(10, "after recovery the split returns to the weights"),
  /** 11. A worse tier carries new flows only while every better tier is down. */
  TIERS(11, "a worse tier carries traffic only while every better tier is down");

  private final int number;
  private final String statement;

  FailoverProperty(int number, String statement) {
    this.number = number;
    this.statement = statement;
  }

  /** Its number in DESIGN.md. */
  public int number() {
    return number;
  }

  /** What must hold, in words. */
  public String statement() {
    return statement;
  }

  /** {@code property 8 (no new flow goes to a down uplink after the transition)}. */
  @Override
  public String toString() {
    return "property " + number + " (" + statement + ")";
  }
}
