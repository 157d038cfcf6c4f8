package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.Mark;

/**
 * {@code -m connmark [!] --mark VALUE[/MASK]}: tests the connection's mark,
 * {@code (ctmark & mask) == value}. False for a packet without a conntrack entry.
 *
 * <pre>{@code
 * new ConnmarkMatch(Mark.of(0), true)   // -m connmark ! --mark 0x0
 * }</pre>
 *
 * @param mark the value and mask
 * @param negated whether the test is inverted
 */
public record ConnmarkMatch(Mark mark, boolean negated) implements Match {

  public ConnmarkMatch {
    checkArgument(mark != null, "mark is null");
  }

  public static ConnmarkMatch of(Mark mark) {
    return new ConnmarkMatch(mark, false);
  }

  public static ConnmarkMatch not(Mark mark) {
    return new ConnmarkMatch(mark, true);
  }

  @Override
  public String module() {
    return "connmark";
  }
}
