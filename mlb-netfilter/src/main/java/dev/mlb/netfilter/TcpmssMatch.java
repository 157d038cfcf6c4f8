package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.List;
import java.util.Set;

/**
 * {@code -p tcp -m tcpmss [!] --mss N[:M]}: matches TCP SYN packets by the MSS option they carry
 * (the clamping rules of PPPoE and VPN routers look for large ones).
 *
 * <pre>{@code
 * TcpmssMatch.of(1453, 65535)         // -p tcp -m tcpmss --mss 1453:65535
 * TcpmssMatch.of(1400, 1400).negated()   // -p tcp -m tcpmss ! --mss 1400
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it: one number when both bounds are equal, else
 * {@code FROM:TO}. iptables refuses a reversed range ("invalid range given") and the kernel the
 * match without {@code -p tcp} (or with it negated). The simulator does not model {@code -m tcpmss}.
 *
 * @param from the smallest MSS that matches
 * @param to the largest MSS that matches
 * @param invert {@code !}: an MSS outside the range
 */
public record TcpmssMatch(int from, int to, boolean invert) implements Match {

  public TcpmssMatch {
    checkArgument(from >= 0 && to <= 65535 && from <= to, "-m tcpmss: an MSS range is FROM:TO within 0 to 65535,"
        + " not %s:%s", from, to);
  }

  /** {@code -m tcpmss --mss FROM:TO}. */
  public static TcpmssMatch of(int from, int to) {
    return new TcpmssMatch(from, to, false);
  }

  /** This match negated: an MSS outside the range. */
  public TcpmssMatch negated() {
    return new TcpmssMatch(from, to, !invert);
  }

  @Override
  public String module() {
    return "tcpmss";
  }

  /** {@code -m tcpmss}: iptables' {@code extensions/libxt_tcpmss.c}, as iptables-nft 1.8.9 reads it. */
  static final class TcpmssMatchModule extends MatchModule<TcpmssMatch> {
    static final TcpmssMatchModule INSTANCE = new TcpmssMatchModule();

    private TcpmssMatchModule() {
      super("tcpmss", TcpmssMatch.class);
    }

    @Override
    List<String> options() {
      return List.of("--mss");
    }

    @Override
    String canonical(String option) {
      return option.equals("--mss") ? option : null;
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "tcpmss", at, rule) {
        private IdRange range;

        @Override
        void value(String option, Token optionToken, Token arg) {
          range = IdRange.parse(rule, arg, option, 65535);
          if (range.first() > range.last()) {
            throw error(arg, "-m tcpmss: invalid range " + arg.text() + " for --mss; expected FROM:TO with FROM not"
                + " above TO");
          }
        }

        @Override
        Match finish() {
          require("--mss");
          return new TcpmssMatch((int) range.first(), (int) range.last(), negated);
        }
      };
    }

    @Override
    void write(TcpmssMatch m, StringBuilder out) {
      out.append(m.invert() ? " ! --mss " : " --mss ");
      IdRange.of(m.from(), m.to()).appendTo(out);
    }

    @Override
    void check(TcpmssMatch m, RuleContext rule, Findings findings) {
      if (!rule.protocolIs(Set.of(6))) {
        findings.error("match-protocol", "-m tcpmss needs -p tcp (not negated) in the rule; the kernel refuses it"
            + " otherwise");
      }
    }
  }
}
