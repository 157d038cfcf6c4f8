package dev.mlb.netfilter;

/**
 * What a rule does when all its matches match ({@code -j ...} or {@code -g ...}).
 *
 * <pre>{@code
 * Target t = SetConnmark.set(1);    // -j CONNMARK --set-xmark 0x1/0xffffffff
 * t.isTerminating();                // false: traversal goes on with the next rule
 * }</pre>
 *
 * <p>Sealed; every consumer dispatches through {@link Visitor}.
 */
public sealed interface Target
    permits Verdict,
        Jump,
        Goto,
        SetMark,
        SetConnmark,
        SaveConnmark,
        RestoreConnmark,
        Masquerade,
        Snat,
        OpaqueTarget {

  /** The name after {@code -j}: a target extension, a verdict or a chain. */
  String name();

  /**
   * Whether traversal of the chain ends at this rule (verdicts, NAT targets). MARK and CONNMARK
   * go on with the next rule; jumps return to it.
   */
  boolean isTerminating();

  <R> R accept(Visitor<R> visitor);

  /** One method per target type. */
  interface Visitor<R> {
    R visitVerdict(Verdict target);

    R visitJump(Jump target);

    R visitGoto(Goto target);

    R visitSetMark(SetMark target);

    R visitSetConnmark(SetConnmark target);

    R visitSaveConnmark(SaveConnmark target);

    R visitRestoreConnmark(RestoreConnmark target);

    R visitMasquerade(Masquerade target);

    R visitSnat(Snat target);

    R visitOpaque(OpaqueTarget target);
  }
}
