package dev.mlb.testkit.bench;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Protocol;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.testkit.check.CompiledPolicy;
import dev.mlb.testkit.gen.FlowGenerator;
import dev.mlb.testkit.gen.ScaleRulesetGenerator;
import dev.mlb.testkit.policyfile.PolicyFile;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.Simulator;
import dev.mlb.testkit.sim.Topology;
import dev.mlb.testkit.sim.Traffic;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Simulator throughput in flows per second on one thread: TCP flows from the LAN through the
 * built-in seed policy compiled ({@code mlb demo}'s: its topology, IPv4 ruleset and simulated
 * routing plan), and through a generated 10,000-rule ruleset with the compiled seed's topology and
 * routes.
 *
 * <pre>{@code
 * mvn -B -o -Pbench -pl mlb-api,mlb-netfilter,mlb-iproute,mlb-testkit -DskipTests verify \
 *     -Djmh.args="-f1 -wi 2 -i 3 SimulatorBenchmark"
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
public class SimulatorBenchmark {

  /** The built-in seed policy ({@code mlb demo}'s). */
  static final String SEED_POLICY = "/dev/mlb/testkit/cli/seed-policy.yaml";

  /** Flows per benchmark invocation. */
  static final int FLOWS = 10_000;

  @Param({"seed", "10k"})
  public String ruleset;

  private Simulator simulator;
  private List<Flow> flows;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    String policy;
    try (InputStream in = SimulatorBenchmark.class.getResourceAsStream(SEED_POLICY)) {
      policy = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    CompiledPolicy seed = CompiledPolicy.compile(PolicyFile.parse("seed-policy.yaml", policy));
    Topology topology = seed.topology();
    RoutingPlan routes = seed.simulatedPlan();
    Ruleset rules = ruleset.equals("seed")
        ? seed.ruleset(IpFamily.V4)
        : new ScaleRulesetGenerator(42).generate(10_000);
    simulator = Simulator.of(topology, rules, routes, 7);
    flows = FlowGenerator.of(topology, 1).lan(Traffic.of(Protocol.TCP, 80, 443), FLOWS);
  }

  @Benchmark
  @OperationsPerInvocation(FLOWS)
  public void flows(Blackhole sink) {
    for (Flow f : flows) {
      sink.consume(simulator.run(f));
    }
  }
}
