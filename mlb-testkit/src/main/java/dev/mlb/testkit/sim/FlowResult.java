package dev.mlb.testkit.sim;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.InterfaceName;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What happened to one {@link Flow}, from the simulator or from the kernel lab alike.
 *
 * <pre>{@code
 * FlowResult r = simulator.run(flow);
 * r.completed();   // true
 * r.uplink();      // Optional[ppp1]: the uplink that carried it
 * r.mark();        // OptionalLong[2]: its connection mark
 * }</pre>
 *
 * @param flow the flow
 * @param uplink the uplink that carried the flow's first packet out (LAN and router flows) or in
 *     (inbound flows); empty if it never reached one
 * @param mark the connection mark the flow ended with (kernel lab: from conntrack), if known
 * @param completed whether the whole exchange went through
 * @param loss for an incomplete flow, which packet was lost where and why
 */
public record FlowResult(
    Flow flow, Optional<InterfaceName> uplink, OptionalLong mark, boolean completed, Optional<PacketLoss> loss) {

  public FlowResult {
    checkArgument(flow != null && uplink != null && mark != null && loss != null, "null field");
    checkArgument(completed != loss.isPresent(), "an incomplete flow needs its loss, a complete one has none");
  }

  /** The outcome in one word for comparisons: the uplink's name, or {@code failed}. */
  public String outcome() {
    return completed ? uplink.map(InterfaceName::name).orElse("local") : "failed";
  }

  @Override
  public String toString() {
    return flow + ": " + (completed
        ? "via " + uplink.map(InterfaceName::name).orElse("-")
            + (mark.isPresent() ? " mark 0x" + Long.toHexString(mark.getAsLong()) : "")
        : "FAILED, " + loss.get());
  }
}
