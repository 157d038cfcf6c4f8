package dev.mlb.testkit.sim;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.TrafficSelector;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A class of traffic by protocol and destination port: what is balanced, excluded or generated.
 *
 * <pre>{@code
 * Traffic web = Traffic.of(Protocol.TCP, 80, 443);
 * web.matches(flow);              // TCP to port 80 or 443
 * Traffic.parse("tcp", "22,25");  // tcp 22,25
 * web.selector();                 // the policy's TrafficSelector "tcp dports 80,443"
 * }</pre>
 *
 * <p>For traffic with sources, destinations, port ranges or any protocol, {@link dev.mlb.testkit.check.BalancingCheck}
 * and {@link dev.mlb.testkit.gen.FlowGenerator} take the policy's {@link TrafficSelector} directly.
 *
 * @param protocol TCP or UDP
 * @param ports the destination ports, at least one, in order, no repeats
 */
public record Traffic(Protocol protocol, List<Integer> ports) {
  public Traffic {
    checkArgument(Protocol.TCP.equals(protocol) || Protocol.UDP.equals(protocol),
        "traffic is tcp or udp, not %s", protocol);
    checkArgument(!ports.isEmpty(), "traffic needs at least one port");
    for (int p : ports) {
      checkArgument(p >= 1 && p <= 65535, "port %s is outside 1..65535", p);
    }
    checkArgument(ports.stream().distinct().count() == ports.size(), "ports %s repeat", ports);
    ports = ImmutableList.copyOf(ports);
  }

  public static Traffic of(Protocol protocol, int... ports) {
    List<Integer> list = new ArrayList<>();
    for (int p : ports) {
      list.add(p);
    }
    return new Traffic(protocol, list);
  }

  /**
   * {@code parse("tcp", "80,443")}; throws IllegalArgumentException naming the bad part.
   */
  public static Traffic parse(String protocol, String ports) {
    Protocol proto;
    if ("tcp".equalsIgnoreCase(protocol)) {
      proto = Protocol.TCP;
    } else if ("udp".equalsIgnoreCase(protocol)) {
      proto = Protocol.UDP;
    } else {
      throw new IllegalArgumentException("protocol \"" + protocol + "\" is neither tcp nor udp");
    }
    List<Integer> list = new ArrayList<>();
    for (String s : ports.split(",", -1)) {
      try {
        list.add(Integer.parseInt(s.trim()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("port \"" + s + "\" in \"" + ports + "\" is not a number");
      }
    }
    return new Traffic(proto, list);
  }

  /** Whether {@code flow} is of this traffic (its protocol and destination port). */
  public boolean matches(Flow flow) {
    return protocol.equals(flow.protocol()) && ports.contains(flow.serverPort());
  }

  /** The same traffic as a policy's {@link TrafficSelector}: this protocol to any of these ports. */
  public TrafficSelector selector() {
    return new TrafficSelector(Optional.of(protocol), ports.stream().map(PortRange::of)
        .collect(ImmutableList.toImmutableList()), ImmutableList.of(), ImmutableList.of());
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder().append(protocol).append(' ');
    for (int i = 0; i < ports.size(); i++) {
      b.append(i == 0 ? "" : ",").append(ports.get(i));
    }
    return b.toString();
  }
}
