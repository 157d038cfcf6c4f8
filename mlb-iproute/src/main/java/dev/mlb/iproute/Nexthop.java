package dev.mlb.iproute;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import java.util.Optional;

/**
 * One path of a multipath route.
 *
 * <pre>{@code
 * Nexthop.via(IpAddress.parse("192.0.2.1"), InterfaceName.of("ppp0")).withWeight(3);
 * // nexthop via 192.0.2.1 dev ppp0 weight 3
 * }</pre>
 *
 * <p>{@link #toString()} is the {@code nexthop ...} clause as {@code ip route} prints it; the weight is
 * always written, as {@code ip} prints it.
 *
 * @param via the gateway, if any
 * @param dev the device, if any
 * @param weight 1 to 256; a path is chosen in proportion to its weight
 * @param onlink whether the gateway is taken to be on the link even without a matching route
 */
public record Nexthop(Optional<IpAddress> via, Optional<InterfaceName> dev, int weight, boolean onlink) {

  public Nexthop {
    checkArgument(via != null && dev != null, "via and dev must be Optional, not null");
    checkArgument(weight >= 1 && weight <= 256, "nexthop weight %s is outside 1..256", weight);
    checkArgument(via.isPresent() || dev.isPresent(), "a nexthop needs a gateway (via), a device (dev) or both");
    dev.ifPresent(d -> checkArgument(!d.isWildcard(), "nexthop device \"%s\" is a wildcard; routes need one real device", d));
  }

  /** Through gateway {@code via} on device {@code dev}, weight 1. */
  public static Nexthop via(IpAddress via, InterfaceName dev) {
    return new Nexthop(Optional.of(via), Optional.of(dev), 1, false);
  }

  /** This nexthop with weight {@code weight} (1 to 256). */
  public Nexthop withWeight(int weight) {
    return new Nexthop(via, dev, weight, onlink);
  }

  /** This nexthop with the onlink flag. */
  public Nexthop withOnlink(boolean onlink) {
    return new Nexthop(via, dev, weight, onlink);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("nexthop");
    via.ifPresent(v -> b.append(" via ").append(v));
    dev.ifPresent(d -> b.append(" dev ").append(d));
    b.append(" weight ").append(weight);
    if (onlink) {
      b.append(" onlink");
    }
    return b.toString();
  }
}
