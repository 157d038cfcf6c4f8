package dev.mlb.netfilter;

/**
 * {@code -j MARK --set-xmark VALUE/MASK}: {@code mark = (mark & ~mask) ^ value}.
 *
 * <pre>{@code
 * SetMark.set(1)              // --set-mark 1        = --set-xmark 0x1/0xffffffff
 * SetMark.set(0x100, 0xff00)  // --set-mark 0x100/0xff00 = --set-xmark 0x100/0xff00
 * SetMark.or(4)               // --or-mark 4         = --set-xmark 0x4/0x4
 * }</pre>
 *
 * <p>iptables turns every input form into {@code --set-xmark}; so does mlb. Values above 32 bits can
 * be built; {@link Ruleset#validate()} reports them.
 *
 * @param value the bits to XOR in
 * @param mask the bits to clear first
 */
public record SetMark(long value, long mask) implements Target {

  /** {@code --set-mark value}: the whole mark becomes {@code value}. */
  public static SetMark set(long value) {
    return new SetMark(value, 0xFFFF_FFFFL);
  }

  /** {@code --set-mark value/mask}: the masked bits become {@code value}. */
  public static SetMark set(long value, long mask) {
    return new SetMark(value, mask | value);
  }

  /** {@code --and-mark bits}. */
  public static SetMark and(long bits) {
    return new SetMark(0, ~bits & 0xFFFF_FFFFL);
  }

  /** {@code --or-mark bits}. */
  public static SetMark or(long bits) {
    return new SetMark(bits, bits);
  }

  /** {@code --xor-mark bits}. */
  public static SetMark xor(long bits) {
    return new SetMark(bits, 0);
  }

  /** The mark after this target. */
  public long apply(long mark) {
    return ((mark & ~mask) ^ value) & 0xFFFF_FFFFL;
  }

  @Override
  public String name() {
    return "MARK";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }
}
