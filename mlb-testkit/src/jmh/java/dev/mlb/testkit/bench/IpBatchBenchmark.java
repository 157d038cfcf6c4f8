package dev.mlb.testkit.bench;

import dev.mlb.api.IpFamily;
import dev.mlb.iproute.IpBatchParser;
import dev.mlb.iproute.IpBatchWriter;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.testkit.gen.ScaleRoutingPlanGenerator;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code ip -batch} rendering and parsing of a generated plan of 100,000 routes.
 *
 * <pre>{@code
 * mvn -B -o -Pbench -pl mlb-api,mlb-netfilter,mlb-iproute,mlb-testkit -DskipTests verify \
 *     -Djmh.args="-f1 -wi 2 -i 3 IpBatchBenchmark"
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 2)
@Measurement(iterations = 3)
public class IpBatchBenchmark {

  @Param({"100000"})
  public int routes;

  private RoutingPlan plan;
  private String batch;

  @Setup(Level.Trial)
  public void setUp() {
    plan = new ScaleRoutingPlanGenerator(42).generate(routes);
    batch = IpBatchWriter.render(plan);
    System.out.printf("%n%d routes: %d bytes%n", routes, batch.length());
  }

  /** {@code IpBatchWriter.render}: validation, then the batch. */
  @Benchmark
  public String render() {
    return IpBatchWriter.render(plan);
  }

  /** {@code IpBatchParser.parse}. */
  @Benchmark
  public RoutingPlan parse() {
    return IpBatchParser.parse("bench", batch, IpFamily.V4);
  }
}
