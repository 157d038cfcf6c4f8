package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.PortRange;
import java.util.Optional;

/**
 * {@code -j MASQUERADE [--to-ports P[-Q]] [--random] [--random-fully]}: source NAT to the address
 * of the outgoing interface. Only in the nat table's POSTROUTING chain.
 *
 * <pre>{@code
 * Masquerade.plain()   // -j MASQUERADE
 * }</pre>
 *
 * @param toPorts the source ports to use (needs {@code -p tcp} or udp)
 * @param random randomize the source port
 * @param randomFully fully randomize the source port
 */
public record Masquerade(Optional<PortRange> toPorts, boolean random, boolean randomFully)
    implements Target {

  public Masquerade {
    checkArgument(toPorts != null, "toPorts is null; use Optional.empty()");
  }

  public static Masquerade plain() {
    return new Masquerade(Optional.empty(), false, false);
  }

  @Override
  public String name() {
    return "MASQUERADE";
  }

  @Override
  public boolean isTerminating() {
    return true;
  }
}
