package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Set;

/**
 * {@code -m tcpmss [!] --mss MIN[:MAX]}: matches TCP SYN packets whose MSS option is from
 * {@code min} to {@code max}. Needs {@code -p tcp}.
 *
 * <pre>{@code
 * TcpmssMatch.of(1460)               // -p tcp -m tcpmss --mss 1460
 * TcpmssMatch.between(1400, 1536)    // -p tcp -m tcpmss --mss 1400:1536
 * }</pre>
 *
 * <p>iptables reads the range as {@link LengthMatch} does, but refuses one whose bounds are
 * reversed ("invalid range given"); {@code iptables-save} prints {@code N} or {@code A:B}. The
 * kernel refuses the match without {@code -p tcp} (or with it negated). The {@code -j TCPMSS}
 * target is {@link Tcpmss}.
 *
 * @param min the smallest MSS, 0 to 65535
 * @param max the largest MSS, {@code min} to 65535
 * @param negated whether the match is negated
 */
public record TcpmssMatch(int min, int max, boolean negated) implements Match {

  public TcpmssMatch {
    checkArgument(min >= 0 && min <= 0xffff && max >= min && max <= 0xffff,
        "-m tcpmss: %s:%s is not a range within 0 to 65535", min, max);
  }

  /** {@code --mss N}. */
  public static TcpmssMatch of(int mss) {
    return new TcpmssMatch(mss, mss, false);
  }

  /** {@code --mss MIN:MAX}. */
  public static TcpmssMatch between(int min, int max) {
    return new TcpmssMatch(min, max, false);
  }

  /** This match negated, or not negated if it was. */
  public TcpmssMatch negate() {
    return new TcpmssMatch(min, max, !negated);
  }

  @Override
  public String module() {
    return "tcpmss";
  }

  /** {@code -m tcpmss}: iptables' {@code extensions/libxt_tcpmss.c}, as iptables-nft 1.8.9 reads it. */
  static final class TcpmssMatchModule extends OneOptionMatchModule<TcpmssMatch> {
    static final TcpmssMatchModule INSTANCE = new TcpmssMatchModule();

    private TcpmssMatchModule() {
      super("tcpmss", TcpmssMatch.class, "--mss");
    }

    @Override
    TcpmssMatch read(ModuleContext rule, Token arg, boolean negated) {
      IdRange r = IdRange.parse(rule, arg, "--mss", 0xffff);
      if (r.last() < r.first()) {
        throw rule.error(arg, "--mss " + arg.text() + " is an empty range; expected MIN:MAX with MIN not above MAX");
      }
      return new TcpmssMatch((int) r.first(), (int) r.last(), negated);
    }

    @Override
    void write(TcpmssMatch m, StringBuilder out) {
      out.append(m.negated() ? " ! --mss " : " --mss ");
      IdRange.of(m.min(), m.max()).appendTo(out);
    }

    @Override
    void check(TcpmssMatch m, RuleContext rule, Findings findings) {
      if (!rule.protocolIs(Set.of(6))) {
        findings.error("tcpmss-protocol", "-m tcpmss needs -p tcp (not negated) in the rule; the kernel refuses it"
            + " otherwise");
      }
    }
  }
}
