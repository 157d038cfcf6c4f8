package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.IpFamily;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code -j REJECT [--reject-with TYPE]}: drops the packet and answers it with an ICMP error or a
 * TCP reset. Only in the filter table's INPUT, FORWARD and OUTPUT chains (and chains reached only
 * from them).
 *
 * <pre>{@code
 * Reject.of(IpFamily.V4)                       // -j REJECT --reject-with icmp-port-unreachable
 * Reject.of(IpFamily.V6)                       // -j REJECT --reject-with icmp6-port-unreachable
 * new Reject(Reject.With.TCP_RESET)            // -j REJECT --reject-with tcp-reset (needs -p tcp)
 * new Reject(Reject.With.ICMP_HOST_PROHIBITED) // -j REJECT --reject-with icmp-host-prohibited
 * }</pre>
 *
 * <p>{@code iptables-save} always prints the type. iptables reads a type by its name or alias,
 * any letter case, and takes any prefix of one (the first in the kernel's order: {@code icmp} is
 * icmp-net-unreachable, {@code ""} too); the ICMP types are the family's own; {@code tcp-reset}
 * needs {@code -p tcp} in the rule, not negated (the kernel refuses it otherwise).
 *
 * @param with the answer
 */
public record Reject(With with) implements Target {

  /** The answers, in the kernel's order within each family ({@code ipt_REJECT.h}, {@code ip6t_REJECT.h}). */
  public enum With {
    ICMP_NET_UNREACHABLE(IpFamily.V4, "icmp-net-unreachable", "net-unreach"),
    ICMP_HOST_UNREACHABLE(IpFamily.V4, "icmp-host-unreachable", "host-unreach"),
    ICMP_PROTO_UNREACHABLE(IpFamily.V4, "icmp-proto-unreachable", "proto-unreach"),
    ICMP_PORT_UNREACHABLE(IpFamily.V4, "icmp-port-unreachable", "port-unreach"),
    ICMP_NET_PROHIBITED(IpFamily.V4, "icmp-net-prohibited", "net-prohib"),
    ICMP_HOST_PROHIBITED(IpFamily.V4, "icmp-host-prohibited", "host-prohib"),
    /** IPv4's place of tcp-reset in the kernel's order: before icmp-admin-prohibited. */
    TCP_RESET(null, "tcp-reset", null),
    ICMP_ADMIN_PROHIBITED(IpFamily.V4, "icmp-admin-prohibited", "admin-prohib"),
    ICMP6_NO_ROUTE(IpFamily.V6, "icmp6-no-route", "no-route"),
    ICMP6_ADM_PROHIBITED(IpFamily.V6, "icmp6-adm-prohibited", "adm-prohibited"),
    ICMP6_ADDR_UNREACHABLE(IpFamily.V6, "icmp6-addr-unreachable", "addr-unreach"),
    ICMP6_PORT_UNREACHABLE(IpFamily.V6, "icmp6-port-unreachable", "port-unreach"),
    ICMP6_POLICY_FAIL(IpFamily.V6, "icmp6-policy-fail", "policy-fail"),
    ICMP6_REJECT_ROUTE(IpFamily.V6, "icmp6-reject-route", "reject-route");

    private final IpFamily family;
    private final String text;
    private final String alias;

    With(IpFamily family, String text, String alias) {
      this.family = family;
      this.text = text;
      this.alias = alias;
    }

    /** The family whose REJECT has this answer; null for tcp-reset, which both have. */
    public IpFamily family() {
      return family;
    }

    /** The name {@code iptables-save} prints. */
    public String text() {
      return text;
    }

    /** Whether {@code family}'s REJECT has this answer. */
    public boolean isOf(IpFamily family) {
      return this.family == null || this.family == family;
    }

    /** {@code family}'s answers in the kernel's order, which iptables searches. */
    static List<With> of(IpFamily family) {
      return family == IpFamily.V4
          ? List.of(ICMP_NET_UNREACHABLE, ICMP_HOST_UNREACHABLE, ICMP_PROTO_UNREACHABLE, ICMP_PORT_UNREACHABLE,
              ICMP_NET_PROHIBITED, ICMP_HOST_PROHIBITED, TCP_RESET, ICMP_ADMIN_PROHIBITED)
          : List.of(ICMP6_NO_ROUTE, ICMP6_ADM_PROHIBITED, ICMP6_ADDR_UNREACHABLE, ICMP6_PORT_UNREACHABLE,
              TCP_RESET, ICMP6_POLICY_FAIL, ICMP6_REJECT_ROUTE);
    }

    /** The IPv4 alias of tcp-reset is tcp-rst; IPv6 has none. */
    String alias(IpFamily family) {
      return this == TCP_RESET ? (family == IpFamily.V4 ? "tcp-rst" : "tcp-reset") : alias;
    }
  }

  public Reject {
    checkArgument(with != null, "-j REJECT: the answer is null");
  }

  /** {@code -j REJECT}: the family's port unreachable, as iptables fills it in. */
  public static Reject of(IpFamily family) {
    return new Reject(family == IpFamily.V4 ? With.ICMP_PORT_UNREACHABLE : With.ICMP6_PORT_UNREACHABLE);
  }

  @Override
  public String name() {
    return "REJECT";
  }

  @Override
  public boolean isTerminating() {
    return true;
  }

  /** {@code -j REJECT}: iptables' {@code libipt_REJECT.c} and {@code libip6t_REJECT.c}, as iptables-nft 1.8.9 reads them. */
  static final class RejectModule extends TargetModule<Reject> {
    static final RejectModule INSTANCE = new RejectModule();

    private static final List<String> OPTIONS = List.of("--reject-with");
    private static final Set<Hook> HOOKS = EnumSet.of(Hook.INPUT, Hook.FORWARD, Hook.OUTPUT);

    private RejectModule() {
      super("REJECT", List.of(Reject.class));
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private Reject reject = of(rule.family());

        @Override
        void value(Token option, Token arg) {
          String text = arg.text().toLowerCase(Locale.ROOT);
          for (With w : With.of(rule.family())) {
            if (w.text().startsWith(text) || w.alias(rule.family()).startsWith(text)) {
              reject = new Reject(w);
              return;
            }
          }
          StringBuilder names = new StringBuilder();
          for (With w : With.of(rule.family())) {
            names.append(names.length() == 0 ? "" : ", ").append(w.text());
          }
          throw error(arg, "unknown reject type " + quoted(arg.text()) + "; expected one of " + names
              + " (or an alias or a prefix of one)");
        }

        @Override
        Target finish() {
          return reject;
        }
      };
    }

    @Override
    void write(Reject t, StringBuilder out) {
      out.append(" -j REJECT --reject-with ").append(t.with().text());
    }

    @Override
    void check(Reject t, RuleContext rule, Findings findings) {
      if (rule.table != TableName.FILTER) {
        findings.error("target-table", "REJECT is only valid in the filter table, not in " + rule.table.id());
      } else if (!HOOKS.containsAll(rule.hooks)) {
        Set<Hook> bad = EnumSet.copyOf(rule.hooks);
        bad.removeAll(HOOKS);
        findings.error("target-hook", "REJECT is only valid in " + HOOKS + " of the filter table, but chain "
            + rule.chain + " is reached from " + bad);
      }
      if (!t.with().isOf(rule.family)) {
        findings.error("reject-family", "REJECT --reject-with " + t.with().text() + " is an "
            + (t.with().family() == IpFamily.V4 ? "IPv4" : "IPv6") + " answer; the "
            + (rule.family == IpFamily.V4 ? "IPv4" : "IPv6") + " REJECT does not have it");
      }
      if (t.with() == With.TCP_RESET && !rule.protocolIs(Set.of(6))) {
        findings.error("reject-tcp-reset", "REJECT --reject-with tcp-reset needs -p tcp (not negated) in the rule;"
            + " the kernel refuses it otherwise");
      }
    }
  }
}
