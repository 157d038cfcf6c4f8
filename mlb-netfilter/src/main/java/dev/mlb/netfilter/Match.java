package dev.mlb.netfilter;

/**
 * A match module of a rule ({@code -m NAME ...}). Matches are evaluated left to right and evaluation
 * stops at the first one that does not match.
 *
 * <pre>{@code
 * Match m = new ConnmarkMatch(Mark.of(0), true);   // -m connmark ! --mark 0x0
 * m.module();                                      // "connmark"
 * }</pre>
 *
 * <p>mlb reads, writes and checks the match types it has a module for: {@link StateMatch},
 * {@link ConntrackMatch}, {@link MarkMatch}, {@link ConnmarkMatch}, {@link StatisticMatch},
 * {@link PortMatch}, {@link MultiportMatch}, {@link CommentMatch}, and
 * {@link OpaqueMatch} for every other module, kept verbatim. A rule with a match of another type
 * fails validation ({@code match-type}), and the writer refuses it.
 */
public interface Match {

  /** The module name, as written after {@code -m}. */
  String module();
}
