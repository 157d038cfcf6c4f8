package dev.mlb.testkit.sim;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.Protocol;
import dev.mlb.iproute.IpRule;
import dev.mlb.iproute.Route;
import dev.mlb.iproute.RoutingPlan;
import java.util.Optional;

/**
 * Where the simulator's policy routing sends one packet: the rules by priority, then the table's
 * longest-prefix match, over a {@link RoutingPlan} and the routes the kernel makes for the
 * topology's addresses.
 *
 * <pre>{@code
 * PolicyRouting routing = PolicyRouting.of(Topology.standard(2), plan);
 * PolicyRouting.Choice c = routing.lookup(Optional.of(client), server, 0x100, "eth0", Protocol.TCP, 40000, 443);
 * c.device();      // Optional[ppp0]
 * c.describe();    // ip rule 100 "from all fwmark 0x100/0xff00 lookup 100", route "default dev ppp0 table 100"
 * }</pre>
 */
public final class PolicyRouting {
  private final RoutingEngine engine;

  private PolicyRouting(RoutingEngine engine) {
    this.engine = engine;
  }

  /** Routing over {@code plan} in {@code topology}. */
  public static PolicyRouting of(Topology topology, RoutingPlan plan) {
    return new PolicyRouting(new RoutingEngine(topology, plan));
  }

  /** What one lookup decided. */
  public enum Kind {
    /** Delivered to the router itself. */
    LOCAL,
    /** Sent out of {@link Choice#device()}. */
    FORWARD,
    /** Dropped: unreachable, prohibited or no route. */
    LOSS
  }

  /**
   * The outcome of a lookup.
   *
   * @param kind what happens to the packet
   * @param rule the ip rule whose lookup gave the answer, if any
   * @param route the route that matched, if any
   * @param device the output interface, for {@link Kind#FORWARD}
   * @param description the rule and route, or where and why the packet was lost
   */
  public record Choice(Kind kind, Optional<IpRule> rule, Optional<Route> route, Optional<InterfaceName> device,
      String description) {
    public String describe() {
      return description;
    }
  }

  /**
   * Looks {@code dst} up as the kernel's fib_rules_lookup does.
   *
   * @param src the source; empty when not yet chosen (matches as 0.0.0.0)
   * @param iif the input interface; {@code lo} for locally generated packets
   */
  public Choice lookup(Optional<IpAddress> src, IpAddress dst, long mark, String iif, Protocol protocol, int sport,
      int dport) {
    RoutingEngine.Decision d = engine.lookup(src.orElse(null), dst, mark, iif, protocol, sport, dport, null);
    Kind kind = switch (d.kind) {
      case LOCAL -> Kind.LOCAL;
      case FORWARD -> Kind.FORWARD;
      case LOSS -> Kind.LOSS;
    };
    return new Choice(kind, Optional.ofNullable(d.rule).map(RoutingEngine.RuleEntry::rule),
        Optional.ofNullable(d.route), Optional.ofNullable(d.dev).map(InterfaceName::of), d.describe());
  }
}
