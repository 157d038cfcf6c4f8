package dev.mlb.netfilter;

import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code -m tcp} and {@code -m udp} with {@code [!] --sport} and {@code [!] --dport}
 * ({@link PortMatch}); tcp's flag and option tests are kept verbatim.
 *
 * <pre>{@code
 * -p tcp --destination-port 80   // reads as -p tcp -m tcp --dport 80 (iptables loads -m tcp itself)
 * -p tcp -m tcp --syn            // an OpaqueMatch: --syn is not modelled
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
  private static final Map<String, Integer> TCP_UNMODELLED = Map.of("--tcp-flags", 2, "--syn", 0, "--tcp-option", 1);
  private static final List<String> TCP_OPTIONS = List.of("--sport", "--dport", "--tcp-flags", "--syn", "--tcp-option");
  private static final List<String> UDP_OPTIONS = List.of("--sport", "--dport");

  private final Protocol protocol;
  private final boolean tcp;

  private PortModule(Protocol protocol) {
    super(protocol.toString(), PortMatch.class);
    this.protocol = protocol;
    this.tcp = protocol.equals(Protocol.TCP);
  }

  @Override
  List<String> options() {
    return tcp ? TCP_OPTIONS : UDP_OPTIONS;
  }

  @Override
  String canonical(String option) {
    return OPTIONS.get(option);
  }

  @Override
  Map<String, Integer> unmodelled() {
    return tcp ? TCP_UNMODELLED : Map.of();
  }

  @Override
  Reader reader(ModuleContext rule, String name, Token at) {
    return new Reader(this, name(), at, rule) {
      private PortCriterion source;
      private PortCriterion destination;

      @Override
      void value(String option, Token optionToken, Token arg) {
        PortCriterion c = new PortCriterion(Arguments.portRange(rule, arg, option), optionNegated);
        if (option.equals("--sport")) {
          source = c;
        } else {
          destination = c;
        }
      }

      @Override
      Match finish() {
        return new PortMatch(protocol, Optional.ofNullable(source), Optional.ofNullable(destination));
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
    if (m.source().isPresent() && m.source().get().isNone()) {
      findings.error("port-match-none", "! 0:65535 matches no port; iptables-nft cannot represent it");
    }
    if (m.destination().isPresent() && m.destination().get().isNone()) {
      findings.error("port-match-none", "! 0:65535 matches no port; iptables-nft cannot represent it");
    }
  }
}
