package dev.mlb.testkit.bench;

import dev.mlb.api.Protocol;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.testkit.Flow;
import dev.mlb.testkit.FlowGenerator;
import dev.mlb.testkit.ScaleRulesetGenerator;
import dev.mlb.testkit.Simulator;
import dev.mlb.testkit.Topology;
import dev.mlb.testkit.Traffic;
import dev.mlb.testkit.FixedSeed;
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
 * Simulator throughput in flows per second on one thread: TCP flows from the LAN through the seed
 * policy (the fixed seed rules and routes, {@code Topology.standard(2)}), and through a generated
 * 10,000-rule ruleset with the same routes.
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

  /** Flows per benchmark invocation. */
  static final int FLOWS = 10_000;

  @Param({"seed", "10k"})
  public String ruleset;

  private Simulator simulator;
  private List<Flow> flows;

  @Setup(Level.Trial)
  public void setUp() {
    Topology topology = Topology.standard(2);
    RoutingPlan routes = FixedSeed.routes();
    Ruleset rules = ruleset.equals("seed")
        ? FixedSeed.rules()
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
