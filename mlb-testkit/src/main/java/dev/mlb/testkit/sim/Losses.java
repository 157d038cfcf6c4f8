package dev.mlb.testkit.sim;

/**
 * Why a packet was lost outside the router's rules and routes, as the simulator says it: a
 * server without a way back, a dead provider, a provider's ingress filter, an end that is not
 * where the packet went. Each records the step (when tracing) and the loss in the packet's
 * {@link Run}, and returns false.
 */
final class Losses {
  private Losses() {}

  /** The server cannot send {@code p}: its destination is no uplink's address. */
  static boolean unreachable(Topology topology, Pkt p, End from, Run run) {
    String why = Prefixes.contains(topology.lanAddress().network(), p.dst)
        ? " (the flow left without source NAT)"
        : " (it is the address of no uplink)";
    if (run.steps != null) {
      run.step("the server cannot reach " + p.dst);
    }
    return run.lose(from.name + " " + from.address, from.name + " has no route back to " + p.dst + why);
  }

  /** The provider on {@code u} is dead ({@link Simulator#killUplink}): it drops every packet. */
  static boolean deadProvider(Topology.Uplink u, Run run) {
    if (run.steps != null) {
      run.step("provider on " + u.iface() + " is dead: dropped");
    }
    return run.lose("provider on " + u.iface(), "the provider on " + u.iface() + " is dead and drops every packet");
  }

  /** The provider on {@code u} drops {@code p}: its source is not the uplink's address. */
  static boolean ingressFiltered(Topology topology, Pkt p, Topology.Uplink u, Run run) {
    if (run.steps != null) {
      run.step("provider on " + u.iface() + ": source " + p.src + " is not " + u.iface() + "'s address "
          + u.ip() + ": dropped");
    }
    return run.lose("provider on " + u.iface(), providerReason(topology, p, u, run));
  }

  /** {@code p} reached {@code place} (through {@code u} for the internet), where {@code to} is not. */
  static boolean undelivered(Devices devices, Pkt p, int egress, End.Place place, Topology.Uplink u, End to, Run run) {
    String placeName = switch (place) {
      case ROUTER -> "router (local delivery)";
      case LAN -> "LAN on " + devices.name(egress);
      case INTERNET -> "internet beyond " + u.iface();
    };
    String what = switch (place) {
      case ROUTER -> "the router has no socket for " + p.dst + ":" + p.dport;
      case LAN -> "no LAN host of this flow is " + p.dst + ":" + p.dport;
      case INTERNET -> "nothing answers at " + p.dst + ":" + p.dport;
    };
    if (run.steps != null) {
      run.step(what);
    }
    return run.lose(placeName, what + "; the packet was meant for " + to.describe()
        + (run.route != null ? "; it was routed by " + run.routeText() : ""));
  }

  static String providerReason(Topology topology, Pkt p, Topology.Uplink u, Run run) {
    StringBuilder b = new StringBuilder();
    b.append("source ").append(p.src).append(" is not ").append(u.iface()).append("'s address ").append(u.ip())
        .append(", so the provider drops it (ingress filtering); the packet to ").append(p.dst)
        .append(" went out ").append(u.iface()).append(" by ").append(run.routeText());
    if (topology.lanAddress().network().contains(p.dst)) {
      b.append("; it is a reply for the LAN host ").append(p.dst).append(", routed into the uplink instead of out ")
          .append(topology.lanInterface());
    } else if (p.conn != null && !p.reply && p.conn.srcNatDecided) {
      if (p.conn.srcNat() == null) {
        b.append("; the connection has no source NAT (null binding fixed on its first packet)");
      } else {
        b.append("; the connection's source was fixed to ").append(p.conn.srcNat()).append(" on its first packet (")
            .append(p.conn.srcNatWhere).append("), when it left another way");
      }
    }
    return b.toString();
  }

  static String markNote(RoutingEngine.Decision d) {
    return d.markWhere == null ? "" : "; the mark was last written by " + d.markWhere;
  }
}
