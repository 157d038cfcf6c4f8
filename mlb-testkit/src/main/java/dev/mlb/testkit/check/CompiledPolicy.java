package dev.mlb.testkit.check;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.mlb.api.Compilation;
import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import dev.mlb.iproute.BalancingRoutes;
import dev.mlb.iproute.IpBatchWriter;
import dev.mlb.iproute.Route;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.iproute.RoutingTable;
import dev.mlb.netfilter.BalancingRules;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.RulesetChange;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.Selectors;
import dev.mlb.testkit.sim.Topology;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link BalancingPolicy} compiled for each of its families: the rulesets, the routing plans,
 * the sysctl settings, every finding, the files an administrator loads, and the simulated router
 * to prove them on.
 *
 * <pre>{@code
 * CompiledPolicy c = CompiledPolicy.compile(policy);
 * c.findings().forEach(System.err::println);     // the policy's warnings, then the compilers'
 * c.files().get("rules.v4");                      // iptables-restore input
 * c.check().build().assertAll();                  // properties 1-7 and 12 in the simulator
 * try (KernelLab lab = KernelLab.start(c.topology(), c.files().get("rules.v4"),
 *     c.environmentRoutes() + c.files().get("routes.v4.batch"))) { ... }
 * }</pre>
 *
 * <p><b>Files</b> ({@link #files()}, in this order, each present only for a family the policy compiles):
 * <ul>
 *   <li>{@code rules.v4}, {@code rules.v6}: {@code iptables-restore} / {@code ip6tables-restore} input;
 *   <li>{@code routes.v4.batch}, {@code routes.v6.batch}: {@code ip -4 -batch} / {@code ip -6 -batch} input;
 *   <li>{@code routes.undo.batch}: removes what the IPv4 batch added (for an IPv6-only policy, the
 *       IPv6 batch); with both families also {@code routes.v6.undo.batch} for the IPv6 batch, since
 *       one {@code ip -batch} file holds the rules and routes of one family;
 *   <li>{@code sysctl.conf}: the settings the plan needs ({@code sysctl -p FILE}).
 * </ul>
 *
 * <p><b>The simulated router.</b> {@link #topology()} places the policy's uplinks, in order and
 * under their interface names, on the links of {@link Topology#standard}: uplink {@code i} gets
 * 198.51.100.(16i+1)/28. Where the policy gives an IPv4 gateway or SNAT address, the link follows
 * them instead: the SNAT address is the router's address on the link (the /28 around it, widened
 * until it holds the gateway), a gateway alone puts the router on the first other host of the
 * gateway's /28; an uplink that gives neither takes the first free /28 of 198.51.100.0/24, its own
 * {@code i}-th if free. Uplinks without a gateway are point-to-point. The LAN is the first LAN
 * interface with the first host of the first IPv4 LAN prefix (the simulator's clients are .100 to
 * .115 of it, so the prefix is at most a /25). The server is 203.0.113.10.
 *
 * <p><b>What mlb does not own.</b> mlb adds rules and per-uplink tables; it never touches the main
 * table's default route, which the administrator (or a PPP or DHCP client) keeps. Connections
 * that mlb does not balance use it. {@link #environmentRoutes()} is that route as the simulator and
 * the kernel lab need it: the main table's default route through the first uplink.
 */
public final class CompiledPolicy {
  private final BalancingPolicy policy;
  private final ImmutableMap<IpFamily, Ruleset> rulesets;
  private final ImmutableMap<IpFamily, RoutingPlan> plans;
  private final ImmutableList<Finding> findings;
  private final String sysctlConf;
  private ImmutableMap<String, String> files;

  private CompiledPolicy(BalancingPolicy policy) {
    this.policy = policy;
    Map<IpFamily, Ruleset> rules = new EnumMap<>(IpFamily.class);
    Map<IpFamily, RoutingPlan> routes = new EnumMap<>(IpFamily.class);
    // The policy's own warnings and notes first (its errors were thrown when it was built), then
    // each compiler's, per family; a finding both families report is listed once.
    Set<Finding> found = new LinkedHashSet<>(policy.validate());
    for (IpFamily family : families(policy)) {
      Compilation<Ruleset> r = BalancingRules.compile(policy, family);
      Compilation<RoutingPlan> p = BalancingRoutes.compile(policy, family);
      rules.put(family, r.output());
      routes.put(family, p.output());
      found.addAll(r.findings());
      found.addAll(p.findings());
    }
    this.rulesets = ImmutableMap.copyOf(rules);
    this.plans = ImmutableMap.copyOf(routes);
    this.findings = ImmutableList.copyOf(found);
    this.sysctlConf = BalancingRoutes.sysctlConf(policy);
  }

  /**
   * Compiles {@code policy} for each of its families.
   *
   * @throws IllegalArgumentException if a compiler cannot realise the policy (naming why)
   */
  public static CompiledPolicy compile(BalancingPolicy policy) {
    return new CompiledPolicy(checkNotNull(policy, "policy"));
  }

  private static List<IpFamily> families(BalancingPolicy policy) {
    List<IpFamily> out = new ArrayList<>();
    for (IpFamily f : IpFamily.values()) {
      if (policy.families().contains(f)) {
        out.add(f);
      }
    }
    return out;
  }

  private ImmutableMap<String, String> render() {
    Map<String, String> out = new LinkedHashMap<>();
    for (IpFamily f : rulesets.keySet()) {
      out.put("rules." + suffix(f), RestoreWriter.render(rulesets.get(f)));
    }
    for (IpFamily f : plans.keySet()) {
      out.put("routes." + suffix(f) + ".batch", IpBatchWriter.render(plans.get(f)));
    }
    List<IpFamily> fams = List.copyOf(plans.keySet());
    out.put("routes.undo.batch", IpBatchWriter.renderUndo(plans.get(fams.get(0))));
    if (fams.size() > 1) {
      out.put("routes.v6.undo.batch", IpBatchWriter.renderUndo(plans.get(IpFamily.V6)));
    }
    out.put("sysctl.conf", sysctlConf);
    return ImmutableMap.copyOf(out);
  }

  private static String suffix(IpFamily f) {
    return f == IpFamily.V4 ? "v4" : "v6";
  }

  /** The policy. */
  public BalancingPolicy policy() {
    return policy;
  }

  /** The families compiled, IPv4 first. */
  public Set<IpFamily> families() {
    return rulesets.keySet();
  }

  /** The mangle and nat rules for {@code family}. */
  public Ruleset ruleset(IpFamily family) {
    checkArgument(rulesets.containsKey(family), "the policy does not compile %s (families %s)", family,
        policy.families());
    return rulesets.get(family);
  }

  /** The routing plan for {@code family}. */
  public RoutingPlan plan(IpFamily family) {
    checkArgument(plans.containsKey(family), "the policy does not compile %s (families %s)", family,
        policy.families());
    return plans.get(family);
  }

  /** The policy's warnings and notes, then each compiler's (IPv4, then IPv6); never errors. */
  public List<Finding> findings() {
    return findings;
  }

  /** File name to text, in the order of the class comment (rendered on first use). */
  public synchronized Map<String, String> files() {
    if (files == null) {
      files = render();
    }
    return files;
  }

  /**
   * Whether the policy balances {@code flow}: a LAN flow that one of its balanced selectors picks
   * (any, when it names none), a router flow that one of its router selectors picks, and no
   * exclusion picks it. Inbound flows are never balanced (they keep the uplink they arrive on).
   */
  public boolean balances(Flow flow) {
    List<TrafficSelector> selectors = switch (flow.origin()) {
      case LAN -> policy.balanced().isEmpty() ? List.of(TrafficSelector.all()) : policy.balanced();
      case ROUTER -> policy.router();
      case INBOUND -> List.of();
    };
    return selectors.stream().anyMatch(s -> Selectors.matches(s, flow))
        && policy.exclusions().stream().noneMatch(s -> Selectors.matches(s, flow));
  }

  // ------------------------------------------------------------------ the simulated router

  /**
   * The router the policy describes, for the simulator and the kernel lab (see the class comment).
   *
   * @throws IllegalStateException if it cannot be simulated: no IPv4, a LAN prefix longer than /25,
   *     a wildcard LAN interface, or uplink addresses that put two uplinks on one link
   */
  public Topology topology() {
    List<IpPrefix> lans = policy.lanPrefixes(IpFamily.V4);
    if (!policy.families().contains(IpFamily.V4) || lans.isEmpty()) {
      throw new IllegalStateException("the policy compiles no IPv4, and the simulator and the kernel lab are IPv4"
          + " only (families " + policy.families() + ")");
    }
    IpPrefix lan = lans.get(0).network();
    if (lan.length() > 25) {
      throw new IllegalStateException("the LAN prefix " + lan + " is longer than /25; the simulator's LAN clients"
          + " are .100 to .115 of it");
    }
    InterfaceName lanIf = policy.lanInterfaces().get(0);
    if (lanIf.isWildcard()) {
      throw new IllegalStateException("the first LAN interface " + lanIf + " is a wildcard; the simulator needs"
          + " one interface");
    }
    List<Uplink> uplinks = policy.uplinks();
    IpPrefix[] links = new IpPrefix[uplinks.size()];
    for (int i = 0; i < uplinks.size(); i++) {
      links[i] = givenLink(uplinks.get(i)).orElse(null);
    }
    for (int i = 0; i < uplinks.size(); i++) {
      if (links[i] == null) {
        links[i] = freeLink(i, links, lan);
      }
    }
    Topology.Builder b = Topology.builder().lanInterface(lanIf)
        .lanAddress(IpPrefix.of(new IpAddress(IpFamily.V4, 0, lan.address().low() + 1), lan.length()));
    for (int i = 0; i < uplinks.size(); i++) {
      Uplink u = uplinks.get(i);
      for (int j = 0; j < i; j++) {
        if (links[i].network().overlaps(links[j].network())) {
          throw new IllegalStateException("uplinks " + uplinks.get(j).name() + " (" + links[j] + ") and " + u.name()
              + " (" + links[i] + ") would share a link; the simulator gives each uplink its own");
        }
      }
      if (links[i].network().contains(IpAddress.parse("203.0.113.10"))) {
        throw new IllegalStateException("uplink " + u.name() + "'s link " + links[i].network()
            + " holds the simulator's server 203.0.113.10");
      }
      b.addUplinks(new Topology.Uplink(u.iface(), links[i], u.gateway()));
    }
    return b.build();
  }

  /** The link an uplink's own IPv4 addresses imply: its address with the prefix length. */
  private static Optional<IpPrefix> givenLink(Uplink u) {
    Optional<IpAddress> gw = u.gateway();
    if (u.snat().isPresent()) {
      IpAddress address = u.snat().get();
      if (gw.isPresent() && gw.get().equals(address)) {
        throw new IllegalStateException("uplink " + u.name() + "'s SNAT address " + address + " is its gateway");
      }
      int length = 28;
      while (gw.isPresent() && !IpPrefix.of(address, length).contains(gw.get())) {
        length--;
      }
      return Optional.of(IpPrefix.of(address, length));
    }
    if (gw.isPresent()) {
      IpAddress net = gw.get().masked(28);
      long first = net.low() + 1;
      IpAddress address = new IpAddress(IpFamily.V4, 0, first == gw.get().low() ? first + 1 : first);
      return Optional.of(IpPrefix.of(address, 28));
    }
    return Optional.empty();
  }

  /** The first free /28 of 198.51.100.0/24, starting with the uplink's own {@code i}-th. */
  private static IpPrefix freeLink(int i, IpPrefix[] links, IpPrefix lan) {
    long base = IpAddress.parse("198.51.100.0").low();
    for (int k = 0; k < 16; k++) {
      int block = (i + k) % 16;
      IpPrefix candidate = IpPrefix.of(new IpAddress(IpFamily.V4, 0, base + 16L * block + 1), 28);
      boolean free = !candidate.network().overlaps(lan);
      for (IpPrefix l : links) {
        free &= l == null || !l.network().overlaps(candidate.network());
      }
      if (free) {
        return candidate;
      }
    }
    throw new IllegalStateException("no free /28 in 198.51.100.0/24 for uplink " + i);
  }

  /**
   * What the router has before mlb, as {@code ip -4 -batch} input: the main table's default route
   * through the first uplink (via its gateway, or {@code dev} for a point-to-point link). mlb does
   * not own this route and its files never add it; the simulator and the kernel lab need it for
   * the connections mlb does not balance. Load it before {@code routes.v4.batch}.
   */
  public String environmentRoutes() {
    StringBuilder out = new StringBuilder("# the administrator's routes before mlb; mlb does not own the main table's"
        + " default route\n");
    environmentPlan().routes().forEach(r -> out.append("route replace ").append(r).append('\n'));
    return out.toString();
  }

  private RoutingPlan environmentPlan() {
    Topology t = topology();
    Topology.Uplink first = t.uplinks().get(0);
    Route.Builder r = Route.builder().destination(IpPrefix.any(IpFamily.V4)).dev(first.iface());
    first.gateway().ifPresent(r::via);
    return RoutingPlan.builder().family(IpFamily.V4).addRoutes(r.build()).build();
  }

  /**
   * The IPv4 routing plan as the simulator sees the router: {@link #environmentRoutes()}'s route
   * and the compiled plan's rules and routes.
   */
  public RoutingPlan simulatedPlan() {
    RoutingPlan compiled = plan(IpFamily.V4);
    return RoutingPlan.builder().from(compiled).routes(ImmutableList.<Route>builder()
        .addAll(environmentPlan().routes()).addAll(compiled.routes()).build()).build();
  }

  /**
   * A {@link BalancingCheck} of the IPv4 half, described by the policy: the {@link #topology()},
   * the IPv4 ruleset, the {@link #simulatedPlan()}; the balanced LAN selectors (all LAN traffic
   * when the policy names none), the balanced router selectors and the exclusions; each uplink's
   * weight and mark ({@link BalancingPolicy#mark}), the uplinks that take new connections
   * ({@link BalancingPolicy#activeUplinks()}: property 2 splits over them); the strategy (and for
   * MULTIPATH the multipath
   * table); {@link BalancingCheck.Builder#balanceNothingElse()}, since the policy says exactly
   * what it balances; and connections arriving on the uplinks only if the policy keeps them
   * sticky (without, the main table answers them and property 6 does not apply). Flow counts and
   * the seed are the builder's defaults; set them on the returned builder.
   *
   * @throws IllegalStateException if the policy cannot be simulated (see {@link #topology()})
   */
  public BalancingCheck.Builder check() {
    Topology t = topology();
    BalancingCheck.Builder b = BalancingCheck.builder(t, ruleset(IpFamily.V4), simulatedPlan())
        .balanceNothingElse()
        .inboundFlows(policy.stickyInbound())
        .baseline(RulesetChange.removal(ruleset(IpFamily.V4), policy.chainPrefix() + "-").result(), environmentPlan());
    for (Uplink u : policy.uplinks()) {
      b.weight(u.iface(), u.weight());
      b.uplinkMark(u.iface(), policy.mark(u));
    }
    b.activeUplinks(policy.activeUplinks().stream().map(Uplink::iface).toList());
    b.strategy(switch (policy.strategy()) {
      case NTH -> BalancingCheck.Strategy.NTH;
      case RANDOM -> BalancingCheck.Strategy.RANDOM;
      case MULTIPATH -> BalancingCheck.Strategy.MULTIPATH;
    });
    if (policy.strategy() == Strategy.MULTIPATH) {
      b.multipathTable(RoutingTable.of(policy.multipathTable()));
    }
    if (policy.balanced().isEmpty()) {
      b.balancedLan(TrafficSelector.all());
    }
    policy.balanced().forEach(b::balancedLan);
    policy.router().forEach(b::balancedRouter);
    policy.exclusions().forEach(b::exclude);
    return b;
  }

}
