package dev.mlb.api;

/**
 * Numbers as the C library reads them for iptables and iproute2.
 *
 * <pre>{@code
 * Numbers.parseUnsigned("0x1f", 255);   // 31
 * Numbers.parseUnsigned("010", 255);    // 8 (octal)
 * Numbers.parseUnsigned("256", 255);    // -1: too big
 * }</pre>
 */
public final class Numbers {
  private Numbers() {}

  /** Whether every character of {@code text} is an ASCII digit (true for the empty string). */
  static boolean isDigits(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /**
   * Parses a whole string as {@code strtoul(s, &end, 0)} does: decimal, {@code 0x} hexadecimal or
   * {@code 0}-prefixed octal, ASCII digits only, no sign, no blanks. Returns -1 if {@code text} is
   * not such a number or exceeds {@code max}.
   */
  public static long parseUnsigned(String text, long max) {
    if (text == null || text.isEmpty()) {
      return -1;
    }
    int radix = 10;
    int start = 0;
    if (text.length() > 2 && text.charAt(0) == '0' && (text.charAt(1) == 'x' || text.charAt(1) == 'X')) {
      radix = 16;
      start = 2;
    } else if (text.length() > 1 && text.charAt(0) == '0') {
      radix = 8;
      start = 1;
    }
    long value = 0;
    for (int i = start; i < text.length(); i++) {
      char c = text.charAt(i);
      int digit = c < 128 ? Character.digit(c, radix) : -1;
      if (digit < 0) {
        return -1;
      }
      value = value * radix + digit;
      if (value > max) {
        return -1;
      }
    }
    return value;
  }
}
