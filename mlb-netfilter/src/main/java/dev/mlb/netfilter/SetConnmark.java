package dev.mlb.netfilter;

/**
 * {@code -j CONNMARK --set-xmark VALUE/MASK}: {@code ctmark = (ctmark & ~mask) ^ value}.
 *
 * <pre>{@code
 * SetConnmark.set(1)   // CONNMARK --set-mark 1 = CONNMARK --set-xmark 0x1/0xffffffff
 * }</pre>
 *
 * @param value the bits to XOR in
 * @param mask the bits to clear first
 */
public record SetConnmark(long value, long mask) implements Target {

  /** {@code --set-mark value}. */
  public static SetConnmark set(long value) {
    return new SetConnmark(value, 0xFFFF_FFFFL);
  }

  /** {@code --set-mark value/mask}. */
  public static SetConnmark set(long value, long mask) {
    return new SetConnmark(value, mask | value);
  }

  /** {@code --and-mark bits}. */
  public static SetConnmark and(long bits) {
    return new SetConnmark(0, ~bits & 0xFFFF_FFFFL);
  }

  /** {@code --or-mark bits}. */
  public static SetConnmark or(long bits) {
    return new SetConnmark(bits, bits);
  }

  /** {@code --xor-mark bits}. */
  public static SetConnmark xor(long bits) {
    return new SetConnmark(bits, 0);
  }

  /** The connection mark after this target. */
  public long apply(long ctmark) {
    return ((ctmark & ~mask) ^ value) & 0xFFFF_FFFFL;
  }

  @Override
  public String name() {
    return "CONNMARK";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }
}
