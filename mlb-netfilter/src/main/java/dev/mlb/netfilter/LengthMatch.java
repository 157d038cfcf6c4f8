package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.List;

/**
 * {@code -m length [!] --length N[:M]}: matches by the packet's length (the IP packet, header
 * included: the layer-3 payload length plus header for IPv4, the payload plus 40 for IPv6).
 *
 * <pre>{@code
 * LengthMatch.of(0, 128)            // -m length --length 0:128
 * LengthMatch.of(1400, 65535).negated()   // -m length ! --length 1400:65535
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it: one number when both bounds are equal, else
 * {@code FROM:TO}, the whole range {@code 0:65535} included; a reversed range is kept as written
 * (the kernel then matches nothing). The simulator does not model {@code -m length}.
 *
 * @param from the smallest length that matches
 * @param to the largest length that matches
 * @param invert {@code !}: lengths outside the range
 */
public record LengthMatch(int from, int to, boolean invert) implements Match {

  /** The largest length. */
  public static final int MAX = 65535;

  public LengthMatch {
    checkArgument(from >= 0 && from <= MAX && to >= 0 && to <= MAX, "-m length: lengths are 0 to 65535, not %s:%s",
        from, to);
  }

  /** {@code -m length --length FROM:TO}. */
  public static LengthMatch of(int from, int to) {
    return new LengthMatch(from, to, false);
  }

  /** This match negated: lengths outside the range. */
  public LengthMatch negated() {
    return new LengthMatch(from, to, !invert);
  }

  @Override
  public String module() {
    return "length";
  }

  /** {@code -m length}: iptables' {@code extensions/libxt_length.c}, as iptables-nft 1.8.9 reads it. */
  static final class LengthModule extends MatchModule<LengthMatch> {
    static final LengthModule INSTANCE = new LengthModule();

    private LengthModule() {
      super("length", LengthMatch.class);
    }

    @Override
    List<String> options() {
      return List.of("--length");
    }

    @Override
    String canonical(String option) {
      return option.equals("--length") ? option : null;
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "length", at, rule) {
        private IdRange range;

        @Override
        void value(String option, Token optionToken, Token arg) {
          range = IdRange.parse(rule, arg, option, MAX);
        }

        @Override
        Match finish() {
          require("--length");
          return new LengthMatch((int) range.first(), (int) range.last(), negated);
        }
      };
    }

    @Override
    void write(LengthMatch m, StringBuilder out) {
      out.append(m.invert() ? " ! --length " : " --length ");
      IdRange.of(m.from(), m.to()).appendTo(out);
    }
  }
}
