package dev.mlb.iproute;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.MlbStyle;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.immutables.value.Value;

/**
 * One route in one routing table, as {@code ip route} manages it.
 *
 * <pre>{@code
 * Route r = Route.builder()
 *     .destination(IpPrefix.any(IpFamily.V4))
 *     .table(RoutingTable.of(101))
 *     .addNexthops(Nexthop.via(IpAddress.parse("192.0.2.1"), InterfaceName.of("ppp0")).withWeight(2))
 *     .addNexthops(Nexthop.via(IpAddress.parse("198.51.100.1"), InterfaceName.of("ppp1")))
 *     .build();
 * r.toString();
 * // "default table 101 nexthop via 192.0.2.1 dev ppp0 weight 2 nexthop via 198.51.100.1 dev ppp1 weight 1"
 * }</pre>
 *
 * <p>A route is kept in the normal form the kernel reports back, so a route read with
 * {@code ip -json} equals the one that was written: a scope equal to the one {@code ip} picks by
 * itself, {@code proto boot}, {@code metric 0} and IPv6 {@code metric 1024} are dropped on
 * {@code build()}. {@link #toString()} is what {@link IpBatchWriter} writes after {@code route replace}.
 */
@Value.Immutable
@MlbStyle
public abstract class Route {

  Route() {}

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link Route}; {@code build()} throws IllegalStateException if the destination is missing. */
  public static final class Builder extends ImmutableRoute.Builder {}

  /** The route type; unicast unless given. */
  @Value.Default
  public RouteType type() {
    return RouteType.UNICAST;
  }

  /** The destination; length 0 is {@code default}. */
  public abstract IpPrefix destination();

  /** The gateway of a single-path route. */
  public abstract Optional<IpAddress> via();

  /** The device of a single-path route. */
  public abstract Optional<InterfaceName> dev();

  /** The table; main unless given. */
  @Value.Default
  public RoutingTable table() {
    return RoutingTable.MAIN;
  }

  /** The metric (preference among routes to the same destination), 0 to 4294967295. */
  public abstract OptionalLong metric();

  /** Who made the route; empty is {@code boot}, what {@code ip route} uses by default. */
  public abstract Optional<RouteProtocol> protocol();

  /** The scope, when it differs from the one {@code ip} picks by itself. */
  public abstract Optional<RouteScope> scope();

  /** The preferred source address ({@code src}). */
  public abstract Optional<IpAddress> src();

  /** Whether the gateway is on the link even without a route to it. */
  @Value.Default
  public boolean onlink() {
    return false;
  }

  /** The paths of a multipath route; empty for a single-path route. */
  public abstract ImmutableList<Nexthop> nexthops();

  /** The line this route was read from, if it was parsed; not part of equality. */
  @Value.Auxiliary
  public abstract OptionalInt line();

  /** The family of the destination. */
  public IpFamily family() {
    return destination().family();
  }

  /** The scope {@code ip route} picks when none is given (iproute2 6.1 {@code iproute_modify}). */
  public RouteScope defaultScope() {
    if (family() == IpFamily.V6) {
      return RouteScope.GLOBAL;
    }
    switch (type()) {
      case LOCAL:
        return RouteScope.HOST;
      case BROADCAST:
      case MULTICAST:
      case ANYCAST:
        return RouteScope.LINK;
      case UNICAST:
        return via().isEmpty() && nexthops().isEmpty() ? RouteScope.LINK : RouteScope.GLOBAL;
      default:
        return RouteScope.GLOBAL;
    }
  }

  /** The scope the kernel will hold: the given one or the default. */
  public RouteScope effectiveScope() {
    return scope().orElse(defaultScope());
  }

  @Value.Check
  Route normalize() {
    metric().ifPresent(
        m -> {
          if (m < 0 || m > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("metric " + m + " is outside 0..4294967295");
          }
        });
    // IPv6 turns metric 0 into 1024 (IP6_RT_PRIO_USER) and reports 1024; IPv4 reports no metric 0.
    boolean defaultMetric =
        metric().isPresent()
            && (metric().getAsLong() == 0 || (family() == IpFamily.V6 && metric().getAsLong() == 1024));
    boolean bootProto = protocol().isPresent() && protocol().get().equals(RouteProtocol.BOOT);
    boolean defaultScope = scope().isPresent() && scope().get().equals(defaultScope());
    if (!defaultMetric && !bootProto && !defaultScope) {
      return this;
    }
    ImmutableRoute.Builder b = ImmutableRoute.builder().from(this);
    if (defaultMetric) {
      b.metric(OptionalLong.empty());
    }
    if (bootProto) {
      b.protocol(Optional.empty());
    }
    if (defaultScope) {
      b.scope(Optional.empty());
    }
    return b.build();
  }

  /** The route as written after {@code route replace}. */
  @Override
  public String toString() {
    return IpBatchWriter.routeSpec(this);
  }
}
