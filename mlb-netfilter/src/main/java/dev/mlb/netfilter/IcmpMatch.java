package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Numbers;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code -p icmp -m icmp [!] --icmp-type TYPE[/CODE]} (IPv4) and {@code -p ipv6-icmp -m icmp6 [!]
 * --icmpv6-type TYPE[/CODE]} (IPv6): the ICMP message type and code.
 *
 * <pre>{@code
 * IcmpMatch.icmp("echo-request")        // -m icmp --icmp-type 8
 * IcmpMatch.icmp("port-unreachable")    // -m icmp --icmp-type 3/3
 * IcmpMatch.icmp("any")                 // -m icmp --icmp-type any
 * IcmpMatch.icmp6("neighbor-solicitation").negate()   // -m icmp6 ! --icmpv6-type 135
 * }</pre>
 *
 * <p>As iptables-nft 1.8.9 reads them ({@code libxt_icmp.h}): a type name, or a unique
 * case-insensitive prefix of one ({@code echo-req}), from iptables' table (ICMPv6's has no
 * {@code mld-listener-*} names in 1.8.9), or a number 0 to 255 (decimal, {@code 0x} hex, {@code 0}
 * octal) with an optional {@code /CODE} or {@code /CODE:CODE}. iptables-save prints numbers: the
 * type, then {@code /} and the lowest code unless the codes are 0 to 255; IPv4's type 255 prints as
 * {@code any}. The kernel takes the match only with {@code -p icmp} ({@code -p ipv6-icmp}) in the
 * same rule, not negated. {@code -m icmpv6} and {@code -m ipv6-icmp} are names of {@code -m icmp6}.
 *
 * @param family IPv4 ({@code -m icmp}) or IPv6 ({@code -m icmp6})
 * @param type the message type, 0 to 255 (255 in IPv4: any type)
 * @param codeMin the lowest code, 0 to 255
 * @param codeMax the highest code, 0 to 255
 * @param negated whether the match is {@code ! --icmp-type}
 */
public record IcmpMatch(IpFamily family, int type, int codeMin, int codeMax, boolean negated) implements Match {

  /** A name of iptables' tables with its type and codes. */
  private record Name(String name, int type, int codeMin, int codeMax) {}

  /** libxt_icmp.h's icmp_codes, in its order (the order decides which names an ambiguity names). */
  private static final List<Name> ICMP = names(
      "any 255 0 255", "echo-reply 0 0 255", "pong 0 0 255",
      "destination-unreachable 3 0 255", "network-unreachable 3 0 0", "host-unreachable 3 1 1",
      "protocol-unreachable 3 2 2", "port-unreachable 3 3 3", "fragmentation-needed 3 4 4",
      "source-route-failed 3 5 5", "network-unknown 3 6 6", "host-unknown 3 7 7",
      "network-prohibited 3 9 9", "host-prohibited 3 10 10", "TOS-network-unreachable 3 11 11",
      "TOS-host-unreachable 3 12 12", "communication-prohibited 3 13 13",
      "host-precedence-violation 3 14 14", "precedence-cutoff 3 15 15",
      "source-quench 4 0 255",
      "redirect 5 0 255", "network-redirect 5 0 0", "host-redirect 5 1 1",
      "TOS-network-redirect 5 2 2", "TOS-host-redirect 5 3 3",
      "echo-request 8 0 255", "ping 8 0 255",
      "router-advertisement 9 0 255", "router-solicitation 10 0 255",
      "time-exceeded 11 0 255", "ttl-exceeded 11 0 255", "ttl-zero-during-transit 11 0 0",
      "ttl-zero-during-reassembly 11 1 1",
      "parameter-problem 12 0 255", "ip-header-bad 12 0 0", "required-option-missing 12 1 1",
      "timestamp-request 13 0 255", "timestamp-reply 14 0 255",
      "address-mask-request 17 0 255", "address-mask-reply 18 0 255");

  /** icmpv6_codes of iptables 1.8.9 (which had no mld-listener-* names yet). */
  private static final List<Name> ICMPV6 = names(
      "destination-unreachable 1 0 255", "no-route 1 0 0", "communication-prohibited 1 1 1",
      "beyond-scope 1 2 2", "address-unreachable 1 3 3", "port-unreachable 1 4 4",
      "failed-policy 1 5 5", "reject-route 1 6 6",
      "packet-too-big 2 0 255",
      "time-exceeded 3 0 255", "ttl-exceeded 3 0 255", "ttl-zero-during-transit 3 0 0",
      "ttl-zero-during-reassembly 3 1 1",
      "parameter-problem 4 0 255", "bad-header 4 0 0", "unknown-header-type 4 1 1", "unknown-option 4 2 2",
      "echo-request 128 0 255", "ping 128 0 255", "echo-reply 129 0 255", "pong 129 0 255",
      "router-solicitation 133 0 255", "router-advertisement 134 0 255",
      "neighbour-solicitation 135 0 255", "neighbor-solicitation 135 0 255",
      "neighbour-advertisement 136 0 255", "neighbor-advertisement 136 0 255",
      "redirect 137 0 255");

  public IcmpMatch {
    checkArgument(family != null, "-m icmp: the family is null");
    checkArgument(type >= 0 && type <= 255, "ICMP type %s is outside 0 to 255", type);
    checkArgument(codeMin >= 0 && codeMin <= 255 && codeMax >= 0 && codeMax <= 255,
        "ICMP codes %s:%s are outside 0 to 255", codeMin, codeMax);
  }

  /** The IPv4 messages {@code spec} names: {@code echo-request}, {@code any}, {@code 8}, {@code 3/3}. */
  public static IcmpMatch icmp(String spec) {
    return parse(IpFamily.V4, spec, false);
  }

  /** The IPv6 messages {@code spec} names: {@code echo-request}, {@code 128}, {@code 1/4}. */
  public static IcmpMatch icmp6(String spec) {
    return parse(IpFamily.V6, spec, false);
  }

  /** Every other message ({@code ! --icmp-type}). */
  public IcmpMatch negate() {
    return new IcmpMatch(family, type, codeMin, codeMax, !negated);
  }

  /** The type as iptables-save prints it: {@code 8}, {@code 3/3}, {@code any}. */
  public String text() {
    if (family == IpFamily.V4 && type == 255) {
      return "any";
    }
    return codeMin != 0 || codeMax != 255 ? type + "/" + codeMin : Integer.toString(type);
  }

  @Override
  public String module() {
    return family == IpFamily.V4 ? "icmp" : "icmp6";
  }

  private static List<Name> names(String... rows) {
    List<Name> out = new ArrayList<>(rows.length);
    for (String row : rows) {
      String[] f = row.split(" ");
      out.add(new Name(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3])));
    }
    return List.copyOf(out);
  }

  private static IcmpMatch parse(IpFamily family, String spec, boolean negated) {
    checkArgument(spec != null, "the ICMP type is null");
    Object r = read(family, spec, negated);
    checkArgument(r instanceof IcmpMatch, "%s", r);
    return (IcmpMatch) r;
  }

  /** __parse_icmp of iptables 1.8.9: the match, or the problem (a String) with {@code spec}. */
  static Object read(IpFamily family, String spec, boolean negated) {
    String what = family == IpFamily.V4 ? "ICMP" : "ICMPv6";
    List<Name> table = family == IpFamily.V4 ? ICMP : ICMPV6;
    Name found = null;
    String lower = spec.toLowerCase(Locale.ROOT);
    for (Name n : table) {
      if (!n.name().toLowerCase(Locale.ROOT).startsWith(lower)) {
        continue;
      }
      if (found != null) {
        return "ambiguous " + what + " type " + quoted(spec) + ": " + quoted(found.name()) + " or "
            + quoted(n.name()) + "?";
      }
      found = n;
    }
    if (found != null) {
      return new IcmpMatch(family, found.type(), found.codeMin(), found.codeMax(), negated);
    }
    int slash = spec.indexOf('/');
    int[] types = range(slash < 0 ? spec : spec.substring(0, slash));
    if (types == null) {
      return "unknown " + what + " type " + quoted(spec) + "; expected a type name such as echo-request or a"
          + " number 0 to 255, optionally /CODE";
    }
    if (types[0] != types[1]) {
      return what + " type ranges are not supported: " + quoted(spec);
    }
    int[] codes = {0, 255};
    if (slash >= 0) {
      codes = range(spec.substring(slash + 1));
      if (codes == null) {
        return "unknown " + what + " code in " + quoted(spec) + "; expected TYPE/CODE or TYPE/CODE:CODE with"
            + " numbers 0 to 255";
      }
    }
    return new IcmpMatch(family, types[0], codes[0], codes[1], negated);
  }

  /** parse_range: {@code N} or {@code N:M}, each 0 to 255 as xtables_strtoui reads it; null otherwise. */
  private static int[] range(String text) {
    int colon = text.indexOf(':');
    int a = number(colon < 0 ? text : text.substring(0, colon));
    int b = colon < 0 ? a : number(text.substring(colon + 1));
    return a < 0 || b < 0 ? null : new int[] {a, b};
  }

  private static int number(String text) {
    String t = text.startsWith("+") ? text.substring(1) : text;
    return (int) Numbers.parseUnsigned(t, 255);
  }

  /** {@code -m icmp} and {@code -m icmp6} (with its other names), as libipt_icmp.c and libip6t_icmp6.c read them. */
  static final class IcmpModule extends MatchModule<IcmpMatch> {
    static final IcmpModule ICMP = new IcmpModule("icmp", IpFamily.V4);
    static final IcmpModule ICMP6 = new IcmpModule("icmp6", IpFamily.V6);
    /** xtables_find_match reads {@code -m icmpv6} as {@code -m icmp6}. */
    static final IcmpModule ICMPV6 = new IcmpModule("icmpv6", IpFamily.V6);
    /** ... and {@code -m ipv6-icmp}. */
    static final IcmpModule IPV6_ICMP = new IcmpModule("ipv6-icmp", IpFamily.V6);

    private final IpFamily family;
    private final String option;

    private IcmpModule(String name, IpFamily family) {
      super(name, IcmpMatch.class);
      this.family = family;
      this.option = family == IpFamily.V4 ? "--icmp-type" : "--icmpv6-type";
    }

    @Override
    List<String> options() {
      return List.of(option);
    }

    @Override
    String canonical(String o) {
      return o.equals(option) ? o : null;
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      String module = family == IpFamily.V4 ? "icmp" : "icmp6";
      return new Reader(this, module, at, rule) {
        private IcmpMatch match;

        @Override
        void value(String o, Token optionToken, Token arg) {
          Object r = read(family, arg.text(), optionNegated);
          if (r instanceof String problem) {
            throw error(arg, problem + " (" + o + ")");
          }
          match = (IcmpMatch) r;
        }

        @Override
        Match finish() {
          require(option);
          return match;
        }
      };
    }

    @Override
    void write(IcmpMatch m, StringBuilder out) {
      out.append(m.negated() ? " ! " : " ").append(m.family() == IpFamily.V4 ? "--icmp-type " : "--icmpv6-type ")
          .append(m.text());
    }

    @Override
    void check(IcmpMatch m, RuleContext rule, Findings findings) {
      boolean v4 = m.family() == IpFamily.V4;
      if (rule.family == null) {
        findings.warning(m.module() + "-context", "checked in its ruleset");
        return;
      }
      if (rule.family != m.family()) {
        findings.error(m.module() + "-family", "-m " + m.module() + " is "
            + (v4 ? "IPv4's; ip6tables has -m icmp6 --icmpv6-type instead"
                : "IPv6's; iptables has -m icmp --icmp-type instead"));
        return;
      }
      if (!rule.protocolIs(Set.of(v4 ? 1 : 58))) {
        findings.error(m.module() + "-protocol", "-m " + m.module() + " needs -p " + (v4 ? "icmp" : "ipv6-icmp")
            + " in the same rule (without !); the kernel refuses it otherwise");
      }
    }
  }
}
