package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.Numbers;
import java.util.List;

/**
 * {@code -m length [!] --length MIN[:MAX]}: matches packets whose length (the IP packet, with its
 * header; for IPv6 the payload length plus 40) is from {@code min} to {@code max}.
 *
 * <pre>{@code
 * LengthMatch.of(1280)              // -m length --length 1280
 * LengthMatch.between(0, 128)       // -m length --length 0:128
 * LengthMatch.of(40).negate()       // -m length ! --length 40
 * }</pre>
 *
 * <p>iptables reads {@code N}, {@code A:B}, {@code :B} (from 0), {@code A:} (to 65535) and
 * {@code :} (decimal, 0x hex or 0 octal; {@code xtopt_parse_mint} of iptables'
 * {@code libxtables/xtoptions.c}), and {@code iptables-save} prints {@code N} for a range of one
 * length and {@code A:B} otherwise. iptables-nft 1.8.9 takes a range whose bounds are reversed
 * ({@code 4:3}, which matches nothing) and keeps it so.
 *
 * @param min the smallest length, 0 to 65535
 * @param max the largest length, 0 to 65535
 * @param negated whether the match is negated
 */
public record LengthMatch(int min, int max, boolean negated) implements Match {

  public LengthMatch {
    checkArgument(min >= 0 && min <= 0xffff, "-m length: %s is outside 0 to 65535", min);
    checkArgument(max >= 0 && max <= 0xffff, "-m length: %s is outside 0 to 65535", max);
  }

  /** {@code --length N}. */
  public static LengthMatch of(int length) {
    return new LengthMatch(length, length, false);
  }

  /** {@code --length MIN:MAX}. */
  public static LengthMatch between(int min, int max) {
    return new LengthMatch(min, max, false);
  }

  /** This match negated, or not negated if it was. */
  public LengthMatch negate() {
    return new LengthMatch(min, max, !negated);
  }

  @Override
  public String module() {
    return "length";
  }

  /**
   * {@code N}, {@code A:B}, {@code A:}, {@code :B} or {@code :} of 16-bit numbers, as iptables reads
   * a {@code XTTYPE_UINT16RC} option: returns {@code min << 16 | max}, or throws an error at {@code arg}.
   */
  static int parseRange(ModuleContext rule, Token arg, String option) {
    String text = arg.text();
    int colon = text.indexOf(':');
    if (colon >= 0 && text.indexOf(':', colon + 1) >= 0) {
      throw rule.error(arg, "too many parts in " + option + " " + quoted(text) + "; expected N, MIN:MAX, MIN: or :MAX");
    }
    String a = colon < 0 ? text : text.substring(0, colon);
    int min = a.isEmpty() ? 0 : bound(rule, arg, option, a);
    int max = colon < 0 ? min
        : colon == text.length() - 1 ? 0xffff : bound(rule, arg, option, text.substring(colon + 1));
    return min << 16 | max;
  }

  private static int bound(ModuleContext rule, Token arg, String option, String text) {
    long v = Numbers.parseUnsigned(text, 0xffff);
    if (v < 0) {
      throw rule.error(arg, "bad value " + quoted(text) + " in " + option + " " + arg.text()
          + "; expected N, MIN:MAX, MIN: or :MAX with numbers from 0 to 65535");
    }
    return (int) v;
  }

  /** {@code N} if {@code min == max}, else {@code min:max}, as iptables-save prints a range. */
  static void appendRange(StringBuilder out, int min, int max) {
    out.append(min);
    if (min != max) {
      out.append(':').append(max);
    }
  }

  /** {@code -m length}: iptables' {@code extensions/libxt_length.c}, as iptables-nft 1.8.9 reads it. */
  static final class LengthModule extends MatchModule<LengthMatch> {
    static final LengthModule INSTANCE = new LengthModule();

    private static final List<String> OPTIONS = List.of("--length");

    private LengthModule() {
      super("length", LengthMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    String canonical(String option) {
      return OPTIONS.contains(option) ? option : null;
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "length", at, rule) {
        private LengthMatch length;

        @Override
        void value(String option, Token optionToken, Token arg) {
          int r = parseRange(rule, arg, "--length");
          length = new LengthMatch(r >>> 16, r & 0xffff, optionNegated);
        }

        @Override
        Match finish() {
          require("--length");
          return length;
        }
      };
    }

    @Override
    void write(LengthMatch m, StringBuilder out) {
      out.append(m.negated() ? " ! --length " : " --length ");
      appendRange(out, m.min(), m.max());
    }
  }
}
