package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.Mark;

/**
 * {@code -m mark [!] --mark VALUE[/MASK]}: tests the packet's own mark,
 * {@code (mark & mask) == value}.
 *
 * <pre>{@code
 * MarkMatch.of(Mark.parse("0x100/0xff00"))   // -m mark --mark 0x100/0xff00
 * }</pre>
 *
 * @param mark the value and mask
 * @param negated whether the test is inverted
 */
public record MarkMatch(Mark mark, boolean negated) implements Match {

  public MarkMatch {
    checkArgument(mark != null, "mark is null");
  }

  public static MarkMatch of(Mark mark) {
    return new MarkMatch(mark, false);
  }

  public static MarkMatch not(Mark mark) {
    return new MarkMatch(mark, true);
  }

  @Override
  public String module() {
    return "mark";
  }
}
