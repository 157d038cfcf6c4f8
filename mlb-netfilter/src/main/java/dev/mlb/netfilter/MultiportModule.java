package dev.mlb.netfilter;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.PortRange;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code -m multiport [!] --sports|--dports|--ports LIST} ({@link MultiportMatch}).
 *
 * <pre>{@code
 * -p tcp -m multiport --destination-ports 80,443,8000:8080   // reads as --dports
 * }</pre>
 */
final class MultiportModule extends MatchModule<MultiportMatch> {
  static final MultiportModule INSTANCE = new MultiportModule();

  private static final List<String> OPTIONS = List.of("--sports", "--dports", "--ports");
  /** The protocols -m multiport takes: tcp, udp, udplite, sctp, dccp. */
  private static final Set<Integer> PROTOCOLS = Set.of(6, 17, 136, 132, 33);

  private MultiportModule() {
    super("multiport", MultiportMatch.class);
  }

  @Override
  List<String> options() {
    return OPTIONS;
  }

  @Override
  String canonical(String option) {
    return switch (option) {
      case "--sports", "--source-ports" -> "--sports";
      case "--dports", "--destination-ports" -> "--dports";
      case "--ports" -> "--ports";
      default -> null;
    };
  }

  @Override
  Reader reader(ModuleContext rule, String name, Token at) {
    return new Reader(this, "multiport", at, rule) {
      private MultiportMatch.Direction direction;
      private final List<PortRange> ports = new ArrayList<>();

      @Override
      void value(String option, Token optionToken, Token arg) {
        if (rule.protocol() == null || rule.protocolNegated()
            || !PROTOCOLS.contains(rule.protocol().number())) {
          throw error(optionToken, "-m multiport needs -p tcp, -p udp, -p udplite, -p sctp or -p dccp"
              + " (not negated) before its options");
        }
        if (direction != null) {
          throw error(optionToken, "-m multiport takes only one of --sports, --dports and --ports");
        }
        direction = switch (option) {
          case "--sports" -> MultiportMatch.Direction.SOURCE;
          case "--dports" -> MultiportMatch.Direction.DESTINATION;
          default -> MultiportMatch.Direction.EITHER;
        };
        // libxt_multiport's proto_to_name: getservbyname(name, the -p protocol's name).
        String service = switch (rule.protocol().number()) {
          case 6 -> "tcp";
          case 17 -> "udp";
          case 33 -> "dccp";
          case 132 -> "sctp";
          default -> "udplite";
        };
        int slots = 0;
        for (String p : arg.text().split(",", -1)) {
          if (p.isEmpty()) {
            throw error(arg, "empty port in " + option + " " + arg.text()
                + "; expected a comma-separated list of ports and FIRST:LAST ranges");
          }
          int colon = p.indexOf(':');
          PortRange r;
          if (colon < 0) {
            r = PortRange.of(Arguments.port(rule, arg, option, p, service));
          } else {
            int first = Arguments.port(rule, arg, option, p.substring(0, colon), service);
            int last = Arguments.port(rule, arg, option, p.substring(colon + 1), service);
            if (first >= last) {
              // iptables: "invalid portrange specified", for 5:5 as for 9:3.
              throw error(arg, "port range " + p + " in " + option
                  + " is invalid; expected FIRST:LAST with FIRST below LAST (a single port without the colon)");
            }
            r = PortRange.of(first, last);
          }
          slots += r.isSingle() ? 1 : 2;
          ports.add(r);
        }
        if (slots > MultiportMatch.MAX_PORTS) {
          throw error(arg, option + " lists " + slots + " ports (a range counts as two); -m multiport"
              + " allows at most " + MultiportMatch.MAX_PORTS);
        }
      }

      @Override
      Match finish() {
        if (direction == null) {
          throw error(at, "-m multiport needs --sports, --dports or --ports");
        }
        return new MultiportMatch(direction, ImmutableList.copyOf(ports), negated);
      }
    };
  }

  @Override
  void write(MultiportMatch m, StringBuilder out) {
    out.append(m.negated() ? " ! " : " ").append(m.direction().option()).append(' ');
    out.append(m.ports().stream().map(PortRange::toString).collect(Collectors.joining(",")));
  }

  @Override
  void check(MultiportMatch m, RuleContext rule, Findings findings) {
    if (!rule.protocolIs(PROTOCOLS)) {
      findings.error("multiport-protocol", "-m multiport needs -p tcp, udp, udplite, sctp or dccp"
          + " in the same rule (without !)");
    }
    if (m.slots() > MultiportMatch.MAX_PORTS) {
      findings.error("multiport-too-many", "-m multiport " + m.direction().option() + " lists "
          + m.slots() + " ports (a range counts as two); the kernel allows at most 15");
    }
  }
}
