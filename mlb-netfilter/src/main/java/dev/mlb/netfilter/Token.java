package dev.mlb.netfilter;

/**
 * One word of a restore line, the 1-based column where it starts, and whether any of it was written
 * in double quotes (kept for arguments of unmodelled modules, which render back as written).
 *
 * <pre>{@code
 * // -A c -m comment --comment "a b"
 * new Token("a b", 29, true)
 * }</pre>
 */
record Token(String text, int column, boolean quoted) {
  Token(String text, int column) {
    this(text, column, false);
  }
}
