package dev.mlb.iproute;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * What an ip rule does with a packet it selects.
 *
 * <pre>{@code
 * RuleAction.lookup(RoutingTable.of(101));   // lookup 101
 * RuleAction.goTo(32000);                     // goto 32000
 * RuleAction.UNREACHABLE;                     // unreachable
 * }</pre>
 *
 * <p>{@link #toString()} is the action as {@code ip rule show} prints it. Consumers dispatch with
 * {@link #accept(Visitor)}, so a new action fails to compile until every consumer handles it.
 */
public sealed interface RuleAction {

  /** Look the destination up in a table (a route found there ends the search). */
  RuleAction.Lookup MAIN = new Lookup(RoutingTable.MAIN);
  /** Reject with ICMP unreachable. */
  RuleAction UNREACHABLE = new Reject(Kind.UNREACHABLE);
  /** Drop silently. */
  RuleAction BLACKHOLE = new Reject(Kind.BLACKHOLE);
  /** Reject with ICMP prohibited. */
  RuleAction PROHIBIT = new Reject(Kind.PROHIBIT);
  /** Do nothing; go on with the next rule. */
  RuleAction NOP = new Nop();

  /** {@code lookup TABLE}. */
  static Lookup lookup(RoutingTable table) {
    return new Lookup(table);
  }

  /** {@code goto PRIORITY}. */
  static Goto goTo(long priority) {
    return new Goto(priority);
  }

  <R> R accept(Visitor<R> visitor);

  /** One method per action. */
  interface Visitor<R> {
    R lookup(Lookup lookup);

    R goTo(Goto target);

    R reject(Reject reject);

    R nop(Nop nop);
  }

  /** The three rejecting actions. */
  enum Kind {
    UNREACHABLE,
    BLACKHOLE,
    PROHIBIT;

    @Override
    public String toString() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** {@code lookup TABLE}. */
  record Lookup(RoutingTable table) implements RuleAction {
    public Lookup {
      checkArgument(table != null, "table is null");
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.lookup(this);
    }

    @Override
    public String toString() {
      return "lookup " + table;
    }
  }

  /** {@code goto PRIORITY}: continue at the rule with that priority, which must come later. */
  record Goto(long priority) implements RuleAction {
    public Goto {
      checkArgument(
          priority >= 0 && priority <= 0xFFFF_FFFFL, "goto priority %s is outside 0..4294967295", priority);
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.goTo(this);
    }

    @Override
    public String toString() {
      return "goto " + priority;
    }
  }

  /** {@code unreachable}, {@code blackhole} or {@code prohibit}. */
  record Reject(Kind kind) implements RuleAction {
    public Reject {
      checkArgument(kind != null, "kind is null");
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.reject(this);
    }

    @Override
    public String toString() {
      return kind.toString();
    }
  }

  /** {@code nop}. */
  record Nop() implements RuleAction {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.nop(this);
    }

    @Override
    public String toString() {
      return "nop";
    }
  }
}
