package dev.mlb.testkit.gen;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.iproute.Route;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.iproute.RoutingTable;
import dev.mlb.testkit.sim.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded factory of large, valid IPv4 routing plans of an exact number of routes, for benchmarks
 * of {@code ip -batch} rendering and parsing.
 *
 * <pre>{@code
 * RoutingPlan plan = new ScaleRoutingPlanGenerator(42).generate(100_000);
 * String batch = IpBatchWriter.render(plan);   // 100,000 "route replace ..." lines, valid
 * }</pre>
 *
 * <p>The routes go to tables 1 to N, at most {@value #ROUTES_PER_TABLE} per table, each to a
 * distinct prefix (/24 to /32) of the documentation ranges, via the gateway of {@code ppp0} or
 * {@code ppp1} of {@link Topology#standard(int) Topology.standard(2)}, whose links the plan declares
 * as connected.
 */
public final class ScaleRoutingPlanGenerator {

  /** The most routes one table gets. */
  public static final int ROUTES_PER_TABLE = 1000;

  private static final String[] NETWORKS = {"192.0.2.", "198.51.100.", "203.0.113."};

  private static final List<IpPrefix> PREFIXES = distinctPrefixes();

  private final SplittableRandom random;

  /** A generator whose plans are fixed by {@code seed}. */
  public ScaleRoutingPlanGenerator(long seed) {
    this.random = new SplittableRandom(seed);
  }

  /** A plan of exactly {@code routes} routes (at least one), no ip rules. */
  public RoutingPlan generate(int routes) {
    checkArgument(routes >= 1, "a generated plan has at least one route, not %s", routes);
    Topology topology = Topology.standard(2);
    int tables = (routes + ROUTES_PER_TABLE - 1) / ROUTES_PER_TABLE;
    RoutingPlan.Builder plan = RoutingPlan.builder().family(IpFamily.V4);
    for (Topology.Uplink u : topology.uplinks()) {
      plan.putConnected(u.iface(), u.address());
    }
    List<Route> list = new ArrayList<>(routes);
    for (int i = 0; i < routes; i++) {
      Topology.Uplink u = topology.uplinks().get(random.nextInt(2));
      list.add(Route.builder()
          .destination(PREFIXES.get(i / tables))
          .table(RoutingTable.of(1 + i % tables))
          .via(u.gateway().orElseThrow())
          .dev(u.iface())
          .build());
    }
    return plan.addAllRoutes(list).build();
  }

  /** Every /24 to /32 prefix of the three documentation networks: 3 * 511 of them. */
  private static List<IpPrefix> distinctPrefixes() {
    List<IpPrefix> out = new ArrayList<>();
    for (String net : NETWORKS) {
      for (int length = 24; length <= 32; length++) {
        int step = 1 << (32 - length);
        for (int host = 0; host < 256; host += step) {
          out.add(IpPrefix.of(IpAddress.parse(net + host), length));
        }
      }
    }
    return List.copyOf(out);
  }
}
