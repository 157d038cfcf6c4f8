package dev.mlb.netfilter;

/**
 * What a rule does when all its matches match ({@code -j ...} or {@code -g ...}).
 *
 * <pre>{@code
 * Target t = SetConnmark.set(1);    // -j CONNMARK --set-xmark 0x1/0xffffffff
 * t.isTerminating();                // false: traversal goes on with the next rule
 * }</pre>
 *
 * <p>The rule grammar owns {@link Verdict}, {@link Jump} and {@link Goto}; mlb reads, writes and
 * checks the target extensions it has a module for: {@link SetMark}, {@link SetConnmark},
 * {@link SaveConnmark}, {@link RestoreConnmark}, {@link Masquerade}, {@link Snat}, and
 * {@link OpaqueTarget} for the other target extensions of iptables, kept verbatim. A rule with a
 * target of another type fails validation ({@code target-type}), and the writer refuses it.
 */
public interface Target {

  /** The name after {@code -j}: a target extension, a verdict or a chain. */
  String name();

  /**
   * Whether traversal of the chain ends at this rule (verdicts, NAT targets). MARK and CONNMARK
   * go on with the next rule; jumps return to it.
   */
  boolean isTerminating();
}
