package dev.mlb.testkit;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;

/** A connection tracking tuple: protocol number, source and destination with ports. */
record Tuple(int protocol, IpAddress src, int sport, IpAddress dst, int dport) {
  @Override
  public boolean equals(Object o) {
    return o instanceof Tuple t && protocol == t.protocol && sport == t.sport && dport == t.dport
        && src.equals(t.src) && dst.equals(t.dst);
  }

  @Override
  public int hashCode() {
    int h = protocol;
    h = 31 * h + Long.hashCode(src.low()) + 7 * Long.hashCode(src.high());
    h = 31 * h + sport;
    h = 31 * h + Long.hashCode(dst.low()) + 7 * Long.hashCode(dst.high());
    return 31 * h + dport;
  }

  Tuple inverse() {
    return new Tuple(protocol, dst, dport, src, sport);
  }

  /** {@code prefix.contains(address)} without allocating for IPv4. */
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
