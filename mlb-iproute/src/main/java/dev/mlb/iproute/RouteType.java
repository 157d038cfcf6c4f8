package dev.mlb.iproute;

import java.util.Locale;

/**
 * The type of a route: what happens to a packet that matches it.
 *
 * <pre>{@code
 * RouteType.parse("unreachable") == RouteType.UNREACHABLE
 * RouteType.UNICAST.toString()   // "unicast"
 * }</pre>
 */
public enum RouteType {
  /** Forward to a gateway or out of a device (the default). */
  UNICAST,
  /** Deliver locally. */
  LOCAL,
  /** Broadcast on the link. */
  BROADCAST,
  /** Anycast address of this host (IPv6). */
  ANYCAST,
  /** Multicast routing. */
  MULTICAST,
  /** Drop silently. */
  BLACKHOLE,
  /** Drop with ICMP host unreachable. */
  UNREACHABLE,
  /** Drop with ICMP administratively prohibited. */
  PROHIBIT,
  /** Stop looking in this table; continue with the next rule. */
  THROW;

  /** Whether packets matching this type never leave through a device (no via, dev or nexthops). */
  public boolean isReject() {
    return this == BLACKHOLE || this == UNREACHABLE || this == PROHIBIT || this == THROW;
  }

  /**
   * The type named {@code text} as {@code ip route} writes it.
   *
   * @throws IllegalArgumentException naming {@code text} if it is not a route type
   */
  public static RouteType parse(String text) {
    for (RouteType t : values()) {
      if (t.toString().equals(text)) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "unknown route type \"" + text
            + "\"; expected unicast, local, broadcast, anycast, multicast, blackhole, unreachable, prohibit or throw");
  }

  /** The keyword {@code ip route} uses. */
  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
