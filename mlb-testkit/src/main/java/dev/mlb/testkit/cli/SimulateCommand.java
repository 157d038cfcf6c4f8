package dev.mlb.testkit.cli;

import dev.mlb.api.IpAddress;
import dev.mlb.testkit.Flow;
import dev.mlb.testkit.FlowResult;
import dev.mlb.testkit.Simulator;
import dev.mlb.testkit.Topology;
import dev.mlb.testkit.Traffic;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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
 * <p>Flow k (from 0) goes to the server on the k-th port of {@code --ports} in turn, from client
 * port 40000+k; LAN flows come from the LAN prefix's .100, .101, ... (16 clients in turn); router
 * flows let the router pick its source. Exit code 0 (also when flows fail), 2 on invalid input.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = "Simulate flows through a ruleset and routing plan; print each flow's uplink and the totals.")
final class SimulateCommand extends ScenarioCommand {

  /** Where the simulated flows start. */
  enum From { lan, router }

  @Mixin
  TrafficOptions traffic;

  @Option(names = "--from", paramLabel = "lan|router", defaultValue = "lan",
      description = "Where the flows start (default: ${DEFAULT-VALUE}).")
  From from;

  @Option(names = "--flows", paramLabel = "N", defaultValue = "10", description = "How many flows (default: ${DEFAULT-VALUE}).")
  int flows;

  @Option(names = "--json", description = "Print JSON instead of text.")
  boolean json;

  @Override
  String name() {
    return "simulate";
  }

  /** The flows {@code simulate} runs: deterministic, see the class comment. */
  static List<Flow> flows(Topology t, From from, Traffic traffic, int count) {
    if (count < 0 || count > 25000) {
      throw new InputException("--flows " + count + ": expected 0..25000");
    }
    List<IpAddress> clients = t.lanClients(16);
    List<Flow> out = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      int port = traffic.ports().get(k % traffic.ports().size());
      out.add(from == From.lan
          ? Flow.fromLan(clients.get(k % clients.size()), 40000 + k, traffic.protocol(), t.server(), port)
          : Flow.fromRouter(traffic.protocol(), 40000 + k, t.server(), port));
    }
    return out;
  }

  @Override
  int execute(ScenarioOptions.Scenario s) {
    List<Flow> list = flows(s.topology(), from, traffic.traffic(), flows);
    List<FlowResult> results = Simulator.of(s.topology(), s.ruleset(), s.plan(), scenario.seed).runAll(list);
    if (json) {
      FlowReport.json(s.topology(), results, out());
    } else {
      FlowReport.text(s.topology(), results, out());
    }
    return 0;
  }
}
