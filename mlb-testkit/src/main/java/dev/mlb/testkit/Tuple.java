package dev.mlb.testkit;

import dev.mlb.api.IpAddress;

/** A connection tracking tuple: protocol number, source and destination with ports. */
record Tuple(int protocol, IpAddress src, int sport, IpAddress dst, int dport) {
  Tuple inverse() {
    return new Tuple(protocol, dst, dport, src, sport);
  }
}
