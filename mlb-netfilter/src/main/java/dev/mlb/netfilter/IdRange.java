package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.Numbers;

/**
 * A range of unsigned numbers as the header-field matches take it: an SPI of {@code -m ah},
 * {@code -m esp} or {@code -m ipcomp}, a fragment id of {@code -m frag}, the segments left of
 * {@code -m rt}, a type of {@code -m mh}.
 *
 * <pre>{@code
 * IdRange.of(7)            // --espspi 7
 * IdRange.of(0, 32)        // --espspi 0:32 (also read from ":32")
 * IdRange.all(0xffffffffL) // --espspi : (iptables-save leaves it out)
 * }</pre>
 *
 * <p>iptables reads {@code N}, {@code A:B}, {@code A:} (up to the field's maximum), {@code :B} (from
 * 0) and {@code :} (everything), each number decimal, {@code 0x} hex or {@code 0} octal, and keeps a
 * reversed range such as {@code 5:4} as written (it matches nothing). {@code iptables-save} prints a
 * range of one number as that number.
 *
 * @param first the lowest number
 * @param last the highest number (below {@code first} for a reversed range)
 */
public record IdRange(long first, long last) {

  /** The largest 32-bit number, the maximum of an SPI. */
  public static final long U32 = 0xFFFF_FFFFL;

  public IdRange {
    checkArgument(first >= 0 && first <= U32 && last >= 0 && last <= U32,
        "range %s:%s is outside 0 to 4294967295", first, last);
  }

  /** The one number {@code n}. */
  public static IdRange of(long n) {
    return new IdRange(n, n);
  }

  /** {@code first} to {@code last}. */
  public static IdRange of(long first, long last) {
    return new IdRange(first, last);
  }

  /** Every number from 0 to {@code max}. */
  public static IdRange all(long max) {
    return new IdRange(0, max);
  }

  /** Whether this is every number from 0 to {@code max}. */
  public boolean isAll(long max) {
    return first == 0 && last == max;
  }

  /** Whether {@code n} is in the range. */
  public boolean contains(long n) {
    return n >= first && n <= last;
  }

  /** {@code N} or {@code A:B}, as iptables-save prints it. */
  @Override
  public String toString() {
    return first == last ? Long.toString(first) : first + ":" + last;
  }

  /** Appends {@link #toString()}. */
  void appendTo(StringBuilder out) {
    out.append(first);
    if (first != last) {
      out.append(':').append(last);
    }
  }

  /** {@code N}, {@code A:B}, {@code A:}, {@code :B} or {@code :}, numbers up to {@code max} (xtopt_parse_mint). */
  static IdRange parse(ModuleContext rule, Token arg, String option, long max) {
    String text = arg.text();
    int colon = text.indexOf(':');
    if (colon < 0) {
      return of(number(rule, arg, option, text, max));
    }
    String a = text.substring(0, colon);
    String b = text.substring(colon + 1);
    if (b.indexOf(':') >= 0) {
      throw rule.error(arg, "too many parts in " + option + " " + text + "; expected N, FIRST:LAST, FIRST:, :LAST or :");
    }
    long first = a.isEmpty() ? 0 : number(rule, arg, option, a, max);
    long last = b.isEmpty() ? max : number(rule, arg, option, b, max);
    return of(first, last);
  }

  private static long number(ModuleContext rule, Token arg, String option, String text, long max) {
    // strtoul takes a leading "+" (iptables-nft 1.8.9 loads --espspi +5 as 5).
    long v = Numbers.parseUnsigned(text.startsWith("+") ? text.substring(1) : text, max);
    if (v < 0) {
      throw rule.error(arg, "bad value " + quoted(text) + " in " + option + " " + arg.text()
          + "; expected a number from 0 to " + max + " (decimal, 0x hex or 0 octal)");
    }
    return v;
  }
}
