package dev.mlb.testkit.sim;

import dev.mlb.netfilter.Chain;
import dev.mlb.netfilter.Policy;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Rule;
import dev.mlb.netfilter.TableName;
import java.util.Arrays;

/**
 * One chain of a {@link NetfilterEngine}: its rules, their nth counters and compiled forms
 * ({@link FastRule}), where its jumps and gotos lead, and for the untraced walk the next rule each
 * packet may match ({@link #next}).
 *
 * <pre>{@code
 * CompiledChain c = new CompiledChain(TableName.MANGLE, chain, 0);
 * c.where(7);   // mangle PREROUTING rule 8 "-m connmark --mark 0x1 -j MARK --set-xmark 0x1/0xffffffff"
 * }</pre>
 */
final class CompiledChain {
  /** The chain's number in its engine. */
  final int id;
  final TableName table;
  final String name;
  final boolean builtin;
  final Policy policy;
  final Rule[] rules;
  final long[][] counters;
  /** The rules compiled for traversals that record nothing (see {@link FastRule}). */
  final FastRule[] fast;
  CompiledChain[] targets;
  private String[] texts;
  /** By input device number and state (see {@link #next}); null until the first such packet. */
  private int[][] nextByKey = new int[8 * FastRule.STATE_SLOTS][];

  CompiledChain(TableName table, Chain chain, int id) {
    this.id = id;
    this.table = table;
    this.name = chain.name();
    this.builtin = table.isBuiltin(chain.name());
    this.policy = chain.policy().orElse(Policy.ACCEPT);
    this.rules = chain.rules().toArray(new Rule[0]);
    this.counters = new long[rules.length][];
    this.fast = new FastRule[rules.length];
    for (int i = 0; i < rules.length; i++) {
      counters[i] = new long[rules[i].matches().size()];
      fast[i] = new FastRule(rules[i]);
    }
  }

  /**
   * For a packet that came in on the device numbered {@code inDev}, in conntrack state number
   * {@code state} (its ordinal): at index i, the first rule at or after rule i that the packet
   * may match, the number of rules if none. A rule it cannot match has an {@code -i} that fails
   * for the device, or a first match that is a state test failing for the state
   * ({@link FastRule#failingStates}). The untraced walk goes straight to the next rule it may
   * match: the rules between fail on a header test or on their first match, before any match
   * with an effect (nth, random) runs, so skipping them changes no counter.
   */
  int[] next(Devices devices, int inDev, int state) {
    int key = inDev * FastRule.STATE_SLOTS + state;
    int[][] byKey = nextByKey;
    if (key < byKey.length && byKey[key] != null) {
      return byKey[key];
    }
    int[] next = new int[rules.length + 1];
    next[rules.length] = rules.length;
    for (int i = rules.length - 1; i >= 0; i--) {
      FastRule r = fast[i];
      boolean may = (r.in == null || r.inPasses(devices, inDev)) && ((r.failingStates >>> state) & 1) == 0;
      next[i] = may ? i : next[i + 1];
    }
    if (key >= byKey.length) {
      nextByKey = byKey = Arrays.copyOf(byKey, Math.max(key + 1, byKey.length * 2));
    }
    byKey[key] = next;
    return next;
  }

  /** {@code mangle PREROUTING rule 8 "-m connmark --mark 0x1 -j MARK --set-xmark 0x1/0xffffffff"}. */
  String where(int index) {
    if (texts == null) {
      texts = new String[rules.length];
    }
    if (texts[index] == null) {
      texts[index] = table.id() + " " + name + " rule " + (index + 1)
          + " \"" + RestoreWriter.renderRule(rules[index]).trim() + "\"";
    }
    return texts[index];
  }
}
