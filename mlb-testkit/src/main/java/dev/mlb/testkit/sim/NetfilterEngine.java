package dev.mlb.testkit.sim;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Protocol;
import dev.mlb.netfilter.Chain;
import dev.mlb.netfilter.CommentMatch;
import dev.mlb.netfilter.ConnState;
import dev.mlb.netfilter.ConnmarkMatch;
import dev.mlb.netfilter.ConntrackMatch;
import dev.mlb.netfilter.Goto;
import dev.mlb.netfilter.Hook;
import dev.mlb.netfilter.Jump;
import dev.mlb.netfilter.MarkMatch;
import dev.mlb.netfilter.Masquerade;
import dev.mlb.netfilter.Match;
import dev.mlb.netfilter.MultiportMatch;
import dev.mlb.netfilter.OpaqueMatch;
import dev.mlb.netfilter.OpaqueTarget;
import dev.mlb.netfilter.Policy;
import dev.mlb.netfilter.PortMatch;
import dev.mlb.netfilter.RestoreConnmark;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Rule;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.netfilter.SaveConnmark;
import dev.mlb.netfilter.SetConnmark;
import dev.mlb.netfilter.SetMark;
import dev.mlb.netfilter.Snat;
import dev.mlb.netfilter.StateMatch;
import dev.mlb.netfilter.Statistic;
import dev.mlb.netfilter.StatisticMatch;
import dev.mlb.netfilter.Table;
import dev.mlb.netfilter.TableName;
import dev.mlb.netfilter.Target;
import dev.mlb.netfilter.Verdict;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * Walks packets through the tables of one ruleset: header tests, matches left to right, targets,
 * jumps, gotos, returns and policies. Holds the nth counters (one per rule and match instance,
 * fresh for every engine) and draws random numbers from the simulator's seeded generator.
 */
final class NetfilterEngine {

  /** What a table traversal decided. */
  enum Outcome { ACCEPT, DROP }

  /** Targets kept verbatim that only log or count: traversal goes on. */
  static final Set<String> HARMLESS_TARGETS = Set.of("LOG", "NFLOG", "TRACE", "ULOG");

  private static final int MAX_STACK = 64;
  private static final int MAX_STEPS = 1_000_000;

  static final class CompiledChain {
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
    private int[][] nextByKey = new int[8 * STATE_SLOTS][];

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
      int key = inDev * STATE_SLOTS + state;
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
  /** The match visitor of the untraced traversal, for the matches it does not compile. */
  private final MatchEval fastEval = new MatchEval(null);
  private final SplittableRandom random;
  /** The primary address of an interface by device number, for MASQUERADE; null if the topology lacks it. */
  private final IntFunction<IpAddress> interfaceAddress;
  /** The numbers of the packets' devices ({@link Pkt#inDev}, {@link Pkt#outDev}). */
  private final Devices devices;

  /** The location of the rule or policy that dropped the last packet. */
  String dropWhere;
  /** Why: the rule's DROP, or the policy. */
  String dropReason;

  NetfilterEngine(Ruleset ruleset, SplittableRandom random, IntFunction<IpAddress> interfaceAddress,
      Devices devices) {
    this.random = random;
    this.interfaceAddress = interfaceAddress;
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
    MatchEval eval = new MatchEval(p);
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
        TargetAction action = target.accept(new TargetEval(p, c, i, trace));
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
              trace.add("  " + c.where(i) + ": match -> " + (action == TargetAction.JUMP ? "jump to " : "goto ")
                  + to.name);
            }
            if (action == TargetAction.JUMP) {
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
   * unmodelled targets, unmodelled matches) go through the same visitors as the traced walk, so
   * both give the same outcome, counters, marks and exceptions.
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
          case CONTINUE:
            i++;
            continue;
          case ACCEPT:
            return Outcome.ACCEPT;
          case DROP:
            dropWhere = c.where(i);
            dropReason = "the rule matched and its target is DROP";
            return Outcome.DROP;
          case RETURN:
            if (c.builtin) {
              return policy(c, null);
            }
            break;
          case JUMP:
          case GOTO: {
            CompiledChain target = c.targets[i];
            if (target == null) {
              throw new SimulationException(c.where(i) + " goes to chain \"" + rule.target.name()
                  + "\", which is not a user chain of table " + table.id());
            }
            if (action == JUMP) {
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

  /** The match kinds a {@link FastRule} evaluates itself; the rest go to {@link MatchEval}. */
  private static final int STATE = 0;
  private static final int CONNTRACK = 1;
  private static final int CONNMARK = 2;
  private static final int MARK = 3;
  private static final int NTH = 4;
  private static final int RANDOM = 5;
  private static final int PORT = 6;
  private static final int MULTIPORT = 7;
  private static final int VISITOR = 8;

  private static final long SNAT_BIT = 1L << ConnState.SNAT.ordinal();
  /** Room for every conntrack state's ordinal in {@link CompiledChain#next}'s keys. */
  private static final int STATE_SLOTS = 8;

  static {
    if (ConnState.values().length > STATE_SLOTS) {
      throw new AssertionError("more conntrack states than STATE_SLOTS");
    }
  }
  private static final int TCP_NUMBER = Protocol.TCP.number();
  private static final int UDP_NUMBER = Protocol.UDP.number();
  private static final int SOURCE_PORTS = MultiportMatch.Direction.SOURCE.ordinal();
  private static final int DESTINATION_PORTS = MultiportMatch.Direction.DESTINATION.ordinal();

  /** The target kinds a {@link FastRule} applies itself; the rest go to {@link TargetEval}. */
  private static final int NO_TARGET = 0;
  private static final int VERDICT_ACCEPT = 1;
  private static final int VERDICT_DROP = 2;
  private static final int VERDICT_RETURN = 3;
  private static final int JUMP_TARGET = 4;
  private static final int GOTO_TARGET = 5;
  private static final int SET_MARK = 6;
  private static final int SET_CONNMARK = 7;
  private static final int SAVE_CONNMARK = 8;
  private static final int RESTORE_CONNMARK = 9;
  private static final int TARGET_VISITOR = 10;

  /**
   * One rule compiled for the untraced walk: the header tests as numbers (IPv4 network and mask,
   * protocol number; for {@code -i}/{@code -o}, the verdict for each device number, worked out
   * from the name and its wildcard on the device's first packet and kept), the matches as kind
   * codes with their operands (multiport as an array of ranges), the target as a kind code.
   * Comments are left out; what it does not compile it hands to the visitors, with the match's
   * index so that nth counters stay the same.
   */
  static final class FastRule {
    final Rule rule;
    final Target target;
    /** The rule's prefixes, or null (kept: the rule's accessors make a new Optional each call). */
    final IpPrefix source;
    final IpPrefix destination;
    /** -1: no test; 0: test with the prefix itself (not IPv4); 1: IPv4 network and mask. */
    final int sourceKind;
    final long sourceNetwork;
    final long sourceMask;
    final boolean sourceNegated;
    final int destinationKind;
    final long destinationNetwork;
    final long destinationMask;
    final boolean destinationNegated;
    final String in;
    final boolean inWildcard;
    final boolean inNegated;
    final String out;
    final boolean outWildcard;
    final boolean outNegated;
    /** The protocol number, or -1 for no test. */
    final int protocol;
    final boolean protocolNegated;
    /** Whether {@code -i} (or {@code -o}) lets the device numbered k through: 1 yes, -1 no, 0 not yet known. */
    private byte[] inVerdicts = new byte[8];
    private byte[] outVerdicts = new byte[8];
    final int[] matchKinds;
    /** The index of each compiled match in the rule's matches (for counters and the visitor). */
    final int[] matchIndexes;
    final long[] operandA;
    final long[] operandB;
    final long[] operandC;
    final boolean[] negated;
    /** For a multiport match: its port ranges, each as first << 16 | last; else null. */
    final int[][] ports;
    final int targetKind;
    final long targetA;
    final long targetB;
    /**
     * The conntrack states (bit i: the state of ordinal i) for which the rule's first match, a
     * state test that depends on the state alone, fails; 0 if the first match is no such test.
     */
    final int failingStates;
    /** Whether the rule tests source, destination, {@code -o} or protocol. */
    final boolean headerTests;
    /** Whether the rule has neither such tests nor matches: every packet the walk brings here matches. */
    final boolean bare;
    /**
     * For a target that changes nothing (none, a verdict, a jump, a goto): what the walk does
     * next ({@link #CONTINUE} ... {@link #GOTO}); else -1.
     */
    final int plainAction;

    FastRule(Rule rule) {
      this.rule = rule;
      IpPrefix src = rule.source().orElse(null);
      source = src;
      sourceKind = src == null ? -1 : src.family() == IpFamily.V4 ? 1 : 0;
      sourceNetwork = src == null ? 0 : src.address().low();
      sourceMask = src == null ? 0 : v4Mask(src.length());
      sourceNegated = rule.sourceNegated();
      IpPrefix dst = rule.destination().orElse(null);
      destination = dst;
      destinationKind = dst == null ? -1 : dst.family() == IpFamily.V4 ? 1 : 0;
      destinationNetwork = dst == null ? 0 : dst.address().low();
      destinationMask = dst == null ? 0 : v4Mask(dst.length());
      destinationNegated = rule.destinationNegated();
      InterfaceName inIf = rule.in().orElse(null);
      in = inIf == null ? null : inIf.isWildcard() ? inIf.name().substring(0, inIf.name().length() - 1) : inIf.name();
      inWildcard = inIf != null && inIf.isWildcard();
      inNegated = rule.inNegated();
      InterfaceName outIf = rule.out().orElse(null);
      out = outIf == null ? null : outIf.isWildcard() ? outIf.name().substring(0, outIf.name().length() - 1) : outIf.name();
      outWildcard = outIf != null && outIf.isWildcard();
      outNegated = rule.outNegated();
      protocol = rule.protocol().map(Protocol::number).orElse(-1);
      protocolNegated = rule.protocolNegated();

      List<Match> ms = rule.matches();
      int n = 0;
      for (Match m : ms) {
        if (!(m instanceof CommentMatch)) {
          n++;
        }
      }
      matchKinds = new int[n];
      matchIndexes = new int[n];
      operandA = new long[n];
      operandB = new long[n];
      operandC = new long[n];
      negated = new boolean[n];
      ports = new int[n][];
      int k = 0;
      for (int index = 0; index < ms.size(); index++) {
        Match m = ms.get(index);
        if (m instanceof CommentMatch) {
          continue;
        }
        matchIndexes[k] = index;
        if (m instanceof StateMatch sm) {
          matchKinds[k] = STATE;
          operandA[k] = stateBits(sm.states());
          negated[k] = sm.negated();
        } else if (m instanceof ConntrackMatch cm) {
          matchKinds[k] = CONNTRACK;
          operandA[k] = stateBits(cm.states());
          negated[k] = cm.negated();
        } else if (m instanceof ConnmarkMatch cm) {
          matchKinds[k] = CONNMARK;
          operandA[k] = cm.mark().value();
          operandB[k] = cm.mark().mask();
          negated[k] = cm.negated();
        } else if (m instanceof MarkMatch mm) {
          matchKinds[k] = MARK;
          operandA[k] = mm.mark().value();
          operandB[k] = mm.mark().mask();
          negated[k] = mm.negated();
        } else if (m instanceof StatisticMatch st && st.mode() instanceof Statistic.Nth nth && nth.every() != 0) {
          matchKinds[k] = NTH;
          operandA[k] = nth.every();
          operandB[k] = nth.packet();
          negated[k] = st.negated();
        } else if (m instanceof StatisticMatch st && st.mode() instanceof Statistic.Random r) {
          matchKinds[k] = RANDOM;
          operandA[k] = r.threshold();
          negated[k] = st.negated();
        } else if (m instanceof PortMatch pm) {
          matchKinds[k] = PORT;
          // The protocol, then each criterion as first, last and negation (none: 0..65535, not negated).
          operandA[k] = pm.protocol().number();
          operandB[k] = pm.source().map(c -> range(c.range().first(), c.range().last(), c.negated()))
              .orElse(range(0, 65535, false));
          operandC[k] = pm.destination().map(c -> range(c.range().first(), c.range().last(), c.negated()))
              .orElse(range(0, 65535, false));
        } else if (m instanceof MultiportMatch mp) {
          matchKinds[k] = MULTIPORT;
          operandA[k] = mp.direction().ordinal();
          negated[k] = mp.negated();
          ports[k] = new int[mp.ports().size()];
          for (int r = 0; r < ports[k].length; r++) {
            ports[k][r] = mp.ports().get(r).first() << 16 | mp.ports().get(r).last();
          }
        } else {
          matchKinds[k] = VISITOR;
        }
        k++;
      }

      target = rule.target().orElse(null);
      if (target == null) {
        targetKind = NO_TARGET;
        targetA = 0;
        targetB = 0;
      } else if (target == Verdict.ACCEPT) {
        targetKind = VERDICT_ACCEPT;
        targetA = 0;
        targetB = 0;
      } else if (target == Verdict.DROP) {
        targetKind = VERDICT_DROP;
        targetA = 0;
        targetB = 0;
      } else if (target == Verdict.RETURN) {
        targetKind = VERDICT_RETURN;
        targetA = 0;
        targetB = 0;
      } else if (target instanceof Jump) {
        targetKind = JUMP_TARGET;
        targetA = 0;
        targetB = 0;
      } else if (target instanceof Goto) {
        targetKind = GOTO_TARGET;
        targetA = 0;
        targetB = 0;
      } else if (target instanceof SetMark t) {
        targetKind = SET_MARK;
        targetA = t.value();
        targetB = t.mask();
      } else if (target instanceof SetConnmark t) {
        targetKind = SET_CONNMARK;
        targetA = t.value();
        targetB = t.mask();
      } else if (target instanceof SaveConnmark t) {
        targetKind = SAVE_CONNMARK;
        targetA = t.nfmask();
        targetB = t.ctmask();
      } else if (target instanceof RestoreConnmark t) {
        targetKind = RESTORE_CONNMARK;
        targetA = t.nfmask();
        targetB = t.ctmask();
      } else {
        targetKind = TARGET_VISITOR;
        targetA = 0;
        targetB = 0;
      }
      headerTests = sourceKind >= 0 || destinationKind >= 0 || out != null || protocol >= 0;
      bare = !headerTests && matchKinds.length == 0;
      int failing = 0;
      // -m conntrack with SNAT also depends on the connection's binding: not the state alone.
      if (matchKinds.length > 0 && (matchKinds[0] == STATE
          || (matchKinds[0] == CONNTRACK && (operandA[0] & SNAT_BIT) == 0))) {
        for (ConnState state : ConnState.values()) {
          boolean hit = ((operandA[0] >>> state.ordinal()) & 1) != 0;
          if (hit == negated[0]) {
            failing |= 1 << state.ordinal();
          }
        }
      }
      failingStates = failing;
      plainAction = switch (targetKind) {
        case NO_TARGET -> CONTINUE;
        case VERDICT_ACCEPT -> ACCEPT;
        case VERDICT_DROP -> DROP;
        case VERDICT_RETURN -> RETURN;
        case JUMP_TARGET -> JUMP;
        case GOTO_TARGET -> GOTO;
        default -> -1;
      };
    }

    private static long v4Mask(int length) {
      return length == 0 ? 0 : (0xFFFF_FFFFL << (32 - length)) & 0xFFFF_FFFFL;
    }

    private static long stateBits(Set<ConnState> states) {
      long bits = 0;
      for (ConnState s : states) {
        bits |= 1L << s.ordinal();
      }
      return bits;
    }

    /** A port criterion packed into a long: first (16 bits), last (16 bits), negated (bit 32). */
    private static long range(int first, int last, boolean negated) {
      return first | ((long) last << 16) | (negated ? 1L << 32 : 0);
    }

    private static boolean inRange(long range, int port) {
      boolean hit = port >= (range & 0xFFFF) && port <= ((range >>> 16) & 0xFFFF);
      return hit != ((range >>> 32) != 0);
    }

    private static boolean prefixTest(int kind, long network, long mask, IpPrefix prefix, IpAddress address) {
      if (kind == 0) {
        return Prefixes.contains(prefix, address);
      }
      return address.family() == IpFamily.V4 && ((network ^ address.low()) & mask) == 0;
    }

    private static boolean interfaceTest(String name, boolean wildcard, String device) {
      return device != null && (wildcard ? device.startsWith(name) : name.equals(device));
    }

    /** Whether {@code -i} lets the device numbered {@code dev} through (the negation included). */
    boolean inPasses(Devices devices, int dev) {
      byte[] verdicts = inVerdicts;
      if (dev < verdicts.length && verdicts[dev] != 0) {
        return verdicts[dev] > 0;
      }
      boolean passes = interfaceTest(in, inWildcard, devices.name(dev)) != inNegated;
      inVerdicts = remember(verdicts, dev, passes);
      return passes;
    }

    /** Whether {@code -o} lets the device numbered {@code dev} through (the negation included). */
    private boolean outPasses(Devices devices, int dev) {
      byte[] verdicts = outVerdicts;
      if (dev < verdicts.length && verdicts[dev] != 0) {
        return verdicts[dev] > 0;
      }
      boolean passes = interfaceTest(out, outWildcard, devices.name(dev)) != outNegated;
      outVerdicts = remember(verdicts, dev, passes);
      return passes;
    }

    private static byte[] remember(byte[] verdicts, int dev, boolean passes) {
      byte[] out = dev < verdicts.length ? verdicts : Arrays.copyOf(verdicts, Math.max(dev + 1, verdicts.length * 2));
      out[dev] = (byte) (passes ? 1 : -1);
      return out;
    }

    /** {@link MultiportMatch#test} over the packed ranges. */
    private static boolean multiport(int[] ranges, int direction, boolean negated, int sport, int dport) {
      boolean hit = false;
      for (int range : ranges) {
        int first = range >>> 16;
        int last = range & 0xFFFF;
        boolean source = sport >= first && sport <= last;
        boolean destination = dport >= first && dport <= last;
        if (direction == SOURCE_PORTS ? source : direction == DESTINATION_PORTS ? destination : source || destination) {
          hit = true;
          break;
        }
      }
      return hit != negated;
    }

    /**
     * Whether the packet passes the rule's header tests (but {@code -i}, which the walk tests with
     * {@link CompiledChain#next}) and matches. Kept small so that the walk inlines it.
     */
    boolean matches(NetfilterEngine engine, CompiledChain chain, int index, Pkt p) {
      if (headerTests && !headerPasses(engine.devices, p)) {
        return false;
      }
      int[] kinds = matchKinds;
      for (int k = 0; k < kinds.length; k++) {
        int kind = kinds[k];
        boolean hit;
        // The commonest kinds here, the rest in matchPasses (so that this method stays small enough to inline).
        if (kind == STATE) {
          hit = ((operandA[k] & p.stateBit) != 0) != negated[k];
        } else if (kind == CONNMARK) {
          hit = p.conn != null && ((p.conn.ctmark & operandB[k]) == operandA[k]) != negated[k];
        } else {
          hit = matchPasses(engine, chain, index, p, k, kind);
        }
        if (!hit) {
          return false;
        }
      }
      return true;
    }

    /** The source, destination, {@code -o} and protocol tests. */
    private boolean headerPasses(Devices devices, Pkt p) {
      if (sourceKind >= 0
          && prefixTest(sourceKind, sourceNetwork, sourceMask, source, p.src) == sourceNegated) {
        return false;
      }
      if (destinationKind >= 0 && prefixTest(destinationKind, destinationNetwork, destinationMask,
          destination, p.dst) == destinationNegated) {
        return false;
      }
      if (out != null && !outPasses(devices, p.outDev)) {
        return false;
      }
      return protocol < 0 || (p.proto == protocol) != protocolNegated;
    }

    /** Whether match number {@code k} (of kind {@code kind}) matches. */
    private boolean matchPasses(NetfilterEngine engine, CompiledChain chain, int index, Pkt p, int k, int kind) {
      switch (kind) {
        case STATE:
          return ((operandA[k] & p.stateBit) != 0) != negated[k];
        case CONNTRACK: {
          long bits = operandA[k];
          boolean in = (bits & p.stateBit) != 0
              || (p.conn != null && p.conn.isSourceNatted() && (bits & SNAT_BIT) != 0);
          return in != negated[k];
        }
        case CONNMARK:
          return p.conn != null && ((p.conn.ctmark & operandB[k]) == operandA[k]) != negated[k];
        case MARK:
          return ((p.mark & operandB[k]) == operandA[k]) != negated[k];
        case NTH: {
          long n = nextNth(chain.counters[index], matchIndexes[k], operandA[k]);
          return (n == operandB[k]) != negated[k];
        }
        case RANDOM:
          return ((engine.random.nextInt() & 0x7fff_ffffL) < operandA[k]) != negated[k];
        case PORT:
          return p.proto == operandA[k] && inRange(operandB[k], p.sport) && inRange(operandC[k], p.dport);
        case MULTIPORT:
          return (p.proto == TCP_NUMBER || p.proto == UDP_NUMBER)
              && multiport(ports[k], (int) operandA[k], negated[k], p.sport, p.dport);
        default: {
          MatchEval eval = engine.fastEval;
          eval.p = p;
          eval.chain = chain;
          eval.rule = index;
          eval.match = matchIndexes[k];
          return rule.matches().get(matchIndexes[k]).accept(eval);
        }
      }
    }

    /**
     * Applies a target that changes the packet or its connection, or one the visitor applies
     * (for the others, {@link #plainAction} says what to do); what the walk does next.
     */
    int change(NetfilterEngine engine, CompiledChain chain, int index, Pkt p) {
      switch (targetKind) {
        case SET_MARK:
          p.mark = ((p.mark & ~targetB) ^ targetA) & 0xFFFF_FFFFL;
          p.markWhere = chain.where(index);
          return CONTINUE;
        case SET_CONNMARK:
          if (p.conn != null) {
            p.conn.ctmark = ((p.conn.ctmark & ~targetB) ^ targetA) & 0xFFFF_FFFFL;
          }
          return CONTINUE;
        case SAVE_CONNMARK:
          if (p.conn != null) {
            p.conn.ctmark = ((p.conn.ctmark & ~targetB) ^ (p.mark & targetA)) & 0xFFFF_FFFFL;
          }
          return CONTINUE;
        case RESTORE_CONNMARK:
          if (p.conn != null) {
            p.mark = ((p.mark & ~targetA) ^ (p.conn.ctmark & targetB)) & 0xFFFF_FFFFL;
            p.markWhere = chain.where(index);
          }
          return CONTINUE;
        default:
          return visit(engine, chain, index, p);
      }
    }

    /** A target the compiled rule does not apply itself: the visitor's action, as a code. */
    private int visit(NetfilterEngine engine, CompiledChain chain, int index, Pkt p) {
      return target.accept(engine.new TargetEval(p, chain, index, null)).ordinal();
    }
  }

  /**
   * The number of this evaluation of an nth match, modulo {@code every} (which is what the match
   * tests: evaluation k matches when k mod every is its packet), and the counter advanced. The
   * counters hold that remainder rather than k, so no division is needed.
   */
  private static long nextNth(long[] counters, int match, long every) {
    long n = counters[match];
    counters[match] = n + 1 == every ? 0 : n + 1;
    return n;
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

  private static boolean matches(CompiledChain c, int index, Rule rule, Pkt p, MatchEval eval) {
    if (rule.source().isPresent() && prefixTest(rule.source().get(), p.src) == rule.sourceNegated()) {
      return false;
    }
    if (rule.destination().isPresent() && prefixTest(rule.destination().get(), p.dst) == rule.destinationNegated()) {
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
    List<Match> ms = rule.matches();
    eval.chain = c;
    eval.rule = index;
    for (int m = 0; m < ms.size(); m++) {
      eval.match = m;
      if (!ms.get(m).accept(eval)) {
        return false;
      }
    }
    return true;
  }

  private static boolean prefixTest(IpPrefix prefix, IpAddress address) {
    return Prefixes.contains(prefix, address);
  }

  private final class MatchEval implements Match.Visitor<Boolean> {
    private Pkt p;
    CompiledChain chain;
    int rule;
    int match;

    MatchEval(Pkt p) {
      this.p = p;
    }

    @Override
    public Boolean visitState(StateMatch m) {
      return m.test(p.state());
    }

    @Override
    public Boolean visitConntrack(ConntrackMatch m) {
      ConnState s = p.state();
      boolean hit = m.states().contains(s)
          || (p.conn != null && p.conn.isSourceNatted() && m.states().contains(ConnState.SNAT));
      return hit != m.negated();
    }

    @Override
    public Boolean visitConnmark(ConnmarkMatch m) {
      if (p.conn == null) {
        return false;
      }
      return m.mark().matches(p.conn.ctmark) != m.negated();
    }

    @Override
    public Boolean visitMark(MarkMatch m) {
      return m.mark().matches(p.mark) != m.negated();
    }

    @Override
    public Boolean visitStatistic(StatisticMatch m) {
      boolean hit;
      if (m.mode() instanceof Statistic.Nth nth) {
        if (nth.every() == 0) {
          throw new SimulationException(chain.where(rule) + ": --every 0 is refused by iptables; validate the ruleset");
        }
        hit = nth.matches(nextNth(chain.counters[rule], match, nth.every()));
      } else {
        Statistic.Random r = (Statistic.Random) m.mode();
        hit = r.matches(random.nextInt());
      }
      return hit != m.negated();
    }

    @Override
    public Boolean visitPort(PortMatch m) {
      return m.protocol().equals(p.protocol) && m.test(p.sport, p.dport);
    }

    @Override
    public Boolean visitMultiport(MultiportMatch m) {
      return (Protocol.TCP.equals(p.protocol) || Protocol.UDP.equals(p.protocol)) && m.test(p.sport, p.dport);
    }

    @Override
    public Boolean visitComment(CommentMatch m) {
      return true;
    }

    @Override
    public Boolean visitOpaque(OpaqueMatch m) {
      throw new SimulationException("the simulator does not model -m " + m.module()
          + " (at " + chain.where(rule) + "); mlb-testkit cannot say what this rule matches");
    }
  }

  private enum TargetAction { CONTINUE, ACCEPT, DROP, RETURN, JUMP, GOTO }

  /** {@link TargetAction}s by ordinal, for the untraced walk's int switch. */
  private static final int CONTINUE = 0;
  private static final int ACCEPT = 1;
  private static final int DROP = 2;
  private static final int RETURN = 3;
  private static final int JUMP = 4;
  private static final int GOTO = 5;

  static {
    int[] codes = {CONTINUE, ACCEPT, DROP, RETURN, JUMP, GOTO};
    for (TargetAction a : TargetAction.values()) {
      if (codes[a.ordinal()] != a.ordinal() || codes.length != TargetAction.values().length) {
        throw new AssertionError("the walk's action codes are not the ordinals of " + a);
      }
    }
  }

  private final class TargetEval implements Target.Visitor<TargetAction> {
    private final Pkt p;
    private final CompiledChain chain;
    private final int rule;
    private final List<String> trace;

    TargetEval(Pkt p, CompiledChain chain, int rule, List<String> trace) {
      this.p = p;
      this.chain = chain;
      this.rule = rule;
      this.trace = trace;
    }

    @Override
    public TargetAction visitVerdict(Verdict v) {
      return switch (v) {
        case ACCEPT -> TargetAction.ACCEPT;
        case DROP -> TargetAction.DROP;
        case RETURN -> TargetAction.RETURN;
      };
    }

    @Override
    public TargetAction visitJump(Jump t) {
      return TargetAction.JUMP;
    }

    @Override
    public TargetAction visitGoto(Goto t) {
      return TargetAction.GOTO;
    }

    @Override
    public TargetAction visitSetMark(SetMark t) {
      long before = p.mark;
      p.mark = t.apply(p.mark);
      p.markWhere = chain.where(rule);
      if (trace != null) {
        trace.add("  " + chain.where(rule) + ": match -> mark " + hex(before) + " -> " + hex(p.mark));
      }
      return TargetAction.CONTINUE;
    }

    @Override
    public TargetAction visitSetConnmark(SetConnmark t) {
      if (p.conn == null) {
        return untracked("CONNMARK");
      }
      long before = p.conn.ctmark;
      p.conn.ctmark = t.apply(before);
      if (trace != null) {
        trace.add("  " + chain.where(rule) + ": match -> ctmark " + hex(before) + " -> " + hex(p.conn.ctmark));
      }
      return TargetAction.CONTINUE;
    }

    @Override
    public TargetAction visitSaveConnmark(SaveConnmark t) {
      if (p.conn == null) {
        return untracked("CONNMARK --save-mark");
      }
      long before = p.conn.ctmark;
      p.conn.ctmark = t.apply(p.mark, before);
      if (trace != null) {
        trace.add("  " + chain.where(rule) + ": match -> ctmark " + hex(before) + " -> " + hex(p.conn.ctmark)
            + " (saved from mark " + hex(p.mark) + ")");
      }
      return TargetAction.CONTINUE;
    }

    @Override
    public TargetAction visitRestoreConnmark(RestoreConnmark t) {
      if (p.conn == null) {
        return untracked("CONNMARK --restore-mark");
      }
      long before = p.mark;
      p.mark = t.apply(before, p.conn.ctmark);
      p.markWhere = chain.where(rule);
      if (trace != null) {
        trace.add("  " + chain.where(rule) + ": match -> mark " + hex(before) + " -> " + hex(p.mark)
            + " (restored from ctmark " + hex(p.conn.ctmark) + ")");
      }
      return TargetAction.CONTINUE;
    }

    private TargetAction untracked(String what) {
      if (trace != null) {
        trace.add("  " + chain.where(rule) + ": match -> " + what + " does nothing (no conntrack entry yet)");
      }
      return TargetAction.CONTINUE;
    }

    @Override
    public TargetAction visitMasquerade(Masquerade t) {
      requireNat("MASQUERADE");
      if (p.out == null) {
        throw new SimulationException(chain.where(rule) + ": MASQUERADE without an output interface");
      }
      IpAddress address = interfaceAddress.apply(p.outDev);
      if (address == null) {
        throw new SimulationException(chain.where(rule) + ": MASQUERADE out of " + p.out
            + ", an interface the topology does not have");
      }
      p.natTo = address;
      p.natWhere = chain.where(rule);
      p.natMasquerade = true;
      if (trace != null) {
        trace.add("  " + chain.where(rule) + ": match -> MASQUERADE to " + address + " (address of " + p.out + ")");
      }
      return TargetAction.ACCEPT;
    }

    @Override
    public TargetAction visitSnat(Snat t) {
      requireNat("SNAT");
      p.natTo = t.first();
      p.natWhere = chain.where(rule);
      p.natMasquerade = false;
      if (trace != null) {
        trace.add("  " + chain.where(rule) + ": match -> SNAT to " + t.first());
      }
      return TargetAction.ACCEPT;
    }

    private void requireNat(String target) {
      if (chain.table != TableName.NAT) {
        throw new SimulationException(chain.where(rule) + ": " + target + " is only valid in the nat table");
      }
    }

    @Override
    public TargetAction visitOpaque(OpaqueTarget t) {
      if (HARMLESS_TARGETS.contains(t.name())) {
        if (trace != null) {
          trace.add("  " + chain.where(rule) + ": match -> " + t.name() + " (no effect on the packet)");
        }
        return TargetAction.CONTINUE;
      }
      throw new SimulationException("the simulator does not model -j " + t.name()
          + " (at " + chain.where(rule) + "); mlb-testkit cannot say what this rule does");
    }
  }

  static String hex(long v) {
    return "0x" + Long.toHexString(v);
  }
}
