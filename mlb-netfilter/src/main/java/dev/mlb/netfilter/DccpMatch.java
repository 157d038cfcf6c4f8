package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import com.google.common.collect.Sets;
import dev.mlb.api.Numbers;
import dev.mlb.api.PortRange;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code -m dccp [[!] --sport PORTS] [[!] --dport PORTS] [[!] --dccp-types TYPE[,TYPE...]]
 * [[!] --dccp-option N]}: matches DCCP packets by ports, packet type and an option.
 *
 * <pre>{@code
 * DccpMatch.destination(PortRange.of(5004))                      // -p dccp -m dccp --dport 5004
 * DccpMatch.any().withTypes(EnumSet.of(DccpMatch.Type.REQUEST))  // -p dccp -m dccp --dccp-types REQUEST
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code dccp_save} of iptables' {@code extensions/libxt_dccp.c},
 * a compat match under iptables-nft, unlike {@code -m tcp}): {@code --sport}, {@code --dport} (each
 * as given: {@code :} is {@code 0:65535}, {@code 4:4} is {@code 4}),
 * {@code --dccp-types} in the kernel's order of types, then {@code --dccp-option}. iptables reads
 * ports in decimal only (a port above 65535 wraps, and a reversed range such as {@code 5:4} or an empty type list
 * matches nothing: mlb refuses these), types by name in any case,
 * and an option from 1 to 255. The kernel refuses the match unless the rule says {@code -p dccp}
 * without {@code !}. The simulator does not model {@code -m dccp}.
 *
 * @param source the source-port test, if any (kept as given; not folded like {@code -m tcp}'s)
 * @param destination the destination-port test, if any
 * @param types the packet types matched; empty for no type test
 * @param typesNegated {@code ! --dccp-types}
 * @param option the DCCP option number 1 to 255 matched; 0 for none
 * @param optionNegated {@code ! --dccp-option}
 */
public record DccpMatch(Optional<PortCriterion> source, Optional<PortCriterion> destination, Set<Type> types,
    boolean typesNegated, int option, boolean optionNegated) implements Match {

  /** The DCCP packet types, in the kernel's order ({@code DCCP_PKT_*}), as {@code iptables-save} names them. */
  public enum Type {
    REQUEST, RESPONSE, DATA, ACK, DATAACK, CLOSEREQ, CLOSE, RESET, SYNC, SYNCACK, INVALID
  }

  public DccpMatch {
    checkArgument(source != null && destination != null && types != null,
        "-m dccp: a port test or the types is null; use Optional.empty() or an empty set");
    types = Sets.immutableEnumSet(types);
    checkArgument(option >= 0 && option <= 255, "-m dccp --dccp-option %s is outside 1 to 255", option);
    checkArgument(option != 0 || !optionNegated, "-m dccp: ! --dccp-option needs an option");
    checkArgument(!types.isEmpty() || !typesNegated, "-m dccp: ! --dccp-types needs types");
  }

  /** {@code -m dccp} alone: every DCCP packet. */
  public static DccpMatch any() {
    return new DccpMatch(Optional.empty(), Optional.empty(), Set.of(), false, 0, false);
  }

  /** {@code -m dccp --dport PORTS}. */
  public static DccpMatch destination(PortRange ports) {
    return new DccpMatch(Optional.empty(), Optional.of(PortCriterion.is(ports)), Set.of(), false, 0, false);
  }

  /** {@code -m dccp --sport PORTS}. */
  public static DccpMatch source(PortRange ports) {
    return new DccpMatch(Optional.of(PortCriterion.is(ports)), Optional.empty(), Set.of(), false, 0, false);
  }

  /** This match testing the packet type too. */
  public DccpMatch withTypes(Set<Type> types) {
    return new DccpMatch(source, destination, types, false, option, optionNegated);
  }

  /** This match testing for DCCP option {@code option} (1 to 255) too. */
  public DccpMatch withOption(int option) {
    return new DccpMatch(source, destination, types, typesNegated, option, false);
  }

  @Override
  public String module() {
    return "dccp";
  }

  /** {@code -m dccp}: iptables' {@code extensions/libxt_dccp.c}, as iptables-nft 1.8.9 reads it. */
  static final class DccpModule extends MatchModule<DccpMatch> {
    static final DccpModule INSTANCE = new DccpModule();

    private static final List<String> OPTIONS = List.of("--sport", "--dport", "--dccp-types", "--dccp-option");
    private static final Map<String, String> NAMES = Map.of(
        "--sport", "--sport", "--source-port", "--sport",
        "--dport", "--dport", "--destination-port", "--dport",
        "--dccp-types", "--dccp-types", "--dccp-option", "--dccp-option");

    private DccpModule() {
      super("dccp", DccpMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    String canonical(String option) {
      return NAMES.get(option);
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "dccp", at, rule) {
        private PortCriterion source;
        private PortCriterion destination;
        private Set<Type> types = Set.of();
        private boolean typesNegated;
        private int dccpOption;
        private boolean dccpOptionNegated;

        @Override
        void value(String option, Token optionToken, Token arg) {
          switch (option) {
            case "--sport" -> source = new PortCriterion(ports(arg, option), optionNegated);
            case "--dport" -> destination = new PortCriterion(ports(arg, option), optionNegated);
            case "--dccp-types" -> {
              types = types(arg);
              typesNegated = optionNegated;
            }
            default -> {
              long n = Numbers.parseUnsigned(arg.text(), 255);
              if (n < 1) {
                throw error(arg, "bad value " + quoted(arg.text()) + " for --dccp-option; expected a number from"
                    + " 1 to 255");
              }
              dccpOption = (int) n;
              dccpOptionNegated = optionNegated;
            }
          }
        }

        /** {@code N}, {@code A:B}, {@code A:}, {@code :B} or {@code :}, decimal ports, kept as written (5:4 too). */
        private PortRange ports(Token arg, String option) {
          String text = arg.text();
          int colon = text.indexOf(':');
          String a = colon < 0 ? text : text.substring(0, colon);
          String b = colon < 0 ? text : text.substring(colon + 1);
          if (b.indexOf(':') >= 0) {
            throw error(arg, "too many ports in " + option + " " + text + "; expected PORT or FIRST:LAST");
          }
          int first = a.isEmpty() ? 0 : port(arg, option, a);
          int last = b.isEmpty() ? 65535 : port(arg, option, b);
          if (first > last) {
            // iptables keeps it, and the match then matches no packet: refused as a mistake.
            throw error(arg, "port range " + text + " for " + option + " is empty; expected FIRST:LAST with FIRST"
                + " not above LAST");
          }
          return PortRange.of(first, last);
        }

        private int port(Token arg, String option, String text) {
          // Decimal (leading zeros allowed), as xtables_getportbyname reads a number.
          String trimmed = text.replaceFirst("^0+(?=.)", "");
          boolean digits = !text.isEmpty() && text.chars().allMatch(c -> c >= '0' && c <= '9');
          long p = digits && trimmed.length() <= 5 ? Long.parseLong(trimmed) : -1;
          if (p < 0 || p > 65535) {
            throw error(arg, "bad port " + quoted(text) + " in " + option + " " + arg.text()
                + "; expected a decimal number from 0 to 65535 (service names are not supported)");
          }
          return (int) p;
        }

        /** {@code TYPE[,TYPE...]}, names in any case, empty parts skipped (parse_dccp_types). */
        private Set<Type> types(Token arg) {
          Set<Type> set = EnumSet.noneOf(Type.class);
          for (String part : arg.text().split(",")) {
            if (part.isEmpty()) {
              continue;
            }
            try {
              set.add(Type.valueOf(part.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
              throw error(arg, "unknown DCCP type " + quoted(part) + " in --dccp-types " + arg.text()
                  + "; expected a comma-separated list of " + Arguments.join(
                      EnumSet.allOf(Type.class).stream().map(Type::name).toList(), "or"));
            }
          }
          if (set.isEmpty()) {
            // iptables keeps an empty list (it prints "--dccp-types " and matches no packet): refused as a mistake.
            throw error(arg, "--dccp-types " + quoted(arg.text()) + " names no type; expected a comma-separated list"
                + " of REQUEST, RESPONSE, DATA, ACK, DATAACK, CLOSEREQ, CLOSE, RESET, SYNC, SYNCACK or INVALID");
          }
          return set;
        }

        @Override
        Match finish() {
          return new DccpMatch(Optional.ofNullable(source), Optional.ofNullable(destination), types,
              typesNegated && !types.isEmpty(), dccpOption, dccpOptionNegated);
        }
      };
    }

    @Override
    void write(DccpMatch m, StringBuilder out) {
      m.source().ifPresent(c -> port(out, "--sport", c));
      m.destination().ifPresent(c -> port(out, "--dport", c));
      if (!m.types().isEmpty()) {
        out.append(m.typesNegated() ? " ! --dccp-types " : " --dccp-types ");
        String sep = "";
        for (Type t : m.types()) {
          out.append(sep).append(t.name());
          sep = ",";
        }
      }
      if (m.option() != 0) {
        out.append(m.optionNegated() ? " ! --dccp-option " : " --dccp-option ").append(m.option());
      }
    }

    private static void port(StringBuilder out, String option, PortCriterion c) {
      out.append(c.negated() ? " ! " : " ").append(option).append(' ').append(c.range().first());
      if (c.range().first() != c.range().last()) {
        out.append(':').append(c.range().last());
      }
    }

    @Override
    void check(DccpMatch m, RuleContext rule, Findings findings) {
      if (!rule.protocolIs(Set.of(33))) {
        findings.error("dccp-protocol", "-m dccp needs -p dccp in the same rule (without !); the kernel refuses"
            + " it otherwise");
      }
    }
  }
}
