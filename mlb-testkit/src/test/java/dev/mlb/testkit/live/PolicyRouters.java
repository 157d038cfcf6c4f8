package dev.mlb.testkit.live;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Uplink;
import dev.mlb.testkit.check.CompiledPolicy;
import dev.mlb.testkit.gen.ForeignStateGenerator;
import dev.mlb.testkit.gen.PolicyGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Fake routers for generated policies, for the live acceptance tests: each interface a policy
 * names exists, addressed so that its gateways are on the link, beside a generated foreign state.
 *
 * <pre>{@code
 * BalancingPolicy p = PolicyRouters.policy(new SplittableRandom(7));
 * FakeRouter r = PolicyRouters.router(p, FakeRouter.Backend.LEGACY, foreign, 1);
 * }</pre>
 *
 * <p>Uplink {@code i} (in policy order, as {@link PolicyGenerator} places its gateways) has
 * 198.51.100.{16i+14}/28 (or .{16i+13} where the gateway is .{16i+14}) and 2001:db8:ff:i::2/64
 * (gateway ::1); the first LAN interface has 192.0.2.1/24 and 2001:db8:1::1/64, further LAN
 * interfaces no address.
 */
final class PolicyRouters {
  private PolicyRouters() {}

  private static final String[] ODD = {"eth%d.1%d", "up-%d", "u;%d", "wan_%d"};

  /**
   * A policy of {@link PolicyGenerator} (1 to 8 uplinks), in one case in three also with odd
   * interface names (a dot, which sysctl writes as a slash, a dash, a semicolon, an underscore), and
   * in half of the dual-stack ones IPv6 only.
   */
  static BalancingPolicy policy(SplittableRandom r) {
    BalancingPolicy p = PolicyGenerator.of(1, 8).generate(r);
    if (r.nextInt(3) == 0) {
      String style = ODD[r.nextInt(ODD.length)];
      List<Uplink> renamed = new ArrayList<>();
      for (int i = 0; i < p.uplinks().size(); i++) {
        renamed.add(Uplink.builder().from(p.uplinks().get(i)).iface(InterfaceName.of(String.format(style, i, i)))
            .build());
      }
      p = BalancingPolicy.builder().from(p).uplinks(renamed).build();
    }
    if (p.families().size() == 2 && r.nextBoolean()) {
      p = BalancingPolicy.builder().from(p).families(Set.of(IpFamily.V6)).build();
    }
    return p;
  }

  /**
   * {@code p} changed as an administrator or mlb watch changes a policy on the same router: other
   * weights, in one case in three another strategy, the balanced and router selectors of another
   * generated policy, and under nth or random some uplinks down (never all).
   */
  static BalancingPolicy changed(SplittableRandom r, BalancingPolicy p) {
    BalancingPolicy other = PolicyGenerator.of(1, 8).generate(r);
    BalancingPolicy.Builder b = BalancingPolicy.builder().from(p);
    List<Uplink> uplinks = new ArrayList<>();
    for (Uplink u : p.uplinks()) {
      uplinks.add(Uplink.builder().from(u).weight(r.nextBoolean() ? u.weight() : 1 + r.nextInt(10)).build());
    }
    b.uplinks(uplinks);
    dev.mlb.api.policy.Strategy strategy = p.strategy();
    if (r.nextInt(3) == 0 && !(p.families().contains(IpFamily.V6) && uplinks.stream().anyMatch(u -> u.gateway6().isEmpty()))) {
      strategy = dev.mlb.api.policy.Strategy.values()[r.nextInt(3)];
    }
    b.strategy(strategy);
    if (strategy == dev.mlb.api.policy.Strategy.MULTIPATH) {
      // Multipath has no tiers (it cannot fail over); the generator draws them for nth and random.
      b.uplinks(uplinks.stream().map(u -> Uplink.builder().from(u).tier(1).build()).toList());
    }
    if (r.nextBoolean()) {
      b.balanced(other.balanced().stream().filter(s -> s.sources().stream().allMatch(x -> p.lanPrefixes().stream()
          .anyMatch(l -> l.contains(x)))).toList());
    }
    if (r.nextBoolean()) {
      b.router(other.router());
    }
    Set<String> down = new LinkedHashSet<>();
    for (Uplink u : p.uplinks()) {
      // Multipath cannot fail over (validation says why).
      if (r.nextInt(3) == 0 && down.size() + 1 < p.uplinks().size() && strategy != dev.mlb.api.policy.Strategy.MULTIPATH) {
        down.add(u.name());
      }
    }
    b.down(down);
    return b.build();
  }

  /** A foreign state beside {@code policy}, on its interfaces ({@link ForeignStateGenerator}). */
  static ForeignStateGenerator.ForeignState foreign(SplittableRandom r, BalancingPolicy policy) {
    CompiledPolicy compiled = CompiledPolicy.compile(policy);
    List<dev.mlb.iproute.RoutingPlan> plans = new ArrayList<>();
    compiled.families().forEach(f -> plans.add(compiled.plan(f)));
    return ForeignStateGenerator.generate(r, policy.markMask(), plans, interfaces(policy));
  }

  /** The interfaces of {@code policy}: its uplinks' and its LAN's, in order. */
  static List<String> interfaces(BalancingPolicy policy) {
    Set<String> out = new LinkedHashSet<>();
    policy.uplinks().forEach(u -> out.add(u.iface().name()));
    policy.lanInterfaces().forEach(i -> out.add(i.name()));
    return List.copyOf(out);
  }

  /**
   * A router with the policy's interfaces (see the class comment), the {@code foreign} state loaded
   * into {@code backend} (rules of both families, routes), and {@code rpFilter} as
   * net.ipv4.conf.all.rp_filter (1: strict, as many distributions set it).
   */
  static FakeRouter router(BalancingPolicy policy, FakeRouter.Backend backend,
      ForeignStateGenerator.ForeignState foreign, int rpFilter) {
    FakeRouter.Builder b = FakeRouter.builder().backend(backend);
    List<Uplink> uplinks = policy.uplinks();
    for (int i = 0; i < uplinks.size(); i++) {
      String usual = "198.51.100." + (16 * i + 14);
      int host = uplinks.get(i).gateway().map(g -> g.toString().equals(usual)).orElse(false) ? 16 * i + 13 : 16 * i + 14;
      b.addInterface(uplinks.get(i).iface().name(), "198.51.100." + host + "/28", "2001:db8:ff:" + i + "::2/64");
    }
    for (int l = 0; l < policy.lanInterfaces().size(); l++) {
      String name = policy.lanInterfaces().get(l).name();
      if (l == 0) {
        b.addInterface(name, "192.0.2.1/24", "2001:db8:1::1/64");
      } else {
        b.addInterface(name);
      }
    }
    b.sysctl("net.ipv4.conf.all.rp_filter", Integer.toString(rpFilter));
    if (foreign != null) {
      for (IpFamily f : IpFamily.values()) {
        b.iptables(backend, f, foreign.rules().get(f));
        b.ip(f, foreign.routes().get(f));
      }
    }
    return b.build();
  }

  /** Every file of {@code dir} with its bytes as text (the state records), by name. */
  static Map<String, String> files(Path dir) {
    Map<String, String> out = new TreeMap<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (var s = Files.list(dir)) {
      for (Path p : s.toList()) {
        out.put(p.getFileName().toString(), Files.readString(p));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
