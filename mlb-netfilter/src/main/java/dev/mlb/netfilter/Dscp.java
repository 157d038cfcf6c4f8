package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.List;

/**
 * {@code -j DSCP --set-dscp N | --set-dscp-class CLASS}: sets the DSCP of packets (the upper six
 * bits of the IPv4 TOS byte or the IPv6 traffic class) and goes on with the next rule. Only in
 * the mangle table.
 *
 * <pre>{@code
 * Dscp.set(0x2e)          // -j DSCP --set-dscp 0x2e
 * Dscp.ofClass("EF")      // -j DSCP --set-dscp 0x2e (iptables-save prints the number)
 * }</pre>
 *
 * <p>Class names are read as {@link DscpMatch#classValue} reads them.
 *
 * @param dscp the code point, 0 to 63
 */
public record Dscp(int dscp) implements Target {

  public Dscp {
    checkArgument(dscp >= 0 && dscp <= DscpMatch.MAX, "-j DSCP: %s is outside 0 to 63", dscp);
  }

  /** {@code --set-dscp N}. */
  public static Dscp set(int dscp) {
    return new Dscp(dscp);
  }

  /** {@code --set-dscp-class CLASS}. */
  public static Dscp ofClass(String name) {
    return new Dscp(DscpMatch.classValue(name));
  }

  @Override
  public String name() {
    return "DSCP";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /** {@code -j DSCP}: iptables' {@code extensions/libxt_DSCP.c}, as iptables-nft 1.8.9 reads it. */
  static final class DscpModule extends TargetModule<Dscp> {
    static final DscpModule INSTANCE = new DscpModule();

    private static final List<String> OPTIONS = List.of("--set-dscp", "--set-dscp-class");

    private DscpModule() {
      super("DSCP", List.of(Dscp.class));
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private Dscp dscp;

        @Override
        void value(Token option, Token arg) {
          if (dscp != null) {
            throw error(option, "-j DSCP: --set-dscp and --set-dscp-class cannot be used together; give one");
          }
          dscp = new Dscp(DscpMatch.parse(rule, arg, option.text()));
        }

        @Override
        Target finish() {
          if (dscp == null) {
            throw error(at, "-j DSCP needs --set-dscp N or --set-dscp-class CLASS");
          }
          return dscp;
        }
      };
    }

    @Override
    void write(Dscp t, StringBuilder out) {
      out.append(" -j DSCP --set-dscp ");
      TosMatch.appendHex(out, t.dscp());
    }

    @Override
    void check(Dscp t, RuleContext rule, Findings findings) {
      Tos.checkMangle("DSCP", rule, findings);
    }
  }
}
