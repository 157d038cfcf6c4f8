package dev.mlb.testkit;

import dev.mlb.api.IpAddress;

/** One conntrack entry (mutable, owned by the simulator). */
final class Conn {
  final Tuple original;
  Tuple reply;
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
  String srcNatWhere = "";
  /**
   * The interface a MASQUERADE binding was made for (the kernel's masq_index), or null. An
   * original-direction packet leaving POSTROUTING through another interface is dropped and the
   * entry deleted (nf_nat_oif_changed).
   */
  String masqueradeDev;
  /** The {@link Devices} number of {@link #masqueradeDev}; {@link Devices#NONE} without one. */
  int masqueradeDevId;

  Conn(Tuple original) {
    this.original = original;
    this.reply = original.inverse();
  }

  /** The source the original direction is rewritten to; null for the null binding (or undecided). */
  IpAddress srcNat() {
    return srcNat;
  }

  /** Fixes the source binding; null is the null binding. */
  void srcNat(IpAddress to) {
    srcNat = to;
    sourceNatted = to != null && !to.equals(original.src());
  }

  /** Whether the binding really changes the source (the kernel's IPS_SRC_NAT). */
  boolean isSourceNatted() {
    return sourceNatted;
  }
}
