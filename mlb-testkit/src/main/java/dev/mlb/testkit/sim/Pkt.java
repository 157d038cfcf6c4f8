package dev.mlb.testkit.sim;

import dev.mlb.api.IpAddress;
import dev.mlb.api.Protocol;
import dev.mlb.netfilter.ConnState;

/**
 * One packet on its way through the router (mutable, owned by the simulator, which reuses one
 * for every packet of a flow). The input and output devices are kept as names (for traces and
 * messages) and as {@link Devices} numbers (for the untraced walks); set both with
 * {@link #in(String, int)} and {@link #out(String, int)}.
 */
final class Pkt {
  Protocol protocol;
  /** The protocol number of {@link #protocol}. */
  int proto;
  IpAddress src;
  int sport;
  IpAddress dst;
  int dport;
  long mark;
  /** The rule that last wrote the mark, or null while no rule did. */
  String markWhere;
  /** Input interface name, or null (locally generated). */
  String in;
  /** The number of {@link #in}. */
  int inDev;
  /** Output interface name, or null (before routing, locally delivered). */
  String out;
  /** The number of {@link #out}. */
  int outDev;
  /** The conntrack entry; null while untracked (raw table, before conntrack). Set with {@link #track}. */
  Conn conn;
  /** Whether the packet travels in the connection's reply direction. */
  boolean reply;
  /** {@code state().ordinal()} and {@code 1 << state().ordinal()}, kept by {@link #track} for the untraced walk. */
  int stateIndex;
  int stateBit;
  /** The source a NAT target chose, or null; set by the nat table traversal. */
  IpAddress natTo;
  /** Where the NAT target was, for messages. */
  String natWhere;
  /** Whether that NAT target was MASQUERADE. */
  boolean natMasquerade;

  Pkt(Protocol protocol, IpAddress src, int sport, IpAddress dst, int dport) {
    reset(protocol, src, sport, dst, dport);
  }

  /** Makes this a fresh packet: the given header, mark 0, no devices, no conntrack entry, no NAT. */
  Pkt reset(Protocol protocol, IpAddress src, int sport, IpAddress dst, int dport) {
    this.protocol = protocol;
    this.proto = protocol.number();
    this.src = src;
    this.sport = sport;
    this.dst = dst;
    this.dport = dport;
    this.mark = 0;
    this.markWhere = null;
    in(null, Devices.NONE);
    out(null, Devices.NONE);
    track(null, false);
    this.natTo = null;
    this.natWhere = null;
    this.natMasquerade = false;
    return this;
  }

  void in(String name, int id) {
    this.in = name;
    this.inDev = id;
  }

  void out(String name, int id) {
    this.out = name;
    this.outDev = id;
  }

  /** Puts the packet in connection {@code conn} (null: untracked), in the reply direction or not. */
  void track(Conn conn, boolean reply) {
    this.conn = conn;
    this.reply = reply;
    this.stateIndex = state().ordinal();
    this.stateBit = 1 << stateIndex;
  }

  /** The conntrack state as -m state and -m conntrack see it. */
  ConnState state() {
    if (conn == null) {
      return ConnState.INVALID;
    }
    return (reply || conn.seenReply) ? ConnState.ESTABLISHED : ConnState.NEW;
  }

  @Override
  public String toString() {
    return src + ":" + sport + " -> " + dst + ":" + dport;
  }
}
