package dev.mlb.testkit;

import dev.mlb.api.IpAddress;
import dev.mlb.api.Protocol;
import dev.mlb.netfilter.ConnState;

/** One packet on its way through the router (mutable, owned by the simulator). */
final class Pkt {
  final Protocol protocol;
  IpAddress src;
  int sport;
  IpAddress dst;
  int dport;
  long mark;
  /** The rule that last wrote the mark, or null while no rule did. */
  String markWhere;
  /** Input interface name, or null (locally generated). */
  String in;
  /** Output interface name, or null (before routing, locally delivered). */
  String out;
  /** The conntrack entry; null while untracked (raw table, before conntrack). */
  Conn conn;
  /** Whether the packet travels in the connection's reply direction. */
  boolean reply;
  /** The source a NAT target chose, or null; set by the nat table traversal. */
  IpAddress natTo;
  /** Where the NAT target was, for messages. */
  String natWhere;
  /** Whether that NAT target was MASQUERADE. */
  boolean natMasquerade;

  Pkt(Protocol protocol, IpAddress src, int sport, IpAddress dst, int dport) {
    this.protocol = protocol;
    this.src = src;
    this.sport = sport;
    this.dst = dst;
    this.dport = dport;
  }

  /** The conntrack state as -m state and -m conntrack see it. */
  ConnState state() {
    if (conn == null) {
      return ConnState.INVALID;
    }
    return (reply || conn.seenReply) ? ConnState.ESTABLISHED : ConnState.NEW;
  }

  Tuple tuple() {
    return new Tuple(protocol.number(), src, sport, dst, dport);
  }

  @Override
  public String toString() {
    return src + ":" + sport + " -> " + dst + ":" + dport;
  }
}
