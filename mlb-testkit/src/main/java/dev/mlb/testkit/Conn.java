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
  IpAddress srcNat;
  /** Where the source-NAT decision was taken, for messages. */
  String srcNatWhere = "";
  /**
   * The interface a MASQUERADE binding was made for (the kernel's masq_index), or null. An
   * original-direction packet leaving POSTROUTING through another interface is dropped and the
   * entry deleted (nf_nat_oif_changed).
   */
  String masqueradeDev;

  Conn(Tuple original) {
    this.original = original;
    this.reply = original.inverse();
  }

  /** Whether the binding really changes the source (the kernel's IPS_SRC_NAT). */
  boolean isSourceNatted() {
    return srcNat != null && !srcNat.equals(original.src());
  }
}
