package dev.mlb.testkit.sim;

import dev.mlb.api.Protocol;
import dev.mlb.netfilter.Hook;
import dev.mlb.netfilter.TableName;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulator's conntrack and NAT: the running flow's connections, indexed by their original
 * and reply tuples, and the nat table's decisions on a connection's first packet (see
 * {@link Simulator}, "Conntrack and NAT"). Entries are reused from flow to flow; a flow's
 * connections are forgotten when it ends ({@link #endFlow}), unless the flow is kept open
 * ({@link #keep}, {@link #resume}).
 */
final class Conntrack {
  private static final int TCP = Protocol.TCP.number();

  private NetfilterEngine netfilter;
  private final ConnTable byOriginal = new ConnTable(false);
  private final ConnTable byReply = new ConnTable(true);
  /** The connections of the running flow, in order. */
  private final List<Conn> flowConns = new ArrayList<>();
  /** Entries to reuse: the running flow's k-th connection is the k-th of these. */
  private final List<Conn> spareConns = new ArrayList<>();

  /** The nat table's decisions are taken by {@code netfilter} from now on (a new ruleset). */
  void use(NetfilterEngine netfilter) {
    this.netfilter = netfilter;
  }

  /**
   * Makes {@code conns} (a kept flow's, see {@link OpenFlows}) the running flow's connections, as
   * if it had opened them: its packets find them, a new one is added after them.
   */
  void resume(List<Conn> conns) {
    for (Conn c : conns) {
      byOriginal.put(c);
      byReply.put(c);
      flowConns.add(c);
    }
  }

  /** The running flow's connections, taken out of reuse: they outlive the flow (call before {@link #endFlow}). */
  List<Conn> keep() {
    List<Conn> kept = List.copyOf(flowConns);
    spareConns.removeIf(c -> kept.stream().anyMatch(k -> k == c));
    return kept;
  }

  /** Whether {@code c} is the running flow's newest connection. */
  boolean isNewest(Conn c) {
    return !flowConns.isEmpty() && c == flowConns.get(flowConns.size() - 1);
  }

  /** Forgets the running flow's connections; they were the only ones (each flow ends with this). */
  void endFlow() {
    byOriginal.clear();
    byReply.clear();
    flowConns.clear();
  }

  /**
   * Conntrack: puts {@code p} in its connection, in the original or the reply direction, or (see
   * {@link #open}) in a new one. The common case stays small; the rest is in other methods.
   */
  void track(Pkt p, Run run) {
    Conn c = byOriginal.get(p.proto, p.src, p.sport, p.dst, p.dport);
    if (c != null) {
      p.track(c, false);
    } else if ((c = byReply.get(p.proto, p.src, p.sport, p.dst, p.dport)) != null) {
      c.seenReply = true;
      p.track(c, true);
    } else {
      open(p, run);
      return;
    }
    if (run.steps != null) {
      run.step("conntrack: " + (p.reply ? "reply" : "original") + " direction, state " + p.state() + ", ctmark "
          + NetfilterEngine.hex(c.ctmark));
    }
  }

  /** A packet without conntrack entry: a new connection, or for a TCP FIN or SYN-ACK, none (INVALID). */
  private void open(Pkt p, Run run) {
    if (p.proto == TCP && (run.kind.startsWith("FIN") || run.kind.startsWith("SYN-ACK"))) {
      // Only after the masquerade kill deleted the entry: a FIN or SYN-ACK in state NONE opens no
      // connection (tcp_conntracks gives sIV); the packet is INVALID, untracked, and sees no NAT.
      p.track(null, false);
      if (run.steps != null) {
        run.step("conntrack: no entry, and a " + run.kind.split(" ")[0] + " opens none: state INVALID"
            + " (no connmark, no NAT)");
      }
      return;
    }
    int n = flowConns.size();
    while (n >= spareConns.size()) {
      spareConns.add(new Conn());
    }
    Conn c = spareConns.get(n).open(p.proto, p.src, p.sport, p.dst, p.dport);
    byOriginal.put(c);
    byReply.put(c);
    flowConns.add(c);
    p.track(c, false);
    if (run.steps != null) {
      run.step("conntrack: new connection " + c.src + ":" + c.sport + " -> " + c.dst + ":" + c.dport
          + ", state NEW, ctmark 0x0");
    }
  }

  /** nat PREROUTING / OUTPUT: the DNAT decision on a first packet; de-SNAT of replies. */
  boolean destinationNat(Pkt p, Hook hook, Run run) {
    Conn c = p.conn;
    if (c == null) {
      return true;
    }
    if (!c.dstNatDecided && !p.reply) {
      return decideDestination(p, c, hook, run);
    }
    if (p.reply && c.isSourceNatted() && p.dst.equals(c.srcNat())) {
      if (run.steps != null) {
        run.step("nat " + hook + ": reply de-NAT, destination " + p.dst + " -> " + c.src);
      }
      p.dst = c.src;
    }
    return true;
  }

  /** The first packet of {@code c} in nat PREROUTING / OUTPUT: the DNAT decision (none is modelled). */
  private boolean decideDestination(Pkt p, Conn c, Hook hook, Run run) {
    c.dstNatDecided = true;
    p.natTo = null;
    if (netfilter.traverse(TableName.NAT, hook, p, run.steps) == NetfilterEngine.Outcome.DROP) {
      return run.lose(netfilter.dropWhere, netfilter.dropReason);
    }
    if (p.natTo != null) {
      throw new SimulationException(p.natWhere + ": source NAT in nat " + hook + " is not possible");
    }
    if (run.steps != null) {
      run.step("nat " + hook + ": no destination NAT (null binding fixed)");
    }
    return true;
  }

  /** nat POSTROUTING / INPUT: the SNAT decision on a first packet; the binding on later ones. */
  boolean sourceNat(Pkt p, Hook hook, Run run) {
    Conn c = p.conn;
    if (c == null) {
      return true;
    }
    if (!c.srcNatDecided && !p.reply) {
      return decideSource(p, c, hook, run);
    }
    if (hook == Hook.POSTROUTING && !p.reply && c.masqueradeDev != null && c.masqueradeDevId != p.outDev) {
      return masqueradeKill(p, c, run);
    }
    if (!p.reply && c.srcNat() != null && !p.src.equals(c.srcNat())) {
      if (run.steps != null) {
        run.step("nat " + hook + ": source " + p.src + " -> " + c.srcNat() + " (the connection's binding)");
      }
      p.src = c.srcNat();
    }
    return true;
  }

  /** The first packet of {@code c} in nat POSTROUTING / INPUT: the SNAT decision, fixed for the connection. */
  private boolean decideSource(Pkt p, Conn c, Hook hook, Run run) {
    p.natTo = null;
    p.natMasquerade = false;
    if (netfilter.traverse(TableName.NAT, hook, p, run.steps) == NetfilterEngine.Outcome.DROP) {
      return run.lose(netfilter.dropWhere, netfilter.dropReason);
    }
    c.srcNatDecided = true;
    if (p.natTo == null) {
      c.srcNatWhere = "nat " + hook + ": no rule matched";
      if (run.steps != null) {
        run.step("nat " + hook + ": no source NAT (null binding fixed for the connection)");
      }
      return true;
    }
    c.srcNat(p.natTo);
    c.srcNatWhere = p.natWhere;
    if (p.natMasquerade && hook == Hook.POSTROUTING) {
      c.masqueradeDev = p.out;
      c.masqueradeDevId = p.outDev;
    }
    byReply.remove(c);
    c.replyDst = p.natTo;
    byReply.put(c);
    if (run.steps != null) {
      run.step("nat " + hook + ": source " + p.src + " -> " + p.natTo + " (binding fixed for the connection)");
    }
    p.src = p.natTo;
    return true;
  }

  /** nf_nat_oif_changed: a masqueraded connection's packet leaves another way; dropped, entry deleted. */
  private boolean masqueradeKill(Pkt p, Conn c, Run run) {
    if (run.steps != null) {
      run.step("nat POSTROUTING: the connection was masqueraded on " + c.masqueradeDev + ", this packet leaves "
          + p.out + ": dropped, conntrack entry deleted");
    }
    byOriginal.remove(c);
    byReply.remove(c);
    run.masqueradeKill = true;
    return run.lose("nat POSTROUTING", "the connection was masqueraded on " + c.masqueradeDev + " ("
        + c.srcNatWhere + ") and this packet leaves " + p.out + ", routed by " + run.routeText()
        + "; the kernel drops it and deletes the conntrack entry (nf_nat_oif_changed)");
  }
}
