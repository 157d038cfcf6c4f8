package dev.mlb.testkit.check;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static com.google.common.base.Preconditions.checkState;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.iproute.IpRule;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.iproute.RoutingTable;
import dev.mlb.netfilter.Chain;
import dev.mlb.netfilter.Match;
import dev.mlb.netfilter.Rule;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.netfilter.Statistic;
import dev.mlb.netfilter.StatisticMatch;
import dev.mlb.netfilter.Table;
import dev.mlb.testkit.gen.FlowGenerator;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.FlowResult;
import dev.mlb.testkit.sim.PolicyRouting;
import dev.mlb.testkit.sim.Selectors;
import dev.mlb.testkit.sim.Simulator;
import dev.mlb.testkit.sim.Topology;
import dev.mlb.testkit.sim.Trace;
import dev.mlb.testkit.sim.Traffic;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The balancing properties of DESIGN.md (1 to 7, and 12 given the router without mlb) as a library
 * check, usable from any test framework:
 * describe what must hold, run a flow sequence through the {@link Simulator}, and get the violations
 * per property, or an {@link AssertionError} with a counterexample trace.
 *
 * <pre>{@code
 * BalancingCheck check = BalancingCheck.builder(Topology.standard(2), ruleset, plan)
 *     .balancedLan(Traffic.of(Protocol.TCP, 22, 25, 80, 443))   // properties 1 and 2
 *     .balancedRouter(Traffic.of(Protocol.TCP, 80))
 *     .weight(InterfaceName.of("ppp1"), 2)                         // default 1 each
 *     .exclude(IpPrefix.parse("203.0.113.128/25"))                 // property 7
 *     .build();
 * check.violations(BalancingProperty.STICKY);                      // List<Violation>
 * check.assertAll();                                               // AssertionError naming each broken property
 * }</pre>
 *
 * <p><b>Uplink marks.</b> Which mark designates which uplink is asked of the routing plan unless
 * given with {@link Builder#uplinkMark}: for each {@code fwmark} rule of the plan, in order, a
 * packet from a LAN client to the server with exactly that mark is looked up; if that rule decides
 * and the packet leaves through an uplink, the rule's value/mask designates that uplink (the first
 * such rule per uplink wins). A flow's mark is its connection mark; it designates the uplinks whose
 * value it has under their mask (a zero value designates nothing).
 *
 * <p><b>Flows.</b> Unless {@link Builder#flows} gives the sequence, it is generated with
 * {@link FlowGenerator} from the seed and shuffled: {@code lanFlows} LAN flows of the balanced
 * traffic, {@code routerFlows} router flows (of the balanced router traffic, else of the balanced
 * LAN traffic), one TCP and one UDP connection arriving on every uplink, and for each exclusion
 * two LAN flows and one router flow that it excludes. The flows run in one simulator, one after the
 * other, as the kernel would see them; a counterexample re-runs the same sequence in a fresh
 * simulator up to the offending flow and traces it, so nth counters match.
 *
 * <p><b>What each property checks.</b> 1: LAN (and router) flows of the balanced traffic, not
 * excluded, have a connection mark that designates exactly one uplink. 2: over the flows whose mark
 * designates an uplink, in order (LAN and router alike, since they may share nth counters), for
 * {@link Strategy#NTH} every prefix of length L gives uplink i between {@code L*w_i/W - max(w)} and
 * {@code L*w_i/W + max(w)} flows; for {@link Strategy#RANDOM} each uplink's total lies within the
 * exact binomial bounds ({@link BinomialBound}) for its weight share, which a correct random split
 * leaves with probability at most {@link Builder#randomAlpha alpha} (default 1e-9) over all uplinks
 * together (a union bound: {@code alpha / uplinks} each). 3: for every flow, every packet that touched an uplink touched
 * the flow's uplink, and no packet after the first is lost. 4: a LAN or router flow whose mark
 * designates an uplink first leaves through it, and no packet it sends is dropped by a provider for
 * its source address. 5: every reply of a LAN flow reaches the LAN client. 6: every answer to an
 * inbound connection leaves through the uplink it arrived on and reaches the remote host. 7: LAN
 * and router flows that an exclusion matches have no mark that designates an uplink.
 * 12 (only with a {@link Builder#baseline}, the router without mlb): every flow that mlb did not
 * balance leaves, packet by packet, through the same interface with the same mark as on the
 * baseline (compared as far as both runs go: mlb's NAT may let a flow go on further).
 *
 * <p><b>Selectors.</b> Traffic can also be given as a policy's {@link TrafficSelector} (protocol or
 * any, port ranges, sources, destinations): {@link Builder#balancedLan(TrafficSelector)},
 * {@link Builder#balancedRouter(TrafficSelector)}, {@link Builder#exclude(TrafficSelector)}. A flow
 * is of a selector when every criterion the selector has holds for it; a router flow names no
 * source, so a selector with sources never picks one. With any selector given, the generated flows
 * are drawn inside the selectors ({@link FlowGenerator#lan(TrafficSelector)}): {@code lanFlows} LAN
 * flows cycling through the balanced LAN selectors (each drawn again, up to four times, while an
 * exclusion picks it), {@code routerFlows} router flows cycling through the balanced router
 * selectors (default: as many as LAN flows; with no router selectors, a quarter of them, at least
 * 4, of the LAN selectors without their sources), one TCP and one UDP connection arriving on every
 * uplink, and for each exclusion two LAN flows and one router flow inside both it and the first
 * balanced selector it overlaps (else inside it alone).
 *
 * <p><b>Nothing else.</b> With {@link Builder#balanceNothingElse()}, property 7 also holds flows
 * that no balanced selector picks to being unbalanced (a policy says exactly what it balances), and
 * the generated flows include, for each balanced selector that restricts anything, two flows just
 * outside it ({@link FlowGenerator#lanOutside}): another protocol, port, source or destination.
 *
 * <p><b>Multipath.</b> Under {@link Strategy#MULTIPATH} outgoing connections carry no uplink mark:
 * the kernel's route picks a nexthop per flow. A flow is then balanced when its mark designates an
 * uplink or when its first packet, looked up as the simulator does (mark 0, from the LAN interface
 * or, for the router, from {@code lo} with the source the first lookup picks), is routed by a route
 * of the {@link Builder#multipathTable multipath table} (when none is given: by a route with
 * nexthops). Property 1 becomes: every selected flow is balanced and leaves through exactly one
 * uplink (all its packets to the other end leave through the one its first packet took). Property 2
 * has no bound: the simulator's nexthop choice is a deterministic hash of the addresses, like the
 * kernel's but not the same, so only {@link #split()} reports how the flows spread. Properties 3 to
 * 6 are unchanged; property 7 uses the same meaning of balanced.
 *
 * <p>Limits: stickiness (3) is checked on the uplinks packets use, not on each packet's mark (the
 * simulator's outline does not record marks; a counterexample trace shows them). A check runs its
 * flows once, on first use, and keeps the outlines; it is not thread-safe.
 */
public final class BalancingCheck {

  /** How the ruleset splits flows, which decides the bound of property 2. */
  public enum Strategy {
    /** {@code -m statistic --mode nth}: exact within the largest weight at every prefix. */
    NTH,
    /**
     * {@code -m statistic --mode random}: within exact binomial bounds that a correct split leaves
     * with probability at most {@link Builder#randomAlpha alpha} over all uplinks.
     */
    RANDOM,
    /** A weighted multipath route, no uplink marks on outgoing connections: no bound, the split is reported. */
    MULTIPATH
  }


  final Topology topology;
  private final Ruleset ruleset;
  private final RoutingPlan plan;
  final long seed;
  final ImmutableList<Traffic> balancedLan;
  final ImmutableList<Traffic> balancedRouter;
  final ImmutableList<IpPrefix> excludedDestinations;
  final ImmutableList<Traffic> excludedTraffic;
  final ImmutableList<TrafficSelector> lanSelectors;
  final ImmutableList<TrafficSelector> routerSelectors;
  final ImmutableList<TrafficSelector> excludedSelectors;
  final boolean nothingElse;
  final Optional<RoutingTable> multipathTable;
  final PolicyRouting routing;
  final ImmutableMap<InterfaceName, Integer> weights;
  /** The uplinks that take new connections (property 2 splits over them): all unless given. */
  final ImmutableList<InterfaceName> active;
  final ImmutableMap<InterfaceName, Designation> marks;
  final Strategy strategy;
  final double randomAlpha;
  private final ImmutableList<Flow> flows;
  private List<Trace> outlines;
  private final Optional<Ruleset> baselineRules;
  private final Optional<RoutingPlan> baselinePlan;
  private List<Trace> baselineOutlines;
  private final Verdicts verdicts;

  /** Which mark designates an uplink, and where that was learnt. */
  record Designation(Mark mark, String source) {}

  private BalancingCheck(Builder b) {
    this.topology = b.topology;
    this.ruleset = b.ruleset;
    this.plan = b.plan;
    this.baselineRules = Optional.ofNullable(b.baselineRules);
    this.baselinePlan = Optional.ofNullable(b.baselinePlan);
    this.seed = b.seed;
    this.balancedLan = ImmutableList.copyOf(b.balancedLan);
    this.balancedRouter = ImmutableList.copyOf(b.balancedRouter);
    this.excludedDestinations = ImmutableList.copyOf(b.excludedDestinations);
    this.excludedTraffic = ImmutableList.copyOf(b.excludedTraffic);
    this.lanSelectors = ImmutableList.copyOf(b.lanSelectors);
    this.routerSelectors = ImmutableList.copyOf(b.routerSelectors);
    this.excludedSelectors = ImmutableList.copyOf(b.excludedSelectors);
    this.nothingElse = b.nothingElse;
    this.multipathTable = Optional.ofNullable(b.multipathTable);
    this.routing = PolicyRouting.of(topology, plan);
    Map<InterfaceName, Integer> w = new LinkedHashMap<>();
    for (Topology.Uplink u : topology.uplinks()) {
      w.put(u.iface(), b.weights.getOrDefault(u.iface(), 1));
    }
    this.weights = ImmutableMap.copyOf(w);
    this.active = b.active == null ? ImmutableList.copyOf(w.keySet())
        : w.keySet().stream().filter(b.active::contains).collect(ImmutableList.toImmutableList());
    this.marks = designations(b.marks);
    this.strategy = b.strategy != null ? b.strategy : (usesRandom(ruleset) ? Strategy.RANDOM : Strategy.NTH);
    this.randomAlpha = b.randomAlpha;
    this.verdicts = new Verdicts(this);
    this.flows = b.flows != null ? ImmutableList.copyOf(b.flows) : new CheckFlows(this, verdicts).generate(b);
  }

  public static Builder builder(Topology topology, Ruleset ruleset, RoutingPlan plan) {
    return new Builder(topology, ruleset, plan);
  }

  /** Describes a {@link BalancingCheck}. */
  public static final class Builder {
    private final Topology topology;
    private final Ruleset ruleset;
    private final RoutingPlan plan;
    private long seed = 1;
    private final List<Traffic> balancedLan = new ArrayList<>();
    private final List<Traffic> balancedRouter = new ArrayList<>();
    private final List<IpPrefix> excludedDestinations = new ArrayList<>();
    private final List<Traffic> excludedTraffic = new ArrayList<>();
    private final List<TrafficSelector> lanSelectors = new ArrayList<>();
    private final List<TrafficSelector> routerSelectors = new ArrayList<>();
    private final List<TrafficSelector> excludedSelectors = new ArrayList<>();
    private boolean nothingElse;
    boolean inbound = true;
    private RoutingTable multipathTable;
    private final Map<InterfaceName, Integer> weights = new LinkedHashMap<>();
    private java.util.Set<InterfaceName> active;
    private final Map<InterfaceName, Mark> marks = new LinkedHashMap<>();
    private Strategy strategy;
    private double randomAlpha = BinomialBound.ONE_IN_A_BILLION;
    private List<Flow> flows;
    private Ruleset baselineRules;
    private RoutingPlan baselinePlan;
    int lanFlows = -1;
    int routerFlows = -1;
    Traffic routerTraffic;

    private Builder(Topology topology, Ruleset ruleset, RoutingPlan plan) {
      checkArgument(topology != null && ruleset != null && plan != null, "topology, ruleset and plan are required");
      this.topology = topology;
      this.ruleset = ruleset;
      this.plan = plan;
    }

    /** LAN traffic that must be balanced (properties 1 and 2); repeatable. */
    public Builder balancedLan(Traffic traffic) {
      balancedLan.add(traffic);
      return this;
    }

    /** Router-originated traffic that must be balanced (property 1); repeatable. */
    public Builder balancedRouter(Traffic traffic) {
      balancedRouter.add(traffic);
      return this;
    }

    /** Destinations that must never be balanced (property 7). */
    public Builder exclude(IpPrefix destination) {
      excludedDestinations.add(destination.network());
      return this;
    }

    /** Traffic (protocol and ports) that must never be balanced (property 7). */
    public Builder exclude(Traffic traffic) {
      excludedTraffic.add(traffic);
      return this;
    }

    /** LAN traffic of a policy's selector that must be balanced (properties 1 and 2); repeatable. */
    public Builder balancedLan(TrafficSelector selector) {
      lanSelectors.add(checkNotNull(selector));
      return this;
    }

    /** Router-originated traffic of a policy's selector that must be balanced (property 1); repeatable. */
    public Builder balancedRouter(TrafficSelector selector) {
      routerSelectors.add(checkNotNull(selector));
      return this;
    }

    /** Traffic of a policy's selector that must never be balanced, LAN or router (property 7); repeatable. */
    public Builder exclude(TrafficSelector selector) {
      excludedSelectors.add(checkNotNull(selector));
      return this;
    }

    /**
     * Traffic that no balanced selector picks must not be balanced either (property 7), and the
     * generated flows include some just outside each balanced selector (see the class comment).
     */
    public Builder balanceNothingElse() {
      this.nothingElse = true;
      return this;
    }

    /**
     * Whether the generated flows include one TCP and one UDP connection arriving on every uplink
     * (default true). A router that does not keep inbound connections on their uplink (a policy
     * without inbound stickiness) answers them by its main table, so property 6 does not apply.
     */
    public Builder inboundFlows(boolean generate) {
      this.inbound = generate;
      return this;
    }

    /** For {@link Strategy#MULTIPATH}: the table whose routes balance (default: any route with nexthops). */
    public Builder multipathTable(RoutingTable table) {
      this.multipathTable = checkNotNull(table);
      return this;
    }

    /** The weight of {@code uplink}, 1 to 1000 (default 1). */
    public Builder weight(InterfaceName uplink, int weight) {
      checkArgument(topology.uplink(uplink).isPresent(), "%s is no uplink of the topology", uplink);
      checkArgument(weight >= 1 && weight <= 1000, "weight %s of %s is outside 1..1000", weight, uplink);
      weights.put(uplink, weight);
      return this;
    }

    /**
     * The uplinks that take new connections (default all): with some down, or of a worse tier,
     * property 2 splits over these by their weights, and a balanced flow marked for another
     * uplink breaks it.
     */
    public Builder activeUplinks(java.util.Collection<InterfaceName> uplinks) {
      for (InterfaceName u : uplinks) {
        checkArgument(topology.uplink(u).isPresent(), "%s is no uplink of the topology", u);
      }
      this.active = new java.util.LinkedHashSet<>(uplinks);
      return this;
    }

    /** The mark that designates {@code uplink}, instead of asking the routing plan. */
    public Builder uplinkMark(InterfaceName uplink, Mark mark) {
      checkArgument(topology.uplink(uplink).isPresent(), "%s is no uplink of the topology", uplink);
      marks.put(uplink, mark);
      return this;
    }

    /** The split strategy (default: RANDOM if any rule uses {@code statistic --mode random}, else NTH). */
    public Builder strategy(Strategy strategy) {
      this.strategy = strategy;
      return this;
    }

    /**
     * For {@link Strategy#RANDOM}: the probability, over all uplinks together, with which a correct
     * random split may still fail property 2 (default {@link BinomialBound#ONE_IN_A_BILLION}). A test
     * that runs several checks divides its own budget between them.
     */
    public Builder randomAlpha(double alpha) {
      checkArgument(alpha > 0 && alpha < 1, "alpha %s is outside (0, 1)", alpha);
      this.randomAlpha = alpha;
      return this;
    }

    /** The seed for the generated flows and the simulator's random numbers (default 1). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** How many LAN flows of the balanced traffic to generate (default: 4 times the weight sum, at least 16). */
    public Builder lanFlows(int count) {
      checkArgument(count >= 0, "negative flow count %s", count);
      this.lanFlows = count;
      return this;
    }

    /** How many router flows to generate (default: as many as LAN flows). */
    public Builder routerFlows(int count) {
      checkArgument(count >= 0, "negative flow count %s", count);
      this.routerFlows = count;
      return this;
    }

    /** The traffic of generated router flows (default: the balanced router traffic, else the LAN's). */
    public Builder routerTraffic(Traffic traffic) {
      this.routerTraffic = traffic;
      return this;
    }

    /** Check exactly these flows, in this order, instead of generated ones. */
    /**
     * The same router without mlb: its ruleset and routing plan with mlb's chains, jumps, ip rules
     * and routes left out. With it the check also checks property 12 (traffic mlb does not balance
     * leaves exactly as on this baseline); without it, property 12 is not checked.
     */
    public Builder baseline(Ruleset rules, RoutingPlan plan) {
      this.baselineRules = checkNotNull(rules, "rules");
      this.baselinePlan = checkNotNull(plan, "plan");
      return this;
    }

    public Builder flows(List<Flow> flows) {
      this.flows = List.copyOf(flows);
      return this;
    }

    public BalancingCheck build() {
      return new BalancingCheck(this);
    }
  }

  // ---------------------------------------------------------------- setup

  private ImmutableMap<InterfaceName, Designation> designations(Map<InterfaceName, Mark> given) {
    Map<InterfaceName, Designation> out = new LinkedHashMap<>();
    given.forEach((u, m) -> out.put(u, new Designation(m, "given")));
    IpAddress client = topology.lanClients(1).get(0);
    for (IpRule rule : plan.rules()) {
      if (rule.fwmark().isEmpty() || rule.fwmark().get().value() == 0) {
        continue;
      }
      Mark m = rule.fwmark().get();
      PolicyRouting.Choice d = routing.lookup(Optional.of(client), topology.server(), m.value(),
          topology.lanInterface().name(), Protocol.TCP, 40000, 443);
      if (d.kind() != PolicyRouting.Kind.FORWARD || !d.rule().equals(Optional.of(rule))) {
        continue;
      }
      Optional<Topology.Uplink> up = topology.uplink(d.device().get());
      if (up.isPresent() && !out.containsKey(up.get().iface())) {
        out.put(up.get().iface(), new Designation(m, d.describe()));
      }
    }
    return ImmutableMap.copyOf(out);
  }

  private static boolean usesRandom(Ruleset ruleset) {
    for (Table t : ruleset.tables()) {
      for (Chain c : t.chains()) {
        for (Rule r : c.rules()) {
          for (Match m : r.matches()) {
            if (m instanceof StatisticMatch s && s.mode() instanceof Statistic.Random) {
              return true;
            }
          }
        }
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- accessors

  /** The flows checked, in the order they run. */
  public List<Flow> flows() {
    return flows;
  }

  /** Which mark designates which uplink (given, or learnt from the routing plan). */
  public Map<InterfaceName, Mark> uplinkMarks() {
    Map<InterfaceName, Mark> out = new LinkedHashMap<>();
    marks.forEach((u, d) -> out.put(u, d.mark()));
    return out;
  }

  /**
   * {@code ppp0 0x1 (ip rule 100 "from all fwmark 0x1 lookup 1", route "..."), ppp1 ...}: each
   * uplink's mark and where it was learnt, or a sentence saying no mark designates any uplink.
   */
  public String describeUplinkMarks() {
    if (marks.isEmpty()) {
      return "none (" + verdicts.marksText() + ")";
    }
    StringBuilder b = new StringBuilder();
    marks.forEach((u, d) -> b.append(b.length() == 0 ? "" : ", ").append(u).append(' ').append(d.mark())
        .append(" (").append(d.source()).append(')'));
    return b.toString();
  }

  /** The split strategy property 2 assumes. */
  public Strategy strategy() {
    return strategy;
  }

  /** Each uplink's expected weight, in the topology's order. */
  public Map<InterfaceName, Integer> weights() {
    return weights;
  }

  /**
   * How many balanced LAN and router flows each uplink got, in the topology's order: by the uplink
   * their mark designates, as property 2 counts them; under {@link Strategy#MULTIPATH} flows without
   * an uplink mark count for the uplink their first packet left through when the multipath route
   * balanced them.
   */
  public Map<InterfaceName, Integer> split() {
    Map<InterfaceName, Integer> out = new LinkedHashMap<>();
    weights.keySet().forEach(u -> out.put(u, 0));
    for (Trace t : outlines()) {
      Flow f = t.result().flow();
      if (f.origin() == Flow.Origin.INBOUND) {
        continue;
      }
      List<InterfaceName> d = verdicts.designated(t.result().mark());
      if (d.size() == 1) {
        out.merge(d.get(0), 1, Integer::sum);
      } else if (d.isEmpty() && strategy == Strategy.MULTIPATH && verdicts.multipathRoute(f).isPresent()
          && !t.packets().isEmpty() && t.packets().get(0).uplink().isPresent()) {
        out.merge(t.packets().get(0).uplink().get(), 1, Integer::sum);
      }
    }
    return out;
  }

  /**
   * {@link #split()} in words: {@code ppp0 8 (50.0%, weight 1 of 2: 50.0%), ppp1 8 (...)}.
   */
  public String describeSplit() {
    Map<InterfaceName, Integer> split = split();
    int total = split.values().stream().mapToInt(Integer::intValue).sum();
    int weightSum = weights.values().stream().mapToInt(Integer::intValue).sum();
    StringBuilder b = new StringBuilder();
    split.forEach((u, n) -> b.append(b.length() == 0 ? "" : ", ").append(u).append(' ').append(n)
        .append(" (").append(percent(n, total)).append(", weight ").append(weights.get(u)).append(" of ")
        .append(weightSum).append(": ").append(percent(weights.get(u), weightSum)).append(')'));
    return b.toString();
  }

  private static String percent(int part, int whole) {
    return whole == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
  }

  /** Each flow's outline (result and per-packet uplinks and losses), running them once. */
  public List<Trace> outlines() {
    if (outlines == null) {
      Simulator sim = Simulator.of(topology, ruleset, plan, seed);
      List<Trace> out = new ArrayList<>(flows.size());
      for (Flow f : flows) {
        out.add(sim.outline(f));
      }
      outlines = ImmutableList.copyOf(out);
    }
    return outlines;
  }

  /** The properties this check checks, in order: 1 to 7, and 12 with a {@link Builder#baseline}. */
  public List<BalancingProperty> checkedProperties() {
    List<BalancingProperty> out = new ArrayList<>();
    for (BalancingProperty p : BalancingProperty.values()) {
      if (p != BalancingProperty.FOREIGN_TRAFFIC_UNTOUCHED || checksForeignTraffic()) {
        out.add(p);
      }
    }
    return out;
  }

  /** Whether property 12 is checked: the builder was given the router without mlb. */
  public boolean checksForeignTraffic() {
    return baselineRules.isPresent();
  }

  /** Each flow's outline on the router without mlb (property 12), running them once; empty without a baseline. */
  List<Trace> baselineOutlines() {
    if (baselineOutlines == null) {
      if (baselineRules.isEmpty()) {
        baselineOutlines = ImmutableList.of();
      } else {
        Simulator sim = Simulator.of(topology, baselineRules.get(), baselinePlan.get(), seed);
        List<Trace> out = new ArrayList<>(flows.size());
        for (Flow f : flows) {
          out.add(sim.outline(f));
        }
        baselineOutlines = ImmutableList.copyOf(out);
      }
    }
    return baselineOutlines;
  }

  /** The flows' results, in order. */
  public List<FlowResult> results() {
    return outlines().stream().map(Trace::result).collect(ImmutableList.toImmutableList());
  }

  /**
   * The counterexample of {@code v}: the same flow sequence in a fresh simulator, run up to the
   * offending flow, which is traced.
   */
  public Trace counterexample(Violation v) {
    checkArgument(v.flowIndex() < flows.size() && flows.get(v.flowIndex()).equals(v.flow()),
        "violation %s is not of this check's flows", v);
    Simulator sim = Simulator.of(topology, ruleset, plan, seed);
    for (int i = 0; i < v.flowIndex(); i++) {
      sim.run(flows.get(i));
    }
    return sim.trace(v.flow());
  }

  // ---------------------------------------------------------------- the properties

  /** The violations of every property, in property order. */
  public Map<BalancingProperty, List<Violation>> violations() {
    Map<BalancingProperty, List<Violation>> out = new EnumMap<>(BalancingProperty.class);
    for (BalancingProperty p : BalancingProperty.values()) {
      out.put(p, violations(p));
    }
    return out;
  }

  /** The violations of {@code property}; empty when it holds. */
  public List<Violation> violations(BalancingProperty property) {
    List<Violation> out = new ArrayList<>();
    List<Trace> traces = outlines();
    if (property == BalancingProperty.SPLIT_BY_WEIGHT) {
      verdicts.split(traces, out);
      return out;
    }
    if (property == BalancingProperty.FOREIGN_TRAFFIC_UNTOUCHED) {
      List<Trace> base = baselineOutlines();
      for (int i = 0; i < base.size(); i++) {
        int index = i;
        verdicts.foreignUntouched(traces.get(i), base.get(i))
            .ifPresent(w -> out.add(new Violation(property, index, traces.get(index).result().flow(), w)));
      }
      return out;
    }
    for (int i = 0; i < traces.size(); i++) {
      Trace t = traces.get(i);
      Optional<String> why = switch (property) {
        case ONE_UPLINK_MARK -> verdicts.oneMark(t);
        case STICKY -> verdicts.sticky(t);
        case EGRESS_MATCHES_MARK -> verdicts.egress(t);
        case LAN_REPLIES -> verdicts.lanReplies(t);
        case INBOUND_ANSWERED_ON_ARRIVAL -> verdicts.inbound(t);
        case EXCLUDED_NOT_BALANCED -> verdicts.excluded(t);
        case SPLIT_BY_WEIGHT, FOREIGN_TRAFFIC_UNTOUCHED -> throw new AssertionError();
      };
      int index = i;
      why.ifPresent(w -> out.add(new Violation(property, index, t.result().flow(), w)));
    }
    return out;
  }

  /** Whether every property holds. */
  public boolean holds() {
    return violations().values().stream().allMatch(List::isEmpty);
  }

  /** Throws an {@link AssertionError} if any property is violated (see {@link #assertAll(BalancingProperty...)}). */
  public void assertAll() {
    assertAll(BalancingProperty.values());
  }

  /**
   * Throws an {@link AssertionError} whose message names every violated property among
   * {@code properties}, how many flows break it, the first one's explanation, and its
   * counterexample trace.
   */
  public void assertAll(BalancingProperty... properties) {
    StringBuilder b = new StringBuilder();
    for (BalancingProperty p : properties) {
      List<Violation> vs = violations(p);
      if (!vs.isEmpty()) {
        b.append(report(p, vs));
      }
    }
    if (b.length() > 0) {
      throw new AssertionError(b.toString());
    }
  }

  /**
   * The report of one violated property: {@code property N (...) violated by K of M flows},
   * the first violation, and its counterexample trace.
   */
  public String report(BalancingProperty p, List<Violation> vs) {
    checkState(!vs.isEmpty(), "no violations of %s to report", p);
    Violation first = vs.get(0);
    StringBuilder b = new StringBuilder();
    b.append(p).append(" violated by ").append(vs.size()).append(vs.size() == 1 ? " flow" : " flows")
        .append(" of ").append(flows.size()).append('\n');
    b.append("  first: flow #").append(first.flowIndex() + 1).append(' ').append(first.flow()).append('\n');
    b.append("  why: ").append(first.explanation()).append('\n');
    b.append("  counterexample trace").append(first.flowIndex() == 0 ? ""
        : first.flowIndex() == 1 ? " (flow #1 replayed first)"
        : " (flows #1..#" + first.flowIndex() + " replayed first)").append(":\n");
    for (String line : counterexample(first).toString().split("\n")) {
      b.append("    ").append(line).append('\n');
    }
    return b.toString();
  }
}
