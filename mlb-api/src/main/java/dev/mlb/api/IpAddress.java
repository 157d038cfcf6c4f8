package dev.mlb.api;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.base.CharMatcher;
import com.google.common.net.InetAddresses;
import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * An IPv4 or IPv6 address, as a value.
 *
 * <pre>{@code
 * IpAddress a = IpAddress.parse("192.0.2.1");
 * a.family();          // V4
 * a.toString();        // "192.0.2.1"
 * IpAddress.parse("2001:DB8:0:0::1").toString();   // "2001:db8::1"
 * }</pre>
 *
 * <p>{@link #toString()} is the canonical form, the one {@code inet_ntop(3)} prints and therefore the
 * one {@code iptables-save} and {@code ip} print: dotted quad for IPv4, RFC 5952 compressed lower
 * case for IPv6 (with the dotted tail for IPv4-mapped addresses). The 128 bits are kept as two
 * longs; an IPv4 address lives in the low 32 bits of {@code low}.
 *
 * @param family the address family
 * @param high for IPv6 the upper 64 bits; 0 for IPv4
 * @param low for IPv6 the lower 64 bits; for IPv4 the address as an unsigned 32-bit value
 */
public record IpAddress(IpFamily family, long high, long low) implements Comparable<IpAddress> {

  public IpAddress {
    checkArgument(family != null, "family is null");
    if (family == IpFamily.V4) {
      checkArgument(
          high == 0 && (low >>> 32) == 0, "IPv4 address must fit in 32 bits: %s/%s", high, low);
    }
  }

  /** An IPv4 address from its 32 bits. */
  public static IpAddress v4(int bits) {
    return new IpAddress(IpFamily.V4, 0, bits & 0xFFFF_FFFFL);
  }

  /** An IPv6 address from its 128 bits. */
  public static IpAddress v6(long high, long low) {
    return new IpAddress(IpFamily.V6, high, low);
  }

  /**
   * Parses a literal IPv4 or IPv6 address; no host names, no scope ids, no prefix length.
   *
   * @throws IllegalArgumentException naming {@code text} if it is not an address
   */
  public static IpAddress parse(String text) {
    checkArgument(text != null, "address is null");
    long v4 = parseDottedQuad(text);
    if (v4 >= 0) {
      return new IpAddress(IpFamily.V4, 0, v4);
    }
    if (text.isEmpty()
        || !CharMatcher.anyOf("0123456789abcdefABCDEF.:").matchesAllOf(text)
        || !InetAddresses.isInetAddress(text)) {
      throw new IllegalArgumentException(
          "\"" + text + "\" is not an IP address; expected an IPv4 address such as 192.0.2.1"
              + " or an IPv6 address such as 2001:db8::1");
    }
    InetAddress inet = InetAddresses.forString(text);
    byte[] bytes = inet.getAddress();
    if (inet instanceof Inet4Address && text.indexOf(':') >= 0) {
      // Java turns "::ffff:a.b.c.d" into an Inet4Address; keep the IPv6 address that was written.
      byte[] mapped = new byte[16];
      mapped[10] = (byte) 0xff;
      mapped[11] = (byte) 0xff;
      System.arraycopy(bytes, 0, mapped, 12, 4);
      bytes = mapped;
    }
    return fromBytes(bytes);
  }

  /**
   * The common case of {@link #parse} without garbage: four decimal octets 0 to 255 without
   * leading zeros, as {@code 192.0.2.1}; -1 for anything else (which {@code parse} reads the slow
   * way, accepting or refusing it as before).
   */
  private static long parseDottedQuad(String text) {
    int n = text.length();
    if (n < 7 || n > 15) {
      return -1;
    }
    long value = 0;
    int i = 0;
    for (int part = 0; part < 4; part++) {
      if (part > 0) {
        if (i >= n || text.charAt(i) != '.') {
          return -1;
        }
        i++;
      }
      int start = i;
      int octet = 0;
      while (i < n && i - start < 3) {
        char c = text.charAt(i);
        if (c < '0' || c > '9') {
          break;
        }
        octet = octet * 10 + (c - '0');
        i++;
      }
      int digits = i - start;
      if (digits == 0 || octet > 255 || (digits > 1 && text.charAt(start) == '0')) {
        return -1;
      }
      value = (value << 8) | octet;
    }
    return i == n ? value : -1;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IpAddress a && low == a.low && high == a.high && family == a.family;
  }

  @Override
  public int hashCode() {
    // What the record's own hashCode gives (31 * (31 * family + high) + low), spelled out next to equals.
    return 31 * (31 * family.hashCode() + Long.hashCode(high)) + Long.hashCode(low);
  }

  /** An address from 4 or 16 network-order bytes. */
  public static IpAddress fromBytes(byte[] bytes) {
    if (bytes.length == 4) {
      return v4(
          ((bytes[0] & 0xff) << 24) | ((bytes[1] & 0xff) << 16) | ((bytes[2] & 0xff) << 8)
              | (bytes[3] & 0xff));
    }
    checkArgument(bytes.length == 16, "an address has 4 or 16 bytes, not %s", bytes.length);
    long hi = 0;
    long lo = 0;
    for (int i = 0; i < 8; i++) {
      hi = (hi << 8) | (bytes[i] & 0xff);
      lo = (lo << 8) | (bytes[i + 8] & 0xff);
    }
    return v6(hi, lo);
  }

  /** The address as 4 or 16 network-order bytes. */
  public byte[] toBytes() {
    if (family == IpFamily.V4) {
      return new byte[] {
        (byte) (low >>> 24), (byte) (low >>> 16), (byte) (low >>> 8), (byte) low
      };
    }
    byte[] out = new byte[16];
    for (int i = 0; i < 8; i++) {
      out[i] = (byte) (high >>> (56 - 8 * i));
      out[i + 8] = (byte) (low >>> (56 - 8 * i));
    }
    return out;
  }

  /** The address with every bit after the first {@code length} cleared. */
  public IpAddress masked(int length) {
    int bits = family.bits();
    checkArgument(length >= 0 && length <= bits, "prefix length %s is outside 0..%s", length, bits);
    if (family == IpFamily.V4) {
      long mask = length == 0 ? 0 : (0xFFFF_FFFFL << (32 - length)) & 0xFFFF_FFFFL;
      return new IpAddress(family, 0, low & mask);
    }
    long hiMask = length >= 64 ? -1L : (length == 0 ? 0 : -1L << (64 - length));
    long loMask = length <= 64 ? 0 : (length == 128 ? -1L : -1L << (128 - length));
    return new IpAddress(family, high & hiMask, low & loMask);
  }

  @Override
  public int compareTo(IpAddress o) {
    int c = family.compareTo(o.family);
    if (c != 0) {
      return c;
    }
    c = Long.compareUnsigned(high, o.high);
    return c != 0 ? c : Long.compareUnsigned(low, o.low);
  }

  /** The canonical text, as {@code inet_ntop(3)} writes it. */
  @Override
  public String toString() {
    if (family == IpFamily.V4) {
      return dotted(low);
    }
    int[] words = new int[8];
    for (int i = 0; i < 4; i++) {
      words[i] = (int) (high >>> (48 - 16 * i)) & 0xffff;
      words[i + 4] = (int) (low >>> (48 - 16 * i)) & 0xffff;
    }
    // glibc inet_ntop: the longest run (at least two) of zero words becomes "::", the first on a tie.
    int bestBase = -1;
    int bestLen = 0;
    for (int i = 0; i < 8; ) {
      if (words[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && words[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestBase = i;
        bestLen = j - i;
      }
      i = j;
    }
    if (bestLen < 2) {
      bestBase = -1;
    }
    StringBuilder out = new StringBuilder(39);
    for (int i = 0; i < 8; i++) {
      if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
        if (i == bestBase) {
          out.append(':');
        }
        continue;
      }
      if (i != 0) {
        out.append(':');
      }
      if (i == 6
          && bestBase == 0
          && (bestLen == 6 || (bestLen == 5 && words[5] == 0xffff))) {
        out.append(dotted(low & 0xFFFF_FFFFL));
        break;
      }
      out.append(Integer.toHexString(words[i]));
    }
    if (bestBase >= 0 && bestBase + bestLen == 8) {
      out.append(':');
    }
    return out.toString();
  }

  private static String dotted(long v) {
    return ((v >>> 24) & 0xff) + "." + ((v >>> 16) & 0xff) + "." + ((v >>> 8) & 0xff) + "." + (v & 0xff);
  }
}
