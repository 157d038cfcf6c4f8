package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.PortRange;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code -m sctp [[!] --sport PORTS] [[!] --dport PORTS]}: matches SCTP packets by port.
 *
 * <pre>{@code
 * SctpMatch.destination(PortRange.of(3868))   // -p sctp -m sctp --dport 3868
 * SctpMatch.source(PortRange.of(0, 65535))    // -p sctp -m sctp --sport 0:65535 (kept, unlike -m tcp's)
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code sctp_save} of iptables' {@code extensions/libxt_sctp.c},
 * a compat match under iptables-nft): {@code --sport}, then {@code --dport}, each as given
 * ({@code :} is {@code 0:65535}, {@code 4:4} is {@code 4}); iptables refuses a reversed range. The
 * chunk test ({@code [!] --chunk-types all|any|only TYPE[:FLAGS],...}) is not modelled: a match with
 * it is kept verbatim, as written. The kernel refuses the match unless the rule says {@code -p sctp}
 * without {@code !}. The simulator does not model {@code -m sctp}.
 *
 * @param source the source-port test, if any
 * @param destination the destination-port test, if any
 */
public record SctpMatch(Optional<PortCriterion> source, Optional<PortCriterion> destination) implements Match {

  public SctpMatch {
    checkArgument(source != null && destination != null, "-m sctp: a port test is null; use Optional.empty()");
  }

  /** {@code -m sctp --dport PORTS}. */
  public static SctpMatch destination(PortRange ports) {
    return new SctpMatch(Optional.empty(), Optional.of(PortCriterion.is(ports)));
  }

  /** {@code -m sctp --sport PORTS}. */
  public static SctpMatch source(PortRange ports) {
    return new SctpMatch(Optional.of(PortCriterion.is(ports)), Optional.empty());
  }

  @Override
  public String module() {
    return "sctp";
  }

  /** {@code -m sctp}: iptables' {@code extensions/libxt_sctp.c} (ports), as iptables-nft 1.8.9 reads it. */
  static final class SctpModule extends MatchModule<SctpMatch> {
    static final SctpModule INSTANCE = new SctpModule();

    private static final List<String> OPTIONS = List.of("--sport", "--dport");

    private SctpModule() {
      super("sctp", SctpMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    String canonical(String option) {
      return PortModule.OPTIONS.get(option);
    }

    @Override
    Map<String, Integer> unmodelled() {
      return Map.of("--chunk-types", 2);
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "sctp", at, rule) {
        private PortCriterion source;
        private PortCriterion destination;

        @Override
        void value(String option, Token optionToken, Token arg) {
          PortCriterion c = new PortCriterion(Arguments.portRange(rule, arg, option, "sctp"), optionNegated);
          if (option.equals("--sport")) {
            source = c;
          } else {
            destination = c;
          }
        }

        @Override
        Match finish() {
          return new SctpMatch(Optional.ofNullable(source), Optional.ofNullable(destination));
        }
      };
    }

    @Override
    void write(SctpMatch m, StringBuilder out) {
      m.source().ifPresent(c -> port(out, "--sport", c));
      m.destination().ifPresent(c -> port(out, "--dport", c));
    }

    private static void port(StringBuilder out, String option, PortCriterion c) {
      out.append(c.negated() ? " ! " : " ").append(option).append(' ').append(c.range().first());
      if (c.range().first() != c.range().last()) {
        out.append(':').append(c.range().last());
      }
    }

    @Override
    void check(SctpMatch m, RuleContext rule, Findings findings) {
      if (!rule.protocolIs(Set.of(132))) {
        findings.error("sctp-protocol", "-m sctp needs -p sctp in the same rule (without !); the kernel refuses it"
            + " otherwise");
      }
    }
  }
}
