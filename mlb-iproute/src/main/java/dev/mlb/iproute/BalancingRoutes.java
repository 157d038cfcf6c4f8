package dev.mlb.iproute;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.Compilation;
import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Compiles a {@link BalancingPolicy} into the routing plan that realises it, and the kernel
 * settings that plan needs.
 *
 * <pre>{@code
 * Compilation<RoutingPlan> c = BalancingRoutes.compile(policy, IpFamily.V4);
 * String batch = IpBatchWriter.render(c.output());     // ip -4 -batch FILE
 * String undo = IpBatchWriter.renderUndo(c.output());  // removes exactly what FILE added
 * String conf = BalancingRoutes.sysctlConf(policy);    // sysctl -p CONF
 * }</pre>
 *
 * <p><b>The plan</b> for family F. B is {@link BalancingPolicy#priorityBase()}, M the mark mask,
 * N the number of uplinks, {@code m_i} and {@code T_i} uplink {@code i}'s mark and table,
 * {@code Tmp} the {@link BalancingPolicy#multipathTable()}. Every rule and route carries the
 * policy's {@link BalancingPolicy#ruleProtocol()} as its protocol (the plan's owner), so the batch
 * flushes mlb's rules before adding them again; tables are named {@code PREFIX-UPLINK} and
 * {@code PREFIX-multipath} after the {@link BalancingPolicy#chainPrefix()}.
 * <ul>
 *   <li>B: {@code to LAN lookup main} for each LAN prefix of F. Replies to the LAN carry the
 *       connection's uplink mark too; this rule, before every fwmark rule, delivers them to the LAN
 *       instead of routing them into the uplink's table.
 *   <li>B+1 ({@link Strategy#MULTIPATH} only): {@code fwmark 0/M [from S] [to D] [ipproto P]
 *       [dport R] lookup main} for each exclusion, one rule per combination of source, destination
 *       and port range. Under multipath the routing rules choose what is balanced, so they must
 *       leave excluded connections to the main table; the {@code fwmark 0/M} test keeps the replies
 *       of a connection that arrived on an uplink (marked, sticky) on that uplink. Under
 *       {@link Strategy#NTH} and {@link Strategy#RANDOM} the netfilter rules give excluded
 *       connections no mark, so they reach the main table without a rule of their own.
 *   <li>B+10+i: {@code fwmark m_i/M lookup T_i} for each uplink; under multipath only with
 *       {@link BalancingPolicy#stickyInbound()}, the only case in which it sets marks.
 *   <li>B+10+N ({@link Strategy#MULTIPATH} only): {@code iif LAN [from S] [to D] [ipproto P]
 *       [dport R] lookup Tmp} for each balanced selector (none: all LAN traffic) and LAN interface,
 *       and {@code iif lo ...} for each router selector.
 *   <li>Routes: {@code default via GW_i dev IF_i} ({@code default dev IF_i} without a gateway) in
 *       each {@code T_i} that a rule looks up; under multipath {@code default nexthop via GW dev IF
 *       weight W ...} over all uplinks in {@code Tmp}, weights as in the policy (both 1 to 256).
 * </ul>
 * mlb adds nothing to the main table: its default route, which carries everything not balanced,
 * is the administrator's. The plan has no {@link RoutingPlan#connected()} prefixes, since mlb does
 * not know the interfaces' addresses; a gateway that is not on its link makes {@code ip -batch}
 * fail ({@code Nexthop has invalid gateway}) rather than being made {@code onlink} silently.
 * {@code ip rule} matches destination ports 1 to 65534 only; a selector's port 0 or 65535 is left
 * out with a warning.
 *
 * <p><b>Kernel settings</b> ({@link #sysctl}): forwarding; {@code src_valid_mark} and loose
 * {@code rp_filter} on the uplinks (IPv4), so that reverse-path checks let marked replies and
 * inbound connections on any uplink pass; under multipath the L4 flow hash, so that one client's
 * connections spread over the uplinks.
 */
public final class BalancingRoutes {
  private BalancingRoutes() {}

  /** The rule priority of the kernel's {@code lookup main} rule. */
  private static final long MAIN_RULE_PRIORITY = 32766;

  /**
   * The routing plan for {@code family} ({@code ip -batch} input via {@link IpBatchWriter}, undo
   * via {@link IpBatchWriter#renderUndo}), with findings: notes on what each table does and
   * warnings for what {@code ip rule} cannot express.
   *
   * @throws IllegalArgumentException if {@code family} is not among the policy's families, or the
   *     policy asks for what the kernel cannot route (multipath over IPv6 uplinks without an IPv6
   *     gateway, multipath from a wildcard LAN interface, a wildcard uplink interface)
   */
  public static Compilation<RoutingPlan> compile(BalancingPolicy policy, IpFamily family) {
    requireNonNull(policy, "policy");
    requireNonNull(family, "family");
    if (!policy.families().contains(family)) {
      throw new IllegalArgumentException(
          "cannot compile routes for " + name(family) + ": the policy's families are "
              + policy.families().stream().map(BalancingRoutes::name).collect(Collectors.joining(", "))
              + "; add " + name(family) + " to families to compile it");
    }
    return new Compiler(policy, family).compile();
  }

  static String name(IpFamily family) {
    return family == IpFamily.V4 ? "IPv4" : "IPv6";
  }

  /** Builds one plan; the rules in priority order. */
  private static final class Compiler {
    private final BalancingPolicy policy;
    private final IpFamily family;
    private final RouteProtocol owner;
    private final boolean multipath;
    private final Set<IpRule> rules = new LinkedHashSet<>();
    private final List<Finding> findings = new ArrayList<>();

    Compiler(BalancingPolicy policy, IpFamily family) {
      this.policy = policy;
      this.family = family;
      this.owner = RouteProtocol.of(policy.ruleProtocol());
      this.multipath = policy.strategy() == Strategy.MULTIPATH;
    }

    Compilation<RoutingPlan> compile() {
      List<Uplink> uplinks = policy.uplinks();
      for (int i = 0; i < uplinks.size(); i++) {
        if (uplinks.get(i).iface().isWildcard()) {
          throw new IllegalArgumentException(
              "uplinks[" + i + "].iface \"" + uplinks.get(i).iface() + "\" (" + uplinks.get(i).name()
                  + ") is a wildcard; a route needs one literal device");
        }
      }
      long base = policy.priorityBase();
      RoutingPlan.Builder plan = RoutingPlan.builder().family(family).owner(owner);

      for (IpPrefix lan : policy.lanPrefixes(family)) {
        rules.add(rule(base).to(lan.network()).action(RuleAction.MAIN).build());
      }
      if (multipath) {
        Mark unmarked = Mark.of(0, policy.markMask());
        List<TrafficSelector> exclusions = policy.exclusions();
        for (int s = 0; s < exclusions.size(); s++) {
          for (Selection m : selections(exclusions.get(s), "exclusions[" + s + "]",
              "are not excluded: a balanced selector may still send them to table " + policy.multipathTable())) {
            rules.add(m.apply(rule(base + 1).fwmark(unmarked)).action(RuleAction.MAIN).build());
          }
        }
      }
      if (!multipath && !policy.exclusions().isEmpty()) {
        findings.add(Finding.info("exclusions-by-mark", "exclusions",
            "the exclusions need no routing rule under " + policy.strategy() + ": the netfilter rules give"
                + " excluded connections no mark, so they reach the main table"));
      }
      boolean marks = !multipath || policy.stickyInbound();
      if (marks) {
        for (int i = 0; i < uplinks.size(); i++) {
          Uplink u = uplinks.get(i);
          RoutingTable t = RoutingTable.of(policy.table(u));
          rules.add(rule(base + 10 + i).fwmark(policy.mark(u)).action(RuleAction.lookup(t)).build());
          plan.putTableNames(t, policy.chainPrefix() + "-" + u.name());
          plan.addRoutes(uplinkRoute(u, t));
          findings.add(Finding.info("uplink-table", "uplinks[" + i + "]",
              "table " + t + " (" + policy.chainPrefix() + "-" + u.name() + ") routes what carries mark "
                  + policy.mark(u) + " " + path(u)));
        }
      }
      if (multipath) {
        multipath(plan, base + 10 + uplinks.size());
      }
      long last = rules.stream().mapToLong(r -> r.priority().getAsLong()).max().orElse(base);
      if (last >= MAIN_RULE_PRIORITY) {
        findings.add(Finding.warning("priority-after-main", "priorityBase",
            "the plan's rules reach priority " + last + " (priorityBase " + base + "), but the kernel's"
                + " rule 32766 looks up the main table first, so its default route takes the packets"
                + " those rules should route; choose a priorityBase of at most " + (MAIN_RULE_PRIORITY - 1 - (last - base))));
      }
      List<String> unbalanced = new ArrayList<>();
      if (!policy.balanced().isEmpty()) {
        unbalanced.add("LAN connections outside the balanced selectors");
      }
      unbalanced.add("the router's own connections" + (policy.router().isEmpty() ? "" : " outside the router selectors"));
      if (!policy.exclusions().isEmpty()) {
        unbalanced.add("excluded connections");
      }
      findings.add(Finding.info("main-table", "plan",
          "mlb adds no route to the main table: what is not balanced (" + String.join(", ", unbalanced)
              + ") leaves by the main table's default route, which stays the administrator's"));
      // The kernel takes a rule added without a source or destination for an earlier one that has
      // one and is equal otherwise ("File exists"; fib_rules.c rule_exists), not the other way round:
      // among such rules those naming fewer prefixes go first, in the places the group holds. Rules
      // of one group have one priority and one action, so this changes no route.
      List<IpRule> input = List.copyOf(rules);
      List<IpRule> ordered = new ArrayList<>(rules);
      Map<List<Object>, List<Integer>> groups = new LinkedHashMap<>();
      for (int i = 0; i < ordered.size(); i++) {
        IpRule r = ordered.get(i);
        groups.computeIfAbsent(List.of(r.priority(), r.action(), r.protocol(), r.fwmark(), r.iif(), r.oif(),
            r.ipproto(), r.sport(), r.dport(), r.suppressPrefixLength(), r.suppressIfgroup()), k -> new ArrayList<>())
            .add(i);
      }
      for (List<Integer> slots : groups.values()) {
        List<IpRule> members = new ArrayList<>();
        slots.forEach(i -> members.add(input.get(i)));
        members.sort(Comparator.comparingInt(r -> (named(r.from()) ? 1 : 0) + (named(r.to()) ? 1 : 0)));
        for (int k = 0; k < slots.size(); k++) {
          ordered.set(slots.get(k), members.get(k));
        }
      }
      plan.addAllRules(ordered);
      findings.sort(Comparator.comparing(Finding::severity)); // stable: warnings first, each in plan order
      return Compilation.of(plan.build(), findings);
    }

    private void multipath(RoutingPlan.Builder plan, long priority) {
      List<Uplink> uplinks = policy.uplinks();
      RoutingTable table = RoutingTable.of(policy.multipathTable());
      String tableName = policy.chainPrefix() + "-multipath";
      if (uplinks.size() > 1 && family == IpFamily.V6) {
        for (int i = 0; i < uplinks.size(); i++) {
          if (uplinks.get(i).gateway6().isEmpty()) {
            throw new IllegalArgumentException(
                "strategy multipath over IPv6 needs an IPv6 gateway on every uplink, but uplinks[" + i + "] ("
                    + uplinks.get(i).name() + " on " + uplinks.get(i).iface() + ") has no gateway6; the kernel"
                    + " refuses device-only IPv6 multipath routes (\"Device only routes can not be added for"
                    + " IPv6 using the multipath API\")");
          }
        }
      }
      List<InterfaceName> lans = policy.lanInterfaces();
      for (int l = 0; l < lans.size(); l++) {
        if (lans.get(l).isWildcard()) {
          throw new IllegalArgumentException(
              "strategy multipath selects LAN traffic with ip rule iif, which takes one literal interface,"
                  + " but lanInterfaces[" + l + "] is the wildcard \"" + lans.get(l) + "\"");
        }
      }
      List<TrafficSelector> balanced =
          policy.balanced().isEmpty() ? List.of(TrafficSelector.all()) : policy.balanced();
      String unbalanced = "are not balanced: they leave by the main table";
      for (int s = 0; s < balanced.size(); s++) {
        List<Selection> selections = selections(balanced.get(s), "balanced[" + s + "]", unbalanced);
        for (InterfaceName lan : lans) {
          for (Selection m : selections) {
            rules.add(m.apply(rule(priority).iif(lan)).action(RuleAction.lookup(table)).build());
          }
        }
      }
      List<TrafficSelector> router = policy.router();
      for (int s = 0; s < router.size(); s++) {
        for (Selection m : selections(router.get(s), "router[" + s + "]", unbalanced)) {
          rules.add(m.apply(rule(priority).iif(InterfaceName.of("lo"))).action(RuleAction.lookup(table)).build());
        }
      }
      Route.Builder route = Route.builder().destination(IpPrefix.any(family)).table(table).protocol(owner);
      if (uplinks.size() == 1) {
        // The kernel keeps a single nexthop as a plain route; writing it so reads back equal.
        Uplink u = uplinks.get(0);
        route.via(u.gateway(family)).dev(u.iface());
      } else {
        for (Uplink u : uplinks) {
          route.addNexthops(new Nexthop(u.gateway(family), Optional.of(u.iface()), u.weight(), false));
        }
      }
      plan.putTableNames(table, tableName);
      plan.addRoutes(route.build());
      findings.add(Finding.info("multipath-table", "strategy",
          "table " + table + " (" + tableName + ") spreads the balanced connections over "
              + uplinks.stream().map(Uplink::name).collect(Collectors.joining(", ")) + " by weight "
              + uplinks.stream().map(u -> Integer.toString(u.weight())).collect(Collectors.joining(":"))
              + " with the kernel's flow hash: the split follows the weights on average, not exactly ("
              + (family == IpFamily.V4 ? "net.ipv4" : "net.ipv6")
              + ".fib_multipath_hash_policy = 1 makes the hash include the ports)"));
    }

    /** Whether an ip rule's source or destination is one the kernel keeps (not a /0). */
    private static boolean named(Optional<IpPrefix> p) {
      return p.isPresent() && p.get().length() > 0;
    }

    private Route uplinkRoute(Uplink u, RoutingTable table) {
      return Route.builder()
          .destination(IpPrefix.any(family))
          .table(table)
          .via(u.gateway(family))
          .dev(u.iface())
          .protocol(owner)
          .build();
    }

    private String path(Uplink u) {
      Optional<IpAddress> gw = u.gateway(family);
      return gw.isPresent()
          ? "via " + gw.get() + " dev " + u.iface()
          : "out of " + u.iface() + " (no " + name(family) + " gateway: the link is taken to be point-to-point)";
    }

    private IpRule.Builder rule(long priority) {
      return IpRule.builder().priority(priority).protocol(owner);
    }

    /**
     * The rule selectors that together select what {@code selector} selects of this family: one per
     * combination of source, destination and port range; none if it has sources or destinations,
     * but none of this family.
     */
    private List<Selection> selections(TrafficSelector selector, String where, String consequence) {
      List<Optional<IpPrefix>> froms = ofFamily(selector.sources());
      List<Optional<IpPrefix>> tos = ofFamily(selector.destinations());
      List<Optional<PortRange>> ports = new ArrayList<>();
      if (selector.ports().isEmpty()) {
        ports.add(Optional.empty());
      }
      for (int p = 0; p < selector.ports().size(); p++) {
        PortRange r = selector.ports().get(p);
        int first = Math.max(r.first(), 1);
        int last = Math.min(r.last(), 65534);
        if (first != r.first() || last != r.last()) {
          String lost = first > last ? "port " + IpBatchWriter.ports(r)
              : r.first() == 0 && r.last() == 65535 ? "ports 0 and 65535"
              : "port " + (r.first() == 0 ? 0 : 65535);
          findings.add(Finding.warning("rule-port-range", where + ".ports[" + p + "]",
              "ip rule matches destination ports 1 to 65534 only (the kernel refuses 0 and 65535), so "
                  + selector.protocol().map(Protocol::toString).orElse("") + " connections to " + lost
                  + " " + consequence + (first > last ? "" : "; the rule takes dport " + first + "-" + last)));
        }
        if (first <= last) {
          ports.add(Optional.of(PortRange.of(first, last)));
        }
      }
      List<Selection> out = new ArrayList<>();
      for (Optional<IpPrefix> from : froms) {
        for (Optional<IpPrefix> to : tos) {
          for (Optional<PortRange> port : ports) {
            out.add(new Selection(from, to, selector.protocol(), port));
          }
        }
      }
      return out;
    }

    /** The prefixes of this family as networks; [empty] for no restriction; [] for none of this family. */
    private List<Optional<IpPrefix>> ofFamily(List<IpPrefix> prefixes) {
      if (prefixes.isEmpty()) {
        return List.of(Optional.empty());
      }
      return prefixes.stream()
          .filter(p -> p.family() == family)
          .map(p -> Optional.of(p.network()))
          .distinct()
          .toList();
    }
  }

  /** What one rule selects of a traffic selector. */
  private record Selection(
      Optional<IpPrefix> from, Optional<IpPrefix> to, Optional<Protocol> protocol, Optional<PortRange> dport) {
    IpRule.Builder apply(IpRule.Builder rule) {
      return rule.from(from).to(to).ipproto(protocol).dport(dport);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Kernel settings

  /**
   * The kernel settings the policy's plans need, for each of its families: IPv4 {@code ip_forward},
   * {@code conf.all.src_valid_mark} (reverse-path checks then use the mark, so marked replies
   * pass), {@code rp_filter = 2} on each uplink interface (loose: the kernel uses the larger of
   * {@code all} and the interface's value, so this wins over a strict default), under multipath
   * {@code fib_multipath_hash_policy = 1} (L4 hash: one client's connections spread); IPv6
   * {@code conf.all.forwarding} and, under multipath, its {@code fib_multipath_hash_policy}.
   *
   * @throws IllegalArgumentException if an uplink's interface name cannot be written as a sysctl
   *     key: a wildcard, {@code all} or {@code default}, or a name with {@code =}, {@code *},
   *     {@code ?} or {@code [}, which {@code sysctl -p} would read as another key or a glob
   */
  public static List<SysctlSetting> sysctl(BalancingPolicy policy) {
    requireNonNull(policy, "policy");
    boolean multipath = policy.strategy() == Strategy.MULTIPATH;
    Set<SysctlSetting> out = new LinkedHashSet<>();
    if (policy.families().contains(IpFamily.V4)) {
      out.add(new SysctlSetting("net.ipv4.ip_forward", "1"));
      out.add(new SysctlSetting("net.ipv4.conf.all.src_valid_mark", "1"));
      List<Uplink> uplinks = policy.uplinks();
      for (int i = 0; i < uplinks.size(); i++) {
        out.add(new SysctlSetting(interfaceKey("net.ipv4.conf", uplinks.get(i), i, "rp_filter"), "2"));
      }
      if (multipath) {
        out.add(new SysctlSetting("net.ipv4.fib_multipath_hash_policy", "1"));
      }
    }
    if (policy.families().contains(IpFamily.V6)) {
      out.add(new SysctlSetting("net.ipv6.conf.all.forwarding", "1"));
      if (multipath) {
        out.add(new SysctlSetting("net.ipv6.fib_multipath_hash_policy", "1"));
      }
    }
    return ImmutableList.copyOf(out);
  }

  /**
   * {@link #sysctl} as a {@code sysctl.conf} file, with a header saying where it comes from, how
   * to load it and why each kind of setting is there.
   */
  public static String sysctlConf(BalancingPolicy policy) {
    List<SysctlSetting> settings = sysctl(policy);
    StringBuilder out = new StringBuilder();
    out.append("# Kernel settings for mlb's multi-uplink balancing, generated by mlb; do not edit.\n")
        .append("# Load with: sysctl -p FILE (or install as /etc/sysctl.d/90-mlb.conf).\n");
    if (settings.stream().anyMatch(s -> s.key().endsWith("forward") || s.key().endsWith("forwarding"))) {
      out.append("# ip_forward, forwarding: route between the LAN and the uplinks.\n");
    }
    if (settings.stream().anyMatch(s -> s.key().endsWith("src_valid_mark"))) {
      out.append("# src_valid_mark: reverse-path checks use the packet's mark, so marked replies pass.\n")
          .append("# rp_filter = 2 on each uplink: loose reverse-path check (the kernel uses the larger of\n")
          .append("#   all and the interface), so connections arriving on any uplink pass.\n");
    }
    if (settings.stream().anyMatch(s -> s.key().endsWith("fib_multipath_hash_policy"))) {
      out.append("# fib_multipath_hash_policy = 1: the multipath route hashes ports too, so one client's\n")
          .append("#   connections spread over the uplinks.\n");
    }
    for (SysctlSetting s : settings) {
      out.append(s).append('\n');
    }
    return out.toString();
  }

  /**
   * {@code PREFIX.IF.LEAF}, or the slash form {@code PREFIX/IF/LEAF} (dots of the prefix as
   * slashes) if the interface name has a dot, which sysctl would otherwise read as a separator.
   */
  private static String interfaceKey(String prefix, Uplink uplink, int index, String leaf) {
    InterfaceName iface = uplink.iface();
    String where = "uplinks[" + index + "].iface \"" + iface + "\" (" + uplink.name() + ")";
    checkArgument(!iface.isWildcard(), "%s is a wildcard; a sysctl setting needs one literal interface", where);
    checkArgument(!iface.name().equals("all") && !iface.name().equals("default"),
        "%s names the sysctl directory of %s interfaces, not one interface", where,
        iface.name().equals("all") ? "all" : "future");
    String problem = SysctlSetting.problem(iface.name(), "=*?[");
    checkArgument(problem == null, "%s cannot be written as a sysctl key: it %s", where, problem);
    if (iface.name().indexOf('.') >= 0) {
      return prefix.replace('.', '/') + "/" + iface.name() + "/" + leaf;
    }
    return prefix + "." + iface.name() + "." + leaf;
  }
}
