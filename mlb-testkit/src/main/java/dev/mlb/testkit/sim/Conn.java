package dev.mlb.testkit.sim;

import dev.mlb.api.IpAddress;

/**
 * One conntrack entry (mutable, owned by the simulator, which reuses entries from flow to flow):
 * the original direction's tuple as the first packet had it, the reply direction's tuple (the
 * original inverted, its destination the source binding once there is one), the ctmark and the
 * NAT decisions.
 */
final class Conn {
  int protocol;
  IpAddress src;
  int sport;
  IpAddress dst;
  int dport;
  /** The reply direction's destination: the original source, or the source binding. */
  IpAddress replyDst;
  long ctmark;
  boolean seenReply;
  /** Whether the destination-NAT decision was taken (nat PREROUTING or OUTPUT on the first packet). */
  boolean dstNatDecided;
  /** Whether the source-NAT decision was taken (nat POSTROUTING or INPUT on the first packet). */
  boolean srcNatDecided;
  /** The source the original direction is rewritten to; null for the null binding (or undecided). */
  private IpAddress srcNat;
  /** Whether {@link #srcNat} really changes the source; see {@link #isSourceNatted}. */
  private boolean sourceNatted;
  /** Where the source-NAT decision was taken, for messages. */
  String srcNatWhere;
  /**
   * The interface a MASQUERADE binding was made for (the kernel's masq_index), or null. An
   * original-direction packet leaving POSTROUTING through another interface is dropped and the
   * entry deleted (nf_nat_oif_changed).
   */
  String masqueradeDev;
  /** The {@link Devices} number of {@link #masqueradeDev}; {@link Devices#NONE} without one. */
  int masqueradeDevId;

  /** Makes this a new entry for a first packet with this tuple: state NEW, ctmark 0, no NAT decided. */
  Conn open(int protocol, IpAddress src, int sport, IpAddress dst, int dport) {
    this.protocol = protocol;
    this.src = src;
    this.sport = sport;
    this.dst = dst;
    this.dport = dport;
    this.replyDst = src;
    this.ctmark = 0;
    this.seenReply = false;
    this.dstNatDecided = false;
    this.srcNatDecided = false;
    this.srcNat = null;
    this.sourceNatted = false;
    this.srcNatWhere = "";
    this.masqueradeDev = null;
    this.masqueradeDevId = Devices.NONE;
    return this;
  }

  /** Whether a packet with this tuple travels in the original direction. */
  boolean isOriginal(int protocol, IpAddress src, int sport, IpAddress dst, int dport) {
    return this.sport == sport && this.dport == dport && this.protocol == protocol && this.src.equals(src)
        && this.dst.equals(dst);
  }

  /** Whether a packet with this tuple travels in the reply direction. */
  boolean isReply(int protocol, IpAddress src, int sport, IpAddress dst, int dport) {
    return this.dport == sport && this.sport == dport && this.protocol == protocol && this.dst.equals(src)
        && replyDst.equals(dst);
  }

  /** Whether the two entries have the same original tuple. */
  boolean sameOriginal(Conn other) {
    return other.isOriginal(protocol, src, sport, dst, dport);
  }

  /** Whether the two entries have the same reply tuple. */
  boolean sameReply(Conn other) {
    return other.isReply(protocol, dst, dport, replyDst, sport);
  }

  /** The source the original direction is rewritten to; null for the null binding (or undecided). */
  IpAddress srcNat() {
    return srcNat;
  }

  /** Fixes the source binding; null is the null binding. */
  void srcNat(IpAddress to) {
    srcNat = to;
    sourceNatted = to != null && !to.equals(src);
  }

  /** Whether the binding really changes the source (the kernel's IPS_SRC_NAT). */
  boolean isSourceNatted() {
    return sourceNatted;
  }
}
