package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * {@code -m comment --comment TEXT}: always matches; carries a note for humans.
 *
 * <pre>{@code
 * new CommentMatch("balance: uplink \"a\"")   // -m comment --comment "balance: uplink \"a\""
 * }</pre>
 *
 * <p>The writer quotes the text exactly as {@code iptables-save} does, so quotes, backslashes,
 * spaces and {@code #} come back unchanged. Validation refuses what cannot come back: line breaks
 * and other control characters, and texts over 255 bytes (the kernel keeps 256 with the NUL).
 *
 * @param text the comment
 */
public record CommentMatch(String text) implements Match {

  /** The kernel's XT_MAX_COMMENT_LEN less the NUL. */
  public static final int MAX_BYTES = 255;

  public CommentMatch {
    checkArgument(text != null, "comment is null");
  }

  @Override
  public String module() {
    return "comment";
  }
}
