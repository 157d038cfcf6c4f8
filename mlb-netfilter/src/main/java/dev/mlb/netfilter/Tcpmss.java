package dev.mlb.netfilter;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Numbers;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * {@code -j TCPMSS --set-mss N | --clamp-mss-to-pmtu}: rewrites the MSS option of TCP SYN packets
 * and goes on with the next rule. Needs {@code -p tcp}.
 *
 * <pre>{@code
 * Tcpmss.clampToPmtu()   // -p tcp -j TCPMSS --clamp-mss-to-pmtu
 * Tcpmss.set(1400)       // -p tcp -j TCPMSS --set-mss 1400
 * }</pre>
 *
 * <p>The kernel keeps clamping as the MSS 65535 ({@code XT_TCPMSS_CLAMP_PMTU}); so when a rule
 * gives both options the last one counts, as in iptables. iptables takes {@code --set-mss} from 0
 * to 65515 (IPv4) or 65495 (IPv6); the kernel refuses the target without {@code -p tcp} (or with
 * it negated), and clamping where packets come from PREROUTING or INPUT. iptables-nft takes TCPMSS
 * in any table and, unlike iptables-legacy, without a {@code --tcp-flags} SYN match.
 *
 * @param mss the MSS to set, or {@link #CLAMP_PMTU} to clamp to the path MTU
 */
public record Tcpmss(int mss) implements Target {

  /** The kernel's value for {@code --clamp-mss-to-pmtu}. */
  public static final int CLAMP_PMTU = 0xFFFF;

  /** {@code --clamp-mss-to-pmtu}. */
  public static Tcpmss clampToPmtu() {
    return new Tcpmss(CLAMP_PMTU);
  }

  /** {@code --set-mss N}. */
  public static Tcpmss set(int mss) {
    return new Tcpmss(mss);
  }

  /** Whether this clamps to the path MTU. */
  public boolean clamps() {
    return mss == CLAMP_PMTU;
  }

  /** The largest MSS iptables sets in {@code family}: 65535 less the IP and TCP headers. */
  public static int maxMss(IpFamily family) {
    return family == IpFamily.V4 ? 65515 : 65495;
  }

  @Override
  public String name() {
    return "TCPMSS";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /** {@code -j TCPMSS}: iptables' {@code extensions/libxt_TCPMSS.c}, as iptables-nft 1.8.9 reads it. */
  static final class TcpmssModule extends TargetModule<Tcpmss> {
    static final TcpmssModule INSTANCE = new TcpmssModule();

    private static final List<String> OPTIONS = List.of("--set-mss", "--clamp-mss-to-pmtu");
    private static final Set<String> FLAGS = Set.of("--clamp-mss-to-pmtu");
    private static final Set<Hook> CLAMP_HOOKS = EnumSet.of(Hook.FORWARD, Hook.OUTPUT, Hook.POSTROUTING);

    private TcpmssModule() {
      super("TCPMSS", List.of(Tcpmss.class));
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
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private Tcpmss tcpmss;

        @Override
        void value(Token option, Token arg) {
          if (arg == null) {
            tcpmss = clampToPmtu();
            return;
          }
          int max = maxMss(rule.family());
          long n = Numbers.parseUnsigned(arg.text(), max);
          if (n < 0) {
            throw error(arg, "bad value " + Arguments.quoted(arg.text()) + " for --set-mss; expected a number from 0"
                + " to " + max);
          }
          tcpmss = set((int) n);
        }

        @Override
        Target finish() {
          if (tcpmss == null) {
            throw error(at, "-j TCPMSS needs --set-mss N or --clamp-mss-to-pmtu");
          }
          return tcpmss;
        }
      };
    }

    @Override
    void write(Tcpmss t, StringBuilder out) {
      if (t.clamps()) {
        out.append(" -j TCPMSS --clamp-mss-to-pmtu");
      } else {
        out.append(" -j TCPMSS --set-mss ").append(t.mss());
      }
    }

    @Override
    void check(Tcpmss t, RuleContext rule, Findings findings) {
      if (!rule.protocolIs(Set.of(6))) {
        findings.error("tcpmss-protocol", "TCPMSS needs -p tcp (not negated) in the rule; the kernel refuses it"
            + " otherwise");
      }
      if (t.clamps()) {
        Set<Hook> bad = EnumSet.noneOf(Hook.class);
        for (Hook h : rule.hooks) {
          if (!CLAMP_HOOKS.contains(h)) {
            bad.add(h);
          }
        }
        if (!bad.isEmpty()) {
          findings.error("target-hook", "TCPMSS --clamp-mss-to-pmtu is only valid in " + CLAMP_HOOKS
              + ", but chain " + rule.chain + " is reached from " + bad);
        }
      } else if (t.mss() < 0 || t.mss() > maxMss(rule.family)) {
        findings.error("tcpmss-mss", "TCPMSS --set-mss " + t.mss() + " is outside 0 to " + maxMss(rule.family));
      }
    }
  }
}
