package dev.mlb.testkit.sim;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * Where and why a flow's packet was lost.
 *
 * <pre>{@code
 * new PacketLoss(2, "SYN-ACK 203.0.113.10:443 -> 192.0.2.100:40000",
 *     "router: routing decision (rule 100: fwmark 0x1 lookup 1)",
 *     "routed out ppp0 instead of eth0; provider on ppp0 drops it (source 203.0.113.10 is not 198.51.100.1)")
 * }</pre>
 *
 * @param packet the packet's number within the flow, from 1
 * @param packetDescription what the packet was (kind, addresses, ports)
 * @param where the hook, chain and rule, or the routing decision, or the provider, where it died
 * @param reason why; for the kernel lab what was observed (e.g. no reply within the time limit)
 */
public record PacketLoss(int packet, String packetDescription, String where, String reason) {
  public PacketLoss {
    checkArgument(packet >= 1, "packet number %s is below 1", packet);
    checkArgument(packetDescription != null && where != null && reason != null, "null field");
  }

  @Override
  public String toString() {
    return "packet " + packet + " (" + packetDescription + ") lost at " + where + ": " + reason;
  }
}
