package dev.mlb.testkit.sim;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.MlbStyle;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.immutables.value.Value;

/**
 * The network a balancing router sits in; one model for the simulator and the kernel lab.
 *
 * <pre>{@code
 * Topology t = Topology.standard(2);
 * t.lanInterface();               // eth0, 192.0.2.1/24
 * t.uplinks().get(1).iface();     // ppp1, address 198.51.100.17/28, gateway 198.51.100.18
 * t.server();                     // 203.0.113.10
 * }</pre>
 *
 * <p>A router has one LAN interface and N uplinks, each with its address, prefix and upstream
 * gateway (none for point-to-point links). Behind every uplink sits a provider that forwards only
 * packets whose source is that uplink's address, as real providers filter ingress. The server is
 * reachable through every provider and answers each packet through the provider that owns the
 * packet's source address. LAN clients take addresses from the LAN prefix (from .100 up).
 */
@Value.Immutable
@MlbStyle
public abstract class Topology {

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link Topology}. */
  public static final class Builder extends ImmutableTopology.Builder {}

  /**
   * One uplink of the router.
   *
   * @param iface the router's interface towards the provider
   * @param address the router's address on it, with the link's prefix length
   * @param gateway the provider's address on the link, the next hop (empty on point-to-point links)
   */
  public record Uplink(InterfaceName iface, IpPrefix address, Optional<IpAddress> gateway) {
    public Uplink {
      checkArgument(iface != null && address != null && gateway != null, "uplink fields are null");
      checkArgument(!iface.isWildcard(), "uplink interface %s is a wildcard", iface);
      gateway.ifPresent(g -> checkArgument(address.network().contains(g),
          "gateway %s of %s is not on the link %s", g, iface, address.network()));
    }

    /** The router's own address on this uplink. */
    public IpAddress ip() {
      return address.address();
    }
  }

  /** The router's LAN interface. */
  @Value.Default
  public InterfaceName lanInterface() {
    return InterfaceName.of("eth0");
  }

  /** The router's LAN address, with the LAN's prefix length. */
  @Value.Default
  public IpPrefix lanAddress() {
    return IpPrefix.parse("192.0.2.1/24");
  }

  /** The uplinks, at least one. */
  public abstract ImmutableList<Uplink> uplinks();

  /** The server every flow talks to (or, for inbound flows, comes from). */
  @Value.Default
  public IpAddress server() {
    return IpAddress.parse("203.0.113.10");
  }

  /**
   * The standard topology with {@code n} uplinks {@code ppp0..}: uplink i has 198.51.100.(16i+1)/28
   * with gateway 198.51.100.(16i+2); LAN eth0 192.0.2.1/24; server 203.0.113.10.
   */
  public static Topology standard(int n) {
    checkArgument(n >= 1 && n <= 15, "a standard topology has 1 to 15 uplinks, not %s", n);
    Builder b = builder();
    for (int i = 0; i < n; i++) {
      b.addUplinks(new Uplink(
          InterfaceName.of("ppp" + i),
          IpPrefix.parse("198.51.100." + (16 * i + 1) + "/28"),
          Optional.of(IpAddress.parse("198.51.100." + (16 * i + 2)))));
    }
    return b.build();
  }

  /** The uplink on interface {@code iface}. */
  public Optional<Uplink> uplink(InterfaceName iface) {
    return uplinks().stream().filter(u -> u.iface().equals(iface)).findFirst();
  }

  /** The uplink whose router address is {@code address}. */
  public Optional<Uplink> uplinkWithAddress(IpAddress address) {
    return uplinks().stream().filter(u -> u.ip().equals(address)).findFirst();
  }

  /** The uplink on whose link {@code address} lies (the router's or the provider's side). */
  public Optional<Uplink> uplinkOnLink(IpAddress address) {
    return uplinks().stream().filter(u -> u.address().network().contains(address)).findFirst();
  }

  /** The {@code count} LAN client addresses: .100, .101, ... of the LAN prefix. */
  public List<IpAddress> lanClients(int count) {
    IpPrefix lan = lanAddress().network();
    List<IpAddress> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long host = 100 + i;
      out.add(new IpAddress(IpFamily.V4, 0, lan.address().low() + host));
    }
    return out;
  }

  /** Every address of the router itself. */
  public List<IpAddress> routerAddresses() {
    List<IpAddress> out = new ArrayList<>();
    out.add(lanAddress().address());
    uplinks().forEach(u -> out.add(u.ip()));
    return out;
  }

  @Value.Check
  protected void check() {
    if (uplinks().isEmpty()) {
      throw new IllegalStateException("a topology needs at least one uplink");
    }
    Set<InterfaceName> names = new HashSet<>();
    names.add(lanInterface());
    for (Uplink u : uplinks()) {
      if (!names.add(u.iface())) {
        throw new IllegalStateException("interface " + u.iface() + " appears twice in the topology");
      }
      if (u.address().overlaps(lanAddress().network())) {
        throw new IllegalStateException("uplink " + u.iface() + " address " + u.address()
            + " overlaps the LAN " + lanAddress().network());
      }
    }
    if (lanInterface().isWildcard()) {
      throw new IllegalStateException("LAN interface " + lanInterface() + " is a wildcard");
    }
    if (lanAddress().family() != IpFamily.V4) {
      throw new IllegalStateException("the topology is IPv4 only; LAN address " + lanAddress() + " is IPv6");
    }
  }
}
