package dev.mlb.api;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * A 32-bit firewall mark with a mask, as netfilter and policy routing use it.
 *
 * <pre>{@code
 * Mark m = Mark.parse("0x100/0xff00");
 * m.value();                     // 256
 * m.matches(0x1234_0100L);       // true: (0x12340100 & 0xff00) == 0x100
 * Mark.of(1).toString();         // "0x1"  (the mask is all ones)
 * m.toString();                  // "0x100/0xff00"
 * }</pre>
 *
 * <p>Both numbers are unsigned 32-bit values held in a {@code long}. {@link #parse} reads what
 * iptables reads: decimal, {@code 0x} hexadecimal or {@code 0}-prefixed octal, each at most
 * {@code 0xffffffff}. {@link #toString()} is the form {@code iptables-save} and {@code ip rule}
 * print: hexadecimal, the mask left out when it is {@code 0xffffffff}.
 *
 * @param value the mark bits
 * @param mask which bits of the packet or connection mark take part
 */
public record Mark(long value, long mask) {

  /** All 32 bits. */
  public static final long FULL_MASK = 0xFFFF_FFFFL;

  public Mark {
    checkArgument(
        value >= 0 && value <= FULL_MASK,
        "mark value %s is outside 0..0xffffffff (marks are 32 bits)",
        value);
    checkArgument(
        mask >= 0 && mask <= FULL_MASK,
        "mark mask %s is outside 0..0xffffffff (marks are 32 bits)",
        mask);
  }

  /** {@code value} with the full mask. */
  public static Mark of(long value) {
    return new Mark(value, FULL_MASK);
  }

  /** {@code value/mask}. */
  public static Mark of(long value, long mask) {
    return new Mark(value, mask);
  }

  /**
   * Parses {@code VALUE} or {@code VALUE/MASK}.
   *
   * @throws IllegalArgumentException naming {@code text} if a part is not an unsigned 32-bit number
   */
  public static Mark parse(String text) {
    checkArgument(text != null, "mark is null");
    int slash = text.indexOf('/');
    String v = slash < 0 ? text : text.substring(0, slash);
    long value = parseU32(text, v, "value");
    long mask = slash < 0 ? FULL_MASK : parseU32(text, text.substring(slash + 1), "mask");
    return new Mark(value, mask);
  }

  /**
   * Parses one unsigned 32-bit number as iptables does (decimal, 0x hex, 0 octal).
   *
   * @throws IllegalArgumentException naming {@code text} if it is not one
   */
  public static long parseU32(String text) {
    return parseU32(text, text, "number");
  }

  private static long parseU32(String whole, String part, String what) {
    long n = Numbers.parseUnsigned(part, FULL_MASK);
    if (n < 0) {
      throw new IllegalArgumentException(
          "mark \"" + whole + "\": " + what + " \"" + part
              + "\" is not an unsigned 32-bit number; expected 0 to 4294967295 in decimal, 0x hex or 0 octal");
    }
    return n;
  }

  /** Whether the mask covers all 32 bits. */
  public boolean isFullMask() {
    return mask == FULL_MASK;
  }

  /** Whether {@code (mark & mask) == value}, the test of the mark, connmark and fwmark matches. */
  public boolean matches(long mark) {
    return (mark & mask) == value;
  }

  /** Whether {@code value} has bits outside {@code mask}; such a test can never succeed. */
  public boolean hasBitsOutsideMask() {
    return (value & ~mask) != 0;
  }

  /** Hexadecimal {@code 0xVALUE} or {@code 0xVALUE/0xMASK}. */
  @Override
  public String toString() {
    return isFullMask() ? hex(value) : hex(value) + "/" + hex(mask);
  }

  /** {@code 0x} and lower-case hexadecimal, as iptables prints marks. */
  public static String hex(long u32) {
    return "0x" + Long.toHexString(u32);
  }
}
