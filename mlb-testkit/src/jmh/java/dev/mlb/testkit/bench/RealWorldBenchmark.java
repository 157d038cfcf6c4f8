package dev.mlb.testkit.bench;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.testkit.gen.RealWorldShapes;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
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
 * Parsing+validation and rendering of rulesets shaped like real routers' saves
 * ({@link RealWorldShapes}: kube-proxy, docker, fail2ban, LOG/limit filters, and the four mixed).
 *
 * <pre>{@code
 * mvn -B -o -Pbench -pl mlb-api,mlb-netfilter,mlb-iproute,mlb-testkit -DskipTests verify \
 *     -Djmh.args="-f1 -wi 2 -i 3 RealWorldBenchmark"
 * }</pre>
 *
 * <p>Times are per whole ruleset; the setup prints each ruleset's size in bytes, so that
 * {@code bytes / time} is the rendering rate. The heap is fixed and touched before the
 * measurements, as in {@link RulesetBenchmark}, for the same reason.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 2)
@Measurement(iterations = 3)
public class RealWorldBenchmark {

  @Param({"kube-proxy", "docker", "fail2ban", "log-limit", "mixed"})
  public String shape;

  @Param({"100000"})
  public int rules;

  private Ruleset ruleset;
  private String text;

  @Setup(Level.Trial)
  public void setUp() {
    text = RealWorldShapes.Shape.of(shape).generate(rules, 42);
    ruleset = RestoreParser.parse("bench", text, IpFamily.V4);
    System.out.printf("%n%s, %d rules: %d bytes%n", shape, rules, text.getBytes(StandardCharsets.UTF_8).length);
  }

  /** {@code RestoreParser.parse} and {@code Ruleset.validate}: what mlb does before it trusts a file. */
  @Benchmark
  public List<Finding> parseValidate() {
    return RestoreParser.parse("bench", text, IpFamily.V4).validate();
  }

  /** {@code RestoreWriter.render}: validation, then the text. */
  @Benchmark
  public String render() {
    return RestoreWriter.render(ruleset);
  }

  /** {@code RestoreWriter.write}: validation, then the text in 64 KiB pieces to a discarding writer. */
  @Benchmark
  public Writer write() throws IOException {
    Writer sink = Writer.nullWriter();
    RestoreWriter.write(ruleset, sink);
    return sink;
  }
}
