package dev.mlb.api;

/** Unsigned number parsing as the C library's {@code strtoul(s, &end, 0)} does for whole strings. */
final class Numbers {
  private Numbers() {}

  /**
   * Parses decimal, {@code 0x} hexadecimal or {@code 0}-prefixed octal, the way iptables and
   * iproute2 read numbers. Returns -1 if {@code text} is not such a number or exceeds {@code max}.
   */
  static long parseUnsigned(String text, long max) {
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
      int digit = Character.digit(text.charAt(i), radix);
      if (digit < 0 || text.charAt(i) > 'f') {
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
