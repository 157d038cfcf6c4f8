package dev.mlb.netfilter;

import dev.mlb.api.IpFamily;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * What a module's checks may look at besides its own value: the rule, and for targets the table,
 * the chain, the hooks whose built-in chains reach it and the table's chains.
 *
 * <pre>{@code
 * if (t.toPorts().isPresent() && !rule.protocolIs(Arguments.NAT_PORT_PROTOCOLS)) {
 *   findings.error("nat-ports-protocol", "MASQUERADE --to-ports needs -p tcp, udp, sctp or dccp");
 * }
 * }</pre>
 *
 * <p>When a rule is built (its screen, see {@link RulesetValidator#screen}) the match checks run
 * with a context that knows the rule alone: {@code family} and {@code chains} are null then.
 */
final class RuleContext {
  final Rule rule;
  /** The ruleset's family; null while the rule is screened. */
  final IpFamily family;
  final TableName table;
  final String chain;
  /** The hooks whose built-in chains reach the rule's chain. */
  final Set<Hook> hooks;
  /** The names of the table's chains (the map's keys); null while the rule is screened. */
  final Map<String, ?> chains;

  RuleContext(Rule rule, IpFamily family, TableName table, String chain, Set<Hook> hooks,
      Map<String, ?> chains) {
    this.rule = rule;
    this.family = family;
    this.table = table;
    this.chain = chain;
    this.hooks = hooks;
    this.chains = chains;
  }

  /** Whether the rule says {@code -p P} (not negated) with P's number among {@code numbers}. */
  boolean protocolIs(Set<Integer> numbers) {
    return rule.protocol().isPresent() && !rule.protocolNegated()
        && numbers.contains(rule.protocol().get().number());
  }

  /** The errors for a NAT target {@code name} outside the nat table or its {@code allowed} hooks. */
  void checkNat(String name, Set<Hook> allowed, Findings findings) {
    if (table != TableName.NAT) {
      findings.error("target-table", name + " is only valid in the nat table, not in " + table.id());
      return;
    }
    Set<Hook> bad = EnumSet.noneOf(Hook.class);
    for (Hook h : hooks) {
      if (!allowed.contains(h)) {
        bad.add(h);
      }
    }
    if (!bad.isEmpty()) {
      findings.error("target-hook", name + " is only valid in " + allowed + " of the nat table, but chain "
          + chain + " is reached from " + bad);
    }
  }

  /**
   * A {@code match-hook} error unless every hook reaching the rule's chain is among {@code allowed}
   * (the {@code .hooks} a match module registers in the kernel).
   */
  void checkHooks(String what, Set<Hook> allowed, Findings findings) {
    Set<Hook> bad = EnumSet.noneOf(Hook.class);
    for (Hook h : hooks) {
      if (!allowed.contains(h)) {
        bad.add(h);
      }
    }
    if (!bad.isEmpty()) {
      findings.error("match-hook", what + " in chain " + chain + ", which is reached from " + bad
          + "; the kernel takes it only from " + allowed);
    }
  }

  /** {@code 0..0xffffffff}. */
  static boolean isU32(long value) {
    return value >= 0 && value <= 0xFFFF_FFFFL;
  }

  /** A mark-range error unless {@code value} fits in 32 bits. */
  static void checkU32(Findings findings, String what, long value) {
    if (!isU32(value)) {
      findings.error("mark-range", what + " " + value + " (0x" + Long.toHexString(value)
          + ") does not fit in 32 bits; marks are 0 to 0xffffffff");
    }
  }
}
