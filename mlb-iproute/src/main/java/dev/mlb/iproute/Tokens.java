package dev.mlb.iproute;

/** Tokens as {@code ip -batch} splits them. */
final class Tokens {
  private Tokens() {}

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
