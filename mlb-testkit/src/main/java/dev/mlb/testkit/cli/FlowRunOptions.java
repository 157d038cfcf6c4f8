package dev.mlb.testkit.cli;

import dev.mlb.api.IpAddress;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.FlowResult;
import dev.mlb.testkit.sim.Topology;
import dev.mlb.testkit.sim.Traffic;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The flows {@code mlb simulate} and {@code mlb lab} run, and how they print them: both take the
 * same options, so the simulator's and the kernel's answers can be compared line by line.
 *
 * <pre>{@code
 * --from lan --proto tcp --ports 80,443 --flows 4 [--json]
 * }</pre>
 *
 * <p>Flow k (from 0) goes to the server on the k-th port of {@code --ports} in turn, from client
 * port 40000+k; LAN flows come from the LAN prefix's .100, .101, ... (16 clients in turn); router
 * flows let the router pick its source.
 */
final class FlowRunOptions {

  /** Where the flows start. */
  enum From { lan, router }

  @Mixin
  TrafficOptions traffic;

  @Option(names = "--from", paramLabel = "lan|router", defaultValue = "lan",
      description = "Where the flows start (default: ${DEFAULT-VALUE}).")
  From from;

  @Option(names = "--flows", paramLabel = "N", defaultValue = "10", description = "How many flows (default: ${DEFAULT-VALUE}).")
  int count;

  @Option(names = "--json", description = "Print JSON instead of text.")
  boolean json;

  /** The flows to run: deterministic, see the class comment. */
  List<Flow> flows(Topology t) {
    return flows(t, from, traffic.traffic(), count);
  }

  /** The first {@code count} flows from {@code from} of {@code traffic}, as the class comment says. */
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

  /** Prints the results as text or JSON. */
  void print(Topology topology, List<FlowResult> results, PrintStream out) {
    if (json) {
      FlowReport.json(topology, results, out);
    } else {
      FlowReport.text(topology, results, out);
    }
  }
}
