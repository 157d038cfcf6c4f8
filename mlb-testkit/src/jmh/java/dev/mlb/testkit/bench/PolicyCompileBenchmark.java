package dev.mlb.testkit.bench;

import dev.mlb.api.Compilation;
import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import dev.mlb.iproute.BalancingRoutes;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.BalancingRules;
import dev.mlb.netfilter.Ruleset;
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
 * Compiling a balancing policy of 64 uplinks (weights 1 to 4, LAN and router traffic balanced) to
 * its ruleset ({@code BalancingRules}) and its routing plan ({@code BalancingRoutes}).
 *
 * <pre>{@code
 * mvn -B -o -Pbench -pl mlb-api,mlb-netfilter,mlb-iproute,mlb-testkit -DskipTests verify \
 *     -Djmh.args="-f1 -wi 2 -i 3 PolicyCompileBenchmark"
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
public class PolicyCompileBenchmark {

  @Param({"64"})
  public int uplinks;

  private BalancingPolicy policy;

  @Setup(Level.Trial)
  public void setUp() {
    BalancingPolicy.Builder b = BalancingPolicy.builder()
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(IpPrefix.parse("192.0.2.0/24"))
        .addBalanced(TrafficSelector.of(Protocol.TCP, 22, 25, 80, 443))
        .addBalanced(TrafficSelector.of(Protocol.UDP, 53, 123))
        .addRouter(TrafficSelector.of(Protocol.TCP, 80));
    for (int i = 0; i < uplinks; i++) {
      b.addUplinks(Uplink.builder().name("isp" + i).iface(InterfaceName.of("ppp" + i)).weight(1 + i % 4).build());
    }
    policy = b.build();
    for (Compilation<?> c : new Compilation<?>[] {rules(), routes()}) {
      if (c.findings().stream().anyMatch(Finding::isError)) {
        throw new IllegalStateException("the benchmark policy does not compile: " + c.findings());
      }
    }
  }

  @Benchmark
  public Compilation<Ruleset> rules() {
    return BalancingRules.compile(policy, IpFamily.V4);
  }

  @Benchmark
  public Compilation<RoutingPlan> routes() {
    return BalancingRoutes.compile(policy, IpFamily.V4);
  }
}
