package dev.mlb.testkit.live;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.ParseException;
import dev.mlb.iproute.IpBatchParser;
import dev.mlb.iproute.IpRule;
import dev.mlb.iproute.Nexthop;
import dev.mlb.iproute.Route;
import dev.mlb.iproute.RouteProtocol;
import dev.mlb.iproute.RouteScope;
import dev.mlb.iproute.RouteType;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.iproute.RoutingTable;
import dev.mlb.iproute.RuleAction;
import dev.mlb.testkit.live.ToolRunner.Result;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The interfaces, ip rules and routes of a {@link FakeRouter}, and {@code ip -4|-6 -batch} on them
 * (iproute2 6.1, Linux 6.18). {@link FakeIpJson} prints them as {@code ip -json} does.
 *
 * <p>Checked with iproute2 6.1 on Linux 6.18 in a network namespace, and modelled here:
 * <ul>
 *   <li>{@code ip -batch} runs its lines in order and stops at the first that fails (exit 1,
 *       "Command failed -:N" after the error, N counting every physical line, comments and blank
 *       lines too); with {@code -force} it goes on, and still exits 1.
 *   <li>{@code rule add} of a rule that exists with every attribute equal, a source or destination
 *       it does not name matching any and {@code not} not compared: "RTNETLINK answers: File
 *       exists". Without a priority the kernel gives the priority of the second rule minus one.
 *       {@code rule del} deletes the first rule that has every attribute the command names (a rule
 *       "del priority 502 lookup 5" matches whatever its mark), else "RTNETLINK answers: No such file
 *       or directory". {@code rule flush protocol N} deletes every rule of that protocol but those at
 *       priority 0, and succeeds when there is none. A backward {@code goto}: "Error: Backward goto
 *       not supported."
 *   <li>{@code route add} where a route with the same table, destination and metric exists: "File
 *       exists"; {@code route replace} replaces it. {@code route del} deletes the first route with
 *       that destination in the table (main unless named) that has what the command names (without a
 *       metric, any metric): else "RTNETLINK answers: No such process".
 *   <li>A device that does not exist: {@code Cannot find device "X"}. An IPv4 gateway must be on a
 *       link: a route of scope link or host to it in the route's table (if that exists), or through
 *       the rules, out of the named device if any; else "Error: Nexthop has invalid gateway.". An
 *       IPv6 gateway likewise, else "RTNETLINK answers: No route to host"; a link-local one needs a
 *       device ("Error: Egress device not specified."), a local one is refused ("Error: Gateway can
 *       not be a local address."). The kernel fills in the device of a route via a gateway. A
 *       {@code src} that is not a local address: "Error: Invalid prefsrc address." (IPv6: "Error:
 *       Invalid source address.").
 * </ul>
 */
final class FakeIproute {
  /** An interface of the router: up, with carrier, with its addresses (prefix length kept). */
  record FakeInterface(String name, int index, boolean wireguard, ImmutableList<IpPrefix> addresses) {}

  /** A route and the metric the kernel reports for it (IPv6: 1024 for a route added without one). */
  record FakeRoute(Route route, long metric) {}

  /** A command that failed: what ip prints before "Command failed". */
  static final class CommandError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CommandError(String message) {
      super(message, null, false, false);
    }
  }

  final List<FakeInterface> interfaces = new ArrayList<>();
  final Map<IpFamily, List<IpRule>> rules = new EnumMap<>(IpFamily.class);
  final Map<IpFamily, List<FakeRoute>> routes = new EnumMap<>(IpFamily.class);
  private final FakeSysctl sysctl;

  FakeIproute(FakeSysctl sysctl) {
    this.sysctl = sysctl;
    for (IpFamily f : IpFamily.values()) {
      rules.put(f, new ArrayList<>());
      routes.put(f, new ArrayList<>());
    }
    // Checked: a fresh namespace has rules 0 (local), 32766 (main) and, for IPv4 only, 32767 (default),
    // of protocol kernel, which ip does not print.
    for (IpFamily f : IpFamily.values()) {
      rules.get(f).add(defaultRule(0, RoutingTable.LOCAL));
      rules.get(f).add(defaultRule(32766, RoutingTable.MAIN));
    }
    rules.get(IpFamily.V4).add(defaultRule(32767, RoutingTable.DEFAULT));
    addInterface("lo", false, List.of(IpPrefix.parse("127.0.0.1/8"), IpPrefix.parse("::1/128")));
  }

  private static IpRule defaultRule(long priority, RoutingTable table) {
    return IpRule.builder().priority(priority).action(RuleAction.lookup(table)).protocol(RouteProtocol.KERNEL).build();
  }

  Optional<FakeInterface> iface(String name) {
    return interfaces.stream().filter(i -> i.name().equals(name)).findFirst();
  }

  /**
   * Adds an interface, up, and the routes the kernel makes for its addresses. Checked (veth, IPv6
   * with addrgenmode none and nodad): IPv4 a/len gives "len" dev scope link src a in main (not for
   * lo), "local a" in local (lo: "local" for the whole prefix too) and "broadcast" of the prefix in
   * local when len is below 31; IPv6 a/len gives the prefix dev metric 256 in main and "local a"
   * metric 0 in local, and every interface but lo "multicast ff00::/8" metric 256 in local.
   */
  void addInterface(String name, boolean wireguard, List<IpPrefix> addresses) {
    FakeInterface i = new FakeInterface(name, interfaces.size() + 1, wireguard, ImmutableList.copyOf(addresses));
    interfaces.add(i);
    boolean lo = name.equals("lo");
    InterfaceName dev = InterfaceName.of(name);
    for (IpPrefix a : addresses) {
      IpAddress addr = a.address();
      List<FakeRoute> rs = routes.get(a.family());
      RouteProtocol k = RouteProtocol.KERNEL;
      if (a.family() == IpFamily.V4) {
        if (lo) {
          rs.add(new FakeRoute(Route.builder().type(RouteType.LOCAL).destination(a.network()).dev(dev)
              .table(RoutingTable.LOCAL).protocol(k).src(addr).build(), 0));
        } else if (a.length() < 32) {
          rs.add(new FakeRoute(Route.builder().destination(a.network()).dev(dev).protocol(k).src(addr).build(), 0));
        }
        rs.add(new FakeRoute(Route.builder().type(RouteType.LOCAL).destination(IpPrefix.host(addr)).dev(dev)
            .table(RoutingTable.LOCAL).protocol(k).src(addr).build(), 0));
        if (a.length() < 31) {
          IpAddress broadcast = broadcast(a);
          rs.add(new FakeRoute(Route.builder().type(RouteType.BROADCAST).destination(IpPrefix.host(broadcast))
              .dev(dev).table(RoutingTable.LOCAL).protocol(k).src(addr).build(), 0));
        }
      } else {
        if (!lo && a.length() < 128) {
          rs.add(new FakeRoute(Route.builder().destination(a.network()).dev(dev).protocol(k).build(), 256));
        }
        rs.add(new FakeRoute(Route.builder().type(RouteType.LOCAL).destination(IpPrefix.host(addr)).dev(dev)
            .table(RoutingTable.LOCAL).protocol(k).build(), 0));
      }
    }
    if (!lo && !wireguard) {
      routes.get(IpFamily.V6).add(new FakeRoute(Route.builder().type(RouteType.MULTICAST)
          .destination(IpPrefix.parse("ff00::/8")).dev(dev).table(RoutingTable.LOCAL).protocol(RouteProtocol.KERNEL)
          .build(), 256));
    }
  }

  private static IpAddress broadcast(IpPrefix p) {
    long host = p.length() == 0 ? 0xFFFF_FFFFL : (1L << (32 - p.length())) - 1;
    return IpAddress.v4((int) (p.address().masked(p.length()).low() | host));
  }

  /**
   * The routes of a family as the kernel lists them: the stored ones and, for every interface with
   * IPv6 forwarding on, the subnet-router anycast route of each of its prefixes (checked: setting
   * net.ipv6.conf.all.forwarding=1 adds "anycast 2001:db8:1:: dev eth1 table local proto kernel
   * metric 0"; setting it back removes it).
   */
  List<FakeRoute> listed(IpFamily family) {
    List<FakeRoute> all = new ArrayList<>(routes.get(family));
    if (family == IpFamily.V6) {
      for (FakeInterface i : interfaces) {
        if (!sysctl.ipv6Forwarding(i.name())) {
          continue;
        }
        for (IpPrefix a : i.addresses()) {
          if (a.family() == IpFamily.V6 && a.length() < 127) {
            all.add(new FakeRoute(Route.builder().type(RouteType.ANYCAST).destination(IpPrefix.host(a.network().address()))
                .dev(InterfaceName.of(i.name())).table(RoutingTable.LOCAL).protocol(RouteProtocol.KERNEL).build(), 0));
          }
        }
      }
    }
    all.sort((x, y) -> {
      int c = Long.compare(x.route().table().id(), y.route().table().id());
      if (c == 0) {
        c = x.route().destination().address().compareTo(y.route().destination().address());
      }
      if (c == 0) {
        c = Integer.compare(x.route().destination().length(), y.route().destination().length());
      }
      return c != 0 ? c : Long.compare(x.metric(), y.metric());
    });
    return all;
  }

  /** {@code ip -4|-6 [-force] -batch -}; {@code failLine} (0 for none) is a line the kernel refuses. */
  Result batch(ImmutableList<String> command, IpFamily family, boolean force, String stdin, int failLine) {
    StringBuilder err = new StringBuilder();
    int rc = 0;
    String[] lines = stdin.split("\n", -1);
    int count = stdin.isEmpty() ? 0 : stdin.endsWith("\n") ? lines.length - 1 : lines.length;
    StringBuilder logical = new StringBuilder();
    for (int i = 0; i < count; i++) {
      String line = lines[i];
      int hash = line.indexOf('#');
      boolean comment = hash >= 0;
      if (comment) {
        line = line.substring(0, hash);
      }
      if (!comment && line.endsWith("\\") && i + 1 < count) {
        logical.append(line, 0, line.length() - 1);
        continue;
      }
      logical.append(line);
      String text = logical.toString().strip();
      logical.setLength(0);
      int n = i + 1;
      if (text.isEmpty() && n != failLine) {
        continue;
      }
      try {
        if (n == failLine) {
          throw new CommandError("RTNETLINK answers: Operation not permitted");
        }
        execute(command, family, text);
      } catch (CommandError e) {
        err.append(e.getMessage()).append("\nCommand failed -:").append(n).append('\n');
        rc = 1;
        if (!force) {
          break;
        }
      }
    }
    return new Result(command, rc, "", err.toString());
  }

  private void execute(ImmutableList<String> command, IpFamily family, String text) {
    String[] words = text.split("[ \t]+");
    if (words.length < 2) {
      throw FakeRouter.notModelled(command, "batch line \"" + text + "\"");
    }
    String rest = text.substring(text.indexOf(words[1]) + words[1].length()).strip();
    switch (words[0] + " " + words[1]) {
      case "rule add" -> ruleAdd(family, parseRule(command, family, rest));
      case "rule del", "rule delete" -> ruleDel(family, parseRule(command, family, rest), Set.copyOf(List.of(words)));
      case "rule flush" -> {
        if (words.length != 4 || !(words[2].equals("protocol") || words[2].equals("proto"))) {
          throw FakeRouter.notModelled(command, "\"" + text + "\" (only rule flush protocol N)");
        }
        RouteProtocol p;
        try {
          p = RouteProtocol.parse(words[3]);
        } catch (IllegalArgumentException e) {
          throw new CommandError("Error: argument \"" + words[3] + "\" is wrong: failed to parse rule protocol");
        }
        rules.get(family).removeIf(r -> r.priority().orElse(0) != 0 && protocol(r) == p.number());
      }
      case "route add" -> routeAdd(family, parseRoute(command, family, rest), false);
      case "route replace" -> routeAdd(family, parseRoute(command, family, rest), true);
      case "route del", "route delete" -> routeDel(family, parseRoute(command, family, rest), Set.copyOf(List.of(words)));
      default -> throw FakeRouter.notModelled(command, "batch line \"" + text + "\"");
    }
  }

  private static int protocol(IpRule r) {
    return r.protocol().map(RouteProtocol::number).orElse(0);
  }

  private static IpRule parseRule(ImmutableList<String> command, IpFamily family, String rest) {
    RoutingPlan p = parse(family, "rule add " + rest);
    if (!p.verbatim().isEmpty() || p.rules().size() != 1) {
      throw FakeRouter.notModelled(command, "ip rule " + rest);
    }
    return p.rules().get(0);
  }

  private static Route parseRoute(ImmutableList<String> command, IpFamily family, String rest) {
    RoutingPlan p = parse(family, "route replace " + rest);
    if (!p.verbatim().isEmpty() || p.routes().size() != 1) {
      throw FakeRouter.notModelled(command, "ip route " + rest);
    }
    return p.routes().get(0);
  }

  private static RoutingPlan parse(IpFamily family, String line) {
    try {
      return IpBatchParser.parse("-", line + "\n", family);
    } catch (ParseException e) {
      throw new CommandError("Error: " + e.problem());
    }
  }

  private void ruleAdd(IpFamily family, IpRule r) {
    List<IpRule> list = rules.get(family);
    long priority;
    if (r.priority().isPresent()) {
      priority = r.priority().getAsLong();
    } else {
      priority = list.size() > 1 && list.get(1).priority().orElse(0) > 0 ? list.get(1).priority().getAsLong() - 1 : 0;
      r = withPriority(r, priority);
    }
    if (r.action() instanceof RuleAction.Goto g && g.priority() <= priority) {
      throw new CommandError("Error: Backward goto not supported.");
    }
    for (IpRule o : list) {
      if (exists(o, r)) {
        throw new CommandError("RTNETLINK answers: File exists");
      }
    }
    int at = 0;
    while (at < list.size() && list.get(at).priority().orElse(0) <= priority) {
      at++;
    }
    list.add(at, r);
  }

  /**
   * Whether the kernel takes {@code added} for the existing rule {@code o} (its {@code rule_exists}):
   * every attribute equal, but a source or destination that {@code added} does not name matches any,
   * and {@code not} is not compared. Checked on Linux 6.18: after "from 10.0.0.0/8 lookup 7", adding
   * "lookup 7" or "not from 10.0.0.0/8 lookup 7" at the same priority is "File exists"; after "to
   * 10.0.0.0/8 lookup 7", "lookup 7" too; in the other order both are added; rules that differ only
   * in protocol, ipproto, a port, iif, fwmark or suppress_prefixlength are both added.
   */
  private static boolean exists(IpRule o, IpRule added) {
    return o.priority().equals(added.priority()) && o.action().equals(added.action())
        && protocol(o) == protocol(added)
        && (prefix(added.from()).isEmpty() || prefix(o.from()).equals(prefix(added.from())))
        && (prefix(added.to()).isEmpty() || prefix(o.to()).equals(prefix(added.to())))
        && o.fwmark().equals(added.fwmark()) && o.iif().equals(added.iif()) && o.oif().equals(added.oif())
        && o.ipproto().equals(added.ipproto()) && o.sport().equals(added.sport()) && o.dport().equals(added.dport())
        && o.suppressPrefixLength().equals(added.suppressPrefixLength())
        && o.suppressIfgroup().equals(added.suppressIfgroup());
  }

  /** A rule's source or destination as the kernel keeps it: none for a /0. */
  private static Optional<IpPrefix> prefix(Optional<IpPrefix> p) {
    return p.filter(x -> x.length() > 0);
  }

  /** {@code r} with priority {@code p} (IpRule's builder has no copy: its "from" is ip's keyword). */
  private static IpRule withPriority(IpRule r, long p) {
    return IpRule.builder().priority(p).not(r.not()).from(r.from()).to(r.to()).fwmark(r.fwmark()).iif(r.iif())
        .oif(r.oif()).ipproto(r.ipproto()).sport(r.sport()).dport(r.dport()).action(r.action())
        .suppressPrefixLength(r.suppressPrefixLength()).suppressIfgroup(r.suppressIfgroup()).protocol(r.protocol())
        .build();
  }

  private void ruleDel(IpFamily family, IpRule spec, Set<String> words) {
    boolean action = words.stream().anyMatch(w -> Set.of("lookup", "table", "goto", "nop", "unreachable", "blackhole",
        "prohibit", "type").contains(w));
    boolean priority = words.stream().anyMatch(w -> Set.of("priority", "preference", "pref", "prio", "order").contains(w));
    boolean protocol = words.contains("protocol") || words.contains("proto");
    List<IpRule> list = rules.get(family);
    for (IpRule r : list) {
      if ((!priority || r.priority().equals(spec.priority()))
          && (!action || r.action().equals(spec.action()))
          && (!protocol || protocol(r) == protocol(spec))
          && (!spec.not() || r.not())
          && (spec.from().isEmpty() || r.from().equals(spec.from()))
          && (spec.to().isEmpty() || r.to().equals(spec.to()))
          && (spec.fwmark().isEmpty() || r.fwmark().equals(spec.fwmark()))
          && (spec.iif().isEmpty() || r.iif().equals(spec.iif()))
          && (spec.oif().isEmpty() || r.oif().equals(spec.oif()))
          && (spec.ipproto().isEmpty() || r.ipproto().equals(spec.ipproto()))
          && (spec.sport().isEmpty() || r.sport().equals(spec.sport()))
          && (spec.dport().isEmpty() || r.dport().equals(spec.dport()))
          && (spec.suppressPrefixLength().isEmpty() || r.suppressPrefixLength().equals(spec.suppressPrefixLength()))
          && (spec.suppressIfgroup().isEmpty() || r.suppressIfgroup().equals(spec.suppressIfgroup()))) {
        list.remove(r);
        return;
      }
    }
    throw new CommandError("RTNETLINK answers: No such file or directory");
  }

  private void routeAdd(IpFamily family, Route r, boolean replace) {
    r = checked(family, r);
    long metric = r.metric().orElse(family == IpFamily.V6 ? 1024 : 0);
    if (family == IpFamily.V6 && metric == 0) {
      metric = 1024;
    }
    FakeRoute added = new FakeRoute(Route.builder().from(r).metric(OptionalLong.empty()).line(java.util.OptionalInt.empty())
        .build(), metric);
    List<FakeRoute> list = routes.get(family);
    for (int i = 0; i < list.size(); i++) {
      FakeRoute old = list.get(i);
      if (old.route().table().equals(r.table()) && old.route().destination().equals(r.destination())
          && old.metric() == metric) {
        if (!replace) {
          throw new CommandError("RTNETLINK answers: File exists");
        }
        list.set(i, added);
        return;
      }
    }
    list.add(added);
  }

  /** The route as the kernel keeps it, devices of gateways filled in; or the kernel's refusal. */
  private Route checked(IpFamily family, Route r) {
    if (!r.destination().isNetwork()) {
      if (family == IpFamily.V4) {
        throw new CommandError("Error: Invalid prefix for given prefix length.");
      }
      r = Route.builder().from(r).destination(r.destination().network()).build();
    }
    for (InterfaceName d : devices(r)) {
      if (iface(d.name()).isEmpty()) {
        throw new CommandError("Cannot find device \"" + d.name() + "\"");
      }
    }
    if (r.src().isPresent() && !isLocal(r.src().get())) {
      throw new CommandError(family == IpFamily.V4 ? "Error: Invalid prefsrc address." : "Error: Invalid source address.");
    }
    if (r.via().isPresent()) {
      Optional<InterfaceName> dev = gateway(family, r.via().get(), r.dev(), r.onlink(), r.table());
      return Route.builder().from(r).dev(dev).build();
    }
    if (!r.nexthops().isEmpty()) {
      List<Nexthop> hops = new ArrayList<>();
      for (Nexthop h : r.nexthops()) {
        Optional<InterfaceName> dev = h.via().isPresent() ? gateway(family, h.via().get(), h.dev(), h.onlink(), r.table())
            : h.dev();
        hops.add(new Nexthop(h.via(), dev, h.weight(), h.onlink()));
      }
      return Route.builder().from(r).nexthops(hops).build();
    }
    return r;
  }

  private static List<InterfaceName> devices(Route r) {
    List<InterfaceName> out = new ArrayList<>();
    r.dev().ifPresent(out::add);
    r.nexthops().forEach(h -> h.dev().ifPresent(out::add));
    return out;
  }

  private boolean isLocal(IpAddress a) {
    return interfaces.stream().anyMatch(i -> i.addresses().stream().anyMatch(p -> p.address().equals(a)));
  }

  /** Checks a gateway as fib_check_nh / ip6_validate_gw do; returns the device it is reached through. */
  private Optional<InterfaceName> gateway(IpFamily family, IpAddress gw, Optional<InterfaceName> dev, boolean onlink,
      RoutingTable table) {
    if (family == IpFamily.V6) {
      if (isLocal(gw)) {
        throw new CommandError("Error: Gateway can not be a local address.");
      }
      if (IpPrefix.parse("fe80::/10").contains(gw)) {
        if (dev.isEmpty()) {
          throw new CommandError("Error: Egress device not specified.");
        }
        return dev;
      }
    } else if (onlink) {
      if (dev.isEmpty()) {
        throw new CommandError("Error: Nexthop device required for onlink.");
      }
      return dev;
    }
    Optional<FakeRoute> found = FakeFib.gatewayRoute(this, family, gw, dev, table);
    String refused = family == IpFamily.V4 ? "Error: Nexthop has invalid gateway." : "RTNETLINK answers: No route to host";
    if (found.isEmpty()) {
      throw new CommandError(refused);
    }
    Route via = found.get().route();
    if (via.type() != RouteType.UNICAST && via.type() != RouteType.LOCAL) {
      throw new CommandError(refused);
    }
    return via.dev().isPresent() ? via.dev() : dev;
  }

  private void routeDel(IpFamily family, Route spec, Set<String> words) {
    boolean typed = words.stream().anyMatch(w -> Set.of("unicast", "local", "broadcast", "anycast", "multicast",
        "blackhole", "unreachable", "prohibit", "throw").contains(w));
    boolean metric = words.contains("metric") || words.contains("priority") || words.contains("preference");
    boolean protocol = words.contains("proto") || words.contains("protocol");
    boolean scope = words.contains("scope");
    long wantedMetric = spec.metric().orElse(family == IpFamily.V6 ? 1024 : 0);
    List<FakeRoute> list = routes.get(family);
    for (FakeRoute f : list) {
      Route r = f.route();
      if (r.table().equals(spec.table()) && r.destination().equals(spec.destination().network())
          && (!typed || r.type() == spec.type())
          && (!metric || f.metric() == wantedMetric)
          && (!protocol || r.protocol().equals(spec.protocol()))
          && (!scope || r.effectiveScope().equals(spec.effectiveScope()))
          && (spec.via().isEmpty() || r.via().equals(spec.via()))
          && (spec.dev().isEmpty() || r.dev().equals(spec.dev()))
          && (spec.src().isEmpty() || r.src().equals(spec.src()))
          && (spec.nexthops().isEmpty() || sameHops(r.nexthops(), spec.nexthops()))) {
        list.remove(f);
        return;
      }
    }
    throw new CommandError("RTNETLINK answers: No such process");
  }

  private static boolean sameHops(List<Nexthop> have, List<Nexthop> want) {
    if (have.size() != want.size()) {
      return false;
    }
    for (int i = 0; i < have.size(); i++) {
      Nexthop h = have.get(i);
      Nexthop w = want.get(i);
      if (w.via().isPresent() && !w.via().equals(h.via()) || w.dev().isPresent() && !w.dev().equals(h.dev())
          || w.weight() != h.weight()) {
        return false;
      }
    }
    return true;
  }

  /** Scope constants for {@link FakeFib}. */
  static boolean linkScope(Route r) {
    return r.effectiveScope().number() >= RouteScope.LINK.number();
  }
}
