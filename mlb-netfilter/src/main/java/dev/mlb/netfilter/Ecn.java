package dev.mlb.netfilter;

import dev.mlb.api.IpFamily;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code -j ECN --ecn-tcp-remove}: clears the ECE and CWR bits of TCP packets (so that a path that
 * mishandles ECN sees none) and goes on with the next rule. IPv4 only, only in the mangle table,
 * and needs {@code -p tcp}.
 *
 * <pre>{@code
 * Ecn.removeTcp()     // -p tcp -j ECN --ecn-tcp-remove
 * }</pre>
 *
 * <p>mlb models {@code --ecn-tcp-remove}; a rule with iptables' other ECN options
 * ({@code --ecn-tcp-cwr}, {@code --ecn-tcp-ece}, {@code --ecn-ip-ect}) is kept verbatim and
 * reported as not checked.
 */
public record Ecn() implements Target {

  private static final Ecn REMOVE_TCP = new Ecn();

  /** {@code --ecn-tcp-remove}. */
  public static Ecn removeTcp() {
    return REMOVE_TCP;
  }

  @Override
  public String name() {
    return "ECN";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /** {@code -j ECN}: iptables' {@code extensions/libipt_ECN.c}, as iptables-nft 1.8.9 reads it. */
  static final class EcnModule extends TargetModule<Ecn> {
    static final EcnModule INSTANCE = new EcnModule();

    private static final List<String> OPTIONS = List.of("--ecn-tcp-remove");
    private static final Map<String, Integer> UNMODELLED =
        Map.of("--ecn-tcp-cwr", 1, "--ecn-tcp-ece", 1, "--ecn-ip-ect", 1);

    private EcnModule() {
      super("ECN", List.of(Ecn.class));
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Set<String> flags() {
      return Set.copyOf(OPTIONS);
    }

    @Override
    Map<String, Integer> unmodelled() {
      return UNMODELLED;
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      if (rule.family() != IpFamily.V4) {
        throw rule.error(at, "-j ECN is only for IPv4");
      }
      return new Reader(this, at, rule) {
        @Override
        void value(Token option, Token arg) {}

        @Override
        Target finish() {
          if (given.isEmpty()) {
            throw error(at, "-j ECN needs an operation: --ecn-tcp-remove (or --ecn-tcp-cwr, --ecn-tcp-ece,"
                + " --ecn-ip-ect)");
          }
          return REMOVE_TCP;
        }
      };
    }

    @Override
    void write(Ecn t, StringBuilder out) {
      out.append(" -j ECN --ecn-tcp-remove");
    }

    @Override
    void check(Ecn t, RuleContext rule, Findings findings) {
      Tos.checkMangle("ECN", rule, findings);
      if (rule.family != IpFamily.V4) {
        findings.error("target-family", "-j ECN is only for IPv4");
      }
      if (!rule.protocolIs(Set.of(6))) {
        findings.error("target-protocol", "-j ECN --ecn-tcp-remove needs -p tcp (not negated) in the rule; the"
            + " kernel refuses it otherwise");
      }
    }
  }
}
