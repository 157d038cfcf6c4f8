package dev.mlb.testkit.check;

import static com.google.common.base.Preconditions.checkState;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.testkit.gen.FlowGenerator;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.Selectors;
import dev.mlb.testkit.sim.Topology;
import dev.mlb.testkit.sim.Traffic;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The flows {@link BalancingCheck} generates when none are given (see its class comment,
 * "Flows" and "Selectors"), from its seed.
 */
final class CheckFlows {
  private final Topology topology;
  private final long seed;
  private final ImmutableList<Traffic> balancedLan;
  private final ImmutableList<Traffic> balancedRouter;
  private final ImmutableList<IpPrefix> excludedDestinations;
  private final ImmutableList<Traffic> excludedTraffic;
  private final ImmutableList<TrafficSelector> lanSelectors;
  private final ImmutableList<TrafficSelector> routerSelectors;
  private final ImmutableList<TrafficSelector> excludedSelectors;
  private final boolean nothingElse;
  private final ImmutableMap<InterfaceName, Integer> weights;
  private final Verdicts verdicts;

  CheckFlows(BalancingCheck c, Verdicts verdicts) {
    this.topology = c.topology;
    this.seed = c.seed;
    this.balancedLan = c.balancedLan;
    this.balancedRouter = c.balancedRouter;
    this.excludedDestinations = c.excludedDestinations;
    this.excludedTraffic = c.excludedTraffic;
    this.lanSelectors = c.lanSelectors;
    this.routerSelectors = c.routerSelectors;
    this.excludedSelectors = c.excludedSelectors;
    this.nothingElse = c.nothingElse;
    this.weights = c.weights;
    this.verdicts = verdicts;
  }

  /** The flows for a check described by {@code b}, shuffled. */
  ImmutableList<Flow> generate(BalancingCheck.Builder b) {
    return selectorMode() ? generateSelectorFlows(b) : generateFlows(b);
  }

  ImmutableList<Flow> generateFlows(BalancingCheck.Builder b) {
    FlowGenerator gen = FlowGenerator.of(topology, seed);
    int weightSum = weights.values().stream().mapToInt(Integer::intValue).sum();
    int lanCount = b.lanFlows >= 0 ? b.lanFlows : Math.max(16, 4 * weightSum);
    int routerCount = b.routerFlows >= 0 ? b.routerFlows : lanCount;
    Traffic router = b.routerTraffic != null ? b.routerTraffic
        : !balancedRouter.isEmpty() ? balancedRouter.get(0)
        : !balancedLan.isEmpty() ? balancedLan.get(0)
        : Traffic.of(Protocol.TCP, 80);
    List<Flow> out = new ArrayList<>();
    for (int i = 0; i < lanCount; i++) {
      List<Traffic> lan = balancedLan.isEmpty() ? List.of(Traffic.of(Protocol.TCP, 80)) : balancedLan;
      out.add(gen.lan(lan.get(i % lan.size())));
    }
    for (int i = 0; i < routerCount; i++) {
      out.add(gen.router(router));
    }
    if (b.inbound) {
      out.addAll(gen.inboundOnEveryUplink());
    }
    Traffic some = balancedLan.isEmpty() ? Traffic.of(Protocol.TCP, 80) : balancedLan.get(0);
    for (IpPrefix p : excludedDestinations) {
      IpAddress inside = p.address();
      if (p.length() < 32) {
        inside = new IpAddress(inside.family(), 0, inside.low() + 1);
      }
      out.add(gen.lan(some, inside));
      out.add(gen.lan(some, inside));
      out.add(gen.router(router, inside));
    }
    for (Traffic t : excludedTraffic) {
      out.add(gen.lan(t));
      out.add(gen.lan(t));
      out.add(gen.router(t));
    }
    return ImmutableList.copyOf(gen.shuffle(out));
  }

  boolean selectorMode() {
    return nothingElse || !lanSelectors.isEmpty() || !routerSelectors.isEmpty() || !excludedSelectors.isEmpty();
  }

  /** The balanced LAN traffic as selectors: the {@link Traffic} given, then the selectors. */
  List<TrafficSelector> lanKinds() {
    List<TrafficSelector> out = new ArrayList<>();
    balancedLan.forEach(t -> out.add(t.selector()));
    out.addAll(lanSelectors);
    return out;
  }

  List<TrafficSelector> routerKinds() {
    List<TrafficSelector> out = new ArrayList<>();
    balancedRouter.forEach(t -> out.add(t.selector()));
    out.addAll(routerSelectors);
    return out;
  }

  List<TrafficSelector> exclusionKinds() {
    List<TrafficSelector> out = new ArrayList<>();
    excludedDestinations.forEach(p -> out.add(TrafficSelector.toDestinations(p)));
    excludedTraffic.forEach(t -> out.add(t.selector()));
    out.addAll(excludedSelectors);
    return out;
  }

  ImmutableList<Flow> generateSelectorFlows(BalancingCheck.Builder b) {
    FlowGenerator gen = FlowGenerator.of(topology, seed);
    int weightSum = weights.values().stream().mapToInt(Integer::intValue).sum();
    int lanCount = b.lanFlows >= 0 ? b.lanFlows : Math.max(16, 4 * weightSum);
    List<TrafficSelector> lan = lanKinds();
    List<TrafficSelector> router = routerKinds();
    int routerCount = b.routerFlows >= 0 ? b.routerFlows : router.isEmpty() ? Math.max(4, lanCount / 4) : lanCount;
    List<TrafficSelector> lanDrawn = lan.isEmpty() ? List.of(TrafficSelector.all()) : lan;
    List<TrafficSelector> routerDrawn = b.routerTraffic != null ? List.of(b.routerTraffic.selector())
        : !router.isEmpty() ? router
        : lanDrawn.stream().map(s -> s.withSources(List.of())).toList();
    List<Flow> out = new ArrayList<>();
    for (int i = 0; i < lanCount; i++) {
      TrafficSelector s = lanDrawn.get(i % lanDrawn.size());
      drawSelected(() -> gen.lan(s)).ifPresent(out::add);
    }
    int lanMade = out.size();
    for (int i = 0; i < routerCount; i++) {
      TrafficSelector s = routerDrawn.get(i % routerDrawn.size());
      drawSelected(() -> gen.router(s)).ifPresent(out::add);
    }
    checkState(lanCount == 0 || lanMade > 0, "no LAN flow can be drawn inside the balanced selectors %s", lanDrawn);
    if (b.inbound) {
      out.addAll(gen.inboundOnEveryUplink());
    }
    if (nothingElse) {
      for (TrafficSelector s : lan) {
        gen.lanOutside(s).ifPresent(out::add);
        gen.lanOutside(s).ifPresent(out::add);
      }
      for (TrafficSelector s : router) {
        gen.routerOutside(s).ifPresent(out::add);
      }
    }
    for (TrafficSelector e : exclusionKinds()) {
      TrafficSelector inLan = overlapping(e, lan);
      gen.lan(inLan).ifPresent(out::add);
      gen.lan(inLan).ifPresent(out::add);
      gen.router(overlapping(e, routerDrawn.stream().map(s -> s.withSources(List.of())).toList()))
          .ifPresent(out::add);
    }
    return ImmutableList.copyOf(gen.shuffle(out));
  }

  /** A flow drawn up to four times while an exclusion picks it. */
  Optional<Flow> drawSelected(Supplier<Optional<Flow>> draw) {
    Optional<Flow> last = Optional.empty();
    for (int attempt = 0; attempt < 4; attempt++) {
      Optional<Flow> f = draw.get();
      if (f.isPresent()) {
        last = f;
        if (verdicts.exclusion(f.get()).isEmpty()) {
          return f;
        }
      }
    }
    return last;
  }

  /** {@code exclusion} restricted to the first of {@code balanced} it overlaps, else itself. */
  static TrafficSelector overlapping(TrafficSelector exclusion, List<TrafficSelector> balanced) {
    for (TrafficSelector s : balanced) {
      Optional<TrafficSelector> both = Selectors.intersect(exclusion, s);
      if (both.isPresent()) {
        return both.get();
      }
    }
    return exclusion;
  }
}
