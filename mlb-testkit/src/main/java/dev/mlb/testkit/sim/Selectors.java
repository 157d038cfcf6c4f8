package dev.mlb.testkit.sim;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.TrafficSelector;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which {@link Flow}s a policy's {@link TrafficSelector} picks, and the selector both of two pick.
 *
 * <pre>{@code
 * Selectors.matches(TrafficSelector.of(Protocol.TCP, 80), flow);     // tcp to port 80
 * Selectors.intersect(web, TrafficSelector.toDestinations(bank));    // tcp 80 to the bank's prefix
 * }</pre>
 *
 * <p>A flow's source is its client's address; a router flow names none (the router picks it when
 * it routes the first packet), so a selector with sources never picks a router flow.
 */
public final class Selectors {
  private Selectors() {}

  /** Whether {@code selector} picks {@code flow} (every present criterion holds). */
  public static boolean matches(TrafficSelector selector, Flow flow) {
    if (selector.protocol().isPresent() && !selector.protocol().get().equals(flow.protocol())) {
      return false;
    }
    if (!selector.ports().isEmpty() && selector.ports().stream().noneMatch(p -> p.contains(flow.serverPort()))) {
      return false;
    }
    if (!selector.sources().isEmpty()) {
      if (flow.origin() != Flow.Origin.LAN
          || selector.sources().stream().noneMatch(p -> Prefixes.contains(p, flow.client().get()))) {
        return false;
      }
    }
    return selector.destinations().isEmpty()
        || selector.destinations().stream().anyMatch(p -> Prefixes.contains(p, flow.server()));
  }

  /** The selector that picks exactly the flows both pick, or empty if none can be both. */
  public static Optional<TrafficSelector> intersect(TrafficSelector a, TrafficSelector b) {
    Optional<Protocol> protocol = a.protocol().isPresent() ? a.protocol() : b.protocol();
    if (a.protocol().isPresent() && b.protocol().isPresent() && !a.protocol().equals(b.protocol())) {
      return Optional.empty();
    }
    List<PortRange> ports;
    if (a.ports().isEmpty() || b.ports().isEmpty()) {
      ports = a.ports().isEmpty() ? b.ports() : a.ports();
    } else {
      ports = new ArrayList<>();
      for (PortRange x : a.ports()) {
        for (PortRange y : b.ports()) {
          int first = Math.max(x.first(), y.first());
          int last = Math.min(x.last(), y.last());
          if (first <= last) {
            ports.add(PortRange.of(first, last));
          }
        }
      }
      if (ports.isEmpty()) {
        return Optional.empty();
      }
    }
    Optional<List<IpPrefix>> sources = intersect(a.sources(), b.sources());
    Optional<List<IpPrefix>> destinations = intersect(a.destinations(), b.destinations());
    if (sources.isEmpty() || destinations.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new TrafficSelector(protocol, ImmutableList.copyOf(ports), ImmutableList.copyOf(sources.get()),
        ImmutableList.copyOf(destinations.get())));
  }

  /** Prefix lists as criteria (empty: any): the prefixes inside both, or empty if none. */
  private static Optional<List<IpPrefix>> intersect(List<IpPrefix> a, List<IpPrefix> b) {
    if (a.isEmpty() || b.isEmpty()) {
      return Optional.of(a.isEmpty() ? b : a);
    }
    List<IpPrefix> out = new ArrayList<>();
    for (IpPrefix x : a) {
      for (IpPrefix y : b) {
        if (x.family() != y.family()) {
          continue;
        }
        if (x.contains(y)) {
          out.add(y.network());
        } else if (y.contains(x)) {
          out.add(x.network());
        }
      }
    }
    return out.isEmpty() ? Optional.empty() : Optional.of(out);
  }
}
