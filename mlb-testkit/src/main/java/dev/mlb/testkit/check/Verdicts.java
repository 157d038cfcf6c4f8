package dev.mlb.testkit.check;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.iproute.Route;
import dev.mlb.iproute.RoutingTable;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.PacketLoss;
import dev.mlb.testkit.sim.PolicyRouting;
import dev.mlb.testkit.sim.Selectors;
import dev.mlb.testkit.sim.Topology;
import dev.mlb.testkit.sim.Trace;
import dev.mlb.testkit.sim.Traffic;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The per-flow verdicts of {@link BalancingCheck}'s properties (see its class comment, "What each
 * property checks"): each returns why a flow breaks a property, or nothing.
 */
final class Verdicts {
  private final Topology topology;
  private final ImmutableList<Traffic> balancedLan;
  private final ImmutableList<Traffic> balancedRouter;
  private final ImmutableList<IpPrefix> excludedDestinations;
  private final ImmutableList<Traffic> excludedTraffic;
  private final ImmutableList<TrafficSelector> lanSelectors;
  private final ImmutableList<TrafficSelector> routerSelectors;
  private final ImmutableList<TrafficSelector> excludedSelectors;
  private final boolean nothingElse;
  private final Optional<RoutingTable> multipathTable;
  private final PolicyRouting routing;
  private final ImmutableMap<InterfaceName, Integer> weights;
  private final ImmutableList<InterfaceName> active;
  private final ImmutableMap<InterfaceName, BalancingCheck.Designation> marks;
  private final BalancingCheck.Strategy strategy;
  private final double randomAlpha;

  Verdicts(BalancingCheck c) {
    this.topology = c.topology;
    this.balancedLan = c.balancedLan;
    this.balancedRouter = c.balancedRouter;
    this.excludedDestinations = c.excludedDestinations;
    this.excludedTraffic = c.excludedTraffic;
    this.lanSelectors = c.lanSelectors;
    this.routerSelectors = c.routerSelectors;
    this.excludedSelectors = c.excludedSelectors;
    this.nothingElse = c.nothingElse;
    this.multipathTable = c.multipathTable;
    this.routing = c.routing;
    this.weights = c.weights;
    this.active = c.active;
    this.marks = c.marks;
    this.strategy = c.strategy;
    this.randomAlpha = c.randomAlpha;
  }

  boolean isSelected(Flow f) {
    return isBalancedTraffic(f) && exclusion(f).isEmpty();
  }

  /** Whether some balanced traffic of the flow's origin (LAN or router) picks {@code f}, exclusions aside. */
  boolean isBalancedTraffic(Flow f) {
    return switch (f.origin()) {
      case LAN -> balancedLan.stream().anyMatch(t -> t.matches(f))
          || lanSelectors.stream().anyMatch(s -> Selectors.matches(s, f));
      case ROUTER -> balancedRouter.stream().anyMatch(t -> t.matches(f))
          || routerSelectors.stream().anyMatch(s -> Selectors.matches(s, f));
      case INBOUND -> false;
    };
  }

  Optional<String> exclusion(Flow f) {
    if (f.origin() == Flow.Origin.INBOUND) {
      return Optional.empty();
    }
    for (IpPrefix p : excludedDestinations) {
      if (p.contains(f.server())) {
        return Optional.of("destination " + p + " is excluded");
      }
    }
    for (Traffic t : excludedTraffic) {
      if (t.matches(f)) {
        return Optional.of(t + " is excluded");
      }
    }
    for (TrafficSelector s : excludedSelectors) {
      if (Selectors.matches(s, f)) {
        return Optional.of("exclusion \"" + s + "\" picks it");
      }
    }
    return Optional.empty();
  }

  /**
   * For {@link Strategy#MULTIPATH}: the decision that routed the flow's first packet by the
   * multipath route (see the class comment), or empty if another route took it.
   */
  Optional<PolicyRouting.Choice> multipathRoute(Flow f) {
    PolicyRouting.Choice d = firstLookup(f);
    if (d == null || d.kind() != PolicyRouting.Kind.FORWARD || d.route().isEmpty()) {
      return Optional.empty();
    }
    Route route = d.route().get();
    boolean balanced = multipathTable.isPresent() ? route.table().equals(multipathTable.get())
        : !route.nexthops().isEmpty();
    return balanced ? Optional.of(d) : Optional.empty();
  }

  /** The lookup of a LAN or router flow's first packet with mark 0, as the simulator makes it. */
  PolicyRouting.Choice firstLookup(Flow f) {
    switch (f.origin()) {
      case LAN:
        return routing.lookup(f.client(), f.server(), 0, topology.lanInterface().name(), f.protocol(),
            f.clientPort(), f.serverPort());
      case ROUTER: {
        PolicyRouting.Choice first = routing.lookup(Optional.empty(), f.server(), 0, "lo", f.protocol(),
            f.clientPort(), f.serverPort());
        if (first.kind() != PolicyRouting.Kind.FORWARD) {
          return first;
        }
        InterfaceName dev = first.device().get();
        IpAddress src = first.route().flatMap(Route::src).orElse(null);
        if (src == null) {
          src = topology.uplink(dev).map(Topology.Uplink::ip)
              .orElse(dev.equals(topology.lanInterface()) ? topology.lanAddress().address() : null);
        }
        return src == null ? first : routing.lookup(Optional.of(src), f.server(), 0, "lo", f.protocol(),
            f.clientPort(), f.serverPort());
      }
      default:
        return null;
    }
  }


  /** The uplinks whose mark {@code mark} has. */
  List<InterfaceName> designated(OptionalLong mark) {
    List<InterfaceName> out = new ArrayList<>();
    if (mark.isEmpty()) {
      return out;
    }
    marks.forEach((u, d) -> {
      if (d.mark().value() != 0 && d.mark().matches(mark.getAsLong())) {
        out.add(u);
      }
    });
    return out;
  }

  String marksText() {
    if (marks.isEmpty()) {
      return "no fwmark rule of the routing plan routes to an uplink";
    }
    StringBuilder b = new StringBuilder("uplink marks: ");
    String sep = "";
    for (Map.Entry<InterfaceName, BalancingCheck.Designation> e : marks.entrySet()) {
      b.append(sep).append(e.getKey()).append(' ').append(e.getValue().mark());
      sep = ", ";
    }
    return b.toString();
  }

  static String markText(OptionalLong mark) {
    return mark.isPresent() ? "connmark " + Mark.hex(mark.getAsLong()) : "no connection mark";
  }

  static String lossText(Trace t) {
    return t.result().loss().map(PacketLoss::toString).orElse("");
  }

  Optional<String> oneMark(Trace t) {
    Flow f = t.result().flow();
    if (f.origin() == Flow.Origin.INBOUND || !isSelected(f)) {
      return Optional.empty();
    }
    if (strategy == BalancingCheck.Strategy.MULTIPATH) {
      return oneUplink(t);
    }
    List<InterfaceName> d = designated(t.result().mark());
    if (d.size() == 1) {
      return Optional.empty();
    }
    String what = d.isEmpty() ? "designates no uplink" : "designates " + d.size() + " uplinks " + d;
    return Optional.of("it left with " + markText(t.result().mark()) + ", which " + what + " (" + marksText() + ")"
        + (t.result().completed() ? "" : "; " + lossText(t)));
  }

  /** Property 1 under MULTIPATH: balanced, and every packet to the other end left through one uplink. */
  Optional<String> oneUplink(Trace t) {
    Flow f = t.result().flow();
    if (designated(t.result().mark()).size() != 1 && multipathRoute(f).isEmpty()) {
      PolicyRouting.Choice d = firstLookup(f);
      return Optional.of("it was not balanced: it carries " + markText(t.result().mark()) + ", which designates no"
          + " uplink, and its first packet was routed by " + (d == null ? "nothing" : d.describe())
          + multipathTable.map(m -> ", not by a route of the multipath table " + m).orElse(", not by a multipath route"));
    }
    Optional<InterfaceName> first = t.packets().isEmpty() ? Optional.empty() : t.packets().get(0).uplink();
    if (first.isEmpty()) {
      return Optional.of("its first packet left through no uplink"
          + (t.packets().isEmpty() ? "" : t.packets().get(0).loss().map(l -> ": " + l).orElse("")));
    }
    for (Trace.Packet p : t.packets()) {
      if (!isReply(f, p) && p.uplink().isPresent() && !p.uplink().equals(first)) {
        return Optional.of("packet " + p.number() + " (" + p.description() + ") left through " + p.uplink().get()
            + ", the first through " + first.get());
      }
    }
    return Optional.empty();
  }

  void split(List<Trace> traces, List<Violation> out) {
    List<InterfaceName> ups = active;
    int total = ups.stream().mapToInt(weights::get).sum();
    int maxWeight = ups.stream().mapToInt(weights::get).max().orElse(1);
    int[] counts = new int[ups.size()];
    int seen = 0;
    int lastIndex = -1;
    for (int i = 0; i < traces.size(); i++) {
      Trace t = traces.get(i);
      if (t.result().flow().origin() == Flow.Origin.INBOUND) {
        continue;
      }
      List<InterfaceName> d = designated(t.result().mark());
      if (d.size() != 1) {
        continue;
      }
      if (!ups.contains(d.get(0))) {
        out.add(new Violation(BalancingProperty.SPLIT_BY_WEIGHT, i, t.result().flow(), "its "
            + markText(t.result().mark()) + " designates " + d.get(0) + ", which takes no new connections (the"
            + " active uplinks are " + ups + ")"));
        return;
      }
      counts[ups.indexOf(d.get(0))]++;
      seen++;
      lastIndex = i;
      if (strategy == BalancingCheck.Strategy.NTH) {
        for (int u = 0; u < ups.size(); u++) {
          double expected = seen * (double) weights.get(ups.get(u)) / total;
          if (Math.abs(counts[u] - expected) > maxWeight + 1e-9) {
            out.add(new Violation(BalancingProperty.SPLIT_BY_WEIGHT, i, t.result().flow(),
                "after " + seen + " balanced flows " + ups.get(u) + " has " + counts[u] + ", expected "
                    + fmt(expected) + " +- " + maxWeight + " (weights " + weights + "; counts " + countsText(ups, counts)
                    + "; " + marksText() + ")"));
            return;
          }
        }
      }
    }
    if (strategy == BalancingCheck.Strategy.RANDOM && seen > 0) {
      for (int u = 0; u < ups.size(); u++) {
        // Each count is Binomial(seen, w_u / W) for a correct split. Each uplink gets alpha / uplinks,
        // half on either side, so a correct split fails with at most alpha. (Rules with 31-bit
        // thresholds miss a share by a few 2^-32; a tail P(X > h) moves by seen * P(X = h) per unit
        // of p, so by a vanishing fraction of alpha.)
        double p = weights.get(ups.get(u)) / (double) total;
        BinomialBound bound = BinomialBound.of(seen, p, randomAlpha / ups.size());
        if (!bound.contains(counts[u])) {
          Trace t = traces.get(lastIndex);
          out.add(new Violation(BalancingProperty.SPLIT_BY_WEIGHT, lastIndex, t.result().flow(),
              "after " + seen + " balanced flows " + ups.get(u) + " has " + counts[u] + ", expected " + fmt(seen * p)
                  + ", between " + bound.low() + " and " + bound.high() + " (binomial bounds a correct split leaves"
                  + " with probability " + String.format(Locale.ROOT, "%.1g", randomAlpha) + " over " + ups.size()
                  + " uplinks; weights " + weights + "; counts " + countsText(ups, counts) + ")"));
          return;
        }
      }
    }
  }

  static String countsText(List<InterfaceName> ups, int[] counts) {
    StringBuilder b = new StringBuilder();
    for (int u = 0; u < ups.size(); u++) {
      b.append(u == 0 ? "" : ", ").append(ups.get(u)).append(' ').append(counts[u]);
    }
    return b.toString();
  }

  static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : String.format(Locale.ROOT, "%.2f", d);
  }

  static boolean isReply(Flow f, Trace.Packet p) {
    String opener = switch (f.origin()) {
      case LAN -> "LAN client";
      case ROUTER -> "router";
      case INBOUND -> "remote host";
    };
    return !p.sender().startsWith(opener);
  }

  Optional<String> sticky(Trace t) {
    Optional<InterfaceName> flowUplink = t.result().uplink();
    for (Trace.Packet p : t.packets()) {
      if (p.uplink().isPresent() && flowUplink.isPresent() && !p.uplink().equals(flowUplink)) {
        return Optional.of("packet " + p.number() + " (" + p.description() + ") used " + p.uplink().get()
            + ", the flow's uplink is " + flowUplink.get() + p.loss().map(l -> "; " + l).orElse(""));
      }
      if (p.number() > 1 && p.loss().isPresent()) {
        return Optional.of("a later packet did not keep the flow's path"
            + flowUplink.map(u -> " (uplink " + u + ")").orElse("") + ": " + p.loss().get());
      }
    }
    return Optional.empty();
  }

  Optional<String> egress(Trace t) {
    Flow f = t.result().flow();
    if (f.origin() == Flow.Origin.INBOUND) {
      return Optional.empty();
    }
    List<InterfaceName> d = designated(t.result().mark());
    if (d.size() == 1 && !t.packets().isEmpty()) {
      Trace.Packet first = t.packets().get(0);
      InterfaceName want = d.get(0);
      if (first.uplink().isEmpty()) {
        return Optional.of("its " + markText(t.result().mark()) + " designates " + want + " ("
            + marks.get(want).source() + ") but its first packet never left: " + first.loss().map(Object::toString)
            .orElse("it went to no uplink"));
      }
      if (!first.uplink().get().equals(want)) {
        return Optional.of("it left " + first.uplink().get() + " but its " + markText(t.result().mark())
            + " designates " + want + " (" + marks.get(want).source() + "): the packet mark did not carry the"
            + " uplink mark when the packet was routed; copy the connmark into the packet mark before routing"
            + (f.origin() == Flow.Origin.ROUTER ? " (for router flows in mangle OUTPUT, which re-routes)" : "")
            + first.loss().map(l -> "; " + l).orElse(""));
      }
    }
    for (Trace.Packet p : t.packets()) {
      if (!isReply(f, p) && p.loss().isPresent() && p.loss().get().where().startsWith("provider on ")) {
        return Optional.of("it left without that uplink's source address: " + p.loss().get());
      }
    }
    return Optional.empty();
  }

  Optional<String> lanReplies(Trace t) {
    Flow f = t.result().flow();
    if (f.origin() != Flow.Origin.LAN) {
      return Optional.empty();
    }
    for (Trace.Packet p : t.packets()) {
      if (isReply(f, p) && p.loss().isPresent()) {
        return Optional.of("the reply did not reach the LAN host " + f.client().get() + ": " + p.loss().get());
      }
    }
    return Optional.empty();
  }

  Optional<String> inbound(Trace t) {
    Flow f = t.result().flow();
    if (f.origin() != Flow.Origin.INBOUND) {
      return Optional.empty();
    }
    InterfaceName arrival = f.inboundUplink().get();
    for (Trace.Packet p : t.packets()) {
      if (!isReply(f, p)) {
        continue;
      }
      if (p.uplink().isPresent() && !p.uplink().get().equals(arrival)) {
        return Optional.of("it arrived on " + arrival + " but packet " + p.number() + " (" + p.description()
            + ") was answered through " + p.uplink().get() + p.loss().map(l -> ": " + l).orElse(""));
      }
      if (p.loss().isPresent()) {
        return Optional.of("it arrived on " + arrival + " but the answer was lost: " + p.loss().get());
      }
    }
    return Optional.empty();
  }

  Optional<String> excluded(Trace t) {
    Flow f = t.result().flow();
    if (f.origin() == Flow.Origin.INBOUND) {
      return Optional.empty();
    }
    Optional<String> why = exclusion(f);
    if (why.isEmpty() && nothingElse && !isBalancedTraffic(f)) {
      why = Optional.of("no balanced " + (f.origin() == Flow.Origin.LAN ? "LAN" : "router") + " traffic picks it");
    }
    if (why.isEmpty()) {
      return Optional.empty();
    }
    List<InterfaceName> d = designated(t.result().mark());
    if (!d.isEmpty()) {
      return Optional.of(why.get() + ", but the flow was balanced: its " + markText(t.result().mark())
          + " designates " + d);
    }
    if (strategy == BalancingCheck.Strategy.MULTIPATH) {
      Optional<PolicyRouting.Choice> m = multipathRoute(f);
      if (m.isPresent()) {
        return Optional.of(why.get() + ", but the flow was balanced: its first packet was routed by "
            + m.get().describe());
      }
    }
    return Optional.empty();
  }

  /**
   * Property 12: a flow mlb did not balance (its mark designates no uplink and no multipath route
   * took it) leaves, packet by packet, through the same interface with the same mark as on the
   * router without mlb ({@code base}), as far as both runs go.
   */
  Optional<String> foreignUntouched(Trace t, Trace base) {
    Flow f = t.result().flow();
    if (designated(t.result().mark()).size() == 1
        || strategy == BalancingCheck.Strategy.MULTIPATH && multipathRoute(f).isPresent()) {
      return Optional.empty();
    }
    int n = Math.min(t.packets().size(), base.packets().size());
    for (int i = 0; i < n; i++) {
      Trace.Packet p = t.packets().get(i);
      Trace.Packet b = base.packets().get(i);
      if (!p.uplink().equals(b.uplink()) || !p.mark().equals(b.mark())) {
        return Optional.of("packet " + p.number() + " (" + p.description() + ") " + leaves(p)
            + "; without mlb's rules and routes it " + leaves(b));
      }
    }
    // Only route and mark count: mlb's NAT (masquerade out of the uplinks) may let a flow go on that
    // the providers drop without it, so the flows may have different lengths.
    return Optional.empty();
  }

  private static String leaves(Trace.Packet p) {
    String how = p.mark().isPresent() ? "left the router with mark 0x" + Long.toHexString(p.mark().getAsLong())
        + p.uplink().map(u -> " through " + u).orElse(" into the LAN or to the router") : "did not leave the router";
    return how;
  }
}
