package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.IpAddress;
import dev.mlb.api.PortRange;
import java.util.Optional;

/**
 * {@code -j SNAT --to-source ADDR[-ADDR][:PORT[-PORT]] [--random] [--random-fully] [--persistent]}.
 * Only in the nat table's POSTROUTING and INPUT chains.
 *
 * <pre>{@code
 * Snat.to(IpAddress.parse("198.51.100.2"))   // -j SNAT --to-source 198.51.100.2
 * }</pre>
 *
 * @param first the lowest source address
 * @param last the highest source address (equal to {@code first} for one address)
 * @param ports the source ports (needs {@code -p tcp} or udp)
 * @param random randomize the source port
 * @param randomFully fully randomize the source port
 * @param persistent give a client the same source address for every connection
 */
public record Snat(
    IpAddress first,
    IpAddress last,
    Optional<PortRange> ports,
    boolean random,
    boolean randomFully,
    boolean persistent)
    implements Target {

  public Snat {
    checkArgument(first != null && last != null, "SNAT address is null");
    checkArgument(ports != null, "ports is null; use Optional.empty()");
    checkArgument(first.family() == last.family(), "SNAT range %s-%s mixes IPv4 and IPv6", first, last);
  }

  /** SNAT to one address. */
  public static Snat to(IpAddress address) {
    return new Snat(address, address, Optional.empty(), false, false, false);
  }

  @Override
  public String name() {
    return "SNAT";
  }

  @Override
  public boolean isTerminating() {
    return true;
  }
}
