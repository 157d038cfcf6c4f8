package dev.mlb.netfilter;

import dev.mlb.api.Mark;
import dev.mlb.api.Numbers;
import dev.mlb.api.PortRange;
import java.util.List;
import java.util.Set;

/**
 * How modules read the argument forms several of them share (marks, 32-bit numbers, ports), with
 * the errors {@code iptables-restore} input gets for them, and the wording helpers of messages.
 *
 * <pre>{@code
 * Mark m = Arguments.mark(rule, arg, "--mark");          // "0x1/0xff", or an error at arg
 * PortRange r = Arguments.portRange(rule, arg, "--dport");   // "80", "1024:", ":80", "1:2"
 * }</pre>
 */
final class Arguments {
  private Arguments() {}

  /** Protocols whose ports NAT targets take: tcp, udp, sctp, dccp. */
  static final Set<Integer> NAT_PORT_PROTOCOLS = Set.of(6, 17, 132, 33);

  /** {@code "text"}. */
  static String quoted(String text) {
    return "\"" + text + "\"";
  }

  /** {@code a, b or c} (with {@code last} the last joining word). */
  static String join(List<String> items, String last) {
    if (items.size() == 1) {
      return items.get(0);
    }
    return String.join(", ", items.subList(0, items.size() - 1)) + " " + last + " "
        + items.get(items.size() - 1);
  }

  /** {@code VALUE[/MASK]}, as the mark options read it. */
  static Mark mark(ModuleContext rule, Token arg, String option) {
    try {
      return Mark.parse(arg.text());
    } catch (IllegalArgumentException e) {
      throw rule.error(arg, "bad value for " + option + ": " + e.getMessage());
    }
  }

  /** An unsigned 32-bit number: decimal, 0x hex or 0 octal. */
  static long u32(ModuleContext rule, Token arg, String option) {
    long v = Numbers.parseUnsigned(arg.text(), Mark.FULL_MASK);
    if (v < 0) {
      throw rule.error(arg, "bad value " + quoted(arg.text()) + " for " + option
          + "; expected an unsigned 32-bit number (0 to 4294967295, 0x hex or 0 octal)");
    }
    return v;
  }

  /**
   * {@code N}, {@code A:B}, {@code A:} or {@code :B}, as -m tcp reads it; names resolve through
   * /etc/services for {@code service} (see {@link Services#resolve}).
   */
  static PortRange portRange(ModuleContext rule, Token arg, String option, String service) {
    String text = arg.text();
    int colon = text.indexOf(':');
    if (colon < 0) {
      int p = port(rule, arg, option, text, service);
      return PortRange.of(p);
    }
    String a = text.substring(0, colon);
    String b = text.substring(colon + 1);
    int first = a.isEmpty() ? 0 : port(rule, arg, option, a, service);
    int last = b.isEmpty() ? 65535 : port(rule, arg, option, b, service);
    if (first > last) {
      throw rule.error(arg, "port range " + text + " for " + option
          + " is empty; expected FIRST:LAST with FIRST not above LAST");
    }
    return PortRange.of(first, last);
  }

  /**
   * One port ({@code text}, part of {@code arg}): a number, else a service name looked up as
   * xtables_parse_port does, for {@code service} ("*" any protocol in getaddrinfo's order).
   */
  static int port(ModuleContext rule, Token arg, String option, String text, String service) {
    long p = Numbers.parseUnsigned(text, 65535);
    if (p < 0) {
      return Services.resolve(rule, arg, option, text, service, "a number from 0 to 65535");
    }
    return (int) p;
  }

  /** {@code P} or {@code P-Q}, as the NAT targets read ports (iptables 1.8.9 allows port 0). */
  static PortRange natPorts(ModuleContext rule, Token arg, String option, String text) {
    if (rule.protocol() == null || rule.protocolNegated()
        || !NAT_PORT_PROTOCOLS.contains(rule.protocol().number())) {
      throw rule.error(arg, option + " " + arg.text() + ": ports need -p tcp, -p udp, -p sctp or -p dccp"
          + " (not negated) before them in the rule");
    }
    int min = 0;
    if (!text.isEmpty() && !Character.isDigit(text.charAt(0))) {
      // parse_ports of MASQUERADE/SNAT: a name is one service (of any protocol, the first entry).
      return PortRange.of(Services.resolve(rule, arg, option, text, null, "P or P-Q with ports from 0 to 65535"));
    }
    int dash = text.indexOf('-');
    String a = dash < 0 ? text : text.substring(0, dash);
    String b = dash < 0 ? a : text.substring(dash + 1);
    long first = Numbers.parseUnsigned(a, 65535);
    long last = Numbers.parseUnsigned(b, 65535);
    if (first < min || last < min) {
      throw rule.error(arg, "bad port " + quoted(first < min ? a : b) + " in " + option + " " + arg.text()
          + "; expected P or P-Q with ports from " + min + " to 65535");
    }
    if (first > last) {
      throw rule.error(arg, "port range " + text + " in " + option
          + " is empty; expected P-Q with P not above Q");
    }
    return PortRange.of((int) first, (int) last);
  }
}
