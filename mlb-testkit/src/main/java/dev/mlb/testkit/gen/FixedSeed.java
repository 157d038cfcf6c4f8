package dev.mlb.testkit.gen;

import dev.mlb.api.IpFamily;
import dev.mlb.iproute.IpBatchParser;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.testkit.sim.Simulator;
import dev.mlb.testkit.sim.Topology;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The seed recipe with its two fixes (the hand-written equivalent of the compiled seed policy), as {@code examples/seed-fixed-rules.v4} and
 * {@code examples/seed-fixed-routes.batch} hold it (shipped in the jar), for
 * {@link Topology#standard(int) Topology.standard(2)}: what benchmarks and {@code mlb bench} run.
 *
 * <pre>{@code
 * Simulator sim = Simulator.of(Topology.standard(2), FixedSeed.rules(), FixedSeed.routes(), 7);
 * }</pre>
 */
public final class FixedSeed {
  private FixedSeed() {}

  /** The text of {@code seed-fixed-rules.v4}. */
  public static String rulesText() {
    return resource("seed-fixed-rules.v4");
  }

  /** The text of {@code seed-fixed-routes.batch}. */
  public static String routesText() {
    return resource("seed-fixed-routes.batch");
  }

  /** The fixed seed rules, parsed. */
  public static Ruleset rules() {
    return RestoreParser.parse("seed-fixed-rules.v4", rulesText(), IpFamily.V4);
  }

  /** The fixed seed routes, parsed. */
  public static RoutingPlan routes() {
    return IpBatchParser.parse("seed-fixed-routes.batch", routesText(), IpFamily.V4);
  }

  private static String resource(String name) {
    try (InputStream in = FixedSeed.class.getResourceAsStream("/dev/mlb/testkit/examples/" + name)) {
      if (in == null) {
        throw new IllegalStateException("resource dev/mlb/testkit/examples/" + name + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name, e);
    }
  }
}
