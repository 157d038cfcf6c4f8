package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;


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

  /** {@code -m length}: iptables' {@code extensions/libxt_length.c}, as iptables-nft 1.8.9 reads it. */
  static final class LengthModule extends OneOptionMatchModule<LengthMatch> {
    static final LengthModule INSTANCE = new LengthModule();

    private LengthModule() {
      super("length", LengthMatch.class, "--length");
    }

    @Override
    LengthMatch read(ModuleContext rule, Token arg, boolean negated) {
      IdRange r = IdRange.parse(rule, arg, "--length", 0xffff);
      return new LengthMatch((int) r.first(), (int) r.last(), negated);
    }

    @Override
    void write(LengthMatch m, StringBuilder out) {
      out.append(m.negated() ? " ! --length " : " --length ");
      IdRange.of(m.min(), m.max()).appendTo(out);
    }
  }
}
