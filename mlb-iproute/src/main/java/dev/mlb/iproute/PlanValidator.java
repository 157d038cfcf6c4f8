package dev.mlb.iproute;

import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.PortRange;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** The checks behind {@link RoutingPlan#validate()}. */
final class PlanValidator {
  private final RoutingPlan plan;
  private final List<Finding> findings = new ArrayList<>();
  /**
   * By table, the indexes of the routes that can shadow a gateway (scope link or host, neither
   * unicast nor local), in plan order; made on first use. Most plans have none, so a plan of many
   * routes is checked in linear time.
   */
  private Map<RoutingTable, List<Integer>> shadowing;

  private PlanValidator(RoutingPlan plan) {
    this.plan = plan;
  }

  static List<Finding> validate(RoutingPlan plan) {
    PlanValidator v = new PlanValidator(plan);
    v.routes(); // in the order the batch has them: routes, then rules
    v.rules();
    v.other();
    List<Finding> out = new ArrayList<>(v.findings);
    out.sort(Comparator.comparing(Finding::severity)); // stable: batch order within a severity
    return List.copyOf(out);
  }

  static String where(IpRule r, int index) {
    return line(r.line()) + "rule " + (index + 1)
        + r.priority().stream().mapToObj(p -> " (priority " + p + ")").findFirst().orElse(" (no priority)");
  }

  static String where(Route r, int index) {
    return line(r.line()) + "route " + (index + 1) + " ("
        + (r.destination().length() == 0 ? "default" : IpBatchWriter.prefix(r.destination()))
        + " table " + r.table() + ")";
  }

  private static String line(OptionalInt line) {
    return line.isPresent() ? "line " + line.getAsInt() + ", " : "";
  }

  private void error(String code, String where, String message) {
    findings.add(Finding.error(code, where, message));
  }

  private void warning(String code, String where, String message) {
    findings.add(Finding.warning(code, where, message));
  }

  private void family(String where, String what, IpFamily family, Object value) {
    if (family != plan.family()) {
      error(
          "family-mismatch",
          where,
          what + " " + value + " is " + name(family) + " but the plan is " + name(plan.family()));
    }
  }

  private static String name(IpFamily f) {
    return f == IpFamily.V4 ? "IPv4" : "IPv6";
  }

  private void rules() {
    List<IpRule> rules = plan.rules();
    Optional<Integer> maskedAt = Optional.empty();
    for (int i = 0; i < rules.size(); i++) {
      if (rules.get(i).fwmark().filter(m -> !m.isFullMask()).isPresent()) {
        maskedAt = Optional.of(i);
        break;
      }
    }
    for (int i = 0; i < rules.size(); i++) {
      IpRule r = rules.get(i);
      String w = where(r, i);
      r.from().ifPresent(p -> family(w, "from", p.family(), p));
      r.to().ifPresent(p -> family(w, "to", p.family(), p));
      for (Optional<InterfaceName> dev : List.of(r.iif(), r.oif())) {
        dev.ifPresent(d -> unwritable(w, d));
        dev.filter(InterfaceName::isWildcard)
            .ifPresent(
                d -> error("interface-wildcard", w,
                    "interface \"" + d + "\" ends in '+', but ip rule takes one literal interface name"));
      }
      for (Optional<PortRange> ports : List.of(r.sport(), r.dport())) {
        ports.filter(p -> p.first() == 0 || p.last() == 65535)
            .ifPresent(p -> error("rule-port-range", w,
                (ports == r.sport() ? "sport " : "dport ") + IpBatchWriter.ports(p)
                    + " includes port " + (p.first() == 0 ? 0 : 65535)
                    + "; ip rule takes ports 1 to 65534 (the kernel refuses: Invalid port range)"));
      }
      if (r.priority().isEmpty()) {
        warning("rule-priority-missing", w,
            "the rule has no priority, so the kernel picks one and ip -json reads back a different rule;"
                + " give every rule a priority");
      }
      if (!(r.action() instanceof RuleAction.Lookup)
          && (r.suppressPrefixLength().isPresent() || r.suppressIfgroup().isPresent())) {
        error("suppress-without-lookup", w,
            "suppress_prefixlength and suppress_ifgroup only apply to a lookup, but the action is \""
                + r.action() + "\"");
      }
      if (r.suppressPrefixLength().isPresent() && r.suppressPrefixLength().getAsInt() > plan.family().bits()) {
        warning("suppress-prefixlength-range", w,
            "suppress_prefixlength " + r.suppressPrefixLength().getAsInt() + " exceeds the "
                + plan.family().bits() + " bits of an " + name(plan.family())
                + " address; it suppresses every route");
      }
      if (r.action() instanceof RuleAction.Goto) {
        long target = ((RuleAction.Goto) r.action()).priority();
        if (r.priority().isEmpty()) {
          error("goto-without-priority", w, "goto " + target + " needs the rule's own priority, to be sure it jumps forward");
        } else if (target <= r.priority().getAsLong()) {
          error("goto-backward", w,
              "goto " + target + " does not jump forward from priority " + r.priority().getAsLong()
                  + "; the kernel refuses it (Backward goto not supported)");
        } else if (rules.stream().noneMatch(o -> o.priority().equals(OptionalLong.of(target)))) {
          warning("goto-target-missing", w,
              "goto " + target + ": the plan has no rule with priority " + target
                  + "; the kernel keeps the rule unresolved and it does nothing");
        }
      }
      plan.owner()
          .filter(o -> !r.protocol().equals(Optional.of(o)))
          .ifPresent(o -> error("rule-not-owned", w,
              "the rule has " + r.protocol().map(p -> "protocol " + p).orElse("no protocol")
                  + " but the plan's owner is " + o
                  + "; rule flush protocol " + o + " would not remove it, and applying the batch again fails with \"File exists\""));
      if (r.fwmark().filter(Mark::isFullMask).isPresent() && maskedAt.isPresent()) {
        IpRule masked = rules.get(maskedAt.get());
        warning("fwmark-unmasked", w,
            "fwmark " + IpBatchWriter.mark(r.fwmark().get()) + " compares all 32 bits, but "
                + where(masked, maskedAt.get()) + " uses fwmark " + masked.fwmark().get()
                + "; other bits of the mark make this rule miss. Give it the same mask");
      }
      int same = -1;
      int equal = -1;
      for (int k = 0; k < i; k++) {
        if (rules.get(k).equals(r)) {
          equal = k;
          break;
        }
        if (same < 0 && r.priority().isPresent() && rules.get(k).priority().equals(r.priority())
            && !sameOutcome(rules.get(k), r)) {
          same = k;
        }
      }
      if (equal >= 0) {
        error("rule-duplicate", w,
            "the rule repeats " + where(rules.get(equal), equal)
                + "; the kernel refuses the second one (File exists) and the batch stops there");
      } else if (same >= 0) {
        warning("priority-duplicate", w,
            "priority " + r.priority().getAsLong() + " is also used by " + where(rules.get(same), same)
                + " with a different meaning; the kernel evaluates them in the order added. Give each rule its own priority");
      }
    }
  }

  /**
   * Whether two rules do the same with a packet they select (same action, same suppressors): then
   * the order the kernel evaluates them in cannot change a result, and they may share a priority.
   */
  private static boolean sameOutcome(IpRule a, IpRule b) {
    return a.action().equals(b.action())
        && a.suppressPrefixLength().equals(b.suppressPrefixLength())
        && a.suppressIfgroup().equals(b.suppressIfgroup());
  }

  private void routes() {
    List<Route> routes = plan.routes();
    Map<List<Object>, Integer> keys = new HashMap<>();
    for (int i = 0; i < routes.size(); i++) {
      Route r = routes.get(i);
      String w = where(r, i);
      family(w, "destination", r.family(), r.destination());
      r.via().ifPresent(v -> family(w, "gateway", v.family(), v));
      r.src().ifPresent(v -> family(w, "src", v.family(), v));
      for (Nexthop n : r.nexthops()) {
        n.via().ifPresent(v -> family(w, "nexthop gateway", v.family(), v));
      }
      if (!r.destination().isNetwork()) {
        error("destination-host-bits", w,
            "destination " + r.destination() + " has bits set after the prefix length; write "
                + r.destination().network() + " (ip refuses: Invalid prefix for given prefix length)");
      }
      List<InterfaceName> devs = new ArrayList<>();
      r.dev().ifPresent(devs::add);
      r.nexthops().forEach(n -> n.dev().ifPresent(devs::add));
      devices(w, devs);
      for (InterfaceName d : devs) {
        unwritable(w, d);
        if (d.isWildcard()) {
          error("interface-wildcard", w, "device \"" + d + "\" ends in '+', but a route takes one literal device name");
        }
      }
      boolean single = r.via().isPresent() || r.dev().isPresent();
      if (r.type().isReject() && (single || !r.nexthops().isEmpty())) {
        error("reject-route-with-path", w,
            "a route of type " + r.type() + " takes no via, dev or nexthop; the kernel refuses it"
                + " (Gateway, device and multipath can not be specified for this route type)");
      }
      if (single && !r.nexthops().isEmpty()) {
        error("multipath-and-single-path", w,
            "the route has both via/dev and nexthop clauses; the kernel refuses them unless they name the same"
                + " path (Nexthop device index does not match RTA_OIF) and keeps only the nexthops. Give the paths"
                + " only as nexthops");
      }
      if (r.type() == RouteType.UNICAST && !single && r.nexthops().isEmpty()) {
        error("route-without-path", w, "a unicast route needs via, dev or nexthop clauses (ip: No such device)");
      }
      if (r.onlink() && r.via().isEmpty()) {
        error("onlink-without-gateway", w, "onlink needs a gateway (via); the kernel refuses it without one");
      }
      if (r.via().isPresent() && r.effectiveScope().number() >= RouteScope.LINK.number()) {
        error("gateway-scope", w,
            "a route through gateway " + r.via().get() + " cannot have scope " + r.effectiveScope()
                + " (Nexthop has invalid gateway); leave the scope out or use global");
      }
      if (r.family() == IpFamily.V6 && r.scope().isPresent()) {
        warning("ipv6-scope", w,
            "IPv6 routes have no scope; the kernel ignores scope " + r.scope().get() + " and reads back none");
      }
      r.src().filter(s -> s.family() == plan.family() && !plan.connected().isEmpty())
          .filter(s -> plan.connected().values().stream().noneMatch(p -> p.address().equals(s)))
          .ifPresent(s -> error("src-not-local", w,
              "src " + s + " is not an address of any interface in the plan ("
                  + plan.connected().values().stream().filter(p -> p.family() == s.family())
                      .map(p -> p.address().toString()).collect(java.util.stream.Collectors.joining(", "))
                  + "); the kernel refuses it (Invalid prefsrc address)"));
      if (r.via().isPresent() && !r.onlink()) {
        gateway(w, r.via().get(), r.dev(), "gateway");
        shadowed(w, r, r.via().get(), "gateway");
      }
      for (Nexthop n : r.nexthops()) {
        if (n.via().isPresent() && !n.onlink()) {
          gateway(w, n.via().get(), n.dev(), "nexthop gateway");
          shadowed(w, r, n.via().get(), "nexthop gateway");
        }
        if (n.onlink() && n.via().isEmpty()) {
          error("onlink-without-gateway", w, "nexthop onlink needs a gateway (via)");
        }
      }
      plan.owner()
          .filter(o -> !r.protocol().equals(Optional.of(o)))
          .ifPresent(o -> warning("route-not-owned", w,
              "the route has " + r.protocol().map(p -> "proto " + p).orElse("proto boot")
                  + " but the plan's owner is " + o + "; tools that look for the owner's routes will not find it"));
      List<Object> key = List.of(r.table(), r.destination().network(), r.metric().orElse(-1L));
      Integer first = keys.putIfAbsent(key, i);
      if (first != null) {
        error("route-duplicate", w,
            "the route has the same table, destination and metric as " + where(routes.get(first), first)
                + "; route replace keeps only the last one. Give them different metrics or merge them");
      }
    }
  }

  /**
   * IPv4 looks a gateway up in the route's own table first (fib_check_nh_v4_gw), among routes of
   * scope link or host; a broadcast, multicast or anycast route found there makes it invalid. On a
   * second run every route of the plan is present, so the order in the plan does not matter.
   */
  private void shadowed(String w, Route route, IpAddress via, String what) {
    if (plan.family() != IpFamily.V4 || route.table().equals(RoutingTable.MAIN)) {
      return;
    }
    List<Route> routes = plan.routes();
    if (shadowing == null) {
      shadowing = new HashMap<>();
      for (int j = 0; j < routes.size(); j++) {
        Route o = routes.get(j);
        if (o.effectiveScope().number() >= RouteScope.LINK.number()
            && o.type() != RouteType.UNICAST
            && o.type() != RouteType.LOCAL) {
          shadowing.computeIfAbsent(o.table(), t -> new ArrayList<>()).add(j);
        }
      }
    }
    for (int j : shadowing.getOrDefault(route.table(), List.of())) {
      Route o = routes.get(j);
      if (o != route && o.destination().contains(via)) {
        error("gateway-shadowed", w,
            what + " " + via + " lies in " + where(o, j) + ", a " + o.type() + " route of scope "
                + o.effectiveScope() + " in the same table, where the kernel looks the gateway up first"
                + " (Nexthop has invalid gateway)");
        return;
      }
    }
  }

  private void gateway(String w, IpAddress via, Optional<InterfaceName> dev, String what) {
    if (plan.connected().isEmpty() || dev.isEmpty() || via.family() != plan.family()) {
      return;
    }
    if (via.family() == IpFamily.V6 && (via.high() >>> 54) == (0xfe80L >>> 6)) {
      return; // fe80::/10 is on every link
    }
    boolean reachable =
        plan.connected().get(dev.get()).stream()
            .filter(p -> p.family() == via.family())
            .anyMatch(p -> p.contains(via));
    if (!reachable) {
      List<String> known =
          plan.connected().get(dev.get()).stream()
              .filter(p -> p.family() == via.family())
              .map(IpPrefix::toString)
              .toList();
      error("gateway-unreachable", w,
          what + " " + via + " is not inside a prefix of dev " + dev.get() + " ("
              + (known.isEmpty() ? "it has no " + name(via.family()) + " prefix" : String.join(", ", known))
              + "); the kernel refuses it (Nexthop has invalid gateway) unless the route is onlink");
    }
  }

  /**
   * The one character an interface may have that a batch line cannot carry: iproute2's batch
   * reader cuts every line at its first {@code #}, even inside a word or quotes.
   */
  private void unwritable(String w, InterfaceName d) {
    if (d.name().indexOf('#') >= 0) {
      error("interface-comment", w,
          "interface \"" + d + "\" contains '#', which ip -batch takes as the start of a comment anywhere"
              + " in a line: the line would end at \"" + d.name().substring(0, d.name().indexOf('#'))
              + "\". Rename the interface");
    }
  }

  private void devices(String w, List<InterfaceName> devs) {
    if (plan.connected().isEmpty()) {
      return;
    }
    for (InterfaceName d : devs) {
      if (!d.isWildcard() && !plan.connected().containsKey(d)) {
        warning("device-unknown", w,
            "dev " + d + " is not among the plan's interfaces (" + plan.connected().keySet().stream()
                .map(InterfaceName::toString).collect(java.util.stream.Collectors.joining(", "))
                + "); ip -batch stops with \"Cannot find device\" if it does not exist");
      }
    }
  }

  private void other() {
    if (plan.owner().isEmpty() && !plan.rules().isEmpty()) {
      warning("no-owner", "plan",
          "the plan has rules but no owner, so the batch cannot flush them first; applying it a second time"
              + " fails with \"File exists\". Set an owner protocol and tag every rule with it");
    }
    for (VerbatimCommand c : plan.verbatim()) {
      warning("verbatim", line(c.line() == 0 ? OptionalInt.empty() : OptionalInt.of(c.line())) + "verbatim command",
          "\"" + c + "\" is not modelled by mlb and not checked; it is written back unchanged");
    }
    for (String json : plan.unmodelledJson()) {
      warning("unmodelled-json", "ip -json entry",
          json + " is not modelled by mlb; the batch does not recreate it");
    }
  }
}
