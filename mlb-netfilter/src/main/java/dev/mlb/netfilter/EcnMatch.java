package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.Numbers;
import java.util.List;
import java.util.Set;

/**
 * {@code -m ecn [[!] --ecn-tcp-ece] [[!] --ecn-tcp-cwr] [[!] --ecn-ip-ect N]}: matches the ECN bits
 * of the TCP header (ECE, CWR; these need {@code -p tcp}) and of the IP header (the ECT code point,
 * 0 to 3).
 *
 * <pre>{@code
 * EcnMatch.ipEct(3)                       // -m ecn --ecn-ip-ect 3
 * EcnMatch.NONE.withEce(false)            // -p tcp -m ecn --ecn-tcp-ece
 * EcnMatch.NONE.withCwr(true)             // -p tcp -m ecn ! --ecn-tcp-cwr
 * }</pre>
 *
 * <p>{@code iptables-save} prints ECE, then CWR, then the code point, each with its own {@code !}.
 * iptables refuses the match without any option.
 *
 * @param ece whether ECE is tested
 * @param eceNegated whether that test is negated
 * @param cwr whether CWR is tested
 * @param cwrNegated whether that test is negated
 * @param ipEct the ECT code point tested, 0 to 3, or -1 for none
 * @param ipEctNegated whether that test is negated
 */
public record EcnMatch(boolean ece, boolean eceNegated, boolean cwr, boolean cwrNegated, int ipEct,
    boolean ipEctNegated) implements Match {

  /** No test (not a valid match by itself): a start for {@link #withEce} and the others. */
  public static final EcnMatch NONE = new EcnMatch(false, false, false, false, -1, false);

  public EcnMatch {
    checkArgument(ipEct >= -1 && ipEct <= 3, "-m ecn --ecn-ip-ect %s is outside 0 to 3", ipEct);
  }

  /** {@code --ecn-ip-ect N}. */
  public static EcnMatch ipEct(int ect) {
    return NONE.withIpEct(ect, false);
  }

  /** This match testing ECE too ({@code ! --ecn-tcp-ece} if {@code negated}). */
  public EcnMatch withEce(boolean negated) {
    return new EcnMatch(true, negated, cwr, cwrNegated, ipEct, ipEctNegated);
  }

  /** This match testing CWR too. */
  public EcnMatch withCwr(boolean negated) {
    return new EcnMatch(ece, eceNegated, true, negated, ipEct, ipEctNegated);
  }

  /** This match testing the ECT code point too. */
  public EcnMatch withIpEct(int ect, boolean negated) {
    return new EcnMatch(ece, eceNegated, cwr, cwrNegated, ect, negated);
  }

  @Override
  public String module() {
    return "ecn";
  }

  /** {@code -m ecn}: iptables' {@code extensions/libxt_ecn.c}, as iptables-nft 1.8.9 reads it. */
  static final class EcnModule extends MatchModule<EcnMatch> {
    static final EcnModule INSTANCE = new EcnModule();

    private static final List<String> OPTIONS = List.of("--ecn-tcp-cwr", "--ecn-tcp-ece", "--ecn-ip-ect");
    private static final Set<String> FLAGS = Set.of("--ecn-tcp-cwr", "--ecn-tcp-ece");

    private EcnModule() {
      super("ecn", EcnMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Set<String> flags() {
      return FLAGS;
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "ecn", at, rule) {
        private EcnMatch ecn = NONE;

        @Override
        void value(String option, Token optionToken, Token arg) {
          switch (option) {
            case "--ecn-tcp-ece" -> ecn = ecn.withEce(optionNegated);
            case "--ecn-tcp-cwr" -> ecn = ecn.withCwr(optionNegated);
            default -> {
              long v = Numbers.parseUnsigned(arg.text(), 3);
              if (v < 0) {
                throw error(arg, "bad value " + quoted(arg.text())
                    + " for --ecn-ip-ect; expected a number from 0 to 3");
              }
              ecn = ecn.withIpEct((int) v, optionNegated);
            }
          }
        }

        @Override
        Match finish() {
          if (given.isEmpty()) {
            throw error(at, "-m ecn needs an option: " + Arguments.join(OPTIONS, "or"));
          }
          return ecn;
        }
      };
    }

    @Override
    void write(EcnMatch m, StringBuilder out) {
      if (m.ece()) {
        out.append(m.eceNegated() ? " ! --ecn-tcp-ece" : " --ecn-tcp-ece");
      }
      if (m.cwr()) {
        out.append(m.cwrNegated() ? " ! --ecn-tcp-cwr" : " --ecn-tcp-cwr");
      }
      if (m.ipEct() >= 0) {
        out.append(m.ipEctNegated() ? " ! --ecn-ip-ect " : " --ecn-ip-ect ").append(m.ipEct());
      }
    }

    @Override
    void check(EcnMatch m, RuleContext rule, Findings findings) {
      if (!m.ece() && !m.cwr() && m.ipEct() < 0) {
        findings.error("ecn-empty", "-m ecn tests nothing; iptables refuses it without an option");
      }
      if ((m.ece() || m.cwr()) && !rule.protocolIs(Set.of(6))) {
        findings.error("ecn-protocol", "-m ecn --ecn-tcp-ece/--ecn-tcp-cwr need -p tcp (not negated) in the rule;"
            + " the kernel refuses them otherwise");
      }
    }
  }
}
