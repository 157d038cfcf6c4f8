package dev.mlb.testkit.check;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Mark;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import dev.mlb.testkit.gen.FlowGenerator;
import dev.mlb.testkit.gen.UplinkStates;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.FlowResult;
import dev.mlb.testkit.sim.Simulator;
import dev.mlb.testkit.sim.Topology;
import dev.mlb.testkit.sim.Traffic;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The failover properties of DESIGN.md (8 to 11) for a policy and a sequence of transitions, in
 * the {@link Simulator}: providers die and come back, the router applies the policy compiled for
 * each new down set as {@code mlb apply} does ({@link Simulator#transition}: conntrack kept, the
 * entries of the uplinks that went down deleted by mark and mask), and flows kept open across the
 * transitions and new flows after each show what happened.
 *
 * <pre>{@code
 * FailoverCheck check = FailoverCheck.builder(policy, List.of(
 *         new UplinkStates(Set.of("isp2"), Set.of("isp2")),     // isp2 dies
 *         new UplinkStates(Set.of(), Set.of())))                // and comes back
 *     .seed(7).build();
 * check.violations(FailoverProperty.LIVE_FLOWS_SURVIVE);        // List<FailoverViolation>
 * check.assertAll();                                            // AssertionError naming each broken property
 * }</pre>
 *
 * <p><b>The run.</b> Step 0 is the policy with nothing down, every provider alive. The flows kept
 * open are opened there: per balanced LAN selector (all LAN traffic when the policy names none),
 * up to three, one TCP and one UDP flow inside it; one flow per router selector; and, when the
 * policy keeps inbound connections sticky, one UDP connection arriving on every uplink. Then, and
 * after every transition, {@code newFlows} new flows run: LAN flows cycling through the balanced
 * selectors, every fourth a router flow when the policy balances router traffic. At step k
 * (after the k-th transition) the providers of {@link UplinkStates#dead()} are killed (the others
 * revived), the router moves to the policy with {@link UplinkStates#down()} down, every flow still
 * open exchanges once more, then the new flows run. The flows of one check have distinct ports.
 *
 * <p><b>What each property checks.</b> A new balanced connection is a new flow the policy
 * balances ({@link CompiledPolicy#balances}), or an open flow it balances whose connection the
 * transition deleted (its next exchange is balanced anew; a TCP one is then reset by the server,
 * which sees another source). 8: while some uplink is active
 * ({@link BalancingPolicy#activeUplinks()}), no new balanced connection carries the mark of a down
 * uplink or leaves through one, and while every active uplink's provider is alive, each completes
 * (but such a TCP flow);
 * with none active (all down, all-down main), none carries an uplink mark. 9: an open flow whose
 * last exchange went through and whose uplink is neither down nor dead completes its next
 * exchange through the same uplink with the same mark. 10: at every step, the uplinks the new
 * balanced connections' marks designate, in order, split by the active uplinks' weights: for
 * {@link Strategy#NTH} within the largest active weight at every prefix (every transition
 * restores the rules, so the nth counters start fresh), for {@link Strategy#RANDOM} within exact
 * binomial bounds that a correct split leaves with probability at most {@code randomAlpha} over
 * the whole check (a union bound over steps and uplinks). 11: no new balanced connection carries
 * the mark of an uplink whose tier is worse than the best tier with an uplink that is not down.
 *
 * <p>Policies with {@link Strategy#MULTIPATH} cannot fail over (validation refuses a down set);
 * the check refuses them with transitions. The check runs once, on first use; not thread-safe.
 */
public final class FailoverCheck {
  private final BalancingPolicy policy;
  private final ImmutableList<UplinkStates> transitions;
  private final long seed;
  private final int newFlows;
  private final double randomAlpha;
  private final Topology topology;
  private final Map<FailoverProperty, List<FailoverViolation>> violations = new EnumMap<>(FailoverProperty.class);
  private int flowsRun;
  private int exchanges;
  private boolean ran;

  private FailoverCheck(Builder b) {
    this.policy = b.policy.withDown(List.of());
    this.transitions = ImmutableList.copyOf(b.transitions);
    this.seed = b.seed;
    this.newFlows = b.newFlows >= 0 ? b.newFlows : Math.min(40, Math.max(12, 2 * policy.weightSum()));
    this.randomAlpha = b.randomAlpha;
    this.topology = CompiledPolicy.compile(policy).topology();
    checkArgument(policy.strategy() != Strategy.MULTIPATH || transitions.isEmpty(),
        "strategy multipath cannot fail over; no transitions can be checked for it");
    Set<String> names = new HashSet<>();
    policy.uplinks().forEach(u -> names.add(u.name()));
    for (UplinkStates s : transitions) {
      checkArgument(names.containsAll(s.dead()) && names.containsAll(s.down()),
          "transition %s names an uplink the policy does not have (%s)", s, names);
    }
    for (FailoverProperty p : FailoverProperty.values()) {
      violations.put(p, new ArrayList<>());
    }
  }

  /** A check of {@code policy} (its own down set is ignored: step 0 has none) through {@code transitions}. */
  public static Builder builder(BalancingPolicy policy, List<UplinkStates> transitions) {
    return new Builder(policy, transitions);
  }

  /** Describes a {@link FailoverCheck}. */
  public static final class Builder {
    private final BalancingPolicy policy;
    private final List<UplinkStates> transitions;
    private long seed = 1;
    private int newFlows = -1;
    private double randomAlpha = BinomialBound.ONE_IN_A_BILLION;

    private Builder(BalancingPolicy policy, List<UplinkStates> transitions) {
      this.policy = checkNotNull(policy, "policy");
      this.transitions = List.copyOf(checkNotNull(transitions, "transitions"));
    }

    /** The seed of the generated flows and the simulator's random numbers (default 1). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** New flows per step (default twice the weight sum, 12 to 40). */
    public Builder newFlows(int count) {
      checkArgument(count >= 0 && count <= 10_000, "new flows %s is outside 0..10000", count);
      this.newFlows = count;
      return this;
    }

    /** For RANDOM: the probability with which a correct split may still fail property 10 in this check. */
    public Builder randomAlpha(double alpha) {
      checkArgument(alpha > 0 && alpha < 1, "alpha %s is outside (0, 1)", alpha);
      this.randomAlpha = alpha;
      return this;
    }

    public FailoverCheck build() {
      return new FailoverCheck(this);
    }
  }

  // ---------------------------------------------------------------- results

  /** The violations of {@code property}; empty when it holds. */
  public List<FailoverViolation> violations(FailoverProperty property) {
    run();
    return List.copyOf(violations.get(property));
  }

  /** The violations of every property, in property order. */
  public Map<FailoverProperty, List<FailoverViolation>> violations() {
    run();
    Map<FailoverProperty, List<FailoverViolation>> out = new EnumMap<>(FailoverProperty.class);
    violations.forEach((p, v) -> out.put(p, List.copyOf(v)));
    return out;
  }

  /** Throws an {@link AssertionError} naming every violated property, how often, and the first violation. */
  public void assertAll() {
    StringBuilder b = new StringBuilder();
    violations().forEach((p, vs) -> {
      if (!vs.isEmpty()) {
        b.append(p).append(" violated ").append(vs.size()).append(vs.size() == 1 ? " time" : " times")
            .append("; first: ").append(vs.get(0)).append('\n');
      }
    });
    if (b.length() > 0) {
      throw new AssertionError(b + "transitions: " + transitions + "\npolicy: " + policy);
    }
  }

  /** How many flows (opened or new) and exchanges of open flows the check ran. */
  public String describeRun() {
    run();
    return transitions.size() + " transitions, " + flowsRun + " flows, " + exchanges + " exchanges of open flows";
  }

  /** The number of transitions checked. */
  public int transitionCount() {
    return transitions.size();
  }

  // ---------------------------------------------------------------- the run

  private void run() {
    if (ran) {
      return;
    }
    ran = true;
    CompiledPolicy compiled = CompiledPolicy.compile(policy);
    Simulator sim = Simulator.of(topology, compiled.ruleset(IpFamily.V4), compiled.simulatedPlan(), seed);
    FlowGenerator gen = FlowGenerator.of(topology, new SplittableRandom(seed));
    Set<String> usedPorts = new HashSet<>();
    List<TrafficSelector> lanSelectors = policy.balanced().isEmpty() ? List.of(TrafficSelector.all()) : policy.balanced();
    Map<Flow, FlowResult> open = new LinkedHashMap<>();
    List<NewConnection> sequence = new ArrayList<>();
    // Step 0: open the kept flows, then the new flows.
    for (Flow f : keptFlows(gen, lanSelectors, usedPorts)) {
      FlowResult r = sim.open(f);
      flowsRun++;
      open.put(f, r);
      if (compiled.balances(f)) {
        judgeNew(0, compiled.policy(), Set.<String>of(), r, sequence);
      }
    }
    runNewFlows(0, sim, compiled, gen, lanSelectors, usedPorts, Set.of(), sequence);
    judgeSplit(0, compiled.policy(), sequence);
    Set<String> down = Set.of();
    for (int step = 1; step <= transitions.size(); step++) {
      UplinkStates s = transitions.get(step - 1);
      Set<String> newlyDown = new HashSet<>(s.down());
      newlyDown.removeAll(down);
      down = s.down();
      for (Uplink u : policy.uplinks()) {
        if (s.dead().contains(u.name())) {
          sim.killUplink(u.iface());
        } else {
          sim.reviveUplink(u.iface());
        }
      }
      compiled = CompiledPolicy.compile(policy.withDown(down));
      List<Mark> deleted = policy.uplinks().stream().filter(u -> newlyDown.contains(u.name())).map(policy::mark)
          .toList();
      sim.transition(compiled.ruleset(IpFamily.V4), compiled.simulatedPlan(), deleted);
      sequence.clear();
      for (Map.Entry<Flow, FlowResult> e : open.entrySet()) {
        Flow f = e.getKey();
        FlowResult before = e.getValue();
        FlowResult after = sim.exchange(f);
        exchanges++;
        e.setValue(after);
        Optional<Uplink> was = designated(before.mark());
        if (before.completed() && was.isPresent() && !down.contains(was.get().name())
            && !s.dead().contains(was.get().name())) {
          survives(step, before, after);
        }
        if (was.isPresent() && newlyDown.contains(was.get().name()) && compiled.balances(f)) {
          // Balanced anew; a TCP flow is then reset by the server (another source), a UDP one answered.
          judgeNew(step, compiled.policy(), f.protocol().equals(Protocol.TCP) ? null : s.dead(), after, sequence);
        }
      }
      runNewFlows(step, sim, compiled, gen, lanSelectors, usedPorts, s.dead(), sequence);
      judgeSplit(step, compiled.policy(), sequence);
    }
  }

  /** The flows kept open (see the class comment), with ports no other flow of the check uses. */
  private List<Flow> keptFlows(FlowGenerator gen, List<TrafficSelector> lanSelectors, Set<String> used) {
    List<Flow> out = new ArrayList<>();
    for (TrafficSelector s : lanSelectors.subList(0, Math.min(3, lanSelectors.size()))) {
      for (Protocol p : List.of(Protocol.TCP, Protocol.UDP)) {
        if (s.protocol().isPresent() && !s.protocol().get().equals(p)) {
          continue;
        }
        TrafficSelector inside = s.protocol().isPresent() ? s
            : new TrafficSelector(Optional.of(p), s.ports(), s.sources(), s.destinations());
        fresh(used, () -> gen.lan(inside)).ifPresent(out::add);
      }
    }
    for (TrafficSelector s : policy.router()) {
      fresh(used, () -> gen.router(s)).ifPresent(out::add);
    }
    if (policy.stickyInbound()) {
      for (Topology.Uplink u : topology.uplinks()) {
        fresh(used, () -> Optional.of(gen.inbound(u, Traffic.of(Protocol.UDP, 53)))).ifPresent(out::add);
      }
    }
    return out;
  }

  private void runNewFlows(int step, Simulator sim, CompiledPolicy compiled, FlowGenerator gen,
      List<TrafficSelector> lanSelectors, Set<String> used, Set<String> dead, List<NewConnection> sequence) {
    for (int k = 0; k < newFlows; k++) {
      Optional<Flow> f;
      if (!policy.router().isEmpty() && k % 4 == 3) {
        TrafficSelector s = policy.router().get((k / 4) % policy.router().size());
        f = fresh(used, () -> gen.router(s));
      } else {
        TrafficSelector s = lanSelectors.get(k % lanSelectors.size());
        f = fresh(used, () -> gen.lan(s));
      }
      if (f.isEmpty()) {
        continue;
      }
      FlowResult r = sim.run(f.get());
      flowsRun++;
      if (compiled.balances(f.get())) {
        judgeNew(step, compiled.policy(), dead, r, sequence);
      }
    }
  }

  /** A flow from {@code draw} whose client port (and origin) no earlier flow of the check used; up to 8 draws. */
  private static Optional<Flow> fresh(Set<String> used, java.util.function.Supplier<Optional<Flow>> draw) {
    for (int i = 0; i < 8; i++) {
      Optional<Flow> f = draw.get();
      if (f.isEmpty()) {
        return f;
      }
      if (used.add(f.get().origin() + " " + f.get().client() + " " + f.get().clientPort())) {
        return f;
      }
    }
    return Optional.empty();
  }

  // ---------------------------------------------------------------- verdicts

  /** The uplink whose mark {@code mark} has under the policy's mask, if exactly one. */
  private Optional<Uplink> designated(OptionalLong mark) {
    if (mark.isEmpty()) {
      return Optional.empty();
    }
    List<Uplink> out = policy.uplinks().stream()
        .filter(u -> policy.mark(u).value() != 0 && policy.mark(u).matches(mark.getAsLong())).toList();
    return out.size() == 1 ? Optional.of(out.get(0)) : Optional.empty();
  }

  private void violation(FailoverProperty p, int step, Flow f, String why) {
    violations.get(p).add(new FailoverViolation(p, step, f, why));
  }

  /**
   * Properties 8 and 11 for one new balanced connection; its uplink joins {@code sequence}
   * (property 10). It must complete when no active uplink is {@code dead} (null: need not).
   */
  private void judgeNew(int step, BalancingPolicy now, Set<String> dead, FlowResult r, List<NewConnection> sequence) {
    Flow f = r.flow();
    Optional<Uplink> u = designated(r.mark());
    List<Uplink> active = now.activeUplinks();
    if (active.isEmpty()) {
      u.ifPresent(x -> violation(FailoverProperty.NO_NEW_FLOW_TO_DOWN, step, f, "every uplink is down "
          + now.down() + " and all-down is main, but it carries " + x.name() + "'s mark " + policy.mark(x)));
      return;
    }
    u.ifPresent(x -> sequence.add(new NewConnection(f, x.iface())));
    if (u.isPresent() && now.down().contains(u.get().name())) {
      violation(FailoverProperty.NO_NEW_FLOW_TO_DOWN, step, f, "its connmark " + Mark.hex(r.mark().getAsLong())
          + " designates " + u.get().name() + " (" + u.get().iface() + "), which is down " + now.down());
    }
    Optional<Uplink> left = r.uplink().flatMap(i -> policy.uplinks().stream().filter(x -> x.iface().equals(i)).findFirst());
    if (left.isPresent() && now.down().contains(left.get().name())) {
      violation(FailoverProperty.NO_NEW_FLOW_TO_DOWN, step, f, "it left through " + left.get().iface() + " ("
          + left.get().name() + "), which is down " + now.down() + "; " + r);
    }
    if (dead != null && active.stream().noneMatch(a -> dead.contains(a.name())) && !r.completed()) {
      violation(FailoverProperty.NO_NEW_FLOW_TO_DOWN, step, f, "it failed although every active uplink "
          + active.stream().map(Uplink::name).toList() + " is alive: " + r.loss().get());
    }
    int best = policy.uplinks().stream().filter(x -> !now.down().contains(x.name())).mapToInt(Uplink::tier).min()
        .orElse(Integer.MAX_VALUE);
    if (u.isPresent() && u.get().tier() > best) {
      violation(FailoverProperty.TIERS, step, f, "it carries the mark of " + u.get().name() + " (tier " + u.get().tier()
          + ") while an uplink of tier " + best + " is not down (down " + now.down() + ")");
    }
  }

  /** Property 9 for an open flow on a live uplink: same uplink, same mark, answered. */
  private void survives(int step, FlowResult before, FlowResult after) {
    if (!after.completed()) {
      violation(FailoverProperty.LIVE_FLOWS_SURVIVE, step, after.flow(), "its exchange after the transition failed: "
          + after.loss().get() + " (before: " + before + ")");
    } else if (!after.mark().equals(before.mark())) {
      violation(FailoverProperty.LIVE_FLOWS_SURVIVE, step, after.flow(), "its mark changed from "
          + Verdicts.markText(before.mark()) + " to " + Verdicts.markText(after.mark()));
    } else if (!after.uplink().equals(before.uplink())) {
      violation(FailoverProperty.LIVE_FLOWS_SURVIVE, step, after.flow(), "it moved from " + before.uplink()
          + " to " + after.uplink());
    }
  }

  /** Property 10 for one step's new balanced connections, in order. */
  private void judgeSplit(int step, BalancingPolicy now, List<NewConnection> sequence) {
    List<Uplink> active = now.activeUplinks();
    if (active.isEmpty() || sequence.isEmpty()) {
      return;
    }
    List<InterfaceName> ups = active.stream().map(Uplink::iface).toList();
    int total = active.stream().mapToInt(Uplink::weight).sum();
    int maxWeight = active.stream().mapToInt(Uplink::weight).max().getAsInt();
    int[] counts = new int[ups.size()];
    int seen = 0;
    NewConnection last = null;
    for (NewConnection c : sequence) {
      last = c;
      int k = ups.indexOf(c.uplink());
      if (k < 0) {
        continue;   // property 8 or 11 reports it
      }
      counts[k]++;
      seen++;
      if (policy.strategy() == Strategy.NTH) {
        for (int u = 0; u < ups.size(); u++) {
          double expected = seen * (double) active.get(u).weight() / total;
          if (Math.abs(counts[u] - expected) > maxWeight + 1e-9) {
            violation(FailoverProperty.SPLIT_RETURNS, step, c.flow(), "after " + seen
                + " new balanced connections " + ups.get(u) + " has " + counts[u] + ", expected "
                + Verdicts.fmt(expected) + " +- " + maxWeight + " (active " + describe(active) + ")");
            return;
          }
        }
      }
    }
    if (policy.strategy() == Strategy.RANDOM && seen > 0) {
      double alpha = randomAlpha / ((transitions.size() + 1) * (double) ups.size());
      for (int u = 0; u < ups.size(); u++) {
        // Each count is Binomial(seen, w_u / W) for a correct split; alpha per step and uplink
        // (half on either side) keeps the whole check under randomAlpha (a union bound).
        double p = active.get(u).weight() / (double) total;
        BinomialBound bound = BinomialBound.of(seen, p, alpha);
        if (!bound.contains(counts[u])) {
          violation(FailoverProperty.SPLIT_RETURNS, step, last.flow(), "after " + seen
              + " new balanced connections " + ups.get(u) + " has " + counts[u] + ", outside " + bound
              + " (active " + describe(active) + ")");
          return;
        }
      }
    }
  }

  /** A new balanced connection and the uplink its mark designates. */
  private record NewConnection(Flow flow, InterfaceName uplink) {}

  private static String describe(List<Uplink> active) {
    StringBuilder b = new StringBuilder();
    active.forEach(u -> b.append(b.length() == 0 ? "" : ", ").append(u.name()).append(" weight ").append(u.weight()));
    return b.toString();
  }

  @Override
  public String toString() {
    return "FailoverCheck{" + policy + ", " + transitions + "}";
  }
}
