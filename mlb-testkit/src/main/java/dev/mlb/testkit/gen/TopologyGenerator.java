package dev.mlb.testkit.gen;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpPrefix;
import dev.mlb.testkit.sim.Topology;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Random {@link Topology}s from a seed: a plain factory that any property-testing engine (or a
 * loop) can drive.
 *
 * <pre>{@code
 * Topology t = TopologyGenerator.of(2, 8).generate(new SplittableRandom(7));  // same seed, same topology
 * t.uplinks().size();                                                          // 2..8
 * }</pre>
 *
 * <p>Interfaces are named in one of three styles ({@code ppp0..}, {@code wan0..}, {@code eth1..}
 * with LAN {@code eth0}, {@code lan0} or {@code br-lan}); the LAN is a /24 in 192.168.0.0/16 or
 * 10.0.0.0/8 with the router at .1; uplink i sits on its own /28, /29 or /30 (in 198.51.100.0/24
 * or 100.64.0.0/10) with the router at the first host address and the gateway at the second; the
 * server is an address of 203.0.113.0/25. No two prefixes overlap.
 */
public final class TopologyGenerator {
  private final int minUplinks;
  private final int maxUplinks;

  private TopologyGenerator(int minUplinks, int maxUplinks) {
    checkArgument(1 <= minUplinks && minUplinks <= maxUplinks && maxUplinks <= 15,
        "uplinks %s..%s: need 1 <= min <= max <= 15", minUplinks, maxUplinks);
    this.minUplinks = minUplinks;
    this.maxUplinks = maxUplinks;
  }

  /** Topologies with {@code minUplinks} to {@code maxUplinks} uplinks. */
  public static TopologyGenerator of(int minUplinks, int maxUplinks) {
    return new TopologyGenerator(minUplinks, maxUplinks);
  }

  public Topology generate(SplittableRandom random) {
    int n = random.nextInt(minUplinks, maxUplinks + 1);
    int style = random.nextInt(3);
    String lan = switch (style) {
      case 0 -> "eth0";
      case 1 -> "lan0";
      default -> "br-lan";
    };
    IpPrefix lanAddress = random.nextBoolean()
        ? IpPrefix.parse("192.168." + random.nextInt(256) + ".1/24")
        : IpPrefix.parse("10." + random.nextInt(256) + "." + random.nextInt(256) + ".1/24");
    Topology.Builder b = Topology.builder().lanInterface(InterfaceName.of(lan)).lanAddress(lanAddress);
    boolean documentation = random.nextBoolean();
    int len = 28 + random.nextInt(3);
    int size = 1 << (32 - len);
    int third = random.nextInt(64);
    for (int i = 0; i < n; i++) {
      String name = switch (style) {
        case 0 -> "eth" + (i + 1);
        case 1 -> "wan" + i;
        default -> "ppp" + i;
      };
      String net = documentation ? "198.51.100." : "100." + (64 + third) + "." + i + ".";
      int base = documentation ? size * i : 0;
      b.addUplinks(new Topology.Uplink(InterfaceName.of(name),
          IpPrefix.parse(net + (base + 1) + "/" + len), Optional.of(IpAddress.parse(net + (base + 2)))));
    }
    return b.server(IpAddress.parse("203.0.113." + random.nextInt(10, 100))).build();
  }
}
