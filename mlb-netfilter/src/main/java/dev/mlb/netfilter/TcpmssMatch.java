package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.List;
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
  static final class TcpmssMatchModule extends MatchModule<TcpmssMatch> {
    static final TcpmssMatchModule INSTANCE = new TcpmssMatchModule();

    private static final List<String> OPTIONS = List.of("--mss");

    private TcpmssMatchModule() {
      super("tcpmss", TcpmssMatch.class);
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
      return new Reader(this, "tcpmss", at, rule) {
        private TcpmssMatch mss;

        @Override
        void value(String option, Token optionToken, Token arg) {
          int r = LengthMatch.parseRange(rule, arg, "--mss");
          int min = r >>> 16;
          int max = r & 0xffff;
          if (max < min) {
            throw error(arg, "--mss " + arg.text() + " is an empty range; expected MIN:MAX with MIN not above MAX");
          }
          mss = new TcpmssMatch(min, max, optionNegated);
        }

        @Override
        Match finish() {
          require("--mss");
          return mss;
        }
      };
    }

    @Override
    void write(TcpmssMatch m, StringBuilder out) {
      out.append(m.negated() ? " ! --mss " : " --mss ");
      LengthMatch.appendRange(out, m.min(), m.max());
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
