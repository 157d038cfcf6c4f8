package dev.mlb.testkit;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import dev.mlb.iproute.IpRule;
import dev.mlb.iproute.Nexthop;
import dev.mlb.iproute.Route;
import dev.mlb.iproute.RouteProtocol;
import dev.mlb.iproute.RouteType;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.iproute.RoutingTable;
import dev.mlb.iproute.RuleAction;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Policy routing over a {@link RoutingPlan} and the routes the kernel makes for the topology's
 * addresses: rules by priority, selectors, lookup/goto/nop/reject, longest-prefix match,
 * {@code suppress_prefixlength}, route types and multipath.
 */
final class RoutingEngine {

  private static final IpAddress ANY = IpAddress.parse("0.0.0.0");

  /** One rule in evaluation order, with the priority the kernel gives it. */
  record RuleEntry(long priority, IpRule rule) {
    /** {@code ip rule 100 "from all fwmark 0x1 lookup 1"}. */
    String where() {
      String spec = rule.toString();
      String prefix = "priority " + priority + " ";
      if (spec.startsWith(prefix)) {
        spec = spec.substring(prefix.length());
      }
      return "ip rule " + priority + " \"" + spec + "\"";
    }
  }

  /** The outcome of one route lookup. */
  static final class Decision {
    enum Kind { LOCAL, FORWARD, LOSS }

    Kind kind;
    RuleEntry rule;
    Route route;
    String dev;
    Optional<IpAddress> via = Optional.empty();
    /** For losses: where and why. */
    String where;
    String reason;
    long mark;
    /** The rule that last wrote the packet's mark before this lookup, if any. */
    String markWhere;

    /** {@code ip rule 100 "from all fwmark 0x1 lookup 1", route "default via ... table 1"}. */
    String describe() {
      if (rule == null) {
        return where;
      }
      return rule.where() + (route != null ? ", route \"" + route + "\"" : "");
    }
  }

  private final List<RuleEntry> rules = new ArrayList<>();
  private final Map<Long, List<Route>> tables = new HashMap<>();
  /** The rules' selectors as numbers, in evaluation order. */
  private final Selector[] selectors;
  /** Each table's routes with their destinations as numbers, in the order of {@link #tables}. */
  private final Map<Long, RouteEntry[]> compiledTables = new HashMap<>();
  private final Topology topology;

  RoutingEngine(Topology topology, RoutingPlan plan) {
    this.topology = topology;
    // Rules: the kernel's three default rules, then the plan's in order (a plan rule equal to a
    // default one is that rule, not a second copy). A rule without priority gets the priority of
    // the second rule in the list less one, or 0 (the kernel's fib_default_rule_pref).
    List<RuleEntry> defaults = new ArrayList<>(List.of(
        defaultRule(0, RoutingTable.LOCAL), defaultRule(32766, RoutingTable.MAIN),
        defaultRule(32767, RoutingTable.DEFAULT)));
    List<Long> priorities = new ArrayList<>(List.of(0L, 32766L, 32767L));
    List<RuleEntry> planned = new ArrayList<>();
    for (IpRule r : plan.rules()) {
      long prio;
      if (r.priority().isPresent()) {
        prio = r.priority().getAsLong();
      } else {
        prio = priorities.size() >= 2 && priorities.get(1) != 0 ? priorities.get(1) - 1 : 0;
      }
      RuleEntry entry = new RuleEntry(prio, r);
      int same = -1;
      for (int k = 0; k < defaults.size(); k++) {
        RuleEntry d = defaults.get(k);
        if (d.priority() == prio && r.equals(IpRule.builder().priority(prio).protocol(r.protocol())
            .action(((RuleAction.Lookup) d.rule().action())).build())) {
          same = k;
        }
      }
      if (same >= 0) {
        defaults.remove(same);
        planned.add(entry);
        continue;
      }
      planned.add(entry);
      priorities.add(prio);
      priorities.sort(null);
    }
    rules.addAll(defaults);
    rules.addAll(planned);
    // Stable: ties keep the order of addition (the kernel inserts after rules of equal priority).
    rules.sort(Comparator.comparingLong(RuleEntry::priority));

    // Routes the kernel makes for the topology's addresses.
    addConnected(topology.lanInterface(), topology.lanAddress());
    for (Topology.Uplink u : topology.uplinks()) {
      addConnected(u.iface(), u.address());
    }
    for (Route r : plan.routes()) {
      tables.computeIfAbsent(r.table().id(), k -> new ArrayList<>()).add(r);
    }
    selectors = new Selector[rules.size()];
    for (int i = 0; i < rules.size(); i++) {
      selectors[i] = new Selector(rules.get(i).rule());
    }
    tables.forEach((id, routes) -> compiledTables.put(id, routes.stream().map(RouteEntry::new).toArray(RouteEntry[]::new)));
    for (Selector s : selectors) {
      if (s.rule.action() instanceof RuleAction.Lookup l) {
        s.routes = compiledTables.get(l.table().id());
      }
    }
  }

  /** An IPv4 prefix test as numbers; -1 kind: no test, 0: not IPv4 (use the prefix), 1: IPv4. */
  private static boolean prefixTest(int kind, long network, long mask, IpPrefix prefix, IpAddress address) {
    if (kind == 0) {
      return Tuple.contains(prefix, address);
    }
    return address.family() == IpFamily.V4 && ((network ^ address.low()) & mask) == 0;
  }

  private static long v4Mask(int length) {
    return length == 0 ? 0 : (0xFFFF_FFFFL << (32 - length)) & 0xFFFF_FFFFL;
  }

  /** The selector of an ip rule, compiled: what {@code selects} tests, without Optionals. */
  private static final class Selector {
    final IpRule rule;
    final int fromKind;
    final long fromNetwork;
    final long fromMask;
    final int toKind;
    final long toNetwork;
    final long toMask;
    final boolean hasFwmark;
    final long fwmarkValue;
    final long fwmarkMask;
    final String iif;
    final boolean hasOif;
    final int ipproto;
    final int sportFirst;
    final int sportLast;
    final int dportFirst;
    final int dportLast;
    final boolean not;
    /** For a lookup: the table's routes (null if the table has none). */
    RouteEntry[] routes;

    Selector(IpRule r) {
      rule = r;
      IpPrefix from = r.from().orElse(null);
      fromKind = from == null ? -1 : from.family() == IpFamily.V4 ? 1 : 0;
      fromNetwork = from == null ? 0 : from.address().low();
      fromMask = from == null ? 0 : v4Mask(from.length());
      IpPrefix to = r.to().orElse(null);
      toKind = to == null ? -1 : to.family() == IpFamily.V4 ? 1 : 0;
      toNetwork = to == null ? 0 : to.address().low();
      toMask = to == null ? 0 : v4Mask(to.length());
      hasFwmark = r.fwmark().isPresent();
      fwmarkValue = r.fwmark().map(Mark::value).orElse(0L);
      fwmarkMask = r.fwmark().map(Mark::mask).orElse(0L);
      iif = r.iif().map(InterfaceName::name).orElse(null);
      hasOif = r.oif().isPresent();
      ipproto = r.ipproto().map(Protocol::number).orElse(-1);
      sportFirst = r.sport().map(PortRange::first).orElse(0);
      sportLast = r.sport().map(PortRange::last).orElse(65535);
      dportFirst = r.dport().map(PortRange::first).orElse(0);
      dportLast = r.dport().map(PortRange::last).orElse(65535);
      not = r.not();
    }

    boolean test(IpAddress src, IpAddress dst, long mark, String inputInterface, Protocol protocol, int sport,
        int dport) {
      boolean hit = (fromKind < 0 || prefixTest(fromKind, fromNetwork, fromMask, rule.from().get(), src))
          && (toKind < 0 || prefixTest(toKind, toNetwork, toMask, rule.to().get(), dst))
          && (!hasFwmark || (mark & fwmarkMask) == fwmarkValue)
          && (iif == null || iif.equals(inputInterface))
          // No socket is bound to a device, so the flow's output interface is unset: oif never matches.
          && !hasOif
          && (ipproto < 0 || ipproto == protocol.number())
          && (sport >= sportFirst && sport <= sportLast || rule.sport().isEmpty())
          && (dport >= dportFirst && dport <= dportLast || rule.dport().isEmpty());
      return hit != not;
    }
  }

  /** A route with its destination as numbers. */
  private static final class RouteEntry {
    final Route route;
    final boolean v4;
    final long network;
    final long mask;
    final int length;
    final long metric;

    RouteEntry(Route r) {
      route = r;
      v4 = r.family() == IpFamily.V4;
      network = r.destination().address().low();
      mask = v4Mask(r.destination().length());
      length = r.destination().length();
      metric = r.metric().orElse(0);
    }
  }

  private static RuleEntry defaultRule(long prio, RoutingTable table) {
    return new RuleEntry(prio, IpRule.builder().priority(prio).action(RuleAction.lookup(table)).build());
  }

  private void addConnected(InterfaceName dev, IpPrefix address) {
    tables.computeIfAbsent(RoutingTable.MAIN.id(), k -> new ArrayList<>()).add(Route.builder()
        .destination(address.network())
        .dev(dev)
        .protocol(RouteProtocol.KERNEL)
        .src(address.address())
        .build());
    tables.computeIfAbsent(RoutingTable.LOCAL.id(), k -> new ArrayList<>()).add(Route.builder()
        .type(RouteType.LOCAL)
        .destination(IpPrefix.host(address.address()))
        .dev(dev)
        .table(RoutingTable.LOCAL)
        .protocol(RouteProtocol.KERNEL)
        .src(address.address())
        .build());
  }

  /** The rules in evaluation order, the default ones included. */
  List<RuleEntry> rules() {
    return rules;
  }

  /**
   * Looks {@code dst} up as the kernel's fib_rules_lookup does.
   *
   * @param src the source, or null when not yet chosen (matches as 0.0.0.0)
   * @param iif the input interface; {@code lo} for locally generated packets
   */
  Decision lookup(IpAddress src, IpAddress dst, long mark, String iif, Protocol protocol, int sport, int dport,
      List<String> trace) {
    IpAddress from = src == null ? ANY : src;
    Decision d = new Decision();
    d.mark = mark;
    if (trace != null) {
      trace.add("routing: " + (src == null ? "from (not chosen yet)" : "from " + src) + " to " + dst
          + " mark " + NetfilterEngine.hex(mark) + " iif " + iif);
    }
    int i = 0;
    boolean jumped = false;
    while (i < rules.size()) {
      RuleEntry e = rules.get(i);
      IpRule r = e.rule();
      if (!selectors[i].test(from, dst, mark, iif, protocol, sport, dport)) {
        if (trace != null) {
          trace.add("  " + e.where() + ": no match");
        }
        i++;
        continue;
      }
      RuleAction action = r.action();
      if (action instanceof RuleAction.Goto g) {
        int target = -1;
        for (int k = 0; k < rules.size(); k++) {
          if (rules.get(k).priority() == g.priority()) {
            target = k;
            break;
          }
        }
        if (target < 0) {
          if (trace != null) {
            trace.add("  " + e.where() + ": goto a missing priority, ignored");
          }
          i++;
          continue;
        }
        if (target <= i) {
          throw new SimulationException(e.where() + " goes back to priority " + g.priority() + "; the kernel refuses that");
        }
        if (trace != null) {
          trace.add("  " + e.where() + ": match -> goto " + g.priority());
        }
        i = target;
        jumped = true;
        continue;
      }
      if (action instanceof RuleAction.Nop) {
        if (trace != null) {
          trace.add("  " + e.where() + ": match -> nop");
        }
        i++;
        continue;
      }
      if (action instanceof RuleAction.Reject rj) {
        if (trace != null) {
          trace.add("  " + e.where() + ": match -> " + rj.kind());
        }
        d.kind = Decision.Kind.LOSS;
        d.rule = e;
        d.where = e.where();
        d.reason = "the ip rule says " + rj.kind() + " (mark " + NetfilterEngine.hex(mark) + ")";
        return d;
      }
      RuleAction.Lookup lookup = (RuleAction.Lookup) action;
      Route route = longestMatch(selectors[i].routes, dst);
      if (route == null) {
        if (trace != null) {
          trace.add("  " + e.where() + ": match, but table " + lookup.table() + " has no route to " + dst);
        }
        i++;
        continue;
      }
      if (route.type() == RouteType.THROW) {
        if (trace != null) {
          trace.add("  " + e.where() + ": match, route \"" + route + "\" throws: next rule");
        }
        i++;
        continue;
      }
      if (route.type() == RouteType.BLACKHOLE || route.type() == RouteType.UNREACHABLE
          || route.type() == RouteType.PROHIBIT) {
        if (trace != null) {
          trace.add("  " + e.where() + ": match, route \"" + route + "\": " + route.type());
        }
        d.kind = Decision.Kind.LOSS;
        d.rule = e;
        d.route = route;
        d.where = "route \"" + route + "\"";
        d.reason = "the route is " + route.type() + " (chosen by " + e.where() + ", mark "
            + NetfilterEngine.hex(mark) + ")";
        return d;
      }
      if (route.type() != RouteType.UNICAST && route.type() != RouteType.LOCAL) {
        throw new SimulationException("the simulator does not model " + route.type() + " routes (route \""
            + route + "\", reached by " + e.where() + ")");
      }
      int length = route.destination().length();
      if (r.suppressPrefixLength().isPresent() && length <= r.suppressPrefixLength().getAsInt()) {
        if (trace != null) {
          trace.add("  " + e.where() + ": match, route \"" + route + "\" suppressed (prefix length " + length
              + " <= " + r.suppressPrefixLength().getAsInt() + ")");
        }
        i++;
        continue;
      }
      if (r.suppressIfgroup().isPresent() && r.suppressIfgroup().getAsLong() == 0) {
        // Every interface of the topology is in group 0 (the default).
        if (trace != null) {
          trace.add("  " + e.where() + ": match, route \"" + route + "\" suppressed (device in group 0)");
        }
        i++;
        continue;
      }
      d.rule = e;
      d.route = route;
      if (route.type() == RouteType.LOCAL) {
        d.kind = Decision.Kind.LOCAL;
        d.dev = route.dev().map(InterfaceName::name).orElse("lo");
        if (trace != null) {
          trace.add("  " + e.where() + ": match, route \"" + route + "\": local delivery");
        }
        return d;
      }
      d.kind = Decision.Kind.FORWARD;
      Optional<InterfaceName> dev;
      if (!route.nexthops().isEmpty()) {
        Nexthop n = pickNexthop(route, from, dst);
        d.via = n.via();
        dev = n.dev().or(() -> n.via().flatMap(this::deviceOnLink));
        if (trace != null) {
          trace.add("  multipath: hash of (" + from + ", " + dst + ") picks " + n);
        }
      } else {
        d.via = route.via();
        dev = route.dev().or(() -> route.via().flatMap(this::deviceOnLink));
      }
      if (dev.isEmpty()) {
        d.kind = Decision.Kind.LOSS;
        d.where = "route \"" + route + "\"";
        d.reason = (d.via.isPresent() ? "its gateway " + d.via.get() + " is on no link of the topology"
            : "it names no device") + " (chosen by " + e.where() + ")";
        return d;
      }
      d.dev = dev.get().name();
      if (trace != null) {
        trace.add("  " + e.where() + ": match, route \"" + route + "\": out " + d.dev
            + d.via.map(v -> " via " + v).orElse(""));
      }
      return d;
    }
    d.kind = Decision.Kind.LOSS;
    d.where = "routing decision";
    d.reason = "no route to " + dst + " (mark " + NetfilterEngine.hex(mark) + ", iif " + iif
        + "): no ip rule led to a table with a route to it";
    if (trace != null) {
      trace.add("  no rule found a route");
    }
    return d;
  }

  private static Route longestMatch(RouteEntry[] routes, IpAddress dst) {
    if (routes == null) {
      return null;
    }
    RouteEntry best = null;
    for (RouteEntry r : routes) {
      if (!r.v4 || !prefixTest(1, r.network, r.mask, null, dst)) {
        continue;
      }
      if (best == null
          || r.length > best.length
          || (r.length == best.length && r.metric < best.metric)) {
        best = r;
      }
    }
    return best == null ? null : best.route;
  }

  /**
   * The nexthop for (src, dst): a deterministic hash, weighted. The kernel's hash is seeded at boot,
   * so only the distribution of choices can be compared with it, never single choices.
   */
  static Nexthop pickNexthop(Route route, IpAddress src, IpAddress dst) {
    long h = src.low() * 0x9E3779B97F4A7C15L + dst.low() * 0xC2B2AE3D27D4EB4FL;
    h ^= h >>> 31;
    h *= 0xBF58476D1CE4E5B9L;
    h ^= h >>> 29;
    int total = 0;
    for (Nexthop n : route.nexthops()) {
      total += n.weight();
    }
    long bucket = Math.floorMod(h, (long) total);
    for (Nexthop n : route.nexthops()) {
      bucket -= n.weight();
      if (bucket < 0) {
        return n;
      }
    }
    throw new AssertionError();
  }

  private Optional<InterfaceName> deviceOnLink(IpAddress gateway) {
    if (topology.lanAddress().network().contains(gateway)) {
      return Optional.of(topology.lanInterface());
    }
    return topology.uplinkOnLink(gateway).map(Topology.Uplink::iface);
  }
}
