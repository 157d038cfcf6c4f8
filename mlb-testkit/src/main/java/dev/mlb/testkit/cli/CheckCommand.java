package dev.mlb.testkit.cli;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpPrefix;
import dev.mlb.testkit.check.BalancingCheck;
import dev.mlb.testkit.check.BalancingProperty;
import dev.mlb.testkit.check.Violation;
import dev.mlb.testkit.sim.Flow;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code mlb check}: runs the seven balancing properties ({@link BalancingCheck}) with generated
 * flows (LAN, router-originated, inbound on every uplink) and prints, per violated property, the
 * first counterexample's explanation and trace.
 *
 * <pre>{@code
 * mlb check --rules seed-rules.v4 --routes seed-routes.batch --lan eth0=192.0.2.1/24 \
 *   --uplink ppp0=198.51.100.1/28,gw=198.51.100.2 --uplink ppp1=198.51.100.17/28,gw=198.51.100.18 \
 *   --proto tcp --ports 22,25,80,443
 * }</pre>
 *
 * <p>{@code --proto/--ports} name the LAN traffic that must be balanced (properties 1 and 2);
 * router flows go to the same ports and are checked by properties 2 to 6 (and by 1 with
 * {@code --router-balanced}). Weights come from {@code --uplink ...,weight=N}. Exit code 0 when
 * every property holds, 1 when one is violated, 2 on invalid input.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = "Check the seven balancing properties with generated LAN, router and inbound flows.")
final class CheckCommand extends ScenarioCommand {

  @Mixin
  TrafficOptions traffic;

  @Option(names = "--router-balanced", description = "Router flows of --proto/--ports must be balanced too (property 1).")
  boolean routerBalanced;

  @Option(names = "--exclude", paramLabel = "ADDR/LEN", description = "A destination that must never be balanced"
      + " (property 7); repeatable.")
  List<String> excludes = new ArrayList<>();

  @Option(names = "--flows", paramLabel = "N", defaultValue = "-1",
      description = "LAN flows to generate (default: 4 times the weight sum, at least 16); as many router flows.")
  int flows;

  @Option(names = "--strategy", paramLabel = "nth|random",
      description = "How the ruleset splits (default: random if it uses statistic random, else nth).")
  String strategy;

  @Option(names = "--every-violation", description = "After each counterexample, list every other violating flow"
      + " with its explanation, one line each.")
  boolean everyViolation;

  @Override
  String name() {
    return "check";
  }

  @Override
  int execute(ScenarioOptions.Scenario s) {
    BalancingCheck.Builder b = BalancingCheck.builder(s.topology(), s.ruleset(), s.plan())
        .balancedLan(traffic.traffic())
        .routerTraffic(traffic.traffic())
        .seed(scenario.seed);
    if (routerBalanced) {
      b.balancedRouter(traffic.traffic());
    }
    for (Map.Entry<InterfaceName, Integer> w : s.weights().entrySet()) {
      b.weight(w.getKey(), w.getValue());
    }
    for (String e : excludes) {
      try {
        b.exclude(IpPrefix.parse(e));
      } catch (IllegalArgumentException ex) {
        throw new InputException("--exclude " + e + ": " + ex.getMessage());
      }
    }
    if (flows > 25000 || flows < -1) {
      throw new InputException("--flows " + flows + ": expected 0..25000");
    }
    if (flows >= 0) {
      b.lanFlows(flows);
    }
    if (strategy != null) {
      switch (strategy) {
        case "nth" -> b.strategy(BalancingCheck.Strategy.NTH);
        case "random" -> b.strategy(BalancingCheck.Strategy.RANDOM);
        default -> throw new InputException("--strategy " + strategy + ": expected nth or random");
      }
    }
    BalancingCheck check = b.build();
    List<Flow> all = check.flows();
    out().println("uplink marks: " + check.describeUplinkMarks());
    out().println("flows: " + count(all, Flow.Origin.LAN) + " LAN, " + count(all, Flow.Origin.ROUTER) + " router, "
        + count(all, Flow.Origin.INBOUND) + " inbound (seed " + scenario.seed + ")");
    int violated = 0;
    StringBuilder reports = new StringBuilder();
    for (BalancingProperty p : check.checkedProperties()) {
      List<Violation> vs = check.violations(p);
      if (vs.isEmpty()) {
        out().println("holds: " + p);
      } else {
        violated++;
        out().println("VIOLATED: " + p + " by " + vs.size() + " of " + all.size() + " flows");
        reports.append('\n').append(check.report(p, vs));
        if (everyViolation) {
          for (Violation v : vs.subList(1, vs.size())) {
            reports.append("  also: flow #").append(v.flowIndex() + 1).append(' ').append(v.flow()).append(": ")
                .append(v.explanation()).append('\n');
          }
        }
      }
    }
    out().print(reports);
    int checked = check.checkedProperties().size();
    out().println(violated == 0 ? "all " + checked + " properties hold" : violated + " of " + checked + " properties violated");
    return violated == 0 ? 0 : 1;
  }

  private static long count(List<Flow> flows, Flow.Origin origin) {
    return flows.stream().filter(f -> f.origin() == origin).count();
  }
}
