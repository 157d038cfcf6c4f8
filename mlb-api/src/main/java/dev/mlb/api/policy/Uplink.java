package dev.mlb.api.policy;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.MlbStyle;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.immutables.value.Value;

/**
 * One way out of the router: an interface towards a provider, how traffic leaving through it is
 * translated, and its share of the new connections.
 *
 * <pre>{@code
 * Uplink isp2 = Uplink.builder()
 *     .name("isp2")
 *     .iface(InterfaceName.of("eth1"))
 *     .gateway(IpAddress.parse("198.51.100.18"))   // none for point-to-point links (ppp0)
 *     .snat(IpAddress.parse("198.51.100.17"))      // none: MASQUERADE
 *     .weight(2)
 *     .build();
 * }</pre>
 *
 * <p>Marks and tables are assigned by the {@link BalancingPolicy} unless given here. Which values
 * are acceptable is the policy's business ({@link BalancingPolicy#validate()}); an uplink on its
 * own only needs a name and an interface.
 */
@Value.Immutable
@MlbStyle
public abstract class Uplink {
  Uplink() {}

  public static Builder builder() {
    return new Builder();
  }

  public static final class Builder extends ImmutableUplink.Builder {}

  /** A short identifier: letters, digits, {@code _} and {@code -}, 1 to 15 characters. */
  public abstract String name();

  /** The interface the uplink's traffic leaves through. */
  public abstract InterfaceName iface();

  /** The IPv4 next hop; empty for a point-to-point link (routes go {@code dev IFACE}). */
  public abstract Optional<IpAddress> gateway();

  /** The IPv6 next hop; empty for a point-to-point link. */
  public abstract Optional<IpAddress> gateway6();

  /** The fixed IPv4 source address to SNAT to; empty: MASQUERADE. */
  public abstract Optional<IpAddress> snat();

  /** The fixed IPv6 source address to SNAT to; empty: MASQUERADE. */
  public abstract Optional<IpAddress> snat6();

  /** The uplink's share of new connections, 1 to 256. */
  @Value.Default
  public int weight() {
    return 1;
  }

  /**
   * The uplink's tier, 1 to 100 (default 1): new connections go to the up uplinks of the best
   * (lowest) tier that has one, so a worse tier carries them only while every better tier is down.
   */
  @Value.Default
  public int tier() {
    return 1;
  }

  /** How this uplink is probed, over the policy's {@link BalancingPolicy#health()} (default: inherited). */
  @Value.Default
  public Health health() {
    return Health.inherit();
  }

  /** The connection mark value (inside the policy's mark mask); empty: assigned by the policy. */
  public abstract OptionalLong mark();

  /** The routing table number; empty: assigned by the policy. */
  public abstract OptionalInt table();

  /** The next hop for {@code family}. */
  public Optional<IpAddress> gateway(IpFamily family) {
    return family == IpFamily.V4 ? gateway() : gateway6();
  }

  /** The SNAT address for {@code family}; empty means MASQUERADE. */
  public Optional<IpAddress> snat(IpFamily family) {
    return family == IpFamily.V4 ? snat() : snat6();
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(name()).append(" (").append(iface());
    gateway().ifPresent(g -> s.append(" via ").append(g));
    gateway6().ifPresent(g -> s.append(" via ").append(g));
    s.append(", ").append(snat().map(a -> "snat " + a).orElse("masquerade"));
    snat6().ifPresent(a -> s.append(", snat6 ").append(a));
    s.append(", weight ").append(weight());
    if (tier() != 1) {
      s.append(", tier ").append(tier());
    }
    mark().ifPresent(m -> s.append(", mark ").append(dev.mlb.api.Mark.hex(m)));
    table().ifPresent(t -> s.append(", table ").append(t));
    return s.append(')').toString();
  }
}
