package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Mark;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * {@code -j TPROXY --on-port PORT [--on-ip ADDRESS] [--tproxy-mark VALUE[/MASK]]}: hands the
 * packet to a local socket listening on {@code port} (and {@code address}) without changing it,
 * and marks it so that policy routing delivers it locally.
 *
 * <pre>{@code
 * Tproxy.to(IpAddress.parse("0.0.0.0"), 3129)      // -j TPROXY --on-port 3129 --on-ip 0.0.0.0 --tproxy-mark 0x0/0x0
 * Tproxy.to(IpAddress.parse("192.0.2.1"), 3129).mark(Mark.of(1, 1))
 *     // -j TPROXY --on-port 3129 --on-ip 192.0.2.1 --tproxy-mark 0x1/0x1
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code tproxy_tg_save4}/{@code tproxy_tg_save6} of
 * iptables' {@code extensions/libxt_TPROXY.c}): always all three options, the address {@code 0.0.0.0}
 * or {@code ::} and the mark {@code 0x0/0x0} when none was given. Port 0 keeps the packet's own
 * port. iptables needs {@code --on-port}; mlb takes it as a number from 0 to 65535 (iptables also
 * takes a service name, and turns 65536 into 0). The kernel takes TPROXY only in PREROUTING of the
 * mangle table and with {@code -p tcp} or {@code -p udp}, not negated.
 *
 * @param port the local port, 0 for the packet's own
 * @param address the local address; the unspecified one ({@code 0.0.0.0}, {@code ::}) for the packet's own
 *     destination, as iptables fills it in
 * @param mark the mark set on the packet ({@code 0x0/0x0}: none)
 */
public record Tproxy(int port, IpAddress address, Mark mark) implements Target {

  private static final Set<Hook> HOOKS = EnumSet.of(Hook.PREROUTING);

  public Tproxy {
    checkArgument(address != null && mark != null, "-j TPROXY: a component is null");
  }

  /** {@code -j TPROXY --on-port PORT --on-ip ADDRESS}, no mark. */
  public static Tproxy to(IpAddress address, int port) {
    return new Tproxy(port, address, new Mark(0, 0));
  }

  /** This target with {@code --tproxy-mark MARK}. */
  public Tproxy mark(Mark mark) {
    return new Tproxy(port, address, mark);
  }

  @Override
  public String name() {
    return "TPROXY";
  }

  @Override
  public boolean isTerminating() {
    return true;
  }

  /** {@code -j TPROXY}: iptables' {@code extensions/libxt_TPROXY.c}, as iptables-nft 1.8.9 reads it. */
  static final class TproxyModule extends TargetModule<Tproxy> {
    static final TproxyModule INSTANCE = new TproxyModule();

    private TproxyModule() {
      super("TPROXY", List.of(Tproxy.class));
    }

    @Override
    List<String> options() {
      return List.of("--on-port", "--on-ip", "--tproxy-mark");
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private Tproxy tproxy = to(rule.family() == IpFamily.V4 ? IpAddress.v4(0) : IpAddress.v6(0, 0), 0);

        @Override
        void value(Token option, Token arg) {
          switch (option.text()) {
            // XTTYPE_PORT: a number or a service name of any protocol, in getaddrinfo's order.
            case "--on-port" -> tproxy = new Tproxy(Arguments.port(rule, arg, "--on-port", arg.text(), "*"), tproxy.address(),
                tproxy.mark());
            case "--on-ip" -> {
              IpAddress a = rule.address(arg, arg.text());
              rule.checkFamily(arg, "--on-ip", arg.text(), a);
              tproxy = new Tproxy(tproxy.port(), a, tproxy.mark());
            }
            default -> tproxy = tproxy.mark(Arguments.mark(rule, arg, "--tproxy-mark"));
          }
        }

        @Override
        Target finish() {
          if (!given.containsKey("--on-port")) {
            throw error(at, "-j TPROXY needs --on-port PORT");
          }
          return tproxy;
        }
      };
    }

    @Override
    void write(Tproxy t, StringBuilder out) {
      out.append(" -j TPROXY --on-port ").append(t.port()).append(" --on-ip ").append(t.address())
          .append(" --tproxy-mark ");
      RestoreWriter.appendHex(out, t.mark().value());
      out.append('/');
      RestoreWriter.appendHex(out, t.mark().mask());
    }

    @Override
    void check(Tproxy t, RuleContext rule, Findings findings) {
      if (t.port() < 0 || t.port() > 65535) {
        findings.error("tproxy-port", "-j TPROXY --on-port " + t.port() + " is outside 0 to 65535");
      }
      if (!rule.protocolIs(Set.of(6, 17))) {
        findings.error("tproxy-protocol", "TPROXY needs -p tcp or -p udp (not negated) in the rule; the kernel refuses"
            + " it otherwise");
      }
      if (rule.family != null && t.address().family() != rule.family) {
        findings.error("tproxy-address", "-j TPROXY --on-ip " + t.address() + " is not of the ruleset's family");
      }
      if (rule.table != TableName.MANGLE) {
        findings.error("target-table", "TPROXY is only valid in the mangle table, not in " + rule.table.id());
        return;
      }
      Set<Hook> bad = EnumSet.noneOf(Hook.class);
      for (Hook h : rule.hooks) {
        if (!HOOKS.contains(h)) {
          bad.add(h);
        }
      }
      if (!bad.isEmpty()) {
        findings.error("target-hook", "TPROXY is only valid in " + HOOKS + " of the mangle table, but chain "
            + rule.chain + " is reached from " + bad);
      }
    }
  }
}
