package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Numbers;
import dev.mlb.api.PortRange;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code -j DNAT --to-destination [ADDR[-ADDR]][:PORT[-PORT[/BASE]]] [--random] [--persistent]}:
 * destination NAT. Only in the nat table's PREROUTING and OUTPUT chains.
 *
 * <pre>{@code
 * Dnat.to(IpAddress.parse("192.0.2.10"))                        // -j DNAT --to-destination 192.0.2.10
 * Dnat.to(IpAddress.parse("192.0.2.10"), PortRange.of(8080))    // ... --to-destination 192.0.2.10:8080 (needs -p tcp, ...)
 * Dnat.to(IpAddress.parse("2001:db8::a"), PortRange.of(80))     // ... --to-destination [2001:db8::a]:80
 * Dnat.toPorts(PortRange.of(80, 90))                            // ... --to-destination :80-90
 * Dnat.to(IpAddress.parse("192.0.2.10")).withRandom(true)       // ... --to-destination 192.0.2.10 --random
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code sprint_range} of iptables'
 * {@code extensions/libxt_NAT.c}): the addresses (the last only if it differs; IPv6 in brackets
 * when ports follow), then {@code :} and the ports, the second only if it differs, then
 * {@code /BASE} for a shifted port map; then {@code --random} and {@code --persistent}. iptables
 * takes ports after {@code -p} tcp, udp, sctp, dccp or icmp (negated or not), and keeps an
 * address range whose first address is above its last as it is.
 *
 * @param first the lowest destination address, or empty to change only the port
 * @param last the highest destination address; present exactly when {@code first} is
 * @param ports the destination ports
 * @param portBase the first port of a shifted port map ({@code /BASE}), or 0 for none
 * @param random randomize the port
 * @param persistent give a client the same destination for every connection
 */
public record Dnat(
    Optional<IpAddress> first,
    Optional<IpAddress> last,
    Optional<PortRange> ports,
    int portBase,
    boolean random,
    boolean persistent)
    implements Target {

  public Dnat {
    checkArgument(first != null && last != null && ports != null, "DNAT: use Optional.empty(), not null");
    checkArgument(first.isPresent() == last.isPresent(), "DNAT: give both addresses of the range or neither");
    checkArgument(first.isEmpty() || first.get().family() == last.get().family(),
        "DNAT range %s-%s mixes IPv4 and IPv6", first, last);
    checkArgument(first.isPresent() || ports.isPresent(), "DNAT needs an address, ports or both");
  }

  /** DNAT to one address. */
  public static Dnat to(IpAddress address) {
    return new Dnat(Optional.of(address), Optional.of(address), Optional.empty(), 0, false, false);
  }

  /** DNAT to one address and these ports. */
  public static Dnat to(IpAddress address, PortRange ports) {
    return new Dnat(Optional.of(address), Optional.of(address), Optional.of(ports), 0, false, false);
  }

  /** DNAT to a range of addresses. */
  public static Dnat toRange(IpAddress first, IpAddress last) {
    return new Dnat(Optional.of(first), Optional.of(last), Optional.empty(), 0, false, false);
  }

  /** DNAT of the port only. */
  public static Dnat toPorts(PortRange ports) {
    return new Dnat(Optional.empty(), Optional.empty(), Optional.of(ports), 0, false, false);
  }

  /** This DNAT with {@code --random} or without it. */
  public Dnat withRandom(boolean random) {
    return new Dnat(first, last, ports, portBase, random, persistent);
  }

  /** This DNAT with {@code --persistent} or without it. */
  public Dnat withPersistent(boolean persistent) {
    return new Dnat(first, last, ports, portBase, random, persistent);
  }

  /** This DNAT with a shifted port map from {@code base} ({@code :P-Q/BASE}). */
  public Dnat withPortBase(int base) {
    return new Dnat(first, last, ports, base, random, persistent);
  }

  @Override
  public String name() {
    return "DNAT";
  }

  @Override
  public boolean isTerminating() {
    return true;
  }

  /** Protocols after which iptables takes NAT ports: tcp, udp, sctp, dccp and icmp (parse_ports). */
  static final Set<Integer> PORT_PROTOCOLS = Set.of(6, 17, 132, 33, 1);

  /** {@code -j DNAT}: iptables' {@code extensions/libxt_NAT.c}, as iptables-nft 1.8.9 reads it. */
  static final class DnatModule extends TargetModule<Dnat> {
    static final DnatModule INSTANCE = new DnatModule();

    private static final List<String> OPTIONS = List.of("--to-destination", "--random", "--persistent");
    private static final Set<String> FLAGS = Set.of("--random", "--persistent");

    private DnatModule() {
      super("DNAT", List.of(Dnat.class));
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
        private Dnat dnat;

        @Override
        void value(Token option, Token arg) {
          if (option.text().equals("--to-destination")) {
            dnat = destination(rule, arg);
          }
        }

        @Override
        Target finish() {
          if (dnat == null) {
            throw error(at, "-j DNAT needs --to-destination [ADDR[-ADDR]][:PORT[-PORT]]");
          }
          return dnat.withRandom(given.containsKey("--random")).withPersistent(given.containsKey("--persistent"));
        }
      };
    }

    /** {@code [ADDR[-ADDR]][:P[-Q[/B]]]}, IPv6 with ports in brackets: parse_to of libxt_NAT.c. */
    private static Dnat destination(ModuleContext rule, Token arg) {
      String text = arg.text();
      String addresses = text;
      String portText = null;
      if (text.indexOf('[') >= 0) {
        int open = text.indexOf('[');
        int close = text.indexOf(']', open);
        if (rule.family() == IpFamily.V4 || open != 0 || close < 0) {
          throw rule.error(arg, "--to-destination " + text + ": invalid address format; expected "
              + (rule.family() == IpFamily.V4 ? "ADDR[-ADDR][:P[-Q]] (no brackets in IPv4)" : "[ADDR[-ADDR]]:P[-Q]"));
        }
        addresses = text.substring(1, close);
        String rest = text.substring(close + 1);
        if (!rest.isEmpty()) {
          if (rest.charAt(0) != ':') {
            throw rule.error(arg, "--to-destination " + text + ": expected \":PORT\" after \"]\"");
          }
          portText = rest.substring(1);
        }
      } else {
        int colon = text.indexOf(':');
        if (colon >= 0 && text.indexOf(':', colon + 1) < 0) {
          addresses = text.substring(0, colon);
          portText = text.substring(colon + 1);
        }
      }
      Optional<PortRange> ports = Optional.empty();
      int base = 0;
      if (portText != null) {
        int[] parsed = ports(rule, arg, "--to-destination", portText, true);
        ports = Optional.of(PortRange.of(parsed[0], parsed[1]));
        base = parsed[2];
      }
      if (addresses.isEmpty() && portText != null) {
        return new Dnat(Optional.empty(), Optional.empty(), ports, base, false, false);
      }
      int dash = addresses.indexOf('-');
      IpAddress first = address(rule, arg, dash < 0 ? addresses : addresses.substring(0, dash));
      IpAddress last = dash < 0 ? first : address(rule, arg, addresses.substring(dash + 1));
      return new Dnat(Optional.of(first), Optional.of(last), ports, base, false, false);
    }

    private static IpAddress address(ModuleContext rule, Token arg, String text) {
      IpAddress a;
      try {
        a = IpAddress.parse(text);
      } catch (IllegalArgumentException e) {
        a = null;
      }
      if (a == null || a.family() != rule.family()) {
        throw rule.error(arg, "bad IP address " + quoted(text) + " in " + arg.text() + "; expected an "
            + (rule.family() == IpFamily.V4 ? "IPv4" : "IPv6") + " address");
      }
      return a;
    }

    /**
     * {@code P}, {@code P-Q} or (if {@code shifted}) {@code P-Q/B}: parse_ports of libxt_NAT.c (P and B may
     * be service names from /etc/services); needs {@code -p} tcp, udp, sctp, dccp or icmp before it. The first port, the
     * last and the base (0 for none).
     */
    static int[] ports(ModuleContext rule, Token arg, String option, String text, boolean shifted) {
      if (rule.protocol() == null || !PORT_PROTOCOLS.contains(rule.protocol().number())) {
        throw rule.error(arg, option + " " + arg.text() + ": ports need -p tcp, udp, sctp, dccp or icmp before them"
            + " in the rule");
      }
      int slash = text.indexOf('/');
      String range = slash < 0 ? text : text.substring(0, slash);
      if (range.indexOf(':') >= 0) {
        throw rule.error(arg, option + " " + arg.text() + ": invalid port:port syntax; write a range with a dash");
      }
      // libxt_NAT's parse_ports: a text that does not start with a number is one service name, whole
      // (getservbyname(name, NULL): "ftp-data" is port 20, "ftp-data-ssh" is no name); the end of a
      // range must be a number ("20-ssh" is refused); a base may be a name again ("10-20/ftp").
      boolean named = !range.isEmpty() && Numbers.parseUnsigned(leadingNumber(range), 65535) < 0;
      int dash = named ? -1 : range.indexOf('-');
      int first = named ? Services.resolve(rule, arg, option, range, null, "a number from 0 to 65535")
          : port(rule, arg, option, dash < 0 ? range : range.substring(0, dash), 0);
      int last = dash < 0 ? first : port(rule, arg, option, range.substring(dash + 1), 0);
      if (last < first) {
        throw rule.error(arg, "port range " + range + " in " + option + " is empty; expected P-Q with P not above Q");
      }
      int base = 0;
      if (slash >= 0) {
        if (dash < 0) {
          throw rule.error(arg, option + " " + arg.text() + ": a shifted port map needs a range (P-Q/BASE)");
        }
        if (!shifted) {
          throw rule.error(arg, option + " " + arg.text() + ": shifted port maps are not supported by " + option);
        }
        base = basePort(rule, arg, option, text.substring(slash + 1));
      }
      return new int[] {first, last, base};
    }

    /** The digits (and 0x hex digits) {@code text} starts with, as strtoul would read them. */
    private static String leadingNumber(String text) {
      int i = text.startsWith("0x") || text.startsWith("0X") ? 2 : 0;
      while (i < text.length() && Character.digit(text.charAt(i), 16) >= 0 && (i >= 2 || Character.isDigit(text.charAt(i)))) {
        i++;
      }
      return text.substring(0, i);
    }

    private static int port(ModuleContext rule, Token arg, String option, String text, int min) {
      long p = Numbers.parseUnsigned(text, 65535);
      if (p < min) {
        throw rule.error(arg, "bad port " + quoted(text) + " in " + option + " " + arg.text() + "; expected a number"
            + " from " + min + " to 65535");
      }
      return (int) p;
    }

    /** A shifted map's base: a number from 1, else a service name (getservbyname(name, NULL)). */
    private static int basePort(ModuleContext rule, Token arg, String option, String text) {
      long p = Numbers.parseUnsigned(text, 65535);
      if (p >= 1) {
        return (int) p;
      }
      if (p == 0 || text.isEmpty() || Character.isDigit(text.charAt(0))) {
        return port(rule, arg, option, text, 1);
      }
      return Services.resolve(rule, arg, option, text, null, "a number from 1 to 65535");
    }

    @Override
    void write(Dnat t, StringBuilder out) {
      out.append(" -j DNAT --to-destination ");
      if (t.first().isPresent()) {
        boolean brackets = t.first().get().family() == IpFamily.V6 && t.ports().isPresent();
        if (brackets) {
          out.append('[');
        }
        out.append(t.first().get());
        if (!t.last().get().equals(t.first().get())) {
          out.append('-').append(t.last().get());
        }
        if (brackets) {
          out.append(']');
        }
      }
      if (t.ports().isPresent()) {
        out.append(':');
        MasqueradeModule.natPorts(out, t.ports().get());
        if (t.portBase() != 0) {
          out.append('/').append(t.portBase());
        }
      }
      MasqueradeModule.flags(out, t.random(), false, t.persistent());
    }

    @Override
    void check(Dnat t, RuleContext rule, Findings findings) {
      rule.checkNat(t.name(), EnumSet.of(Hook.PREROUTING, Hook.OUTPUT), findings);
      if (t.first().isPresent() && t.first().get().family() != rule.family) {
        findings.error("address-family", "DNAT --to-destination " + t.first().get() + " is not an "
            + (rule.family == IpFamily.V4 ? "IPv4" : "IPv6") + " address");
      }
      if (t.ports().isPresent() && (rule.rule.protocol().isEmpty()
          || !PORT_PROTOCOLS.contains(rule.rule.protocol().get().number()))) {
        findings.error("nat-ports-protocol", "DNAT with ports needs -p tcp, udp, sctp, dccp or icmp");
      }
      if (t.portBase() != 0 && (t.ports().isEmpty() || t.ports().get().isSingle())) {
        findings.error("nat-port-base", "DNAT port base /" + t.portBase() + " needs a port range (P-Q/BASE)");
      } else if (t.portBase() < 0 || t.portBase() > 65535) {
        findings.error("nat-port-base", "DNAT port base /" + t.portBase() + " is not a port (1 to 65535)");
      }
    }
  }
}
