package dev.mlb.netfilter;

import com.google.common.collect.Sets;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * {@code -m eui64} (IPv6): matches packets whose source address's interface identifier is the
 * EUI-64 made from the source MAC address.
 *
 * <pre>{@code
 * Eui64Match.INSTANCE     // -m eui64
 * }</pre>
 *
 * <p>The match has no options. The kernel takes it only where packets come in with a MAC header:
 * in chains reached from PREROUTING, INPUT or FORWARD (it refuses OUTPUT and POSTROUTING). It exists
 * in IPv6 only. The simulator does not model it.
 */
public record Eui64Match() implements Match {

  /** The one {@code -m eui64}. */
  public static final Eui64Match INSTANCE = new Eui64Match();

  @Override
  public String module() {
    return "eui64";
  }

  /** {@code -m eui64}: iptables' {@code extensions/libip6t_eui64.c} and the kernel's {@code ip6t_eui64.c}. */
  static final class Eui64Module extends MatchModule<Eui64Match> {
    static final Eui64Module MODULE = new Eui64Module();

    private static final Set<Hook> NO_MAC = EnumSet.of(Hook.OUTPUT, Hook.POSTROUTING);

    private Eui64Module() {
      super("eui64", Eui64Match.class);
    }

    @Override
    List<String> options() {
      return List.of();
    }

    @Override
    String canonical(String option) {
      return null;
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "eui64", at, rule) {
        @Override
        void value(String option, Token optionToken, Token arg) {
          throw new AssertionError(option);
        }

        @Override
        Match finish() {
          return INSTANCE;
        }
      };
    }

    @Override
    void write(Eui64Match m, StringBuilder out) {}

    @Override
    void check(Eui64Match m, RuleContext rule, Findings findings) {
      Ipv6Only.check("eui64", rule, findings);
      Set<Hook> bad = Sets.intersection(rule.hooks, NO_MAC);
      if (!bad.isEmpty()) {
        findings.error("eui64-hook", "-m eui64 in chain " + rule.chain + ", which is reached from " + bad
            + ", where packets have no MAC header; the kernel refuses it (only PREROUTING, INPUT and FORWARD)");
      }
    }
  }
}
