package dev.mlb.api;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * An address with a prefix length: a network such as {@code 192.0.2.0/24}, or one host.
 *
 * <pre>{@code
 * IpPrefix p = IpPrefix.parse("198.51.100.7/24");
 * p.length();               // 24
 * p.network().toString();   // "198.51.100.0/24"
 * p.contains(IpAddress.parse("198.51.100.200"));   // true
 * IpPrefix.parse("2001:db8::1").toString();        // "2001:db8::1/128"
 * }</pre>
 *
 * <p>{@link #toString()} always writes the length, as {@code iptables-save} does. The address is kept
 * as written; {@link #network()} clears the host bits (what iptables and the routing table store).
 *
 * @param address the address
 * @param length the prefix length, 0 to 32 for IPv4 and 0 to 128 for IPv6
 */
public record IpPrefix(IpAddress address, int length) implements Comparable<IpPrefix> {

  public IpPrefix {
    checkArgument(address != null, "address is null");
    int bits = address.family().bits();
    checkArgument(
        length >= 0 && length <= bits,
        "prefix length %s of %s is outside 0..%s",
        length,
        address,
        bits);
  }

  /** The prefix of one host: {@code /32} or {@code /128}. */
  public static IpPrefix host(IpAddress address) {
    return new IpPrefix(address, address.family().bits());
  }

  /** {@code address/length}. */
  public static IpPrefix of(IpAddress address, int length) {
    return new IpPrefix(address, length);
  }

  /** The default route prefix of a family: {@code 0.0.0.0/0} or {@code ::/0}. */
  public static IpPrefix any(IpFamily family) {
    return family == IpFamily.V4 ? new IpPrefix(IpAddress.v4(0), 0) : new IpPrefix(IpAddress.v6(0, 0), 0);
  }

  /**
   * Parses {@code ADDRESS} or {@code ADDRESS/LENGTH}, IPv4 or IPv6. A missing length means a host.
   *
   * @throws IllegalArgumentException naming {@code text} if it is not a prefix
   */
  public static IpPrefix parse(String text) {
    checkArgument(text != null, "prefix is null");
    int slash = text.indexOf('/');
    if (slash < 0) {
      return host(IpAddress.parse(text));
    }
    IpAddress address = IpAddress.parse(text.substring(0, slash));
    String len = text.substring(slash + 1);
    int bits = address.family().bits();
    if (len.isEmpty() || len.length() > 3 || !Numbers.isDigits(len)) {
      throw new IllegalArgumentException(
          "\"" + text + "\": prefix length \"" + len + "\" is not a number; expected 0 to " + bits);
    }
    int length = Integer.parseInt(len);
    if (length > bits) {
      throw new IllegalArgumentException(
          "\"" + text + "\": prefix length " + length + " is outside 0.." + bits);
    }
    return new IpPrefix(address, length);
  }

  /** The address family. */
  public IpFamily family() {
    return address.family();
  }

  /** This prefix with the host bits cleared. */
  public IpPrefix network() {
    if (length == address.family().bits()) {
      return this;
    }
    IpAddress masked = address.masked(length);
    return masked.equals(address) ? this : new IpPrefix(masked, length);
  }

  /** Whether the host bits are already clear. */
  public boolean isNetwork() {
    return address.masked(length).equals(address);
  }

  /** Whether this prefix is one whole host ({@code /32} or {@code /128}). */
  public boolean isHost() {
    return length == address.family().bits();
  }

  /** Whether {@code other} lies inside this prefix (same family, leading bits equal). */
  public boolean contains(IpAddress other) {
    return other.family() == address.family()
        && other.masked(length).equals(address.masked(length));
  }

  /** Whether every address of {@code other} lies inside this prefix. */
  public boolean contains(IpPrefix other) {
    return other.length >= length && contains(other.address);
  }

  /** Whether the two prefixes share at least one address. */
  public boolean overlaps(IpPrefix other) {
    return contains(other) || other.contains(this);
  }

  @Override
  public int compareTo(IpPrefix o) {
    int c = address.compareTo(o.address);
    return c != 0 ? c : Integer.compare(length, o.length);
  }

  /** {@code address/length}, always with the length. */
  @Override
  public String toString() {
    return address + "/" + length;
  }
}
