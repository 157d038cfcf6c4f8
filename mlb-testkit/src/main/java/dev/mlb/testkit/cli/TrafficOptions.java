package dev.mlb.testkit.cli;

import dev.mlb.testkit.sim.Traffic;
import picocli.CommandLine.Option;

/**
 * {@code --proto tcp|udp --ports 80,443}: the LAN traffic to simulate, or (for {@code check}) that
 * must be balanced.
 *
 * <pre>{@code
 * --proto tcp --ports 22,25,80,443
 * }</pre>
 */
final class TrafficOptions {
  @Option(names = "--proto", paramLabel = "tcp|udp", defaultValue = "tcp",
      description = "Protocol of the flows (default: ${DEFAULT-VALUE}).")
  String proto;

  @Option(names = "--ports", paramLabel = "P[,P...]", defaultValue = "80,443",
      description = "Destination ports, in turn (default: ${DEFAULT-VALUE}).")
  String ports;

  /** The traffic; throws {@link InputException} naming the bad option. */
  public Traffic traffic() {
    try {
      return Traffic.parse(proto, ports);
    } catch (IllegalArgumentException e) {
      throw new InputException("--proto " + proto + " --ports " + ports + ": " + e.getMessage());
    }
  }
}
