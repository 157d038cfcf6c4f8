package dev.mlb.testkit.sim;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The topology's uplinks as the simulator's walks look them up: by index (in topology order), by
 * device number, by interface name and by the router's address, with whether each provider is dead.
 *
 * <pre>{@code
 * UplinkTable t = new UplinkTable(Topology.standard(2), devices);
 * int up = t.named("ppp0");   // 0
 * t.kill(up);
 * t.isDead(up);               // true
 * }</pre>
 */
final class UplinkTable {
  private final Topology.Uplink[] uplinks;
  /** The interface of each uplink, as a flow result gives it. */
  private final Optional<InterfaceName>[] names;
  /** The device number of each uplink. */
  private final int[] devs;
  /** The router's address on each uplink. */
  private final IpAddress[] ips;
  /** By device number: the index of the first uplink on that device, or -1. */
  private final int[] onDev;
  /** By device number: the device's primary address in the topology, or null. */
  private final IpAddress[] addressOfDev;
  /** By index: whether that uplink's provider is dead ({@link Simulator#killUplink}). */
  private final boolean[] dead;

  UplinkTable(Topology topology, Devices devices) {
    this.uplinks = topology.uplinks().toArray(new Topology.Uplink[0]);
    int n = uplinks.length;
    this.devs = new int[n];
    this.ips = new IpAddress[n];
    @SuppressWarnings("unchecked")
    Optional<InterfaceName>[] named = new Optional[n];
    this.names = named;
    for (int i = 0; i < n; i++) {
      devs[i] = devices.id(uplinks[i].iface().name());
      names[i] = Optional.of(uplinks[i].iface());
      ips[i] = uplinks[i].ip();
    }
    this.dead = new boolean[n];
    int lanDev = devices.id(topology.lanInterface().name());
    int size = lanDev + 1;
    for (int dev : devs) {
      size = Math.max(size, dev + 1);
    }
    this.onDev = new int[size];
    this.addressOfDev = new IpAddress[size];
    Arrays.fill(onDev, -1);
    for (int i = n - 1; i >= 0; i--) {
      onDev[devs[i]] = i;
      addressOfDev[devs[i]] = uplinks[i].ip();
    }
    addressOfDev[lanDev] = topology.lanAddress().address();
  }

  /** The uplink at {@code index}. */
  Topology.Uplink get(int index) {
    return uplinks[index];
  }

  /** The interface of the uplink at {@code index}, as a flow result gives it. */
  Optional<InterfaceName> name(int index) {
    return names[index];
  }

  /** The device number of the uplink at {@code index}. */
  int dev(int index) {
    return devs[index];
  }

  /** The router's address on the uplink at {@code index}. */
  IpAddress ip(int index) {
    return ips[index];
  }

  /** The index of the first uplink on device number {@code dev}, or -1. */
  int onDev(int dev) {
    return dev >= 0 && dev < onDev.length ? onDev[dev] : -1;
  }

  /** The index of the first uplink on device {@code name}, or -1. */
  int named(String name) {
    for (int i = 0; i < uplinks.length; i++) {
      if (uplinks[i].iface().name().equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /** The index of {@code uplink}. */
  int index(InterfaceName uplink) {
    int i = named(uplink.name());
    checkArgument(i >= 0, "%s is no uplink of the topology", uplink);
    return i;
  }

  /** The index of the first uplink whose router address is {@code address}, or -1. */
  int withAddress(IpAddress address) {
    for (int i = 0; i < uplinks.length; i++) {
      if (ips[i].equals(address)) {
        return i;
      }
    }
    return -1;
  }

  /** The primary address of the device numbered {@code dev} in the topology, or null. */
  IpAddress addressOf(int dev) {
    return dev >= 0 && dev < addressOfDev.length ? addressOfDev[dev] : null;
  }

  void kill(int index) {
    dead[index] = true;
  }

  void revive(int index) {
    dead[index] = false;
  }

  boolean isDead(int index) {
    return dead[index];
  }

  /** The uplinks whose provider is dead, in topology order. */
  List<InterfaceName> deadUplinks() {
    List<InterfaceName> out = new ArrayList<>();
    for (int i = 0; i < uplinks.length; i++) {
      if (dead[i]) {
        out.add(uplinks[i].iface());
      }
    }
    return out;
  }
}
