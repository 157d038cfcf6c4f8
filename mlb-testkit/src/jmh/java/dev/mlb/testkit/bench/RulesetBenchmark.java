package dev.mlb.testkit.bench;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.testkit.gen.ScaleRulesetGenerator;
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
 * Rendering and parsing+validation of generated rulesets of 1k to 1M rules.
 *
 * <pre>{@code
 * mvn -B -o -Pbench -pl mlb-api,mlb-netfilter,mlb-iproute,mlb-testkit -DskipTests verify \
 *     -Djmh.args="-f1 -wi 2 -i 3 RulesetBenchmark"
 * }</pre>
 *
 * <p>Times are per whole ruleset; the setup prints each ruleset's size in bytes, so that
 * {@code bytes / time} is the rendering rate. Linear growth shows as a tenfold time per tenfold size.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// A fixed heap, touched before the measurements: the benchmarks allocate rulesets and texts of
// hundreds of megabytes, and on a VM whose kernel reclaims idle memory the first touch of each page
// (a page fault) would otherwise be measured instead of mlb.
@Fork(value = 1, jvmArgsAppend = {"-Xms8g", "-Xmx8g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 2)
@Measurement(iterations = 3)
public class RulesetBenchmark {

  @Param({"1000", "10000", "100000", "1000000"})
  public int rules;

  private Ruleset ruleset;
  private String text;

  @Setup(Level.Trial)
  public void setUp() {
    ruleset = new ScaleRulesetGenerator(42).generate(rules);
    text = RestoreWriter.render(ruleset);
    System.out.printf("%n%d rules: %d bytes%n", rules, text.getBytes(StandardCharsets.UTF_8).length);
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

  /** {@code RestoreParser.parse} and {@code Ruleset.validate}: what mlb does before it trusts a file. */
  @Benchmark
  public List<Finding> parseValidate() {
    return RestoreParser.parse("bench", text, IpFamily.V4).validate();
  }
}
