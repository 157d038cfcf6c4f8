package dev.mlb.testkit;

import dev.mlb.api.IpAddress;
import dev.mlb.api.Protocol;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded flows for a {@link Topology}: LAN clients to the server, the router itself to the server,
 * and connections arriving on each uplink. A plain factory; the same seed gives the same flows.
 *
 * <pre>{@code
 * FlowGenerator gen = FlowGenerator.of(Topology.standard(2), 42);
 * Flow a = gen.lan(Traffic.of(Protocol.TCP, 80, 443));   // a LAN client .100-.115, port 80 or 443
 * Flow b = gen.router(Traffic.of(Protocol.TCP, 80));
 * Flow c = gen.inbound(topology.uplinks().get(1), Traffic.of(Protocol.TCP, 22));
 * }</pre>
 *
 * <p>Every flow of one generator has its own client port (they count up from a seeded start in
 * 20000..39999 with seeded gaps), so no two flows share a connection even across origins. LAN
 * clients are the first 16 addresses of {@link Topology#lanClients}; inbound flows come from the
 * topology's server to the router's address on their uplink.
 */
public final class FlowGenerator {
  private final Topology topology;
  private final SplittableRandom random;
  private final List<IpAddress> clients;
  private int nextPort;

  private FlowGenerator(Topology topology, SplittableRandom random) {
    this.topology = topology;
    this.random = random;
    this.clients = topology.lanClients(16);
    this.nextPort = random.nextInt(20000, 40000);
  }

  public static FlowGenerator of(Topology topology, long seed) {
    return new FlowGenerator(topology, new SplittableRandom(seed));
  }

  public static FlowGenerator of(Topology topology, SplittableRandom random) {
    return new FlowGenerator(topology, random);
  }

  private int clientPort() {
    int p = nextPort;
    nextPort += 1 + random.nextInt(3);
    if (nextPort > 65535) {
      nextPort = 1024;
    }
    return p;
  }

  private int port(Traffic traffic) {
    return traffic.ports().get(random.nextInt(traffic.ports().size()));
  }

  /** A LAN client's flow of {@code traffic} to the topology's server. */
  public Flow lan(Traffic traffic) {
    return lan(traffic, topology.server());
  }

  /** A LAN client's flow of {@code traffic} to {@code server}. */
  public Flow lan(Traffic traffic, IpAddress server) {
    IpAddress client = clients.get(random.nextInt(clients.size()));
    return Flow.fromLan(client, clientPort(), traffic.protocol(), server, port(traffic));
  }

  /** A flow the router opens to the topology's server. */
  public Flow router(Traffic traffic) {
    return router(traffic, topology.server());
  }

  /** A flow the router opens to {@code server}. */
  public Flow router(Traffic traffic, IpAddress server) {
    return Flow.fromRouter(traffic.protocol(), clientPort(), server, port(traffic));
  }

  /** A connection from the server to the router's address on {@code uplink}, arriving there. */
  public Flow inbound(Topology.Uplink uplink, Traffic traffic) {
    return Flow.inbound(uplink.iface(), topology.server(), clientPort(), traffic.protocol(), uplink.ip(),
        port(traffic));
  }

  /** {@code count} LAN flows of {@code traffic}. */
  public List<Flow> lan(Traffic traffic, int count) {
    List<Flow> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(lan(traffic));
    }
    return out;
  }

  /** For every uplink, one TCP and one UDP connection arriving on it ({@code tcp 22}, {@code udp 53}). */
  public List<Flow> inboundOnEveryUplink() {
    List<Flow> out = new ArrayList<>();
    for (Topology.Uplink u : topology.uplinks()) {
      out.add(inbound(u, Traffic.of(Protocol.TCP, 22)));
      out.add(inbound(u, Traffic.of(Protocol.UDP, 53)));
    }
    return out;
  }

  /** Shuffles {@code flows} in place with this generator's random numbers (Fisher-Yates). */
  public <T> List<T> shuffle(List<T> flows) {
    for (int i = flows.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      T t = flows.get(i);
      flows.set(i, flows.get(j));
      flows.set(j, t);
    }
    return flows;
  }
}
