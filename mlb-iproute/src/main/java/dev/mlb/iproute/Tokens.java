package dev.mlb.iproute;

/** Numbers and tokens as iproute2 reads and {@code ip -batch} splits them. */
final class Tokens {
  private Tokens() {}

  /**
   * Parses decimal, {@code 0x} hexadecimal or {@code 0}-prefixed octal as {@code strtoul(s, &end, 0)}
   * does for a whole string. Returns -1 if {@code text} is not such a number or exceeds {@code max}.
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

  /**
   * Whether {@code token} can be written into an {@code ip -batch} line as one bare word that
   * iproute2's batch reader hands back unchanged: not empty, no whitespace or control characters,
   * no {@code #} (starts a comment anywhere in the line), no quotes, no backslash.
   */
  static boolean isBareWord(String token) {
    if (token.isEmpty()) {
      return false;
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c <= ' ' || c == 0x7f || c == '#' || c == '"' || c == '\'' || c == '\\') {
        return false;
      }
    }
    return true;
  }

  /**
   * {@code token} as it must be written so that iproute2's {@code makeargs} reads it back: bare if
   * possible, else in the quote it does not contain. Returns null if it cannot be written at all
   * (a {@code #}, a line break, or both quotes with whitespace).
   */
  static String quote(String token) {
    if (isBareWord(token)) {
      return token;
    }
    if (token.indexOf('#') >= 0 || token.indexOf('\n') >= 0 || token.indexOf('\r') >= 0) {
      return null;
    }
    boolean needsQuotes =
        token.isEmpty()
            || token.charAt(0) == '"'
            || token.charAt(0) == '\''
            || token.chars().anyMatch(c -> c == ' ' || c == '\t')
            || token.endsWith("\\");
    if (!needsQuotes) {
      return token;
    }
    if (token.indexOf('"') < 0) {
      return '"' + token + '"';
    }
    if (token.indexOf('\'') < 0) {
      return '\'' + token + '\'';
    }
    return null;
  }
}
