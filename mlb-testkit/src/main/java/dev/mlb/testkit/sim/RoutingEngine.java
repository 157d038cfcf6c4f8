package dev.mlb.testkit.sim;

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
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Policy routing over a {@link RoutingPlan} and the routes the kernel makes for the topology's
 * addresses: rules by priority, selectors, lookup/goto/nop/reject, longest-prefix match,
 * {@code suppress_prefixlength}, route types and multipath.
 *
 * <p>A traced lookup walks the plan's rules and routes themselves and says what each did. An
 * untraced one walks the same rules compiled ({@link Selector}: selectors as numbers, the action
 * as a code, a goto's target as an index, devices as {@link Devices} numbers) and each table's
 * routes ordered for longest-prefix match (longest first, then lowest metric, then the order of
 * addition), so that the first route containing the destination is the one the traced walk
 * picks; it can fill a {@link Decision} the caller reuses. Both give the same decision.
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
    /** The {@link Devices} number of {@link #dev}. */
    int devId;
    Optional<IpAddress> via = Optional.empty();
    /** For losses: where and why. */
    String where;
    String reason;
    long mark;
    /** The rule that last wrote the packet's mark before this lookup, if any. */
    String markWhere;

    /** Makes this a fresh decision for a lookup with {@code mark}, to be reused. */
    Decision reset(long mark) {
      kind = null;
      rule = null;
      route = null;
      dev = null;
      devId = Devices.NONE;
      via = Optional.empty();
      where = null;
      reason = null;
      this.mark = mark;
      markWhere = null;
      return this;
    }

    /** {@code ip rule 100 "from all fwmark 0x1 lookup 1", route "default via ... table 1"}. */
    String describe() {
      if (rule == null) {
        return where;
      }
      return rule.where() + (route != null ? ", route \"" + route + "\"" : "");
    }
  }

  /** What a rule does, as {@link Selector#action} codes. */
  private static final int LOOKUP = 0;
  private static final int GOTO = 1;
  private static final int NOP = 2;
  private static final int REJECT = 3;

  private final List<RuleEntry> rules = new ArrayList<>();
  private final Map<Long, List<Route>> tables = new HashMap<>();
  private final Devices devices;
  /** The rules' selectors as numbers, in evaluation order. */
  private final Selector[] selectors;
  /** {@link #rules} as an array, for the untraced lookup. */
  private final RuleEntry[] ruleArray;
  /** Each table's routes with their destinations as numbers, in the order of {@link #tables}. */
  private final Map<Long, RouteEntry[]> compiledTables = new HashMap<>();
  private final Topology topology;

  RoutingEngine(Topology topology, RoutingPlan plan) {
    this(topology, plan, new Devices());
  }

  /** An engine numbering devices with {@code devices}, shared with the caller. */
  RoutingEngine(Topology topology, RoutingPlan plan, Devices devices) {
    this.topology = topology;
    this.devices = devices;
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
    ruleArray = rules.toArray(new RuleEntry[0]);
    selectors = new Selector[rules.size()];
    for (int i = 0; i < rules.size(); i++) {
      selectors[i] = new Selector(rules.get(i).rule(), devices);
    }
    Map<Long, RouteEntry[]> longestFirst = new HashMap<>();
    tables.forEach((id, routes) -> {
      RouteEntry[] entries = routes.stream().map(r -> new RouteEntry(r, devices)).toArray(RouteEntry[]::new);
      compiledTables.put(id, entries);
      // Stable: routes of equal length and metric keep their order, as longestMatch picks the first.
      RouteEntry[] sorted = entries.clone();
      Arrays.sort(sorted, Comparator.comparingInt((RouteEntry e) -> -e.length).thenComparingLong(e -> e.metric));
      longestFirst.put(id, sorted);
    });
    for (int i = 0; i < selectors.length; i++) {
      Selector s = selectors[i];
      if (s.rule.action() instanceof RuleAction.Lookup l) {
        s.routes = compiledTables.get(l.table().id());
        s.longestFirst = longestFirst.get(l.table().id());
        if (s.longestFirst != null) {
          s.networks = new long[s.longestFirst.length];
          s.masks = new long[s.longestFirst.length];
          for (int k = 0; k < s.longestFirst.length; k++) {
            RouteEntry e = s.longestFirst[k];
            s.networks[k] = e.v4 ? e.network & e.mask : -1;
            s.masks[k] = e.v4 ? e.mask : -1;
          }
        }
      } else if (s.rule.action() instanceof RuleAction.Goto g) {
        s.gotoIndex = -1;
        for (int k = 0; k < rules.size(); k++) {
          if (rules.get(k).priority() == g.priority()) {
            s.gotoIndex = k;
            break;
          }
        }
      }
    }
  }

  /** An IPv4 prefix test as numbers; -1 kind: no test, 0: not IPv4 (use the prefix), 1: IPv4. */
  private static boolean prefixTest(int kind, long network, long mask, IpPrefix prefix, IpAddress address) {
    if (kind == 0) {
      return Prefixes.contains(prefix, address);
    }
    return address.family() == IpFamily.V4 && ((network ^ address.low()) & mask) == 0;
  }

  private static long v4Mask(int length) {
    return length == 0 ? 0 : (0xFFFF_FFFFL << (32 - length)) & 0xFFFF_FFFFL;
  }

  /** The selector of an ip rule, compiled: what {@code selects} tests, without Optionals. */
  private static final class Selector {
    final IpRule rule;
    /** The rule's prefixes, or null (kept: the rule's accessors make a new Optional each call). */
    final IpPrefix from;
    final IpPrefix to;
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
    /** The {@link Devices} number of {@link #iif}; -1 without iif. */
    final int iifId;
    final boolean hasOif;
    final int ipproto;
    final boolean hasSport;
    final int sportFirst;
    final int sportLast;
    final boolean hasDport;
    final int dportFirst;
    final int dportLast;
    final boolean not;
    /** Whether the rule has no selector at all ({@code from all}). */
    final boolean selectsAll;
    /** {@link #LOOKUP}, {@link #GOTO}, {@link #NOP} or {@link #REJECT}. */
    final int action;
    /** {@code suppress_prefixlength}, or -1. */
    final int suppressPrefixLength;
    /** Whether the rule has {@code suppress_ifgroup 0} (every device of the topology is in group 0). */
    final boolean suppressGroupZero;
    /** For a lookup: the table's routes (null if the table has none). */
    RouteEntry[] routes;
    /** For a lookup: the table's routes, longest prefix first (see the class javadoc); null if none. */
    RouteEntry[] longestFirst;
    /**
     * The networks and masks of {@link #longestFirst}, side by side for the scan; a route that is
     * not IPv4 has network and mask -1, which no IPv4 address matches.
     */
    long[] networks;
    long[] masks;
    /** For a goto: the index of the first rule with the target priority, or -1 if there is none. */
    int gotoIndex = -1;

    Selector(IpRule r, Devices devices) {
      rule = r;
      from = r.from().orElse(null);
      fromKind = from == null ? -1 : from.family() == IpFamily.V4 ? 1 : 0;
      fromNetwork = from == null ? 0 : from.address().low();
      fromMask = from == null ? 0 : v4Mask(from.length());
      to = r.to().orElse(null);
      toKind = to == null ? -1 : to.family() == IpFamily.V4 ? 1 : 0;
      toNetwork = to == null ? 0 : to.address().low();
      toMask = to == null ? 0 : v4Mask(to.length());
      hasFwmark = r.fwmark().isPresent();
      fwmarkValue = r.fwmark().map(Mark::value).orElse(0L);
      fwmarkMask = r.fwmark().map(Mark::mask).orElse(0L);
      iif = r.iif().map(InterfaceName::name).orElse(null);
      iifId = iif == null ? -1 : devices.id(iif);
      hasOif = r.oif().isPresent();
      ipproto = r.ipproto().map(Protocol::number).orElse(-1);
      hasSport = r.sport().isPresent();
      sportFirst = r.sport().map(PortRange::first).orElse(0);
      sportLast = r.sport().map(PortRange::last).orElse(65535);
      hasDport = r.dport().isPresent();
      dportFirst = r.dport().map(PortRange::first).orElse(0);
      dportLast = r.dport().map(PortRange::last).orElse(65535);
      not = r.not();
      selectsAll = fromKind < 0 && toKind < 0 && !hasFwmark && iif == null && !hasOif && ipproto < 0 && !hasSport
          && !hasDport;
      RuleAction a = r.action();
      action = a instanceof RuleAction.Goto ? GOTO : a instanceof RuleAction.Nop ? NOP
          : a instanceof RuleAction.Reject ? REJECT : LOOKUP;
      suppressPrefixLength = r.suppressPrefixLength().orElse(-1);
      suppressGroupZero = r.suppressIfgroup().isPresent() && r.suppressIfgroup().getAsLong() == 0;
    }

    /** {@link #test} with the input interface and protocol as numbers. */
    boolean test(IpAddress src, IpAddress dst, long mark, int inputInterface, int protocol, int sport, int dport) {
      if (selectsAll) {
        return !not;
      }
      // The number tests first, the prefixes last; all of them have to hold.
      boolean hit = (!hasFwmark || (mark & fwmarkMask) == fwmarkValue)
          && (iifId < 0 || iifId == inputInterface)
          && !hasOif
          && (ipproto < 0 || ipproto == protocol)
          && (!hasSport || sport >= sportFirst && sport <= sportLast)
          && (!hasDport || dport >= dportFirst && dport <= dportLast)
          && (toKind < 0 || prefixTest(toKind, toNetwork, toMask, to, dst))
          && (fromKind < 0 || prefixTest(fromKind, fromNetwork, fromMask, from, src));
      return hit != not;
    }

    boolean test(IpAddress src, IpAddress dst, long mark, String inputInterface, Protocol protocol, int sport,
        int dport) {
      boolean hit = (fromKind < 0 || prefixTest(fromKind, fromNetwork, fromMask, from, src))
          && (toKind < 0 || prefixTest(toKind, toNetwork, toMask, to, dst))
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

  /**
   * A route with its destination as numbers, and for the untraced lookup its device (named, or
   * the link of its gateway; null if neither), or its nexthops' devices and weights.
   */
  private final class RouteEntry {
    final Route route;
    final RouteType type;
    final boolean v4;
    final long network;
    final long mask;
    final int length;
    final long metric;
    final String dev;
    final int devId;
    /** The route's gateway (kept: the route's accessor makes a new Optional each call). */
    final Optional<IpAddress> via;
    final Nexthop[] nexthops;
    final int[] weights;
    final String[] nexthopDevs;
    final int[] nexthopDevIds;

    RouteEntry(Route r, Devices devices) {
      route = r;
      type = r.type();
      v4 = r.family() == IpFamily.V4;
      network = r.destination().address().low();
      mask = v4Mask(r.destination().length());
      length = r.destination().length();
      metric = r.metric().orElse(0);
      if (type == RouteType.LOCAL) {
        dev = r.dev().map(InterfaceName::name).orElse("lo");
      } else {
        dev = r.dev().or(() -> r.via().flatMap(RoutingEngine.this::deviceOnLink)).map(InterfaceName::name).orElse(null);
      }
      devId = devices.id(dev);
      via = r.via();
      nexthops = r.nexthops().toArray(new Nexthop[0]);
      weights = new int[nexthops.length];
      nexthopDevs = new String[nexthops.length];
      nexthopDevIds = new int[nexthops.length];
      for (int k = 0; k < nexthops.length; k++) {
        Nexthop n = nexthops[k];
        weights[k] = n.weight();
        nexthopDevs[k] = n.dev().or(() -> n.via().flatMap(RoutingEngine.this::deviceOnLink))
            .map(InterfaceName::name).orElse(null);
        nexthopDevIds[k] = devices.id(nexthopDevs[k]);
      }
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
    if (trace == null) {
      return lookup(new Decision(), src, dst, mark, devices.id(iif), protocol.number(), sport, dport);
    }
    Decision d = traced(src, dst, mark, iif, protocol, sport, dport, trace);
    d.devId = devices.id(d.dev);
    return d;
  }

  /**
   * The untraced lookup: {@link #lookup(IpAddress, IpAddress, long, String, Protocol, int, int, List)}
   * over the compiled rules and routes, into {@code d} (reset first), with the input interface and
   * the protocol as numbers.
   */
  Decision lookup(Decision d, IpAddress src, IpAddress dst, long mark, int iif, int protocol, int sport,
      int dport) {
    IpAddress from = src == null ? ANY : src;
    d.reset(mark);
    Selector[] selectors = this.selectors;
    int i = 0;
    while (i < selectors.length) {
      Selector s = selectors[i];
      if (!s.test(from, dst, mark, iif, protocol, sport, dport)) {
        i++;
        continue;
      }
      switch (s.action) {
        case GOTO -> {
          if (s.gotoIndex < 0) {
            i++;
            continue;
          }
          if (s.gotoIndex <= i) {
            throw new SimulationException(ruleArray[i].where() + " goes back to priority "
                + ((RuleAction.Goto) s.rule.action()).priority() + "; the kernel refuses that");
          }
          i = s.gotoIndex;
          continue;
        }
        case NOP -> {
          i++;
          continue;
        }
        case REJECT -> {
          RuleEntry e = ruleArray[i];
          d.kind = Decision.Kind.LOSS;
          d.rule = e;
          d.where = e.where();
          d.reason = "the ip rule says " + ((RuleAction.Reject) s.rule.action()).kind() + " (mark "
              + NetfilterEngine.hex(mark) + ")";
          return d;
        }
        default -> {
          // LOOKUP, below
        }
      }
      RouteEntry r = firstContaining(s, dst);
      if (r == null || r.type == RouteType.THROW) {
        i++;
        continue;
      }
      if (r.type == RouteType.BLACKHOLE || r.type == RouteType.UNREACHABLE || r.type == RouteType.PROHIBIT) {
        RuleEntry e = ruleArray[i];
        d.kind = Decision.Kind.LOSS;
        d.rule = e;
        d.route = r.route;
        d.where = "route \"" + r.route + "\"";
        d.reason = "the route is " + r.type + " (chosen by " + e.where() + ", mark " + NetfilterEngine.hex(mark) + ")";
        return d;
      }
      if (r.type != RouteType.UNICAST && r.type != RouteType.LOCAL) {
        throw new SimulationException("the simulator does not model " + r.type + " routes (route \""
            + r.route + "\", reached by " + ruleArray[i].where() + ")");
      }
      if (r.length <= s.suppressPrefixLength || s.suppressGroupZero) {
        i++;
        continue;
      }
      d.rule = ruleArray[i];
      d.route = r.route;
      if (r.type == RouteType.LOCAL) {
        d.kind = Decision.Kind.LOCAL;
        d.dev = r.dev;
        d.devId = r.devId;
        return d;
      }
      d.kind = Decision.Kind.FORWARD;
      String dev;
      int devId;
      if (r.nexthops.length > 0) {
        int k = pickNexthop(r.weights, from, dst);
        d.via = r.nexthops[k].via();
        dev = r.nexthopDevs[k];
        devId = r.nexthopDevIds[k];
      } else {
        d.via = r.via;
        dev = r.dev;
        devId = r.devId;
      }
      if (dev == null) {
        d.kind = Decision.Kind.LOSS;
        d.where = "route \"" + r.route + "\"";
        d.reason = (d.via.isPresent() ? "its gateway " + d.via.get() + " is on no link of the topology"
            : "it names no device") + " (chosen by " + d.rule.where() + ")";
        return d;
      }
      d.dev = dev;
      d.devId = devId;
      return d;
    }
    d.kind = Decision.Kind.LOSS;
    d.where = "routing decision";
    d.reason = "no route to " + dst + " (mark " + NetfilterEngine.hex(mark) + ", iif " + devices.name(iif)
        + "): no ip rule led to a table with a route to it";
    return d;
  }

  /** The first route of the lookup's table, longest first, whose destination contains {@code dst}: the longest match. */
  private static RouteEntry firstContaining(Selector lookup, IpAddress dst) {
    long[] networks = lookup.networks;
    if (networks == null || dst.family() != IpFamily.V4) {
      return null;
    }
    long[] masks = lookup.masks;
    long address = dst.low();
    for (int k = 0; k < networks.length; k++) {
      if ((address & masks[k]) == networks[k]) {
        return lookup.longestFirst[k];
      }
    }
    return null;
  }

  /** The traced lookup: the plan's rules and routes themselves, each step said in {@code trace}. */
  private Decision traced(IpAddress src, IpAddress dst, long mark, String iif, Protocol protocol, int sport,
      int dport, List<String> trace) {
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
    List<Nexthop> nexthops = route.nexthops();
    int[] weights = new int[nexthops.size()];
    for (int k = 0; k < weights.length; k++) {
      weights[k] = nexthops.get(k).weight();
    }
    return nexthops.get(pickNexthop(weights, src, dst));
  }

  /** The index of the nexthop for (src, dst) among nexthops of these weights. */
  private static int pickNexthop(int[] weights, IpAddress src, IpAddress dst) {
    long h = src.low() * 0x9E3779B97F4A7C15L + dst.low() * 0xC2B2AE3D27D4EB4FL;
    h ^= h >>> 31;
    h *= 0xBF58476D1CE4E5B9L;
    h ^= h >>> 29;
    int total = 0;
    for (int w : weights) {
      total += w;
    }
    long bucket = Math.floorMod(h, (long) total);
    for (int k = 0; k < weights.length; k++) {
      bucket -= weights[k];
      if (bucket < 0) {
        return k;
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
