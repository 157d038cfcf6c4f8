package dev.mlb.testkit.sim;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpPrefix;
import dev.mlb.netfilter.Chain;
import dev.mlb.netfilter.Goto;
import dev.mlb.netfilter.Hook;
import dev.mlb.netfilter.Jump;
import dev.mlb.netfilter.Match;
import dev.mlb.netfilter.Policy;
import dev.mlb.netfilter.Rule;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.netfilter.Table;
import dev.mlb.netfilter.TableName;
import dev.mlb.netfilter.Target;
import dev.mlb.netfilter.Verdict;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * Walks packets through the tables of one ruleset: header tests, matches left to right, targets,
 * jumps, gotos, returns and policies. Holds the nth counters (one per rule and match instance,
 * fresh for every engine) and draws random numbers from the simulator's seeded generator.
 *
 * <pre>{@code
 * NetfilterEngine e = new NetfilterEngine(ruleset, random, addressOf, devices);
 * e.traverse(TableName.MANGLE, Hook.PREROUTING, p, null);    // the compiled walk (FastRule)
 * e.traverse(TableName.MANGLE, Hook.PREROUTING, p, steps);   // the same, saying every step
 * }</pre>
 *
 * <p>The chains are {@link CompiledChain}s of {@link FastRule}s; what matches say is
 * {@link MatchTests}', what targets do {@link TargetEffects}'.
 */
final class NetfilterEngine {

  /** What a table traversal decided. */
  enum Outcome { ACCEPT, DROP }

  private static final int MAX_STACK = 64;
  private static final int MAX_STEPS = 1_000_000;

  private final Map<TableName, Map<String, CompiledChain>> tables = new EnumMap<>(TableName.class);
  /** The built-in chains by table and hook ordinal, null where the ruleset lacks them. */
  private final CompiledChain[][] builtins = new CompiledChain[TableName.values().length][];
  /**
   * By table and hook ordinal: whether the untraced walk can accept without looking, as there is
   * no such table or built-in chain, or the chain has no rules and policy ACCEPT.
   */
  private final boolean[][] acceptsAll = new boolean[TableName.values().length][Hook.values().length];
  /** Every chain, by {@link CompiledChain#id}. */
  private final CompiledChain[] chainArray;
  /**
   * The jump stack of the untraced traversal, reused: chain ids and rule indexes, numbers only
   * (no reference stores into this long-lived engine, which G1's write barrier makes slow).
   */
  private final int[] stackChains = new int[MAX_STACK];
  private final int[] stackIndexes = new int[MAX_STACK];
  /** The match tests of the untraced traversal, for the matches it does not compile. */
  final MatchTests fastTests;
  final SplittableRandom random;
  /** What targets do. */
  final TargetEffects effects;
  /** The numbers of the packets' devices ({@link Pkt#inDev}, {@link Pkt#outDev}). */
  final Devices devices;

  /** The location of the rule or policy that dropped the last packet. */
  String dropWhere;
  /** Why: the rule's DROP, or the policy. */
  String dropReason;

  NetfilterEngine(Ruleset ruleset, SplittableRandom random, IntFunction<IpAddress> interfaceAddress,
      Devices devices) {
    this.random = random;
    this.fastTests = new MatchTests(random, null);
    this.effects = new TargetEffects(interfaceAddress);
    this.devices = devices;
    List<CompiledChain> chainsById = new ArrayList<>();
    for (Table t : ruleset.tables()) {
      Map<String, CompiledChain> chains = new HashMap<>();
      for (Chain c : t.chains()) {
        CompiledChain compiled = new CompiledChain(t.name(), c, chainsById.size());
        chainsById.add(compiled);
        chains.put(c.name(), compiled);
      }
      for (CompiledChain c : chains.values()) {
        c.targets = new CompiledChain[c.rules.length];
        for (int i = 0; i < c.rules.length; i++) {
          final int index = i;
          Target target = c.rules[i].target().orElse(null);
          String chainName = target instanceof Jump j ? j.chain() : target instanceof Goto g ? g.chain() : null;
          if (chainName != null) {
            CompiledChain to = chains.get(chainName);
            if (to == null || to.builtin) {
              // Reported only when a packet gets there; validation names it too.
              c.targets[index] = null;
            } else {
              c.targets[index] = to;
            }
          }
        }
      }
      tables.put(t.name(), chains);
      CompiledChain[] byHook = new CompiledChain[Hook.values().length];
      for (Hook h : Hook.values()) {
        byHook[h.ordinal()] = chains.get(h.name());
      }
      builtins[t.name().ordinal()] = byHook;
    }
    chainArray = chainsById.toArray(new CompiledChain[0]);
    for (TableName t : TableName.values()) {
      for (Hook h : Hook.values()) {
        CompiledChain c = builtins[t.ordinal()] == null ? null : builtins[t.ordinal()][h.ordinal()];
        acceptsAll[t.ordinal()][h.ordinal()] = c == null || (c.rules.length == 0 && c.policy != Policy.DROP);
      }
    }
  }

  boolean hasTable(TableName table) {
    return tables.containsKey(table);
  }

  /**
   * Whether every untraced traversal of {@code table}'s {@code hook} accepts without looking: no
   * such table or built-in chain, or one without rules and with policy ACCEPT.
   */
  boolean acceptsAll(TableName table, Hook hook) {
    return acceptsAll[table.ordinal()][hook.ordinal()];
  }

  /**
   * Traverses {@code table}'s built-in chain for {@code hook}. A table the ruleset lacks accepts.
   * On DROP, {@link #dropWhere} names the rule or policy.
   */
  Outcome traverse(TableName table, Hook hook, Pkt p, List<String> trace) {
    if (trace == null) {
      return acceptsAll[table.ordinal()][hook.ordinal()] ? Outcome.ACCEPT : traverseUntraced(table, hook, p);
    }
    return traverseTraced(table, hook, p, trace);
  }

  /** {@link #traverse} saying every rule, jump, return and policy in {@code trace}. */
  private Outcome traverseTraced(TableName table, Hook hook, Pkt p, List<String> trace) {
    Map<String, CompiledChain> chains = tables.get(table);
    if (chains == null) {
      return Outcome.ACCEPT;
    }
    CompiledChain base = chains.get(hook.name());
    if (base == null) {
      return Outcome.ACCEPT;
    }
    if (trace != null) {
      trace.add(table.id() + " " + hook + ":");
    }
    ArrayDeque<CompiledChain> returnChains = new ArrayDeque<>();
    ArrayDeque<Integer> returnIndexes = new ArrayDeque<>();
    CompiledChain c = base;
    int i = 0;
    int steps = 0;
    MatchTests eval = new MatchTests(random, p);
    while (true) {
      if (++steps > MAX_STEPS) {
        throw new SimulationException("traversal of " + table.id() + " " + hook + " does not end (a goto loop?)");
      }
      boolean doReturn = false;
      if (i >= c.rules.length) {
        if (c.builtin) {
          return policy(c, trace);
        }
        if (trace != null) {
          trace.add("  end of " + table.id() + " " + c.name + ": return");
        }
        doReturn = true;
      } else {
        Rule rule = c.rules[i];
        if (!matches(c, i, rule, p, eval)) {
          if (trace != null) {
            trace.add("  " + c.where(i) + ": no match");
          }
          i++;
          continue;
        }
        Target target = rule.target().orElse(null);
        if (target == null) {
          if (trace != null) {
            trace.add("  " + c.where(i) + ": match (no target)");
          }
          i++;
          continue;
        }
        TargetEffects.Action action = effects.apply(target, p, c, i, trace);
        switch (action) {
          case CONTINUE:
            i++;
            continue;
          case ACCEPT:
            if (trace != null && target instanceof Verdict) {
              trace.add("  " + c.where(i) + ": match -> ACCEPT");
            }
            return Outcome.ACCEPT;
          case DROP:
            if (trace != null) {
              trace.add("  " + c.where(i) + ": match -> DROP");
            }
            dropWhere = c.where(i);
            dropReason = "the rule matched and its target is DROP";
            return Outcome.DROP;
          case RETURN:
            if (trace != null) {
              trace.add("  " + c.where(i) + ": match -> RETURN");
            }
            if (c.builtin) {
              return policy(c, trace);
            }
            doReturn = true;
            break;
          case JUMP:
          case GOTO: {
            CompiledChain to = c.targets[i];
            if (to == null) {
              throw new SimulationException(c.where(i) + " goes to chain \"" + target.name()
                  + "\", which is not a user chain of table " + table.id());
            }
            if (trace != null) {
              trace.add("  " + c.where(i) + ": match -> " + (action == TargetEffects.Action.JUMP ? "jump to " : "goto ")
                  + to.name);
            }
            if (action == TargetEffects.Action.JUMP) {
              if (returnChains.size() >= MAX_STACK) {
                throw new SimulationException("jumps in " + table.id() + " " + hook + " nest deeper than "
                    + MAX_STACK + " (a loop?) at " + c.where(i));
              }
              returnChains.push(c);
              returnIndexes.push(i + 1);
            }
            c = to;
            i = 0;
            continue;
          }
          default:
            throw new AssertionError(action);
        }
      }
      if (doReturn) {
        if (returnChains.isEmpty()) {
          // Returning from a chain reached by goto from the built-in chain: the policy applies.
          return policy(base, trace);
        }
        c = returnChains.pop();
        i = returnIndexes.pop();
        if (trace != null) {
          trace.add("  back in " + table.id() + " " + c.name + " at rule " + (i + 1));
        }
      }
    }
  }

  /**
   * {@link #traverse} without a trace: the same walk over the compiled rules ({@link FastRule}),
   * with no allocation for the common matches and targets. The rules it does not compile (NAT and
   * unmodelled targets, unmodelled matches) go through the same {@link MatchTests} and
   * {@link TargetEffects} as the traced walk, so both give the same outcome, counters, marks and
   * exceptions.
   */
  private Outcome traverseUntraced(TableName table, Hook hook, Pkt p) {
    CompiledChain[] byHook = builtins[table.ordinal()];
    if (byHook == null) {
      return Outcome.ACCEPT;
    }
    CompiledChain base = byHook[hook.ordinal()];
    if (base == null) {
      return Outcome.ACCEPT;
    }
    int depth = 0;
    CompiledChain c = base;
    int inDev = p.inDev;
    int state = p.stateIndex;
    int[] next = c.next(devices, inDev, state);
    int i = 0;
    int steps = 0;
    while (true) {
      // The rules skipped (their -i fails) count as steps, as they do in the traced walk.
      int to = next[i];
      steps += to - i + 1;
      i = to;
      if (steps > MAX_STEPS) {
        throw new SimulationException("traversal of " + table.id() + " " + hook + " does not end (a goto loop?)");
      }
      if (i < c.rules.length) {
        FastRule rule = c.fast[i];
        if (!rule.bare && !rule.matches(this, c, i, p)) {
          i++;
          continue;
        }
        int action = rule.plainAction;
        if (action < 0) {
          action = rule.change(this, c, i, p);
        }
        switch (action) {
          case TargetEffects.CONTINUE:
            i++;
            continue;
          case TargetEffects.ACCEPT:
            return Outcome.ACCEPT;
          case TargetEffects.DROP:
            dropWhere = c.where(i);
            dropReason = "the rule matched and its target is DROP";
            return Outcome.DROP;
          case TargetEffects.RETURN:
            if (c.builtin) {
              return policy(c, null);
            }
            break;
          case TargetEffects.JUMP:
          case TargetEffects.GOTO: {
            CompiledChain target = c.targets[i];
            if (target == null) {
              throw new SimulationException(c.where(i) + " goes to chain \"" + rule.target.name()
                  + "\", which is not a user chain of table " + table.id());
            }
            if (action == TargetEffects.JUMP) {
              if (depth >= MAX_STACK) {
                throw new SimulationException("jumps in " + table.id() + " " + hook + " nest deeper than "
                    + MAX_STACK + " (a loop?) at " + c.where(i));
              }
              stackChains[depth] = c.id;
              stackIndexes[depth] = i + 1;
              depth++;
            }
            c = target;
            next = c.next(devices, inDev, state);
            i = 0;
            continue;
          }
          default:
            throw new AssertionError(action);
        }
      } else if (c.builtin) {
        return policy(c, null);
      }
      // Return from a user chain: to the rule after the jump, or the policy after a goto from the base.
      if (depth == 0) {
        return policy(base, null);
      }
      depth--;
      c = chainArray[stackChains[depth]];
      next = c.next(devices, inDev, state);
      i = stackIndexes[depth];
    }
  }

  private Outcome policy(CompiledChain builtin, List<String> trace) {
    if (trace != null) {
      trace.add("  " + builtin.table.id() + " " + builtin.name + " policy " + builtin.policy);
    }
    if (builtin.policy == Policy.DROP) {
      dropWhere = builtin.table.id() + " " + builtin.name + " policy DROP";
      dropReason = "no rule accepted the packet, and the chain's policy is DROP";
      return Outcome.DROP;
    }
    return Outcome.ACCEPT;
  }

  private static boolean matches(CompiledChain c, int index, Rule rule, Pkt p, MatchTests eval) {
    if (rule.source().isPresent() && (rule.sourceMask().isPresent()
        ? FastRule.maskTest(rule.source().get(), rule.sourceMask().get(), p.src)
        : prefixTest(rule.source().get(), p.src)) == rule.sourceNegated()) {
      return false;
    }
    if (rule.destination().isPresent() && (rule.destinationMask().isPresent()
        ? FastRule.maskTest(rule.destination().get(), rule.destinationMask().get(), p.dst)
        : prefixTest(rule.destination().get(), p.dst)) == rule.destinationNegated()) {
      return false;
    }
    if (rule.in().isPresent() && (p.in != null && rule.in().get().matches(p.in)) == rule.inNegated()) {
      return false;
    }
    if (rule.out().isPresent() && (p.out != null && rule.out().get().matches(p.out)) == rule.outNegated()) {
      return false;
    }
    if (rule.protocol().isPresent() && rule.protocol().get().equals(p.protocol) == rule.protocolNegated()) {
      return false;
    }
    // The simulated packets are never second or later fragments: -f fails, ! -f passes.
    if (rule.fragment() && !rule.fragmentNegated()) {
      return false;
    }
    List<Match> ms = rule.matches();
    eval.chain = c;
    eval.rule = index;
    for (int m = 0; m < ms.size(); m++) {
      eval.match = m;
      if (!eval.test(ms.get(m))) {
        return false;
      }
    }
    return true;
  }

  private static boolean prefixTest(IpPrefix prefix, IpAddress address) {
    return Prefixes.contains(prefix, address);
  }

  static String hex(long v) {
    return TargetEffects.hex(v);
  }
}
