package dev.mlb.testkit.sim;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.InterfaceName;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Every packet of one simulated flow with the path it took: each rule evaluated (matched or not,
 * and what it did), jumps, returns and policies, the conntrack state, mark and ctmark changes, NAT
 * decisions, each routing decision with the ip rule and route chosen, the provider's check, and
 * where the packet ended.
 *
 * <pre>{@code
 * Trace t = simulator.trace(Flow.fromLan(client, 40000, Protocol.TCP, server, 443));
 * t.result().completed();               // false for the seed as posted
 * t.packets().get(1).uplink();          // Optional[ppp0]: the SYN-ACK came in on ppp0
 * System.out.println(t);                // the readable path of every packet
 * }</pre>
 *
 * @param result the flow's result, as {@link Simulator#run} gives it
 * @param packets the packets that were sent, in order; the last one is the lost one if the flow
 *     did not complete
 */
public record Trace(FlowResult result, List<Packet> packets) {

  public Trace {
    packets = ImmutableList.copyOf(packets);
  }

  /**
   * One packet's path.
   *
   * @param number the packet's number in the flow, from 1
   * @param description kind, addresses and ports as the sender sent it
   * @param sender who sent it
   * @param steps what happened to it, one line each
   * @param uplink the uplink it went out of or came in on, if any
   * @param loss why it was lost, if it was
   */
  public record Packet(
      int number,
      String description,
      String sender,
      List<String> steps,
      Optional<InterfaceName> uplink,
      Optional<PacketLoss> loss,
      OptionalLong mark) {
    public Packet {
      steps = ImmutableList.copyOf(steps);
    }

    /** A packet without a recorded mark. */
    public Packet(int number, String description, String sender, List<String> steps, Optional<InterfaceName> uplink,
        Optional<PacketLoss> loss) {
      this(number, description, sender, steps, uplink, loss, OptionalLong.empty());
    }

    /** Whether the packet reached the other end. */
    public boolean delivered() {
      return loss.isEmpty();
    }
  }

  /** The uplink of each packet, in order (empty where a packet used none). */
  public List<Optional<InterfaceName>> uplinks() {
    return packets.stream().map(Packet::uplink).collect(ImmutableList.toImmutableList());
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    b.append(result).append('\n');
    for (Packet p : packets) {
      b.append("packet ").append(p.number()).append(": ").append(p.description())
          .append(" (sent by ").append(p.sender()).append(")\n");
      for (String s : p.steps()) {
        b.append("    ").append(s).append('\n');
      }
      if (p.loss().isPresent()) {
        PacketLoss l = p.loss().get();
        b.append("  => LOST at ").append(l.where()).append(": ").append(l.reason()).append('\n');
      } else {
        b.append("  => delivered").append(p.uplink().map(u -> " (uplink " + u + ")").orElse("")).append('\n');
      }
    }
    return b.toString();
  }
}
