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
 * <p>Every match type of this package (the classes implementing this interface) has a module in
 * mlb that reads, writes and checks it, the way each {@code libxt_NAME.c} of iptables owns one
 * module; {@link OpaqueMatch} keeps every module mlb does not model verbatim. A rule with a match
 * of another type fails validation ({@code match-type}), and the writer refuses it.
 */
public interface Match {

  /** The module name, as written after {@code -m}. */
  String module();
}
