package dev.mlb.netfilter;

import dev.mlb.api.Numbers;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * {@code -j SYNPROXY [--sack-perm] [--timestamp] [--wscale N] [--mss N] [--ecn]}: answers TCP
 * SYNs itself with SYN cookies and opens the connection to the server only once the client has
 * completed the handshake, with these TCP options (the server's).
 *
 * <pre>{@code
 * Synproxy.options(true, true, OptionalInt.of(7), OptionalInt.of(1460), false)
 *     // -p tcp -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code SYNPROXY_save} of iptables'
 * {@code extensions/libxt_SYNPROXY.c}): the options given, in the order sack-perm, timestamp,
 * wscale, mss, ecn. The kernel keeps the window scale in 8 bits and the MSS in 16; mlb refuses
 * larger values, which iptables cuts silently ({@code --wscale 256} loads as 0). The kernel takes
 * SYNPROXY only where packets come from INPUT or FORWARD, and with {@code -p tcp}, not negated.
 *
 * @param sackPerm {@code --sack-perm}
 * @param timestamp {@code --timestamp}
 * @param wscale {@code --wscale}, 0 to 255, if given
 * @param mss {@code --mss}, 0 to 65535, if given
 * @param ecn {@code --ecn}
 */
public record Synproxy(boolean sackPerm, boolean timestamp, OptionalInt wscale, OptionalInt mss, boolean ecn)
    implements Target {

  /** The same TCP options as {@link #Synproxy}; a name that reads well at the call site. */
  public static Synproxy options(boolean sackPerm, boolean timestamp, OptionalInt wscale, OptionalInt mss,
      boolean ecn) {
    return new Synproxy(sackPerm, timestamp, wscale, mss, ecn);
  }

  @Override
  public String name() {
    return "SYNPROXY";
  }

  @Override
  public boolean isTerminating() {
    return true;
  }

  /** {@code -j SYNPROXY}: iptables' {@code extensions/libxt_SYNPROXY.c}, as iptables-nft 1.8.9 reads it. */
  static final class SynproxyModule extends TargetModule<Synproxy> {
    static final SynproxyModule INSTANCE = new SynproxyModule();

    private static final Set<Hook> HOOKS = EnumSet.of(Hook.INPUT, Hook.FORWARD);

    private SynproxyModule() {
      super("SYNPROXY", List.of(Synproxy.class));
    }

    @Override
    List<String> options() {
      return List.of("--sack-perm", "--timestamp", "--wscale", "--mss", "--ecn");
    }

    @Override
    Set<String> flags() {
      return Set.of("--sack-perm", "--timestamp", "--ecn");
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private OptionalInt wscale = OptionalInt.empty();
        private OptionalInt mss = OptionalInt.empty();

        @Override
        void value(Token option, Token arg) {
          if (option.text().equals("--wscale")) {
            wscale = OptionalInt.of(number(arg, "--wscale", 255));
          } else if (option.text().equals("--mss")) {
            mss = OptionalInt.of(number(arg, "--mss", 65535));
          }
        }

        private int number(Token arg, String option, int max) {
          long n = Numbers.parseUnsigned(arg.text(), max);
          if (n < 0) {
            throw error(arg, "bad value " + Arguments.quoted(arg.text()) + " for " + option + "; expected a number"
                + " from 0 to " + max + " (the kernel keeps no more; iptables would cut it silently)");
          }
          return (int) n;
        }

        @Override
        Target finish() {
          return new Synproxy(given.containsKey("--sack-perm"), given.containsKey("--timestamp"), wscale, mss,
              given.containsKey("--ecn"));
        }
      };
    }

    @Override
    void write(Synproxy t, StringBuilder out) {
      out.append(" -j SYNPROXY");
      if (t.sackPerm()) {
        out.append(" --sack-perm");
      }
      if (t.timestamp()) {
        out.append(" --timestamp");
      }
      t.wscale().ifPresent(w -> out.append(" --wscale ").append(w));
      t.mss().ifPresent(m -> out.append(" --mss ").append(m));
      if (t.ecn()) {
        out.append(" --ecn");
      }
    }

    @Override
    void check(Synproxy t, RuleContext rule, Findings findings) {
      if (t.wscale().isPresent() && (t.wscale().getAsInt() < 0 || t.wscale().getAsInt() > 255)
          || t.mss().isPresent() && (t.mss().getAsInt() < 0 || t.mss().getAsInt() > 65535)) {
        findings.error("synproxy-value", "-j SYNPROXY --wscale must be 0 to 255 and --mss 0 to 65535");
      }
      if (!rule.protocolIs(Set.of(6))) {
        findings.error("synproxy-protocol", "SYNPROXY needs -p tcp (not negated) in the rule; the kernel refuses it"
            + " otherwise");
      }
      Set<Hook> bad = EnumSet.noneOf(Hook.class);
      for (Hook h : rule.hooks) {
        if (!HOOKS.contains(h)) {
          bad.add(h);
        }
      }
      if (!bad.isEmpty()) {
        findings.error("target-hook", "SYNPROXY is only valid in " + HOOKS + ", but chain " + rule.chain
            + " is reached from " + bad);
      }
    }
  }
}
