package dev.mlb.testkit.sim;

import dev.mlb.api.IpAddress;
import dev.mlb.netfilter.Goto;
import dev.mlb.netfilter.Jump;
import dev.mlb.netfilter.Log;
import dev.mlb.netfilter.Masquerade;
import dev.mlb.netfilter.Nflog;
import dev.mlb.netfilter.OpaqueTarget;
import dev.mlb.netfilter.Reject;
import dev.mlb.netfilter.RestoreConnmark;
import dev.mlb.netfilter.SaveConnmark;
import dev.mlb.netfilter.SetConnmark;
import dev.mlb.netfilter.SetMark;
import dev.mlb.netfilter.Snat;
import dev.mlb.netfilter.TableName;
import dev.mlb.netfilter.Target;
import dev.mlb.netfilter.Verdict;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * What each target type the simulator models does to a packet, its connection and the walk: one
 * {@code instanceof} test per type, in one place. LOG, NFLOG, and targets kept verbatim that only log or
 * count, go on; REJECT drops (its answer is not simulated); every other type throws a
 * {@link SimulationException}.
 *
 * <pre>{@code
 * effects.apply(SetMark.set(1), p, chain, 3, trace);   // CONTINUE; p.mark is 0x1, the trace says so
 * effects.apply(new Jump("balance"), p, chain, 4, null);   // JUMP: the walk goes there
 * }</pre>
 */
final class TargetEffects {

  /** What the walk does after a target. */
  enum Action { CONTINUE, ACCEPT, DROP, RETURN, JUMP, GOTO }

  /** {@link Action}s by ordinal, for the untraced walk's int switch. */
  static final int CONTINUE = 0;
  static final int ACCEPT = 1;
  static final int DROP = 2;
  static final int RETURN = 3;
  static final int JUMP = 4;
  static final int GOTO = 5;

  static {
    int[] codes = {CONTINUE, ACCEPT, DROP, RETURN, JUMP, GOTO};
    for (Action a : Action.values()) {
      if (codes[a.ordinal()] != a.ordinal() || codes.length != Action.values().length) {
        throw new AssertionError("the walk's action codes are not the ordinals of " + a);
      }
    }
  }

  /** Targets kept verbatim that only log or count: traversal goes on. */
  static final Set<String> HARMLESS_TARGETS = Set.of("LOG", "NFLOG", "TRACE", "ULOG");

  /** The primary address of an interface by device number, for MASQUERADE; null if the topology lacks it. */
  private final IntFunction<IpAddress> interfaceAddress;

  TargetEffects(IntFunction<IpAddress> interfaceAddress) {
    this.interfaceAddress = interfaceAddress;
  }

  /**
   * Applies {@code target} of rule {@code rule} (from 0) of {@code chain} to {@code p}, saying what
   * it did in {@code trace} if that is not null; what the walk does next.
   */
  Action apply(Target target, Pkt p, CompiledChain chain, int rule, List<String> trace) {
    if (target instanceof Verdict v) {
      return switch (v) {
        case ACCEPT -> Action.ACCEPT;
        case DROP -> Action.DROP;
        case RETURN -> Action.RETURN;
      };
    } else if (target instanceof Jump) {
      return Action.JUMP;
    } else if (target instanceof Goto) {
      return Action.GOTO;
    } else if (target instanceof SetMark t) {
      long before = p.mark;
      p.mark = t.apply(p.mark);
      p.markWhere = chain.where(rule);
      if (trace != null) {
        trace.add("  " + chain.where(rule) + ": match -> mark " + hex(before) + " -> " + hex(p.mark));
      }
      return Action.CONTINUE;
    } else if (target instanceof SetConnmark t) {
      if (p.conn == null) {
        return untracked("CONNMARK", chain, rule, trace);
      }
      long before = p.conn.ctmark;
      p.conn.ctmark = t.apply(before);
      if (trace != null) {
        trace.add("  " + chain.where(rule) + ": match -> ctmark " + hex(before) + " -> " + hex(p.conn.ctmark));
      }
      return Action.CONTINUE;
    } else if (target instanceof SaveConnmark t) {
      if (p.conn == null) {
        return untracked("CONNMARK --save-mark", chain, rule, trace);
      }
      long before = p.conn.ctmark;
      p.conn.ctmark = t.apply(p.mark, before);
      if (trace != null) {
        trace.add("  " + chain.where(rule) + ": match -> ctmark " + hex(before) + " -> " + hex(p.conn.ctmark)
            + " (saved from mark " + hex(p.mark) + ")");
      }
      return Action.CONTINUE;
    } else if (target instanceof RestoreConnmark t) {
      if (p.conn == null) {
        return untracked("CONNMARK --restore-mark", chain, rule, trace);
      }
      long before = p.mark;
      p.mark = t.apply(before, p.conn.ctmark);
      p.markWhere = chain.where(rule);
      if (trace != null) {
        trace.add("  " + chain.where(rule) + ": match -> mark " + hex(before) + " -> " + hex(p.mark)
            + " (restored from ctmark " + hex(p.conn.ctmark) + ")");
      }
      return Action.CONTINUE;
    } else if (target instanceof Masquerade) {
      return masquerade(p, chain, rule, trace);
    } else if (target instanceof Snat t) {
      requireNat("SNAT", chain, rule);
      p.natTo = t.first();
      p.natWhere = chain.where(rule);
      p.natMasquerade = false;
      if (trace != null) {
        trace.add("  " + chain.where(rule) + ": match -> SNAT to " + t.first());
      }
      return Action.ACCEPT;
    } else if (target instanceof Reject t) {
      // The answer (ICMP error or TCP reset) is not simulated; for the flow it is a drop.
      if (trace != null) {
        trace.add("  " + chain.where(rule) + ": match -> REJECT --reject-with " + t.with().text()
            + " (dropped; the answer is not simulated)");
      }
      return Action.DROP;
    } else if (target instanceof Log || target instanceof Nflog || target instanceof OpaqueTarget t && HARMLESS_TARGETS.contains(t.name())) {
      if (trace != null) {
        trace.add("  " + chain.where(rule) + ": match -> " + target.name() + " (no effect on the packet)");
      }
      return Action.CONTINUE;
    }
    throw new SimulationException("the simulator does not model -j " + target.name()
        + " (at " + chain.where(rule) + "); mlb-testkit cannot say what this rule does");
  }

  private Action masquerade(Pkt p, CompiledChain chain, int rule, List<String> trace) {
    requireNat("MASQUERADE", chain, rule);
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
    return Action.ACCEPT;
  }

  private static Action untracked(String what, CompiledChain chain, int rule, List<String> trace) {
    if (trace != null) {
      trace.add("  " + chain.where(rule) + ": match -> " + what + " does nothing (no conntrack entry yet)");
    }
    return Action.CONTINUE;
  }

  private static void requireNat(String target, CompiledChain chain, int rule) {
    if (chain.table != TableName.NAT) {
      throw new SimulationException(chain.where(rule) + ": " + target + " is only valid in the nat table");
    }
  }

  static String hex(long v) {
    return "0x" + Long.toHexString(v);
  }
}
