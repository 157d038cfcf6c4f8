package dev.mlb.testkit.cli;

import com.google.common.io.Resources;
import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.testkit.check.BalancingCheck;
import dev.mlb.testkit.check.BalancingProperty;
import dev.mlb.testkit.check.CompiledPolicy;
import dev.mlb.testkit.check.Violation;
import dev.mlb.testkit.policyfile.PolicyFile;
import dev.mlb.testkit.sim.Flow;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code mlb demo}: compiles the built-in seed policy (two PPP uplinks, tcp 22/25/80/443 from eth0
 * balanced, the router's own tcp 80 too), prints the policy and every file, then runs LAN and router
 * flows through the simulator and prints how they split and whether each balancing property holds.
 *
 * <pre>{@code
 * mlb demo
 * ==> seed-policy.yaml <==
 * ...
 * ==> rules.v4 <==
 * ...
 * simulated: 12 balanced LAN flows and 4 balanced router flows, with 4 inbound flows and 3 of unbalanced traffic (seed 1)
 * uplink   flows   share  expected
 * ppp0         8   50.0%     50.0%
 * ppp1         8   50.0%     50.0%
 * PASS property 1 (every balanced flow leaves with exactly one uplink mark)
 * ...
 * PASS property 12 (traffic that mlb does not balance keeps its marks and its route)
 * all 8 properties hold
 * }</pre>
 *
 * <p>The policy is {@code mlb-testkit/examples/seed-policy.yaml}, shipped inside mlb as
 * {@value #SEED_RESOURCE}. The flows are those of {@link CompiledPolicy#check()}; the table counts
 * the balanced ones per uplink, as property 2 does, against the weights' shares. Exit code 0 when
 * every property holds, 1 when one does not.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Compile the built-in seed policy, print its files, simulate it and check the balancing properties.")
final class DemoCommand implements Callable<Integer> {
  /** The seed policy on the class path. */
  static final String SEED_RESOURCE = "/dev/mlb/testkit/cli/seed-policy.yaml";

  @ParentCommand
  Main main;

  @Option(names = "--lan-flows", paramLabel = "N", defaultValue = "12",
      description = "Balanced LAN flows to simulate (default: ${DEFAULT-VALUE}).")
  int lanFlows;

  @Option(names = "--router-flows", paramLabel = "N", defaultValue = "4",
      description = "Balanced router flows to simulate (default: ${DEFAULT-VALUE}).")
  int routerFlows;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
      description = "Seed for the generated flows and statistic random (default: ${DEFAULT-VALUE}).")
  long seed;

  /** The built-in seed policy's text. */
  static String seedPolicyText() {
    try {
      return Resources.toString(DemoCommand.class.getResource(SEED_RESOURCE), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Integer call() {
    PrintStream out = main.stdout;
    for (int n : new int[] {lanFlows, routerFlows}) {
      if (n < 0 || n > 25000) {
        main.stderr.println("mlb demo: flow count " + n + ": expected 0..25000");
        return Main.INVALID;
      }
    }
    String text = seedPolicyText();
    BalancingPolicy policy = PolicyFile.parse("seed-policy.yaml", text);
    CompiledPolicy compiled = CompiledPolicy.compile(policy);
    out.println("==> seed-policy.yaml <==");
    out.print(text);
    for (Map.Entry<String, String> file : compiled.files().entrySet()) {
      out.println();
      out.println("==> " + file.getKey() + " <==");
      out.print(file.getValue());
    }
    out.println();
    List<Finding> findings = compiled.findings();
    out.println(findings.isEmpty() ? "findings: none" : "findings:");
    findings.forEach(f -> out.println("  " + f));

    BalancingCheck check = compiled.check().lanFlows(lanFlows).routerFlows(routerFlows).seed(seed).build();
    Map<InterfaceName, Integer> split = check.split();
    int balanced = split.values().stream().mapToInt(Integer::intValue).sum();
    long inbound = check.flows().stream().filter(f -> f.origin() == Flow.Origin.INBOUND).count();
    long other = check.flows().size() - inbound - lanFlows - routerFlows;
    out.println();
    out.println("simulated: " + lanFlows + " balanced LAN flows and " + routerFlows + " balanced router flows, with "
        + inbound + " inbound flows and " + other + " of unbalanced traffic (seed " + seed + ")");
    out.println(String.format(Locale.ROOT, "%-8s %6s %7s %9s", "uplink", "flows", "share", "expected"));
    int weightSum = check.weights().values().stream().mapToInt(Integer::intValue).sum();
    for (Map.Entry<InterfaceName, Integer> e : split.entrySet()) {
      out.println(String.format(Locale.ROOT, "%-8s %6d %7s %9s", e.getKey(), e.getValue(),
          percent(e.getValue(), balanced), percent(check.weights().get(e.getKey()), weightSum)));
    }
    int failed = 0;
    StringBuilder reports = new StringBuilder();
    for (BalancingProperty p : check.checkedProperties()) {
      List<Violation> vs = check.violations(p);
      out.println((vs.isEmpty() ? "PASS " : "FAIL ") + p);
      if (!vs.isEmpty()) {
        failed++;
        reports.append('\n').append(check.report(p, vs));
      }
    }
    out.print(reports);
    int checked = check.checkedProperties().size();
    out.println(failed == 0 ? "all " + checked + " properties hold" : failed + " of " + checked + " properties fail");
    return failed == 0 ? 0 : 1;
  }

  private static String percent(int part, int whole) {
    return whole == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
  }
}
