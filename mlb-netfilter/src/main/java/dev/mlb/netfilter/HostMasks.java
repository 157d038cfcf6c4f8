package dev.mlb.netfilter;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;

/**
 * Addresses and prefix lengths as iptables' option parser reads them for masks: {@code getaddrinfo}
 * with {@code AI_NUMERICHOST} (so {@code inet_aton}'s forms for IPv4: {@code 24} is
 * {@code 0.0.0.24}, {@code 10.1} is {@code 10.0.0.1}, {@code 0x10} is {@code 0.0.0.16}), and
 * {@code XTTYPE_PLEN}'s "a prefix length, else a mask in address form" of {@code libxtables}.
 *
 * <pre>{@code
 * HostMasks.address(IpFamily.V4, "255.255.255.0");   // 255.255.255.0
 * HostMasks.address(IpFamily.V4, "010.1");           // 8.0.0.1
 * HostMasks.prefixLength(IpFamily.V4, "255.255.0.0"); // 16
 * HostMasks.prefixLength(IpFamily.V4, "128");         // 255: the address 0.0.0.128 is no prefix
 * }</pre>
 */
final class HostMasks {
  private HostMasks() {}

  /** What {@link #prefixLength} gives for a mask that is not a run of ones ({@code (uint8_t) -1}). */
  static final int NOT_A_PREFIX = 255;

  /** {@code text} as a numeric address of {@code family}, as getaddrinfo reads it; null if it is none. */
  static IpAddress address(IpFamily family, String text) {
    if (family == IpFamily.V4) {
      long v = inetAton(text);
      return v < 0 ? null : IpAddress.v4((int) v);
    }
    if (text.isEmpty() || text.indexOf(':') < 0) {
      return null;
    }
    try {
      IpAddress a = IpAddress.parse(text);
      return a.family() == IpFamily.V6 ? a : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * {@code XTTYPE_PLEN}: a prefix length from 0 to the family's width ({@code strtoul} base 0), else
   * a mask in address form made a prefix length ({@link #NOT_A_PREFIX} if its ones do not come
   * first); -1 if {@code text} is neither.
   */
  static int prefixLength(IpFamily family, String text) {
    long n = Strtoul.parse(text, family.bits());
    if (n >= 0) {
      return (int) n;
    }
    IpAddress mask = address(family, text);
    if (mask == null) {
      return -1;
    }
    int length = ones(mask);
    return length < 0 ? NOT_A_PREFIX : length;
  }

  /** The number of leading ones of {@code mask} if only zeros follow them, else -1. */
  static int ones(IpAddress mask) {
    if (mask.family() == IpFamily.V4) {
      long m = mask.low();
      int n = Math.min(32, Long.numberOfLeadingZeros(~m << 32));
      long expect = n == 0 ? 0 : (0xFFFF_FFFFL << (32 - n)) & 0xFFFF_FFFFL;
      return m == expect ? n : -1;
    }
    int hi = Long.numberOfLeadingZeros(~mask.high());
    if (hi < 64) {
      long expect = hi == 0 ? 0 : -1L << (64 - hi);
      return mask.high() == expect && mask.low() == 0 ? hi : -1;
    }
    int lo = Long.numberOfLeadingZeros(~mask.low());
    long expect = lo == 0 ? 0 : lo == 64 ? -1L : -1L << (64 - lo);
    return mask.low() == expect ? 64 + lo : -1;
  }

  /** The all-ones mask of {@code family}. */
  static IpAddress all(IpFamily family) {
    return family == IpFamily.V4 ? IpAddress.v4(-1) : IpAddress.v6(-1L, -1L);
  }

  /**
   * glibc's {@code inet_aton} as {@code getaddrinfo} uses it (the whole text): one to four parts,
   * each decimal, {@code 0x} hexadecimal or {@code 0} octal, the last filling the bits the others
   * leave. The address as an unsigned 32-bit value, or -1.
   */
  static long inetAton(String text) {
    long[] parts = new long[4];
    int count = 0;
    int i = 0;
    int n = text.length();
    while (true) {
      if (i >= n || !isDigit(text.charAt(i))) {
        return -1;
      }
      int base = 10;
      boolean digit = false;
      if (text.charAt(i) == '0') {
        i++;
        if (i < n && (text.charAt(i) == 'x' || text.charAt(i) == 'X')) {
          base = 16;
          i++;
        } else {
          base = 8;
          digit = true;
        }
      }
      long value = 0;
      while (i < n) {
        char c = text.charAt(i);
        int d = c < 128 ? Character.digit(c, base == 8 ? 10 : base) : -1;
        if (d < 0) {
          break;
        }
        if (base == 8 && d > 7) {
          return -1;
        }
        value = value * base + d;
        if (value > 0xFFFF_FFFFL) {
          return -1;
        }
        digit = true;
        i++;
      }
      if (!digit) {
        return -1;
      }
      if (i < n && text.charAt(i) == '.') {
        if (count >= 3 || value > 0xff) {
          return -1;
        }
        parts[count++] = value;
        i++;
        continue;
      }
      if (i != n) {
        return -1;
      }
      parts[count++] = value;
      break;
    }
    long last = parts[count - 1];
    long[] lastMax = {0xFFFF_FFFFL, 0xFF_FFFFL, 0xFFFFL, 0xFFL};
    if (last > lastMax[count - 1]) {
      return -1;
    }
    long v = last;
    for (int p = 0; p < count - 1; p++) {
      v |= parts[p] << (24 - 8 * p);
    }
    return v;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /**
   * {@code xtables_strtoul} (base 0) over a whole argument, as the integer options read them:
   * leading blanks and a {@code +} allowed, no {@code -}.
   */
  static final class Strtoul {
    private Strtoul() {}

    /** The value if all of {@code text} is one number up to {@code max}, else -1. */
    static long parse(String text, long max) {
      long[] r = prefix(text);
      if (r == null || r[1] != text.length() || Long.compareUnsigned(r[0], max) > 0) {
        return -1;
      }
      return r[0];
    }

    /**
     * {@code strtoumax(text, &end, 0)} after xtables' check for a minus: {value, end index}, or
     * null if no digits were read, a minus came first or the value overflowed 64 bits (ERANGE).
     */
    static long[] prefix(String text) {
      int i = 0;
      int n = text.length();
      while (i < n && isSpace(text.charAt(i))) {
        i++;
      }
      if (i < n && text.charAt(i) == '-') {
        return null;
      }
      if (i < n && text.charAt(i) == '+') {
        i++;
      }
      int base = 10;
      if (i + 1 < n && text.charAt(i) == '0' && (text.charAt(i + 1) == 'x' || text.charAt(i + 1) == 'X')
          && i + 2 < n && Character.digit(text.charAt(i + 2), 16) >= 0 && text.charAt(i + 2) < 128) {
        base = 16;
        i += 2;
      } else if (i < n && text.charAt(i) == '0') {
        base = 8;
      }
      int start = i;
      long value = 0;
      boolean overflow = false;
      while (i < n) {
        char c = text.charAt(i);
        int d = c < 128 ? Character.digit(c, base) : -1;
        if (d < 0) {
          break;
        }
        long next = value * base + d;
        if (Long.compareUnsigned(value, Long.divideUnsigned(-1L - d, base)) > 0) {
          overflow = true;
        }
        value = next;
        i++;
      }
      if (i == start) {
        return null;
      }
      return overflow ? null : new long[] {value, i};
    }

    static boolean isSpace(char c) {
      return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b;
    }
  }
}
