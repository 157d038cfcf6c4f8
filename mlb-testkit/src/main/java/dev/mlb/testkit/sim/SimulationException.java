package dev.mlb.testkit.sim;

/**
 * The simulator met something it does not model, so any answer would mislead.
 *
 * <pre>{@code
 * try {
 *   simulator.run(flow);
 * } catch (SimulationException e) {
 *   e.getMessage();   // the simulator does not model -m limit (mangle PREROUTING rule 3 "-m limit ...")
 * }
 * }</pre>
 *
 * <p>Thrown for match modules and targets kept verbatim (opaque) when a packet actually reaches
 * them, for jumps to missing chains, for route types without a meaning here (broadcast, multicast,
 * anycast), and for rulesets or plans that are not IPv4. The message names the rule or route.
 */
public class SimulationException extends UnsupportedOperationException {
  private static final long serialVersionUID = 1L;

  public SimulationException(String message) {
    super(message);
  }
}
