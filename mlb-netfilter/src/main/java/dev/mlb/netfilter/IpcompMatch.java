package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.List;
import java.util.Set;

/**
 * {@code -p ipcomp -m ipcomp [[!] --ipcompspi N[:M]] [--compres]}: matches IPsec IPComp packets
 * by their compression parameter index, and (with {@code --compres}) those whose reserved field is
 * not zero.
 *
 * <pre>{@code
 * IpcompMatch.cpis(0x100, 0x1ff)        // -p ipcomp -m ipcomp --ipcompspi 256:511
 * IpcompMatch.cpi(7).withReserved()     // -p ipcomp -m ipcomp --ipcompspi 7 --compres
 * }</pre>
 *
 * <p>As iptables-nft 1.8.9's {@code iptables-save} prints it: without {@code --ipcompspi} the
 * index range is 0 to 0 and printed as {@code --ipcompspi 0} (iptables fills in nothing); the whole
 * range {@code 0:4294967295} (also {@code :}) is not printed, negated or not, so the record keeps
 * it uninverted. A reversed range is kept. The kernel refuses the match without {@code -p ipcomp}
 * (or with it negated). The simulator does not model {@code -m ipcomp}.
 *
 * @param from the smallest index that matches
 * @param to the largest index that matches
 * @param invert {@code !}: indexes outside the range
 * @param reserved {@code --compres}: the reserved field is not zero
 */
public record IpcompMatch(long from, long to, boolean invert, boolean reserved) implements Match {

  /** The largest index. */
  public static final long MAX = 0xFFFF_FFFFL;

  public IpcompMatch {
    checkArgument(from >= 0 && from <= MAX && to >= 0 && to <= MAX,
        "-m ipcomp: indexes are 0 to 4294967295, not %s:%s", from, to);
    invert = invert && !(from == 0 && to == MAX);
  }

  /** {@code -m ipcomp --ipcompspi CPI}. */
  public static IpcompMatch cpi(long cpi) {
    return new IpcompMatch(cpi, cpi, false, false);
  }

  /** {@code -m ipcomp --ipcompspi FROM:TO}. */
  public static IpcompMatch cpis(long from, long to) {
    return new IpcompMatch(from, to, false, false);
  }

  /** This match negated: indexes outside the range. */
  public IpcompMatch negated() {
    return new IpcompMatch(from, to, !invert, reserved);
  }

  /** This match with {@code --compres}. */
  public IpcompMatch withReserved() {
    return new IpcompMatch(from, to, invert, true);
  }

  @Override
  public String module() {
    return "ipcomp";
  }

  /** {@code -m ipcomp}: iptables' {@code extensions/libxt_ipcomp.c}, as iptables-nft 1.8.9 reads it. */
  static final class IpcompModule extends MatchModule<IpcompMatch> {
    static final IpcompModule INSTANCE = new IpcompModule();

    private static final List<String> OPTIONS = List.of("--ipcompspi", "--compres");

    private IpcompModule() {
      super("ipcomp", IpcompMatch.class);
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
    Set<String> flags() {
      return Set.of("--compres");
    }

    @Override
    boolean negatable(String option) {
      return option.equals("--ipcompspi");
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "ipcomp", at, rule) {
        private long[] range = {0, 0};

        @Override
        void value(String option, Token optionToken, Token arg) {
          if (option.equals("--ipcompspi")) {
            range = Ranges.parse(rule, arg, option, MAX);
          }
        }

        @Override
        Match finish() {
          return new IpcompMatch(range[0], range[1], negated, given.containsKey("--compres"));
        }
      };
    }

    @Override
    void write(IpcompMatch m, StringBuilder out) {
      if (m.from() != 0 || m.to() != MAX) {
        out.append(m.invert() ? " ! --ipcompspi " : " --ipcompspi ");
        Ranges.write(out, m.from(), m.to());
      }
      if (m.reserved()) {
        out.append(" --compres");
      }
    }

    @Override
    void check(IpcompMatch m, RuleContext rule, Findings findings) {
      if (!rule.protocolIs(Set.of(108))) {
        findings.error("match-protocol", "-m ipcomp needs -p ipcomp (not negated) in the rule; the kernel refuses it"
            + " otherwise");
      }
    }
  }
}
