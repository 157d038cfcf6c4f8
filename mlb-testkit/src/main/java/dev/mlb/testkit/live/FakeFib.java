package dev.mlb.testkit.live;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.iproute.IpRule;
import dev.mlb.iproute.Route;
import dev.mlb.iproute.RouteType;
import dev.mlb.iproute.RoutingTable;
import dev.mlb.iproute.RuleAction;
import dev.mlb.testkit.live.FakeIproute.FakeRoute;
import java.util.List;
import java.util.Optional;

/**
 * The lookup the kernel makes to check a route's gateway (IPv4 {@code fib_check_nh_v4_gw}, IPv6
 * {@code ip6_route_check_nh}): the gateway must be reachable without another gateway.
 *
 * <p>First in the route's own table, if that table exists and is not main; if nothing is found there,
 * through the rules, for a packet to the gateway from this host ({@code iif lo}, mark 0, no source,
 * out of the route's device if it names one). In a table only routes that lead straight onto a link
 * count: IPv4 routes of scope link or host (the kernel asks for scope link), IPv6 routes without a
 * gateway other than the default route; with a device, only routes out of it. The longest prefix
 * wins, then the lowest metric.
 */
final class FakeFib {
  private FakeFib() {}

  static Optional<FakeRoute> gatewayRoute(FakeIproute ip, IpFamily family, IpAddress gw, Optional<InterfaceName> dev,
      RoutingTable table) {
    List<FakeRoute> routes = ip.listed(family);
    if (!table.equals(RoutingTable.MAIN) && routes.stream().anyMatch(r -> r.route().table().equals(table))) {
      Optional<FakeRoute> r = best(routes, family, table, gw, dev);
      if (r.isPresent()) {
        return r;
      }
    }
    List<IpRule> rules = ip.rules.get(family);
    for (int i = 0; i < rules.size(); i++) {
      IpRule rule = rules.get(i);
      if (!matches(rule, gw, dev) ) {
        continue;
      }
      RuleAction a = rule.action();
      if (a instanceof RuleAction.Lookup l) {
        Optional<FakeRoute> r = best(routes, family, l.table(), gw, dev);
        if (r.isEmpty() || r.get().route().type() == RouteType.THROW) {
          continue;
        }
        if (rule.suppressPrefixLength().isPresent()
            && r.get().route().destination().length() <= rule.suppressPrefixLength().getAsInt()) {
          continue;
        }
        return r;
      } else if (a instanceof RuleAction.Goto g) {
        int target = -1;
        for (int j = i + 1; j < rules.size(); j++) {
          if (rules.get(j).priority().orElse(0) == g.priority()) {
            target = j;
            break;
          }
        }
        if (target >= 0) {
          i = target - 1;
        }
      } else if (a instanceof RuleAction.Reject) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** Whether a rule's selector takes the kernel's probe packet to {@code gw}. */
  private static boolean matches(IpRule r, IpAddress gw, Optional<InterfaceName> dev) {
    IpAddress none = IpPrefix.any(gw.family()).address();
    boolean m = r.from().map(p -> p.contains(none)).orElse(true)
        && r.to().map(p -> p.contains(gw)).orElse(true)
        && r.fwmark().map(f -> f.matches(0)).orElse(true)
        && r.iif().map(i -> i.name().equals("lo")).orElse(true)
        && r.oif().map(o -> dev.isPresent() && o.equals(dev.get())).orElse(true)
        && r.ipproto().isEmpty() && r.sport().isEmpty() && r.dport().isEmpty();
    return m != r.not();
  }

  private static Optional<FakeRoute> best(List<FakeRoute> routes, IpFamily family, RoutingTable table, IpAddress gw,
      Optional<InterfaceName> dev) {
    FakeRoute best = null;
    for (FakeRoute f : routes) {
      Route r = f.route();
      if (!r.table().equals(table) || !r.destination().contains(gw)) {
        continue;
      }
      if (family == IpFamily.V4 ? !FakeIproute.linkScope(r)
          : r.via().isPresent() || !r.nexthops().isEmpty() || r.destination().length() == 0) {
        continue;
      }
      if (dev.isPresent() && !r.dev().equals(dev)) {
        continue;
      }
      if (best == null || r.destination().length() > best.route().destination().length()
          || r.destination().length() == best.route().destination().length() && f.metric() < best.metric()) {
        best = f;
      }
    }
    return Optional.ofNullable(best);
  }
}
