package dev.mlb.netfilter;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The checks of one rule behind {@link Ruleset#validate()}: its header options in its chain, its
 * matches (each by its module, and how they combine) and its target (verdicts, jumps and gotos
 * here, the rest by their modules).
 *
 * <pre>{@code
 * new RuleChecks(errors, warnings, IpFamily.V4)
 *     .check(TableName.NAT, chain, 3, rule, hooks, Optional.empty(), chains);
 * // error [target-table] ... / warning [mark-outside-mask] ... added to the lists
 * }</pre>
 */
final class RuleChecks {
  private final List<Finding> errors;
  private final List<Finding> warnings;
  /** The ruleset's family; null for a rule's screen. */
  private final IpFamily family;

  RuleChecks(List<Finding> errors, List<Finding> warnings, IpFamily family) {
    this.errors = errors;
    this.warnings = warnings;
    this.family = family;
  }

  /**
   * Whether the checks that need only the rule report anything ({@link RulesetValidator#screen});
   * not for rules with opaque matches or targets, whose checks need the ruleset's family.
   */
  static boolean findsLocally(Rule rule) {
    // Each accessor once: the generated class wraps its field in a new Optional on every call.
    if (rule.sourceNegated() && rule.source().filter(p -> p.length() == 0).isPresent()
        || rule.destinationNegated() && rule.destination().filter(p -> p.length() == 0).isPresent()) {
      return true;
    }
    Target target = rule.target().orElse(null);
    if (target != null && !passesFast(TableName.FILTER, target, null)) {
      return true;
    }
    if (rule.matches().isEmpty()) {
      return false;
    }
    List<Finding> errors = new ArrayList<>(0);
    List<Finding> warnings = new ArrayList<>(0);
    Findings findings = new Findings(errors, warnings, TableName.FILTER, "(screen)", 1);
    new RuleChecks(errors, warnings, null).checkMatches(findings,
        new RuleContext(rule, null, TableName.FILTER, "(screen)", Set.of(), null));
    return !errors.isEmpty() || !warnings.isEmpty();
  }

  /**
   * Checks rule {@code index} (from 1) of {@code chain}, which the built-in chains of
   * {@code hooks} reach; {@code named} is the hook the chain is named after, if any.
   */
  void check(TableName table, Chain chain, int index, Rule rule, Set<Hook> hooks, Optional<Hook> named,
      Map<String, ?> chains) {
    Findings where = new Findings(errors, warnings, table, chain.name(), index);

    checkAddress(where, "-s", rule.source(), rule.sourceNegated());
    checkAddress(where, "-d", rule.destination(), rule.destinationNegated());

    if (rule.in().isPresent()) {
      if (named.isPresent() && !named.get().hasInputInterface()) {
        where.error("interface-direction", "-i " + rule.in().get() + " in chain " + chain.name()
            + ": packets at " + chain.name() + " have no input interface; iptables refuses -i there");
      } else if (!hooks.isEmpty() && RulesetValidator.noneHas(hooks, true)) {
        where.warning("interface-direction", "-i " + rule.in().get() + " in chain " + chain.name()
            + ", which is only reached from " + hooks + ", where packets have no input interface");
      }
    }
    if (rule.out().isPresent()) {
      if (named.isPresent() && !named.get().hasOutputInterface()) {
        where.error("interface-direction", "-o " + rule.out().get() + " in chain " + chain.name()
            + ": packets at " + chain.name() + " have no output interface; iptables refuses -o there");
      } else if (!hooks.isEmpty() && RulesetValidator.noneHas(hooks, false)) {
        where.warning("interface-direction", "-o " + rule.out().get() + " in chain " + chain.name()
            + ", which is only reached from " + hooks + ", where packets have no output interface");
      }
    }
    int protocol = rule.protocol().isPresent() ? rule.protocol().get().number() : -1;
    if (family == IpFamily.V6 && protocol == 1) {
      where.warning("protocol-family", "-p icmp in an IPv6 ruleset never matches; IPv6 uses ipv6-icmp (58)");
    }
    if (family == IpFamily.V6 && rule.fragment()) {
      where.error("fragment-family", "-f in an IPv6 ruleset; ip6tables refuses it (IPv6 uses -m frag)");
    }
    if (family == IpFamily.V4 && protocol == 58) {
      where.warning("protocol-family", "-p ipv6-icmp in an IPv4 ruleset never matches; IPv4 uses icmp (1)");
    }

    RuleContext context = new RuleContext(rule, family, table, chain.name(), hooks, chains);
    if (!rule.matches().isEmpty()) {
      checkMatches(where, context);
    }
    Optional<Target> target = rule.target();
    if (target.isPresent()) {
      checkTarget(where, context, target.get());
    }
  }

  private void checkAddress(Findings where, String option, Optional<IpPrefix> prefix, boolean negated) {
    if (prefix.isEmpty()) {
      return;
    }
    IpPrefix p = prefix.get();
    if (p.family() != family) {
      where.error("address-family", option + " " + p + " is an " + (p.family() == IpFamily.V4 ? "IPv4" : "IPv6")
          + " address in an " + (family == IpFamily.V4 ? "IPv4" : "IPv6") + " ruleset");
    }
    if (negated && p.length() == 0) {
      where.error("address-negated-any", "! " + option + " " + p
          + " matches no packet; iptables-nft refuses it (Invalid argument)");
    }
  }

  /** The checks of the match modules, and of how they combine. */
  private void checkMatches(Findings where, RuleContext context) {
    Rule rule = context.rule;
    int portMatches = 0;
    for (Match m : rule.matches()) {
      if (m instanceof PortMatch) {
        portMatches++;
      }
      MatchModule<Match> module = Modules.of(m);
      if (module == null) {
        where.error("match-type", RestoreWriter.unwritable("match", m.getClass(), "-m " + m.module()));
      } else {
        module.check(m, context, where);
      }
    }
    if (portMatches > 1) {
      where.error("port-match-repeated", "the rule has " + portMatches
          + " -m tcp/-m udp matches; iptables-nft merges them into one, so write them as one");
    }
    checkMarkOptionClash(where, rule);
  }

  /**
   * -m mark and -m connmark both take --mark, and iptables hands an option to the module loaded
   * last that knows it. So after "-m mark ... -m connmark ...", the --mark of a second -m mark goes
   * to connmark, which refuses it ("connmark: option --mark can only be used once"); the same the
   * other way round.
   */
  private static void checkMarkOptionClash(Findings where, Rule rule) {
    String first = null;
    String other = null;
    for (Match m : rule.matches()) {
      if (!(m instanceof MarkMatch) && !(m instanceof ConnmarkMatch)) {
        continue;
      }
      String module = m.module();
      if (first == null) {
        first = module;
      } else if (!module.equals(first)) {
        other = module;
      } else if (other != null) {
        where.error("match-option-clash", "-m " + first + " after -m " + other + ": iptables gives its --mark"
            + " to -m " + other + " and refuses the rule (\"" + other + ": option --mark can only be used"
            + " once\"); put every -m " + first + " before the first -m " + other);
        return;
      }
    }
  }

  private void checkTarget(Findings where, RuleContext context, Target target) {
    TableName table = context.table;
    if (passesFast(table, target, context.chains)) {
      return;
    }
    if (target instanceof Verdict) {
      // Only DROP in the nat table gets here.
      where.error("nat-drop", "-j DROP in the nat table: iptables refuses it (\"The nat table is not"
          + " intended for filtering\"); drop the packets in the filter table instead");
    } else if (target instanceof Jump j) {
      checkChainTarget(where, context, "-j", j.chain());
    } else if (target instanceof Goto g) {
      checkChainTarget(where, context, "-g", g.chain());
    } else {
      TargetModule<Target> module = Modules.of(target);
      if (module == null) {
        where.error("target-type", RestoreWriter.unwritable("target", target.getClass(), "-j " + target.name()));
      } else {
        module.check(target, context, where);
      }
    }
  }

  private static void checkChainTarget(Findings where, RuleContext context, String option, String name) {
    if (context.table.isBuiltin(name)) {
      where.error("jump-builtin", option + " " + name + ": " + name
          + " is a built-in chain; only user chains can be jumped to");
    } else if (!context.chains.containsKey(name)) {
      where.error("jump-undefined", option + " " + name + ": table " + context.table.id()
          + " has no chain \"" + name + "\"");
    }
  }

  /**
   * Whether {@code target} passes its checks in any chain of {@code table}, found without running
   * them; false means "run the checks". With {@code chains} null, jumps and gotos count as passing.
   */
  static boolean passesFast(TableName table, Target target, Map<String, ?> chains) {
    if (target instanceof Verdict v) {
      return v != Verdict.DROP || table != TableName.NAT;
    } else if (target instanceof Jump j) {
      return chains == null || !table.isBuiltin(j.chain()) && chains.containsKey(j.chain());
    } else if (target instanceof Goto g) {
      return chains == null || !table.isBuiltin(g.chain()) && chains.containsKey(g.chain());
    }
    TargetModule<Target> module = Modules.of(target);
    return module != null && module.passes(target);
  }
}
