package dev.mlb.api.policy;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import java.util.List;
import java.util.Optional;

/**
 * A class of connections by protocol, destination ports, sources and destinations: what a
 * {@link BalancingPolicy} balances, balances for the router itself, or never balances.
 *
 * <pre>{@code
 * TrafficSelector web = TrafficSelector.of(Protocol.TCP, 80, 443);      // tcp to port 80 or 443
 * TrafficSelector all = TrafficSelector.all();                           // every connection
 * TrafficSelector bank = TrafficSelector.toDestinations(IpPrefix.parse("203.0.113.128/25"));
 * web.toString();                                                         // "tcp dports 80,443"
 * }</pre>
 *
 * <p>Each present criterion must hold; an empty list places no restriction. Ports need a
 * protocol that has ports (tcp, udp, sctp, udplite, dccp).
 *
 * <p><b>Families.</b> A selector may mix IPv4 and IPv6 prefixes. Compiled for one family, it keeps
 * that family's prefixes ({@link #forFamily}); a non-empty source or destination list without a
 * prefix of the family means the selector matches nothing of that family ({@link #appliesTo}),
 * never that it matches everything.
 *
 * @param protocol the IP protocol, or empty for any
 * @param ports destination ports or port ranges (empty: any port)
 * @param sources source prefixes (empty: any source)
 * @param destinations destination prefixes (empty: any destination)
 */
public record TrafficSelector(
    Optional<Protocol> protocol,
    ImmutableList<PortRange> ports,
    ImmutableList<IpPrefix> sources,
    ImmutableList<IpPrefix> destinations) {

  public TrafficSelector {
    if (protocol == null) {
      throw new NullPointerException("protocol");
    }
    ports = ImmutableList.copyOf(ports);
    sources = ImmutableList.copyOf(sources);
    destinations = ImmutableList.copyOf(destinations);
    if (!ports.isEmpty() && (protocol.isEmpty() || !protocol.get().hasPorts())) {
      throw new IllegalArgumentException(
          "ports " + joinPorts(ports) + " need a protocol with ports (tcp, udp, sctp, udplite, dccp), not "
              + protocol.map(Protocol::toString).orElse("any protocol"));
    }
  }

  /** Every connection. */
  public static TrafficSelector all() {
    return new TrafficSelector(Optional.empty(), ImmutableList.of(), ImmutableList.of(), ImmutableList.of());
  }

  /** Connections of {@code protocol} to any of {@code ports} (none: any port). */
  public static TrafficSelector of(Protocol protocol, int... ports) {
    ImmutableList.Builder<PortRange> list = ImmutableList.builder();
    for (int p : ports) {
      list.add(PortRange.of(p));
    }
    return new TrafficSelector(Optional.of(protocol), list.build(), ImmutableList.of(), ImmutableList.of());
  }

  /** Connections to any of {@code destinations}. */
  public static TrafficSelector toDestinations(IpPrefix... destinations) {
    return new TrafficSelector(
        Optional.empty(), ImmutableList.of(), ImmutableList.of(), ImmutableList.copyOf(destinations));
  }

  /** This selector restricted to the given sources. */
  public TrafficSelector withSources(List<IpPrefix> newSources) {
    return new TrafficSelector(protocol, ports, ImmutableList.copyOf(newSources), destinations);
  }

  /** This selector restricted to the given destinations. */
  public TrafficSelector withDestinations(List<IpPrefix> newDestinations) {
    return new TrafficSelector(protocol, ports, sources, ImmutableList.copyOf(newDestinations));
  }

  /** Whether it places no restriction at all. */
  public boolean isAll() {
    return protocol.isEmpty() && ports.isEmpty() && sources.isEmpty() && destinations.isEmpty();
  }

  /**
   * Whether the selector can match a connection of {@code family}: its sources, and its
   * destinations, are each empty or hold a prefix of that family.
   */
  public boolean appliesTo(IpFamily family) {
    return hasFamily(sources, family) && hasFamily(destinations, family);
  }

  /**
   * This selector as compiled for {@code family}: only that family's prefixes; empty if it
   * matches nothing of that family ({@link #appliesTo}).
   */
  public Optional<TrafficSelector> forFamily(IpFamily family) {
    if (!appliesTo(family)) {
      return Optional.empty();
    }
    return Optional.of(new TrafficSelector(
        protocol, ports, ofFamily(sources, family), ofFamily(destinations, family)));
  }

  private static boolean hasFamily(List<IpPrefix> prefixes, IpFamily family) {
    return prefixes.isEmpty() || prefixes.stream().anyMatch(p -> p.family() == family);
  }

  private static ImmutableList<IpPrefix> ofFamily(List<IpPrefix> prefixes, IpFamily family) {
    return prefixes.stream().filter(p -> p.family() == family).collect(ImmutableList.toImmutableList());
  }

  private static String joinPorts(List<PortRange> ports) {
    return String.join(",", ports.stream().map(PortRange::toString).toList());
  }

  /** E.g. {@code "tcp dports 80,443 from 192.0.2.0/25 to 203.0.113.0/24"}, or {@code "all"}. */
  @Override
  public String toString() {
    if (isAll()) {
      return "all";
    }
    StringBuilder s = new StringBuilder();
    protocol.ifPresent(p -> s.append(p));
    if (!ports.isEmpty()) {
      s.append(s.length() > 0 ? " " : "").append("dports ").append(joinPorts(ports));
    }
    if (!sources.isEmpty()) {
      s.append(s.length() > 0 ? " " : "").append("from ")
          .append(String.join(",", sources.stream().map(IpPrefix::toString).toList()));
    }
    if (!destinations.isEmpty()) {
      s.append(s.length() > 0 ? " " : "").append("to ")
          .append(String.join(",", destinations.stream().map(IpPrefix::toString).toList()));
    }
    return s.toString();
  }
}
