package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import com.google.common.collect.Sets;
import dev.mlb.api.IpFamily;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code -m addrtype [[!] --src-type TYPE[,TYPE...]] [[!] --dst-type TYPE[,TYPE...]]
 * [--limit-iface-in | --limit-iface-out]}: matches by the routing type of the packet's source or
 * destination address (LOCAL: an address of this host; BROADCAST, MULTICAST, ...).
 *
 * <pre>{@code
 * AddrtypeMatch.destination(AddrtypeMatch.Type.LOCAL)          // -m addrtype --dst-type LOCAL
 * AddrtypeMatch.destination(AddrtypeMatch.Type.LOCAL).negated() // -m addrtype ! --dst-type LOCAL
 * AddrtypeMatch.source(AddrtypeMatch.Type.LOCAL).withLimitIfaceOut()  // ... --src-type LOCAL --limit-iface-out
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code addrtype_save_v1} of iptables'
 * {@code extensions/libxt_addrtype.c}): {@code --src-type}, then {@code --dst-type}, each list in
 * the kernel's order of types, then the interface limit. iptables reads a type by any prefix of
 * its name in any case (the first in the kernel's order: {@code U} is UNSPEC). The kernel refuses
 * {@code --limit-iface-in} where packets come from OUTPUT or POSTROUTING, {@code --limit-iface-out}
 * where they come from PREROUTING or INPUT, and in IPv6 the types BROADCAST, BLACKHOLE and those
 * from PROHIBIT on. The simulator does not model {@code -m addrtype}.
 *
 * @param source the source types ({@code --src-type}); empty if not given
 * @param sourceNegated {@code ! --src-type}
 * @param destination the destination types ({@code --dst-type}); empty if not given
 * @param destinationNegated {@code ! --dst-type}
 * @param limitIfaceIn look the types up on the incoming interface only
 * @param limitIfaceOut look the types up on the outgoing interface only
 */
public record AddrtypeMatch(
    Set<Type> source,
    boolean sourceNegated,
    Set<Type> destination,
    boolean destinationNegated,
    boolean limitIfaceIn,
    boolean limitIfaceOut)
    implements Match {

  /** The routing types, in the kernel's order ({@code RTN_*}), as {@code iptables-save} names them. */
  public enum Type {
    UNSPEC, UNICAST, LOCAL, BROADCAST, ANYCAST, MULTICAST, BLACKHOLE, UNREACHABLE, PROHIBIT, THROW, NAT, XRESOLVE;

    /** Whether the kernel matches this type in IPv6. */
    public boolean inV6() {
      return this != BROADCAST && this != BLACKHOLE && ordinal() < PROHIBIT.ordinal();
    }
  }

  public AddrtypeMatch {
    checkArgument(source != null && destination != null, "-m addrtype: a type set is null; use an empty set");
    source = Sets.immutableEnumSet(source);
    destination = Sets.immutableEnumSet(destination);
    checkArgument(!source.isEmpty() || !sourceNegated, "-m addrtype: ! --src-type needs types");
    checkArgument(!destination.isEmpty() || !destinationNegated, "-m addrtype: ! --dst-type needs types");
  }

  /** {@code -m addrtype --src-type TYPES}. */
  public static AddrtypeMatch source(Type first, Type... rest) {
    return new AddrtypeMatch(EnumSet.of(first, rest), false, Set.of(), false, false, false);
  }

  /** {@code -m addrtype --dst-type TYPES}. */
  public static AddrtypeMatch destination(Type first, Type... rest) {
    return new AddrtypeMatch(Set.of(), false, EnumSet.of(first, rest), false, false, false);
  }

  /** This match with every given type list negated. */
  public AddrtypeMatch negated() {
    return new AddrtypeMatch(source, !source.isEmpty(), destination, !destination.isEmpty(), limitIfaceIn,
        limitIfaceOut);
  }

  /** This match with {@code --limit-iface-in}. */
  public AddrtypeMatch withLimitIfaceIn() {
    return new AddrtypeMatch(source, sourceNegated, destination, destinationNegated, true, limitIfaceOut);
  }

  /** This match with {@code --limit-iface-out}. */
  public AddrtypeMatch withLimitIfaceOut() {
    return new AddrtypeMatch(source, sourceNegated, destination, destinationNegated, limitIfaceIn, true);
  }

  @Override
  public String module() {
    return "addrtype";
  }

  /** {@code -m addrtype}: iptables' {@code extensions/libxt_addrtype.c}, as iptables-nft 1.8.9 reads it. */
  static final class AddrtypeModule extends MatchModule<AddrtypeMatch> {
    static final AddrtypeModule INSTANCE = new AddrtypeModule();

    private static final List<String> OPTIONS = List.of("--src-type", "--dst-type", "--limit-iface-in",
        "--limit-iface-out");
    private static final Set<String> FLAGS = Set.of("--limit-iface-in", "--limit-iface-out");
    private static final Set<Hook> NO_IN = EnumSet.of(Hook.OUTPUT, Hook.POSTROUTING);
    private static final Set<Hook> NO_OUT = EnumSet.of(Hook.PREROUTING, Hook.INPUT);

    private AddrtypeModule() {
      super("addrtype", AddrtypeMatch.class);
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
    boolean negatable(String option) {
      return !FLAGS.contains(option);
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "addrtype", at, rule) {
        private Set<Type> source = Set.of();
        private Set<Type> destination = Set.of();
        private boolean sourceNegated;
        private boolean destinationNegated;

        @Override
        void value(String option, Token optionToken, Token arg) {
          switch (option) {
            case "--src-type" -> {
              source = types(arg);
              sourceNegated = optionNegated;
            }
            case "--dst-type" -> {
              destination = types(arg);
              destinationNegated = optionNegated;
            }
            default -> {
              String other = option.equals("--limit-iface-in") ? "--limit-iface-out" : "--limit-iface-in";
              if (given.containsKey(other)) {
                throw error(optionToken, "-m addrtype: " + option + " cannot be given with " + other);
              }
            }
          }
        }

        /** {@code TYPE[,TYPE...]}, each a prefix of a type's name in any case (parse_types). */
        private Set<Type> types(Token arg) {
          Set<Type> types = EnumSet.noneOf(Type.class);
          for (String word : arg.text().split(",", -1)) {
            Type found = null;
            String upper = word.toUpperCase(Locale.ROOT);
            for (Type t : Type.values()) {
              if (!word.isEmpty() && t.name().startsWith(upper)) {
                found = t;
                break;
              }
            }
            if (found == null) {
              throw error(arg, "-m addrtype: bad type " + quoted(word) + " in " + quoted(arg.text())
                  + "; expected types separated by commas, each one of " + List.of(Type.values())
                  + " (or a prefix of one)");
            }
            types.add(found);
          }
          return types;
        }

        @Override
        Match finish() {
          if (source.isEmpty() && destination.isEmpty()) {
            throw error(at, "-m addrtype needs --src-type or --dst-type");
          }
          return new AddrtypeMatch(source, sourceNegated, destination, destinationNegated,
              given.containsKey("--limit-iface-in"), given.containsKey("--limit-iface-out"));
        }
      };
    }

    @Override
    void write(AddrtypeMatch m, StringBuilder out) {
      if (!m.source().isEmpty()) {
        out.append(m.sourceNegated() ? " ! --src-type " : " --src-type ");
        types(out, m.source());
      }
      if (!m.destination().isEmpty()) {
        out.append(m.destinationNegated() ? " ! --dst-type " : " --dst-type ");
        types(out, m.destination());
      }
      if (m.limitIfaceIn()) {
        out.append(" --limit-iface-in");
      }
      if (m.limitIfaceOut()) {
        out.append(" --limit-iface-out");
      }
    }

    private static void types(StringBuilder out, Set<Type> types) {
      String sep = "";
      for (Type t : Type.values()) {
        if (types.contains(t)) {
          out.append(sep).append(t.name());
          sep = ",";
        }
      }
    }

    /** Whether the checks need the ruleset's family or the chain's hooks. */
    private static boolean needsContext(AddrtypeMatch m) {
      return m.limitIfaceIn() || m.limitIfaceOut() || !m.source().stream().allMatch(Type::inV6)
          || !m.destination().stream().allMatch(Type::inV6);
    }

    @Override
    void check(AddrtypeMatch m, RuleContext rule, Findings findings) {
      if (m.source().isEmpty() && m.destination().isEmpty()) {
        findings.error("addrtype-empty", "-m addrtype needs --src-type or --dst-type; iptables refuses it without");
      }
      if (m.limitIfaceIn() && m.limitIfaceOut()) {
        findings.error("addrtype-limit", "-m addrtype: --limit-iface-in and --limit-iface-out cannot be given together");
      }
      if (rule.family == null) {
        // The rule's screen (no family, no chain): have validation look at it in its chain.
        if (needsContext(m)) {
          findings.warning("addrtype-context", "checked in its chain");
        }
        return;
      }
      if (m.limitIfaceIn() && !Sets.intersection(rule.hooks, NO_IN).isEmpty()) {
        findings.error("addrtype-limit", "-m addrtype --limit-iface-in in chain " + rule.chain + ", which is reached"
            + " from " + Sets.intersection(rule.hooks, NO_IN) + ", where packets have no incoming interface; the"
            + " kernel refuses it");
      }
      if (m.limitIfaceOut() && !Sets.intersection(rule.hooks, NO_OUT).isEmpty()) {
        findings.error("addrtype-limit", "-m addrtype --limit-iface-out in chain " + rule.chain + ", which is reached"
            + " from " + Sets.intersection(rule.hooks, NO_OUT) + ", where packets have no outgoing interface; the"
            + " kernel refuses it");
      }
      if (rule.family == IpFamily.V6) {
        Set<Type> bad = EnumSet.noneOf(Type.class);
        for (Type t : Sets.union(m.source(), m.destination())) {
          if (!t.inV6()) {
            bad.add(t);
          }
        }
        if (!bad.isEmpty()) {
          findings.error("addrtype-family", "-m addrtype " + bad + " in an IPv6 ruleset; the kernel matches only"
              + " UNSPEC, UNICAST, LOCAL, ANYCAST, MULTICAST and UNREACHABLE in IPv6");
        }
      }
    }
  }
}
