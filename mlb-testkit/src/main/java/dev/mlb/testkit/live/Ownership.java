package dev.mlb.testkit.live;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableSet;
import dev.mlb.api.IpFamily;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.iproute.RouteProtocol;

/**
 * What one policy owns on a router, and nothing else is ever touched: the chains whose names start
 * with {@link #chainPrefix()} (and the jumps to them from built-in chains), the ip rules and routes
 * of {@link #ruleProtocol()}, and the mark bits of {@link #markMask()} on the connections it
 * balances, in {@link #families()}.
 *
 * <pre>{@code
 * Ownership o = Ownership.of(policy);
 * o.chainPrefix();    // "mlb-"
 * o.name();           // "mlb": the state record's name
 * }</pre>
 *
 * @param chainPrefix the prefix of owned chain names, with its dash: {@code mlb-}
 * @param ruleProtocol the protocol tag of owned ip rules and routes
 * @param markMask the mark bits mlb writes
 * @param families the families mlb has rules and routes in
 */
public record Ownership(String chainPrefix, int ruleProtocol, long markMask, ImmutableSet<IpFamily> families) {

  public Ownership {
    checkArgument(chainPrefix.endsWith("-") && chainPrefix.length() > 1, "chain prefix \"%s\" must end with -",
        chainPrefix);
    checkArgument(!families.isEmpty(), "no families");
  }

  /** What {@code policy} owns. */
  public static Ownership of(BalancingPolicy policy) {
    return new Ownership(policy.chainPrefix() + "-", policy.ruleProtocol(), policy.markMask(), policy.families());
  }

  /** The protocol tag as mlb-iproute's type. */
  public RouteProtocol protocol() {
    return RouteProtocol.of(ruleProtocol);
  }

  /** The name of the state record: the chain prefix without its dash. */
  public String name() {
    return chainPrefix.substring(0, chainPrefix.length() - 1);
  }
}
