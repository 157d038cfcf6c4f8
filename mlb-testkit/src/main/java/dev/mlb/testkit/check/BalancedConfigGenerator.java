package dev.mlb.testkit.check;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.IpPrefix;
import dev.mlb.api.Protocol;
import dev.mlb.testkit.gen.TopologyGenerator;
import dev.mlb.testkit.sim.Topology;
import dev.mlb.testkit.sim.Traffic;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random correct {@link BalancedConfig}s from a seed: a plain factory that any property-testing
 * engine (or a loop) can drive.
 *
 * <pre>{@code
 * BalancedConfigGenerator gen = BalancedConfigGenerator.of(2, 8, 10);
 * BalancedConfig c = gen.generate(new SplittableRandom(42));   // the same config for the same seed
 * c.check().build().assertAll();
 * }</pre>
 *
 * <p>Topologies come from {@link TopologyGenerator}; weights are 1 to {@code maxWeight}; the mark
 * field is 4 to 8 bits wide at a shift of 1 to 24 (so masks vary and never cover the foreign bit
 * 0x1); tables start at 10 to 199 and rule priorities at 100 to 999; the LAN traffic is TCP to 1 to 4
 * ports of 22, 25, 80, 443, 8080, UDP to some of 53, 123, 500, or both; the router traffic is TCP 80
 * or 443; one excluded destination of 203.0.113.128/25 (a /25 to /32) half of the time; the nth
 * rules are {@link BalancedConfig.NthStyle#SLOTS} or {@link BalancedConfig.NthStyle#CASCADE}.
 */
public final class BalancedConfigGenerator {
  private static final int[] TCP_PORTS = {22, 25, 80, 443, 8080};
  private static final int[] UDP_PORTS = {53, 123, 500};

  private final TopologyGenerator topologies;
  private final int maxWeight;

  private BalancedConfigGenerator(int minUplinks, int maxUplinks, int maxWeight) {
    checkArgument(maxUplinks <= 8, "at most 8 uplinks (the mark field is at least 4 bits), not %s", maxUplinks);
    checkArgument(maxWeight >= 1, "max weight %s below 1", maxWeight);
    this.topologies = TopologyGenerator.of(minUplinks, maxUplinks);
    this.maxWeight = maxWeight;
  }

  /** Configurations with {@code minUplinks..maxUplinks} uplinks and weights {@code 1..maxWeight}. */
  public static BalancedConfigGenerator of(int minUplinks, int maxUplinks, int maxWeight) {
    return new BalancedConfigGenerator(minUplinks, maxUplinks, maxWeight);
  }

  public BalancedConfig generate(SplittableRandom random) {
    Topology topology = topologies.generate(random);
    int n = topology.uplinks().size();
    List<Integer> weights = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      weights.add(random.nextInt(1, maxWeight + 1));
    }
    int width = random.nextInt(4, 9);
    int shift = random.nextInt(1, 25);
    List<Traffic> lan = new ArrayList<>();
    int kinds = random.nextInt(4);
    if (kinds != 0) {
      lan.add(pick(Protocol.TCP, TCP_PORTS, random));
    }
    if (kinds != 1) {
      lan.add(pick(Protocol.UDP, UDP_PORTS, random));
    }
    Traffic router = Traffic.of(Protocol.TCP, random.nextBoolean() ? 80 : 443);
    List<IpPrefix> excluded = new ArrayList<>();
    if (random.nextBoolean()) {
      int len = random.nextInt(25, 33);
      excluded.add(IpPrefix.parse("203.0.113.128/" + len).network());
    }
    return new BalancedConfig(topology, weights, shift, width, random.nextInt(10, 200), random.nextInt(100, 1000),
        lan, router, excluded, EnumSet.noneOf(BalancedConfig.Defect.class), random.nextInt(n),
        random.nextBoolean() ? BalancedConfig.NthStyle.SLOTS : BalancedConfig.NthStyle.CASCADE);
  }

  private static Traffic pick(Protocol protocol, int[] from, SplittableRandom random) {
    List<Integer> ports = new ArrayList<>();
    for (int p : from) {
      if (random.nextInt(2) == 0) {
        ports.add(p);
      }
    }
    if (ports.isEmpty()) {
      ports.add(from[random.nextInt(from.length)]);
    }
    if (ports.size() > 4) {
      ports = ports.subList(0, 4);
    }
    return new Traffic(protocol, ports);
  }
}
