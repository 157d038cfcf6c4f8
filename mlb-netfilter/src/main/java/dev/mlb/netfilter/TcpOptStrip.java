package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.Numbers;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code -j TCPOPTSTRIP [--strip-options OPT,...]}: replaces the listed TCP options of packets
 * with NOPs and goes on with the next rule. Only in the mangle table, and needs {@code -p tcp}.
 *
 * <pre>{@code
 * TcpOptStrip.of(2, 8)          // -p tcp -j TCPOPTSTRIP --strip-options 2,8
 * TcpOptStrip.named("mss")      // -p tcp -j TCPOPTSTRIP --strip-options 2
 * TcpOptStrip.of()              // -p tcp -j TCPOPTSTRIP (strips nothing)
 * }</pre>
 *
 * <p>iptables reads option kinds 2 to 255 (decimal, 0x hex or 0 octal) or the names wscale (3),
 * mss (2), sack-permitted (4), sack (5), timestamp (8) and md5 (19), exactly so spelled; each at
 * most once. The kernel keeps a bitmap, so {@code iptables-save} prints the kinds as numbers in
 * ascending order.
 *
 * @param kinds the TCP option kinds stripped, ascending, each from 2 to 255
 */
public record TcpOptStrip(List<Integer> kinds) implements Target {

  /** The names iptables takes, with their kinds ({@code tcp_optionmap} of {@code libxt_TCPOPTSTRIP.c}). */
  static final List<String> NAMES = List.of("wscale", "mss", "sack-permitted", "sack", "timestamp", "md5");
  private static final int[] NAME_KINDS = {3, 2, 4, 5, 8, 19};

  public TcpOptStrip {
    checkArgument(kinds != null, "-j TCPOPTSTRIP: the kinds are null");
    for (Integer k : kinds) {
      checkArgument(k != null && k >= 2 && k <= 255, "-j TCPOPTSTRIP: option kind %s is outside 2 to 255", k);
    }
    kinds = List.copyOf(new TreeSet<>(kinds));
  }

  /** {@code --strip-options K,...} (no kinds: the bare target). */
  public static TcpOptStrip of(Integer... kinds) {
    return new TcpOptStrip(List.of(kinds));
  }

  /** {@code --strip-options NAME,...} with iptables' names ({@link #NAMES}). */
  public static TcpOptStrip named(String... names) {
    TreeSet<Integer> kinds = new TreeSet<>();
    for (String n : names) {
      int k = kind(n);
      checkArgument(k > 0, "-j TCPOPTSTRIP: unknown option name %s; expected one of %s", n, NAMES);
      kinds.add(k);
    }
    return new TcpOptStrip(List.copyOf(kinds));
  }

  private static int kind(String name) {
    int i = NAMES.indexOf(name);
    return i < 0 ? -1 : NAME_KINDS[i];
  }

  @Override
  public String name() {
    return "TCPOPTSTRIP";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /** {@code -j TCPOPTSTRIP}: iptables' {@code extensions/libxt_TCPOPTSTRIP.c}, as iptables-nft 1.8.9 reads it. */
  static final class TcpOptStripModule extends TargetModule<TcpOptStrip> {
    static final TcpOptStripModule INSTANCE = new TcpOptStripModule();

    private static final List<String> OPTIONS = List.of("--strip-options");

    private TcpOptStripModule() {
      super("TCPOPTSTRIP", List.of(TcpOptStrip.class));
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private final TreeSet<Integer> kinds = new TreeSet<>();

        @Override
        void value(Token option, Token arg) {
          for (String part : arg.text().split(",", -1)) {
            int k = kind(part);
            if (k < 0) {
              long n = Numbers.parseUnsigned(part, 255);
              if (n < 0) {
                throw error(arg, "bad TCP option " + quoted(part) + " in --strip-options " + arg.text()
                    + "; expected kinds from 2 to 255 or " + Arguments.join(NAMES, "or") + ", separated by commas");
              }
              k = (int) n;
            }
            if (k < 2) {
              throw error(arg, "TCP option " + quoted(part) + " in --strip-options " + arg.text()
                  + " cannot be stripped; expected kinds from 2 to 255 (0 and 1 are end and no-op)");
            }
            if (!kinds.add(k)) {
              throw error(arg, "TCP option " + quoted(part) + " is given twice in --strip-options " + arg.text());
            }
          }
        }

        @Override
        Target finish() {
          return new TcpOptStrip(List.copyOf(kinds));
        }
      };
    }

    @Override
    void write(TcpOptStrip t, StringBuilder out) {
      out.append(" -j TCPOPTSTRIP");
      for (int i = 0; i < t.kinds().size(); i++) {
        out.append(i == 0 ? " --strip-options " : ",").append(t.kinds().get(i));
      }
    }

    @Override
    void check(TcpOptStrip t, RuleContext rule, Findings findings) {
      Tos.checkMangle("TCPOPTSTRIP", rule, findings);
      if (!rule.protocolIs(Set.of(6))) {
        findings.error("target-protocol", "-j TCPOPTSTRIP needs -p tcp (not negated) in the rule; the kernel"
            + " refuses it otherwise");
      }
    }
  }
}
