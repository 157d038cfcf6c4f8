package dev.mlb.testkit;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpPrefix;
import dev.mlb.netfilter.Chain;
import dev.mlb.netfilter.CommentMatch;
import dev.mlb.netfilter.ConnState;
import dev.mlb.netfilter.ConnmarkMatch;
import dev.mlb.netfilter.ConntrackMatch;
import dev.mlb.netfilter.Goto;
import dev.mlb.netfilter.Hook;
import dev.mlb.netfilter.Jump;
import dev.mlb.netfilter.Masquerade;
import dev.mlb.netfilter.Match;
import dev.mlb.netfilter.MarkMatch;
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
import dev.mlb.api.Protocol;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;

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
    final TableName table;
    final String name;
    final boolean builtin;
    final Policy policy;
    final Rule[] rules;
    final long[][] counters;
    CompiledChain[] targets;
    private String[] texts;

    CompiledChain(TableName table, Chain chain) {
      this.table = table;
      this.name = chain.name();
      this.builtin = table.isBuiltin(chain.name());
      this.policy = chain.policy().orElse(Policy.ACCEPT);
      this.rules = chain.rules().toArray(new Rule[0]);
      this.counters = new long[rules.length][];
      for (int i = 0; i < rules.length; i++) {
        counters[i] = new long[rules[i].matches().size()];
      }
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
  private final SplittableRandom random;
  /** The primary address of an interface, for MASQUERADE; null if the topology lacks it. */
  private final Function<String, IpAddress> interfaceAddress;

  /** The location of the rule or policy that dropped the last packet. */
  String dropWhere;
  /** Why: the rule's DROP, or the policy. */
  String dropReason;

  NetfilterEngine(Ruleset ruleset, SplittableRandom random, Function<String, IpAddress> interfaceAddress) {
    this.random = random;
    this.interfaceAddress = interfaceAddress;
    for (Table t : ruleset.tables()) {
      Map<String, CompiledChain> chains = new HashMap<>();
      for (Chain c : t.chains()) {
        chains.put(c.name(), new CompiledChain(t.name(), c));
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
    }
  }

  boolean hasTable(TableName table) {
    return tables.containsKey(table);
  }

  /**
   * Traverses {@code table}'s built-in chain for {@code hook}. A table the ruleset lacks accepts.
   * On DROP, {@link #dropWhere} names the rule or policy.
   */
  Outcome traverse(TableName table, Hook hook, Pkt p, List<String> trace) {
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
    return Tuple.contains(prefix, address);
  }

  private final class MatchEval implements Match.Visitor<Boolean> {
    private final Pkt p;
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
        long k = chain.counters[rule][match]++;
        hit = nth.matches(k);
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
      IpAddress address = interfaceAddress.apply(p.out);
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
