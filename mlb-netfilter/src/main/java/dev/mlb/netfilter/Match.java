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
 * <p>The type is sealed; every consumer dispatches through {@link Visitor}, so adding a match
 * type fails to compile until the writer, the parser, validation and the simulator handle it.
 */
public sealed interface Match
    permits StateMatch,
        ConntrackMatch,
        ConnmarkMatch,
        MarkMatch,
        StatisticMatch,
        PortMatch,
        MultiportMatch,
        CommentMatch,
        OpaqueMatch {

  /** The module name, as written after {@code -m}. */
  String module();

  <R> R accept(Visitor<R> visitor);

  /** One method per match type. */
  interface Visitor<R> {
    R visitState(StateMatch match);

    R visitConntrack(ConntrackMatch match);

    R visitConnmark(ConnmarkMatch match);

    R visitMark(MarkMatch match);

    R visitStatistic(StatisticMatch match);

    R visitPort(PortMatch match);

    R visitMultiport(MultiportMatch match);

    R visitComment(CommentMatch match);

    R visitOpaque(OpaqueMatch match);
  }
}
