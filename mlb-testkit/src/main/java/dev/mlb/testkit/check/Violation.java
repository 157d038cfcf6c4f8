package dev.mlb.testkit.check;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.testkit.sim.Flow;

/**
 * One flow that breaks one {@link BalancingProperty}, with the reason.
 *
 * <pre>{@code
 * Violation v = check.violations(BalancingProperty.LAN_REPLIES).get(0);
 * v.flowIndex();                 // 0: the first flow of the check's sequence
 * v.explanation();               // "packet 2 (SYN-ACK ...) lost at provider on ppp0: ... ip rule 100 ..."
 * check.counterexample(v);       // its trace, replayed in a fresh simulator
 * }</pre>
 *
 * @param property the property broken
 * @param flowIndex the flow's position in the check's flow sequence, from 0
 * @param flow the flow
 * @param explanation what went wrong, naming the rules and routes responsible where the simulator knows them
 */
public record Violation(BalancingProperty property, int flowIndex, Flow flow, String explanation) {
  public Violation {
    checkArgument(property != null && flow != null && explanation != null, "null field");
    checkArgument(flowIndex >= 0, "flow index %s is negative", flowIndex);
  }

  @Override
  public String toString() {
    return property + ": flow #" + (flowIndex + 1) + " " + flow + ": " + explanation;
  }
}
