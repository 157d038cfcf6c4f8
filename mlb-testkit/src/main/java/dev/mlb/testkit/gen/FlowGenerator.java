package dev.mlb.testkit.gen;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.Selectors;
import dev.mlb.testkit.sim.Topology;
import dev.mlb.testkit.sim.Traffic;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
 * TrafficSelector bank = TrafficSelector.of(Protocol.TCP, 443).withDestinations(List.of(IpPrefix.parse("203.0.113.64/26")));
 * gen.lan(bank);          // Optional[tcp lan 192.0.2.10x:... -> 203.0.113.8x:443]
 * gen.lanOutside(bank);   // a LAN flow that differs in one criterion: udp, another port or destination
 * }</pre>
 *
 * <p>Every flow of one generator has its own client port (they count up from a seeded start in
 * 20000..39999 with seeded gaps), so no two flows share a connection even across origins. LAN
 * clients are the first 16 addresses of {@link Topology#lanClients}; inbound flows come from the
 * topology's server to the router's address on their uplink.
 *
 * <p><b>Flows of a {@link TrafficSelector}.</b> {@link #lan(TrafficSelector)} and
 * {@link #router(TrafficSelector)} draw every free part of the flow inside the selector: the
 * protocol (TCP or UDP when the selector names none), a port of one of its ranges (when it names
 * none: one of 22, 80, 443, 8080 for TCP, 53, 123, 500 for UDP), a LAN client
 * inside its sources (one of the 16 clients if any lies inside, else another LAN address), and a
 * destination inside its destinations (the server if it lies inside, half of the time; else
 * another address of the prefix that is on the internet side: not the LAN, an uplink's link or the
 * {@code 203.0.113.128/25} the kernel lab keeps for its provider links). They are empty when no
 * such flow exists: a protocol other than TCP and UDP, sources outside the LAN (or any sources for
 * a router flow, whose source the router picks), or destinations with no such address.
 * {@link #lanOutside(TrafficSelector)} draws a flow that breaks exactly one of the selector's
 * criteria, chosen at random.
 */
public final class FlowGenerator {
  private static final int[] TCP_PORTS = {22, 80, 443, 8080};
  private static final int[] UDP_PORTS = {53, 123, 500};
  /** The kernel lab's provider links: no flow of a selector goes there if another address will do. */
  private static final IpPrefix LAB_LINKS = IpPrefix.parse("203.0.113.128/25");
  private static final int ATTEMPTS = 32;

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

  // ---------------------------------------------------------------- flows of a selector

  /** A LAN client's flow that {@code selector} picks, or empty if there is none (see the class comment). */
  public Optional<Flow> lan(TrafficSelector selector) {
    Optional<Protocol> protocol = protocol(selector);
    if (protocol.isEmpty()) {
      return Optional.empty();
    }
    Optional<IpAddress> client = client(selector.sources());
    Optional<IpAddress> server = destination(selector.destinations());
    if (client.isEmpty() || server.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(Flow.fromLan(client.get(), clientPort(), protocol.get(), server.get(),
        port(protocol.get(), selector.ports())));
  }

  /** A flow of the router that {@code selector} picks, or empty if there is none (see the class comment). */
  public Optional<Flow> router(TrafficSelector selector) {
    Optional<Protocol> protocol = protocol(selector);
    if (protocol.isEmpty() || !selector.sources().isEmpty()) {
      return Optional.empty();
    }
    Optional<IpAddress> server = destination(selector.destinations());
    if (server.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(Flow.fromRouter(protocol.get(), clientPort(), server.get(), port(protocol.get(),
        selector.ports())));
  }

  /**
   * A LAN client's flow that {@code selector} does not pick because exactly one of its criteria
   * fails (protocol, ports, sources or destinations, chosen at random among those it has); empty
   * for a selector of all traffic or when no such flow exists.
   */
  public Optional<Flow> lanOutside(TrafficSelector selector) {
    return outside(selector, true);
  }

  /** Like {@link #lanOutside}, a flow of the router (whose source is never a criterion). */
  public Optional<Flow> routerOutside(TrafficSelector selector) {
    return outside(selector.withSources(List.of()), false);
  }

  private Optional<Flow> outside(TrafficSelector selector, boolean lan) {
    List<String> criteria = new ArrayList<>();
    if (selector.protocol().isPresent()) {
      criteria.add("protocol");
    }
    if (!selector.ports().isEmpty()) {
      criteria.add("ports");
    }
    if (lan && !selector.sources().isEmpty()) {
      criteria.add("sources");
    }
    if (!selector.destinations().isEmpty()) {
      criteria.add("destinations");
    }
    if (criteria.isEmpty()) {
      return Optional.empty();
    }
    String broken = criteria.get(random.nextInt(criteria.size()));
    Optional<Protocol> protocol;
    if (broken.equals("protocol")) {
      Protocol p = selector.protocol().get();
      protocol = Optional.of(Protocol.TCP.equals(p) ? Protocol.UDP : Protocol.TCP);
    } else {
      protocol = protocol(selector);
    }
    if (protocol.isEmpty()) {
      return Optional.empty();
    }
    int port = broken.equals("ports") ? portOutside(selector.ports()) : port(protocol.get(), selector.ports());
    Optional<IpAddress> client = lan
        ? (broken.equals("sources") ? clientOutside(selector.sources()) : client(selector.sources()))
        : Optional.empty();
    Optional<IpAddress> server = broken.equals("destinations")
        ? destinationOutside(selector.destinations()) : destination(selector.destinations());
    if ((lan && client.isEmpty()) || server.isEmpty() || port < 1) {
      return Optional.empty();
    }
    Flow f = lan ? Flow.fromLan(client.get(), clientPort(), protocol.get(), server.get(), port)
        : Flow.fromRouter(protocol.get(), clientPort(), server.get(), port);
    return Selectors.matches(selector, f) ? Optional.empty() : Optional.of(f);
  }

  private Optional<Protocol> protocol(TrafficSelector selector) {
    if (selector.protocol().isEmpty()) {
      return Optional.of(random.nextBoolean() ? Protocol.TCP : Protocol.UDP);
    }
    Protocol p = selector.protocol().get();
    return Protocol.TCP.equals(p) || Protocol.UDP.equals(p) ? Optional.of(p) : Optional.empty();
  }

  private int port(Protocol protocol, List<PortRange> ranges) {
    if (ranges.isEmpty()) {
      int[] from = Protocol.TCP.equals(protocol) ? TCP_PORTS : UDP_PORTS;
      return from[random.nextInt(from.length)];
    }
    PortRange r = ranges.get(random.nextInt(ranges.size()));
    int first = Math.max(1, r.first());
    return first > r.last() ? -1 : random.nextInt(first, r.last() + 1);
  }

  /** A port in none of {@code ranges}, or -1. */
  private int portOutside(List<PortRange> ranges) {
    for (int i = 0; i < ATTEMPTS; i++) {
      int p = i < 8 ? TCP_PORTS[random.nextInt(TCP_PORTS.length)] + i * 1000 : random.nextInt(1, 20000);
      if (p <= 65535 && ranges.stream().noneMatch(r -> r.contains(p))) {
        return p;
      }
    }
    return -1;
  }

  /** A LAN client inside {@code sources} (any LAN client when there are none). */
  private Optional<IpAddress> client(List<IpPrefix> sources) {
    if (sources.isEmpty()) {
      return Optional.of(clients.get(random.nextInt(clients.size())));
    }
    List<IpAddress> known = clients.stream().filter(c -> sources.stream().anyMatch(p -> p.contains(c))).toList();
    if (!known.isEmpty()) {
      return Optional.of(known.get(random.nextInt(known.size())));
    }
    IpPrefix lan = topology.lanAddress().network();
    List<IpPrefix> inLan = new ArrayList<>();
    for (IpPrefix p : sources) {
      if (lan.contains(p)) {
        inLan.add(p.network());
      } else if (p.contains(lan)) {
        inLan.add(lan);
      }
    }
    for (int i = 0; i < ATTEMPTS && !inLan.isEmpty(); i++) {
      IpAddress a = randomHost(inLan.get(random.nextInt(inLan.size())));
      if (isLanHost(a)) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }

  private Optional<IpAddress> clientOutside(List<IpPrefix> sources) {
    List<IpAddress> known = clients.stream().filter(c -> sources.stream().noneMatch(p -> p.contains(c))).toList();
    if (!known.isEmpty()) {
      return Optional.of(known.get(random.nextInt(known.size())));
    }
    IpPrefix lan = topology.lanAddress().network();
    for (int i = 0; i < ATTEMPTS; i++) {
      IpAddress a = randomHost(lan);
      if (isLanHost(a) && sources.stream().noneMatch(p -> p.contains(a))) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }

  private boolean isLanHost(IpAddress a) {
    IpPrefix lan = topology.lanAddress().network();
    long offset = a.low() - lan.address().low();
    long size = 1L << (32 - lan.length());
    return lan.contains(a) && !a.equals(topology.lanAddress().address())
        && (lan.length() >= 31 || (offset != 0 && offset != size - 1));
  }

  /** A destination inside {@code destinations} (the server when there are none). */
  private Optional<IpAddress> destination(List<IpPrefix> destinations) {
    if (destinations.isEmpty()) {
      return Optional.of(topology.server());
    }
    List<IpPrefix> v4 = destinations.stream().filter(p -> p.family() == IpFamily.V4).toList();
    if (v4.isEmpty()) {
      return Optional.empty();
    }
    boolean serverInside = v4.stream().anyMatch(p -> p.contains(topology.server()));
    if (serverInside && random.nextBoolean()) {
      return Optional.of(topology.server());
    }
    IpPrefix documentation = IpPrefix.parse("203.0.113.0/25");
    for (int i = 0; i < ATTEMPTS; i++) {
      IpPrefix p = v4.get(random.nextInt(v4.size()));
      if (p.length() == 32 && isBeyondUplinks(p.address())) {
        return Optional.of(p.address());
      }
      // A wide prefix: draw from the documentation range inside it.
      IpPrefix from = p.contains(documentation) ? documentation : p.network();
      IpAddress a = randomHost(from);
      if (isInternet(a)) {
        return Optional.of(a);
      }
    }
    return serverInside ? Optional.of(topology.server()) : Optional.empty();
  }

  private Optional<IpAddress> destinationOutside(List<IpPrefix> destinations) {
    if (destinations.stream().noneMatch(p -> p.contains(topology.server()))) {
      return Optional.of(topology.server());
    }
    IpPrefix documentation = IpPrefix.parse("203.0.113.0/25");
    for (int i = 0; i < ATTEMPTS; i++) {
      IpAddress a = randomHost(documentation);
      if (isInternet(a) && destinations.stream().noneMatch(p -> p.contains(a))) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }

  /**
   * Whether {@code a} is a plain internet host: beyond the uplinks, a unicast address, not ending in
   * .0 or .255 (what a random draw from a wide prefix should give).
   */
  private boolean isInternet(IpAddress a) {
    long low = a.low();
    int first = (int) (low >>> 24);
    return isBeyondUplinks(a) && first != 0 && first != 127 && first < 224 && (low & 0xff) != 0
        && (low & 0xff) != 0xff;
  }

  /** Whether {@code a} lies beyond the uplinks: not in the LAN, on an uplink's link, or on the lab's links. */
  private boolean isBeyondUplinks(IpAddress a) {
    return !topology.lanAddress().network().contains(a) && topology.uplinkOnLink(a).isEmpty() && !LAB_LINKS.contains(a);
  }

  private IpAddress randomHost(IpPrefix prefix) {
    IpPrefix n = prefix.network();
    long size = 1L << (32 - n.length());
    return new IpAddress(IpFamily.V4, 0, n.address().low() + (size == 1 ? 0 : random.nextLong(size)));
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
