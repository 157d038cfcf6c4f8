package dev.mlb.testkit.sim;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import java.util.ArrayList;
import java.util.List;

/** What happens to one packet (reused within a flow: {@link #reset} makes it a packet's). */
final class Run {
  int number;
  String kind;
  /** The packet as sent (the source is filled in once the router has chosen it). */
  IpAddress sentSrc;
  int sentSport;
  IpAddress sentDst;
  int sentDport;
  List<String> steps;
  /** The route decision the packet's untraced lookups fill in (the router's first lookup has its own). */
  final RoutingEngine.Decision lookup = new RoutingEngine.Decision();
  /** The last route decision: {@link #lookup}, or a traced lookup's. */
  RoutingEngine.Decision route;
  InterfaceName uplink;
  /** The index of {@link #uplink} among the simulator's uplinks, or -1. */
  int uplinkIndex;
  PacketLoss loss;
  /** Lost to nf_nat_oif_changed: dropped and its conntrack entry deleted. */
  boolean masqueradeKill;
  /** The packet's mark when it left the router (forwarded or sent by it), or -1. */
  long leftMark;

  Run reset(int number, String kind, Pkt p, boolean tracing) {
    this.number = number;
    this.kind = kind;
    this.sentSrc = p.src;
    this.sentSport = p.sport;
    this.sentDst = p.dst;
    this.sentDport = p.dport;
    this.steps = tracing ? new ArrayList<>() : null;
    this.route = null;
    this.uplink = null;
    this.uplinkIndex = -1;
    this.loss = null;
    this.masqueradeKill = false;
    this.leftMark = -1;
    return this;
  }

  /** {@code SYN 192.0.2.100:40000 -> 203.0.113.10:443}. */
  String description() {
    return kind + " " + (sentSrc == null ? "router" : sentSrc.toString()) + ":" + sentSport
        + " -> " + sentDst + ":" + sentDport;
  }

  void step(String s) {
    if (steps != null) {
      steps.add(s);
    }
  }

  boolean lose(String where, String reason) {
    loss = new PacketLoss(number, description(), where, reason);
    return false;
  }

  /** The last route decision, with the packet mark it saw and the rule that last wrote it. */
  String routeText() {
    RoutingEngine.Decision d = route;
    if (d == null) {
      return "no routing decision";
    }
    return d.describe() + " (packet mark " + NetfilterEngine.hex(d.mark)
        + (d.markWhere != null ? ", last written by " + d.markWhere : "") + ")";
  }
}
