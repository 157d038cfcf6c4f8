package dev.mlb.testkit.sim;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;

/**
 * {@link IpPrefix#contains(IpAddress)} without allocating for IPv4, for the simulator's walks.
 *
 * <pre>{@code
 * Prefixes.contains(IpPrefix.parse("192.0.2.0/24"), IpAddress.parse("192.0.2.7"));   // true
 * }</pre>
 */
final class Prefixes {
  private Prefixes() {}

  /** {@code prefix.contains(address)}: false for another family. */
  static boolean contains(IpPrefix prefix, IpAddress address) {
    IpAddress base = prefix.address();
    if (base.family() != address.family()) {
      return false;
    }
    if (base.family() != IpFamily.V4) {
      return prefix.contains(address);
    }
    int length = prefix.length();
    long mask = length == 0 ? 0 : (0xFFFF_FFFFL << (32 - length)) & 0xFFFF_FFFFL;
    return ((base.low() ^ address.low()) & mask) == 0;
  }
}
