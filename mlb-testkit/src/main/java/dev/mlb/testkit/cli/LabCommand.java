package dev.mlb.testkit.cli;

import dev.mlb.testkit.kernel.KernelLab;
import dev.mlb.testkit.kernel.KernelSupport;
import dev.mlb.testkit.kernel.KernelUnavailableException;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.FlowResult;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code mlb lab}: runs the flows {@code mlb simulate} would run, but through the real kernel: a
 * topology of network namespaces with the rules and routes loaded by {@code iptables-restore} and
 * {@code ip -batch}. Same options, same output.
 *
 * <pre>{@code
 * sudo mlb lab --rules seed-fixed-rules.v4 --routes seed-fixed-routes.batch --lan eth0=192.0.2.1/24 \
 *   --uplink ppp0=198.51.100.1/28,gw=198.51.100.2 --uplink ppp1=198.51.100.17/28,gw=198.51.100.18 \
 *   --ports 80,443 --flows 4
 * }</pre>
 *
 * <p>Needs root and network namespaces; it creates its own namespaces and deletes them when done,
 * and never touches the machine's own network namespace. Exit code 0 (also when flows fail), 2 on
 * invalid input or when the kernel lab cannot run here.
 */
@Command(name = "lab", mixinStandardHelpOptions = true,
    description = "Run the flows of 'simulate' through the real kernel in network namespaces; same output.")
final class LabCommand extends ScenarioCommand {

  @Mixin
  FlowRunOptions run;

  @Override
  String name() {
    return "lab";
  }

  @Override
  int execute(ScenarioOptions.Scenario s) {
    List<Flow> list = run.flows(s.topology());
    Optional<String> unavailable = KernelSupport.unavailableReason();
    if (unavailable.isPresent()) {
      err().println("mlb lab: the kernel lab cannot run here: " + unavailable.get());
      return Main.INVALID;
    }
    List<FlowResult> results;
    try (KernelLab lab = KernelLab.start(s.topology(), s.ruleset(), s.plan())) {
      results = lab.runAll(list);
    } catch (KernelUnavailableException e) {
      err().println("mlb lab: the kernel lab cannot run here: " + e.getMessage());
      return Main.INVALID;
    }
    run.print(s.topology(), results, out());
    return 0;
  }
}
