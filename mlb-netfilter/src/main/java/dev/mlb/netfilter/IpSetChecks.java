package dev.mlb.netfilter;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The checks of the ipsets that rules name ({@code -m set}, {@code -j SET}), part of
 * {@link Ruleset#validate(IpSets)}: with the sets that exist, iptables' own refusals (a set that
 * does not exist, a set of the other family) and the kernel's quiet surprises (fewer directions
 * than the set has fields: never found); without them ({@link Ruleset#validate()}), one note that
 * set names went unchecked.
 *
 * <pre>{@code
 * // error [set-missing] table filter, chain INPUT, rule 1: -m set --match-set foo src: no ipset called
 * //     "foo" exists; iptables refuses the rule ("Set foo doesn't exist.")
 * // info [set-names-unchecked] table filter, chain INPUT, rule 1: 3 rules name ipsets (foo, bar); ...
 * }</pre>
 */
final class IpSetChecks {
  /** The sets that exist, or null if unknown. */
  private final IpSets sets;
  private final IpFamily family;
  private final List<Finding> errors;
  private final List<Finding> warnings;
  /** Without the sets: how many rules name sets, the names, and the first rule's location. */
  private int rules;
  private final Set<String> names = new LinkedHashSet<>();
  private String first;

  IpSetChecks(IpSets sets, IpFamily family, List<Finding> errors, List<Finding> warnings) {
    this.sets = sets;
    this.family = family;
    this.errors = errors;
    this.warnings = warnings;
  }

  /** Checks the sets rule {@code index} (from 1) of {@code chain} names. */
  void check(Rule rule, TableName table, String chain, int index) {
    if (sets == null) {
      if (rules++ == 0) {
        first = RulesetValidator.location(table, chain, index);
      }
      for (Match m : rule.matches()) {
        if (m instanceof SetMatch s) {
          names.add(s.set().name());
        }
      }
      if (rule.target().isPresent() && rule.target().get() instanceof SetTarget t) {
        t.sets().forEach(s -> names.add(s.name()));
      }
      return;
    }
    Findings where = new Findings(errors, warnings, table, chain, index);
    for (Match m : rule.matches()) {
      if (m instanceof SetMatch s) {
        check(where, "-m set " + (s.invert() ? "! " : "") + "--match-set " + s.set(), s.set(),
            "the match never finds a packet in it" + (s.invert() ? " (so, negated, it matches every packet)" : ""));
      }
    }
    if (rule.target().isPresent() && rule.target().get() instanceof SetTarget t) {
      t.add().ifPresent(s -> check(where, "-j SET --add-set " + s, s, "the kernel never adds a packet to it"));
      t.delete().ifPresent(s -> check(where, "-j SET --del-set " + s, s, "the kernel never deletes a packet from it"));
      t.map().ifPresent(s -> check(where, "-j SET --map-set " + s, s, "the kernel never maps a packet from it"));
    }
  }

  private void check(Findings where, String what, SetReference ref, String never) {
    IpSet set = sets.get(ref.name()).orElse(null);
    if (set == null) {
      where.error("set-missing", what + ": no ipset called \"" + ref.name() + "\" exists; iptables refuses the rule"
          + " (\"Set " + ref.name() + " doesn't exist.\")");
      return;
    }
    if (!set.serves(family)) {
      String setFamily = set.family().get() == IpFamily.V4 ? "IPv4" : "IPv6";
      where.error("set-family", what + " in an " + (family == IpFamily.V4 ? "IPv4" : "IPv6") + " ruleset: set "
          + set.name() + " (" + set.type() + ") is " + setFamily + "; " + (family == IpFamily.V4 ? "iptables"
          : "ip6tables") + " refuses it (\"The protocol family of set " + set.name() + " is " + setFamily
          + ", which is not applicable.\")");
      return;
    }
    if (set.type().equals("list:set")) {
      return;   // its members' fields count, and they may change
    }
    int given = ref.directions().size();
    int fields = set.dimension();
    if (given < fields) {
      where.warning("set-dimension", what + ": set " + set.name() + " (" + set.type() + ") has " + fields
          + " fields but " + given + (given == 1 ? " direction is" : " directions are") + " given; " + never);
    } else if (given > fields) {
      where.warning("set-dimension", what + ": set " + set.name() + " (" + set.type() + ") has " + fields
          + (fields == 1 ? " field" : " fields") + "; the kernel ignores the " + (given - fields) + " direction"
          + (given - fields == 1 ? "" : "s") + " after the first " + fields);
    }
  }

  /** The first few names, and how many there are if more. */
  private String listed() {
    List<String> all = List.copyOf(names);
    return all.size() <= 5 ? String.join(", ", all)
        : String.join(", ", all.subList(0, 5)) + " and " + (all.size() - 5) + " more";
  }

  /** Without the sets: one note at the first rule that names a set; else nothing. */
  List<Finding> findings() {
    if (sets != null || rules == 0) {
      return List.of();
    }
    return List.of(Finding.info("set-names-unchecked", first, (rules == 1 ? "1 rule names" : rules + " rules name")
        + " ipsets (" + listed() + "); without the sets that exist, mlb does not check that they"
        + " exist or are of this family, as iptables does; give validation the sets that exist (\"ipset list -t\")"
        + " to check them"));
  }
}
