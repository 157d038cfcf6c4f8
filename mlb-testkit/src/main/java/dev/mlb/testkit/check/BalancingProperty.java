package dev.mlb.testkit.check;

/**
 * The properties every balancing policy must satisfy (DESIGN.md), each checked separately by
 * {@link BalancingCheck}: 1 to 7 always, 12 when the check knows the router without mlb
 * ({@link BalancingCheck.Builder#baseline}).
 *
 * <pre>{@code
 * check.violations(BalancingProperty.LAN_REPLIES);   // the flows whose replies never reached the LAN
 * BalancingProperty.STICKY.number();                  // 3
 * }</pre>
 */
public enum BalancingProperty {
  /** 1. Every NEW flow selected for balancing leaves with exactly one uplink mark. */
  ONE_UPLINK_MARK(1, "every balanced flow leaves with exactly one uplink mark"),
  /** 2. Marks split by weight: nth exactly (within the largest weight at every prefix), random within a binomial bound. */
  SPLIT_BY_WEIGHT(2, "marks split by weight"),
  /** 3. Every later packet of a flow, in both directions, keeps the flow's uplink. */
  STICKY(3, "every packet of a flow, both directions, keeps the flow's uplink"),
  /** 4. The egress uplink is the one the mark designates, with that uplink's source address. */
  EGRESS_MATCHES_MARK(4, "a flow leaves through the uplink its mark designates, with that uplink's address"),
  /** 5. Replies to LAN hosts are delivered to the LAN. */
  LAN_REPLIES(5, "replies to LAN hosts are delivered to the LAN"),
  /** 6. A connection arriving on uplink X is answered through X. */
  INBOUND_ANSWERED_ON_ARRIVAL(6, "a connection arriving on an uplink is answered through it"),
  /** 7. Excluded traffic is never balanced. */
  EXCLUDED_NOT_BALANCED(7, "excluded traffic is never balanced"),
  /**
   * 12. Traffic that mlb does not balance keeps its marks and its route: every packet of such a
   * flow leaves through the same interface with the same mark as on the router without mlb.
   */
  FOREIGN_TRAFFIC_UNTOUCHED(12, "traffic that mlb does not balance keeps its marks and its route");

  private final int number;
  private final String statement;

  BalancingProperty(int number, String statement) {
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

  /** {@code property 5 (replies to LAN hosts are delivered to the LAN)}. */
  @Override
  public String toString() {
    return "property " + number + " (" + statement + ")";
  }
}
