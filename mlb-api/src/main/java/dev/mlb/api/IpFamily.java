package dev.mlb.api;

/**
 * An address family. {@code iptables-restore} and {@code ip -batch} files each hold exactly one.
 *
 * <pre>{@code
 * IpFamily.of(IpAddress.parse("2001:db8::1")) == IpFamily.V6
 * }</pre>
 */
public enum IpFamily {
  /** IPv4: 32-bit addresses, {@code iptables}, {@code ip -4}. */
  V4(32),
  /** IPv6: 128-bit addresses, {@code ip6tables}, {@code ip -6}. */
  V6(128);

  private final int bits;

  IpFamily(int bits) {
    this.bits = bits;
  }

  /** The address width in bits: 32 or 128. */
  public int bits() {
    return bits;
  }

  /** The family of {@code address}. */
  public static IpFamily of(IpAddress address) {
    return address.family();
  }
}
