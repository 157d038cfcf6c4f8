package dev.mlb.netfilter;

import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code -m tcp} and {@code -m udp} with {@code [!] --sport} and {@code [!] --dport}, and tcp's
 * {@code [!] --tcp-flags MASK COMP}, {@code [!] --syn} and {@code [!] --tcp-option N}
 * ({@link PortMatch}).
 *
 * <pre>{@code
 * -p tcp --destination-port 80   // reads as -p tcp -m tcp --dport 80 (iptables loads -m tcp itself)
 * -p tcp -m tcp --syn            // written: -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN
 * -p tcp -m tcp ! --sport :      // written: -p tcp (iptables-nft 1.8.9 drops "no port")
 * }</pre>
 */
final class PortModule extends MatchModule<PortMatch> {
  static final PortModule TCP = new PortModule(Protocol.TCP);
  static final PortModule UDP = new PortModule(Protocol.UDP);

  /** The options with their aliases, by the name they are given. */
  static final Map<String, String> OPTIONS =
      Map.of(
          "--sport", "--sport",
          "--source-port", "--sport",
          "--dport", "--dport",
          "--destination-port", "--dport");
  private static final List<String> TCP_OPTIONS = List.of("--sport", "--dport", "--tcp-flags", "--syn", "--tcp-option");
  private static final List<String> UDP_OPTIONS = List.of("--sport", "--dport");

  private final Protocol protocol;
  private final boolean tcp;

  private PortModule(Protocol protocol) {
    super(protocol.toString(), PortMatch.class);
    this.protocol = protocol;
    this.tcp = protocol.equals(Protocol.TCP);
  }

  /** The protocol for service names: libxt_tcp passes "tcp"; -m udp reads ports as getaddrinfo does. */
  private String serviceProtocol() {
    return tcp ? "tcp" : "*";
  }

  @Override
  List<String> options() {
    return tcp ? TCP_OPTIONS : UDP_OPTIONS;
  }

  @Override
  String canonical(String option) {
    if (tcp) {
      switch (option) {
        case "--tcp-flags", "--syn" -> {
          return "--tcp-flags";   // iptables: "Only one of `--syn' or `--tcp-flags' allowed"
        }
        case "--tcp-option" -> {
          return option;
        }
        default -> { }
      }
    }
    return OPTIONS.get(option);
  }

  @Override
  int arity(String option) {
    return switch (option) {
      case "--syn" -> 0;
      case "--tcp-flags" -> 2;
      default -> 1;
    };
  }

  @Override
  Reader reader(ModuleContext rule, String name, Token at) {
    return new Reader(this, name(), at, rule) {
      private PortCriterion source;
      private PortCriterion destination;
      private TcpFlags flags;
      private PortMatch.TcpOption option;
      /** Whether a port test was ! 0:65535, which iptables-nft drops. */
      private boolean sawNone;

      @Override
      void value(String name, Token optionToken, Token arg) {
        switch (name) {
          case "--tcp-flags" -> flags = optionToken.text().equals("--syn")
              ? new TcpFlags(TcpFlags.SYN.mask(), TcpFlags.SYN.compare(), optionNegated)
              : new TcpFlags(tcpFlags(arg), tcpFlags(secondArgument), optionNegated);
          case "--tcp-option" -> {
            long kind = arg.text().chars().allMatch(c -> c >= '0' && c <= '9') && !arg.text().isEmpty()
                && arg.text().length() <= 3 ? Long.parseLong(arg.text()) : -1;
            if (kind < 1 || kind > 255) {
              throw error(arg, "bad TCP option " + Arguments.quoted(arg.text())
                  + " for --tcp-option; expected a number from 1 to 255");
            }
            option = new PortMatch.TcpOption((int) kind, optionNegated);
          }
          default -> {
            PortCriterion c = new PortCriterion(Arguments.portRange(rule, arg, name, serviceProtocol()), optionNegated);
            sawNone |= c.isNone();
            if (name.equals("--sport")) {
              source = c;
            } else {
              destination = c;
            }
          }
        }
      }

      /** {@code SYN,ACK}, {@code ALL} or {@code NONE} (names case-insensitive, empty parts skipped) as bits. */
      private int tcpFlags(Token arg) {
        int bits = 0;
        for (String part : arg.text().split(",")) {
          if (part.isEmpty()) {
            continue;
          }
          int bit = tcpFlag(part);
          if (bit < 0) {
            throw error(arg, "unknown TCP flag " + Arguments.quoted(part) + " in --tcp-flags " + arg.text()
                + "; expected a comma-separated list of FIN, SYN, RST, PSH, ACK, URG, ALL or NONE");
          }
          bits |= bit;
        }
        return bits;
      }

      @Override
      Match finish() {
        PortMatch m = new PortMatch(protocol, Optional.ofNullable(source), Optional.ofNullable(destination),
            Optional.ofNullable(flags), Optional.ofNullable(option));
        boolean empty = m.source().isEmpty() && m.destination().isEmpty() && m.isPortsOnly();
        return sawNone && empty ? null : m;
      }

      @Override
      void finishRule() {
        Protocol p = rule.protocol();
        if (!protocol.equals(p) || rule.protocolNegated()) {
          throw error(at, "-m " + name + " needs -p " + name + " in the same rule"
              + (p == null ? "" : " (not " + (rule.protocolNegated() ? "! " : "") + "-p " + p + ")"));
        }
      }
    };
  }

  @Override
  void write(PortMatch m, StringBuilder out) {
    if (m.source().isPresent()) {
      port(out, "--sport", m.source().get());
    }
    if (m.destination().isPresent()) {
      port(out, "--dport", m.destination().get());
    }
    if (m.option().isPresent()) {
      out.append(m.option().get().negated() ? " ! " : " ").append("--tcp-option ").append(m.option().get().kind());
    }
    if (m.flags().isPresent()) {
      out.append(m.flags().get().negated() ? " ! " : " ").append("--tcp-flags ").append(m.flags().get());
    }
  }

  /** A TCP flag name (case-insensitive) as its bits, ALL 0x3f and NONE 0; -1 if unknown. */
  static int tcpFlag(String name) {
    for (int i = 0; i < TcpFlags.NAMES.length; i++) {
      if (TcpFlags.NAMES[i].equalsIgnoreCase(name)) {
        return 1 << i;
      }
    }
    return name.equalsIgnoreCase("ALL") ? 0x3F : name.equalsIgnoreCase("NONE") ? 0 : -1;
  }

  private static void port(StringBuilder out, String option, PortCriterion c) {
    out.append(c.negated() ? " ! " : " ").append(option).append(' ');
    PortRange range = c.range();
    out.append(range.first());
    if (!range.isSingle()) {
      out.append(':').append(range.last());
    }
  }

  @Override
  void check(PortMatch m, RuleContext rule, Findings findings) {
    Rule r = rule.rule;
    if (!r.protocol().isPresent() || r.protocolNegated()
        || r.protocol().get().number() != m.protocol().number()) {
      findings.error("port-match-protocol", "-m " + m.module() + " needs -p " + m.protocol()
          + " in the same rule (without !); the kernel refuses it otherwise");
    }
  }
}
