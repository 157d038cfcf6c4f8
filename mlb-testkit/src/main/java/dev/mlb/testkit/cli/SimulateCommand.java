package dev.mlb.testkit.cli;

import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.FlowResult;
import dev.mlb.testkit.sim.Simulator;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code mlb simulate}: runs flows through the simulator and prints each flow's uplink (or its
 * failure and reason) and the per-uplink totals.
 *
 * <pre>{@code
 * mlb simulate --rules seed-fixed-rules.v4 --routes seed-fixed-routes.batch --lan eth0=192.0.2.1/24 \
 *   --uplink ppp0=198.51.100.1/28,gw=198.51.100.2 --uplink ppp1=198.51.100.17/28,gw=198.51.100.18 \
 *   --ports 80,443 --flows 4
 * }</pre>
 *
 * <p>The flows are those of {@link FlowRunOptions}. Exit code 0 (also when flows fail), 2 on invalid
 * input.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = "Simulate flows through a ruleset and routing plan; print each flow's uplink and the totals.")
final class SimulateCommand extends ScenarioCommand {

  @Mixin
  FlowRunOptions run;

  @Override
  String name() {
    return "simulate";
  }

  @Override
  int execute(ScenarioOptions.Scenario s) {
    List<Flow> list = run.flows(s.topology());
    List<FlowResult> results = Simulator.of(s.topology(), s.ruleset(), s.plan(), scenario.seed).runAll(list);
    run.print(s.topology(), results, out());
    return 0;
  }
}
