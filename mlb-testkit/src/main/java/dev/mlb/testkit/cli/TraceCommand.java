package dev.mlb.testkit.cli;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.Protocol;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.Simulator;
import dev.mlb.testkit.sim.Trace;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code mlb trace}: one flow's path, every rule and routing decision each packet met.
 *
 * <pre>{@code
 * mlb trace --rules seed-rules.v4 --routes seed-routes.batch --lan eth0=192.0.2.1/24 \
 *   --uplink ppp0=198.51.100.1/28,gw=198.51.100.2 --uplink ppp1=198.51.100.17/28,gw=198.51.100.18 \
 *   --flow lan:192.0.2.100:40000->203.0.113.10:443/tcp
 * }</pre>
 *
 * <p>Flow forms: {@code lan:CLIENT:PORT->SERVER:PORT/PROTO}, {@code router:PORT->SERVER:PORT/PROTO}
 * (the router picks its source), {@code inbound:IFACE:REMOTE:PORT->ROUTER_ADDR:PORT/PROTO}. The
 * simulator is fresh (nth counters at 0) unless {@code --preceding N} first runs the first N flows
 * of {@code mlb simulate} with the same {@code --from/--proto/--ports}, so flow N+1 of a
 * {@code simulate} run can be traced with its counters. Exit code 0 if the flow completed, 1 if a
 * packet was lost, 2 on invalid input.
 */
@Command(name = "trace", mixinStandardHelpOptions = true,
    description = "Print the path of each packet of one flow: every rule and routing decision it met.")
final class TraceCommand extends ScenarioCommand {
  private static final Pattern FLOW = Pattern.compile(
      "(?:lan:(?<client>[0-9.]+):(?<cport>\\d+)"
          + "|router:(?<rport>\\d+)"
          + "|inbound:(?<iface>[^:]+):(?<remote>[0-9.]+):(?<iport>\\d+))"
          + "->(?<server>[0-9.]+):(?<sport>\\d+)/(?<proto>tcp|udp)");

  @Option(names = "--flow", paramLabel = "SPEC", required = true,
      description = "The flow: lan:CLIENT:PORT->SERVER:PORT/PROTO, router:PORT->SERVER:PORT/PROTO or"
          + " inbound:IFACE:REMOTE:PORT->ROUTER_ADDR:PORT/PROTO.")
  String flow;

  @Option(names = "--preceding", paramLabel = "N", defaultValue = "0",
      description = "First run the first N flows of mlb simulate (same --from/--proto/--ports) (default: 0).")
  int preceding;

  @Option(names = "--from", paramLabel = "lan|router", defaultValue = "lan",
      description = "Origin of the preceding flows (default: ${DEFAULT-VALUE}).")
  FlowRunOptions.From from;

  @Mixin
  TrafficOptions traffic;

  @Override
  String name() {
    return "trace";
  }

  /** Parses a flow spec; throws {@link InputException} naming it. */
  static Flow parseFlow(String spec) {
    Matcher m = FLOW.matcher(spec);
    if (!m.matches()) {
      throw new InputException("--flow " + spec + ": expected lan:CLIENT:PORT->SERVER:PORT/PROTO,"
          + " router:PORT->SERVER:PORT/PROTO or inbound:IFACE:REMOTE:PORT->ROUTER_ADDR:PORT/PROTO");
    }
    try {
      Protocol proto = "tcp".equals(m.group("proto")) ? Protocol.TCP : Protocol.UDP;
      IpAddress server = IpAddress.parse(m.group("server"));
      int port = Integer.parseInt(m.group("sport"));
      if (m.group("client") != null) {
        return Flow.fromLan(IpAddress.parse(m.group("client")), Integer.parseInt(m.group("cport")), proto, server, port);
      } else if (m.group("rport") != null) {
        return Flow.fromRouter(proto, Integer.parseInt(m.group("rport")), server, port);
      }
      return Flow.inbound(InterfaceName.of(m.group("iface")), IpAddress.parse(m.group("remote")),
          Integer.parseInt(m.group("iport")), proto, server, port);
    } catch (IllegalArgumentException e) {
      throw new InputException("--flow " + spec + ": " + e.getMessage());
    }
  }

  @Override
  int execute(ScenarioOptions.Scenario s) {
    Flow f = parseFlow(flow);
    if (f.origin() == Flow.Origin.INBOUND && s.topology().uplink(f.inboundUplink().get()).isEmpty()) {
      throw new InputException("--flow " + flow + ": " + f.inboundUplink().get() + " is no --uplink");
    }
    Simulator sim = Simulator.of(s.topology(), s.ruleset(), s.plan(), scenario.seed);
    sim.runAll(FlowRunOptions.flows(s.topology(), from, traffic.traffic(), preceding));
    Trace t = sim.trace(f);
    out().print(t);
    return t.result().completed() ? 0 : 1;
  }
}
