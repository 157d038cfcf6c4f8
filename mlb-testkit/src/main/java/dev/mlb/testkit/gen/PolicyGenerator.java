package dev.mlb.testkit.gen;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.AllDown;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import dev.mlb.testkit.sim.Traffic;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Random valid {@link BalancingPolicy}s from a seed: a plain factory that any property-testing
 * engine (or a loop) can drive.
 *
 * <pre>{@code
 * PolicyGenerator gen = PolicyGenerator.of(1, 8);
 * BalancingPolicy p = gen.generate(new SplittableRandom(42));   // the same policy for the same seed
 * CompiledPolicy.compile(p).check().build().assertAll();
 * }</pre>
 *
 * <p>What varies, per policy:
 * <ul>
 *   <li>uplinks: {@code minUplinks..maxUplinks}, named {@code isp1..}, {@code wan0..} or
 *       {@code link-a..}, on interfaces {@code ppp0..}, {@code eth1..} or {@code wan0..}; weights 1 to
 *       10 (one policy in ten: 1 to 256); uplink {@code i} lives on 198.51.100.16i/28: a gateway
 *       there half of the time (else point-to-point; always for multipath with IPv6, whose
 *       multipath routes need next hops), an SNAT address there 40% of the time (else
 *       MASQUERADE); with IPv6, an IPv6 gateway on 2001:db8:ff:i::/64 where there is an IPv4 one, and
 *       an IPv6 SNAT address a quarter of the time;
 *   <li>the mark mask: the default 0x0f000000 (60%), a contiguous field of 3 to 8 bits at a shift of 0
 *       to 24 (25%), or 3 to 8 scattered bits (15%); foreign bits outside it (30%); explicit marks
 *       inside it for some uplinks (15%), explicit tables 1000 and up (15%);
 *   <li>the table base (10 to 200) and priority base (100 to 30000), half of the time; the chain
 *       prefix and rule protocol, one time in five;
 *   <li>the strategy: NTH 45%, RANDOM 40%, MULTIPATH 15%;
 *   <li>the LAN: {@code eth0} or {@code lan0} (sometimes a second interface), 192.0.2.0/24 or
 *       192.0.2.0/25 (sometimes a second IPv4 prefix 198.51.100.192/26); with IPv6,
 *       2001:db8:1::/64;
 *   <li>balanced LAN traffic: all (a quarter of the time) or 1 to 3 selectors: TCP or UDP to ports
 *       and port ranges, TCP without ports, any protocol to destinations in 203.0.113.0/25, sources
 *       inside the LAN;
 *   <li>balanced router traffic: none (40%) or 1 to 2 selectors (TCP or UDP ports, ranges,
 *       destinations), never with sources;
 *   <li>exclusions: none (half of the time) or 1 to 2: a destination prefix in 203.0.113.16/28 to
 *       203.0.113.96/27 (never the server 203.0.113.10 the simulator uses), a TCP or UDP port, a
 *       protocol; with IPv6, sometimes an IPv6 destination;
 *   <li>inbound stickiness on (80%) or off; IPv4 (80%) or IPv4 and IPv6;
 *   <li>failover: tiers 1 to 3 per uplink a quarter of the time (never with MULTIPATH); all-down
 *       keep-last a quarter of the time, else main; no health block (the defaults), no down set.
 * </ul>
 *
 * <p>Every address lies in a documentation range and away from the kernel lab's provider links
 * (203.0.113.128/25); all ports are below 20000, under the lab's client ports. The policies are valid:
 * {@code build()} would throw otherwise, and the generator's test compiles thousands of them.
 */
public final class PolicyGenerator {
  private static final int[] TCP_PORTS = {22, 25, 80, 443, 993, 8080};
  private static final int[] UDP_PORTS = {53, 123, 500, 1194, 4500};
  private static final IpPrefix SERVER = IpPrefix.parse("203.0.113.10/32");

  private final int minUplinks;
  private final int maxUplinks;

  private PolicyGenerator(int minUplinks, int maxUplinks) {
    checkArgument(minUplinks >= 1 && minUplinks <= maxUplinks && maxUplinks <= 8,
        "uplinks %s..%s are outside 1..8", minUplinks, maxUplinks);
    this.minUplinks = minUplinks;
    this.maxUplinks = maxUplinks;
  }

  /** Policies with {@code minUplinks..maxUplinks} uplinks (at most 8). */
  public static PolicyGenerator of(int minUplinks, int maxUplinks) {
    return new PolicyGenerator(minUplinks, maxUplinks);
  }

  /** The policy for the random numbers of {@code random}. */
  public BalancingPolicy generate(SplittableRandom random) {
    int n = random.nextInt(minUplinks, maxUplinks + 1);
    boolean dual = random.nextInt(5) == 0;
    BalancingPolicy.Builder b = BalancingPolicy.builder();
    if (dual) {
      b.families(ImmutableSet.of(IpFamily.V4, IpFamily.V6));
    }

    // Mark bits first: explicit marks need the mask.
    int needed = 64 - Long.numberOfLeadingZeros(n);   // bits to count 1..n
    long mask;
    int maskKind = random.nextInt(20);
    if (maskKind < 12) {
      mask = BalancingPolicy.DEFAULT_MARK_MASK;
    } else if (maskKind < 17) {
      int width = random.nextInt(Math.max(3, needed), 9);
      mask = ((1L << width) - 1) << random.nextInt(0, 25);
      b.markMask(mask);
    } else {
      mask = scattered(random, Math.max(3, needed));
      b.markMask(mask);
    }
    if (random.nextInt(10) < 3) {
      long foreign = 0;
      for (int k = random.nextInt(1, 5); k > 0; k--) {
        int bit = random.nextInt(32);
        if ((mask & (1L << bit)) == 0) {
          foreign |= 1L << bit;
        }
      }
      if (foreign != 0) {
        b.foreignMarkBits(foreign);
      }
    }
    boolean explicitMarks = random.nextInt(20) < 3;
    boolean explicitTables = random.nextInt(20) < 3;
    int tableBase = 100;
    if (random.nextBoolean()) {
      tableBase = random.nextInt(10, 201);
      b.tableBase(tableBase);
    }
    if (random.nextBoolean()) {
      b.priorityBase(random.nextInt(100, 30001));
    }
    if (random.nextInt(5) == 0) {
      b.chainPrefix(List.of("lb", "mlb2", "wan", "multi_lb").get(random.nextInt(4)));
    }
    if (random.nextInt(5) == 0) {
      b.ruleProtocol(List.of(110, 150, 200, 250).get(random.nextInt(4)));
    }
    int strategy = random.nextInt(20);
    boolean multipath = strategy >= 17;
    b.strategy(strategy < 9 ? Strategy.NTH : multipath ? Strategy.MULTIPATH : Strategy.RANDOM);

    // Uplinks.
    int naming = random.nextInt(3);
    int ifaces = random.nextInt(3);
    boolean heavy = random.nextInt(10) == 0;
    Set<Long> marks = new HashSet<>();
    for (int i = 0; i < n; i++) {
      if (!explicitMarks) {
        marks.add(deposit(i + 1, mask));
      }
    }
    int nextTable = 1000 + random.nextInt(100);
    for (int i = 0; i < n; i++) {
      Uplink.Builder u = Uplink.builder()
          .name(switch (naming) {
            case 0 -> "isp" + (i + 1);
            case 1 -> "wan" + i;
            default -> "link-" + (char) ('a' + i);
          })
          .iface(InterfaceName.of(switch (ifaces) {
            case 0 -> "ppp" + i;
            case 1 -> "eth" + (i + 1);
            default -> "wan" + i;
          }))
          .weight(heavy ? random.nextInt(1, 257) : random.nextInt(1, 11));
      int base = 16 * i;
      int gateway = -1;
      // Multipath over IPv6 needs a next hop on every uplink (the kernel refuses device-only IPv6
      // multipath routes), and an uplink has both next hops or neither.
      if (random.nextBoolean() || (dual && multipath)) {
        gateway = base + random.nextInt(1, 15);
        u.gateway(v4("198.51.100." + gateway));
      }
      if (random.nextInt(10) < 4) {
        int snat;
        do {
          snat = base + random.nextInt(1, 15);
        } while (snat == gateway);
        u.snat(v4("198.51.100." + snat));
      }
      if (dual) {
        if (gateway >= 0) {
          // Both next hops or neither: a point-to-point link is one in both families.
          u.gateway6(IpAddress.parse("2001:db8:ff:" + i + "::1"));
        }
        if (random.nextInt(4) == 0) {
          u.snat6(IpAddress.parse("2001:db8:ff:" + i + "::" + (i + 100)));
        }
      }
      if (explicitMarks && random.nextBoolean()) {
        long m = freeMark(random, mask, marks);
        u.mark(m);
        marks.add(m);
      } else if (explicitMarks) {
        // Implicit: the mark the policy assigns; reserve it (another uplink's explicit mark may not take it).
        long m = deposit(i + 1, mask);
        if (!marks.add(m)) {
          // An earlier explicit mark took it: give this one an explicit mark as well.
          m = freeMark(random, mask, marks);
          u.mark(m);
          marks.add(m);
        }
      }
      if (explicitTables && random.nextBoolean()) {
        u.table(nextTable);
        nextTable += random.nextInt(1, 5);
      }
      b.addUplinks(u.build());
    }

    // LAN.
    b.addLanInterfaces(InterfaceName.of(random.nextBoolean() ? "eth0" : "lan0"));
    if (random.nextInt(5) == 0) {
      b.addLanInterfaces(InterfaceName.of("lan9"));
    }
    IpPrefix lan = IpPrefix.parse(random.nextInt(4) == 0 ? "192.0.2.0/25" : "192.0.2.0/24");
    b.addLanPrefixes(lan);
    if (random.nextInt(6) == 0) {
      b.addLanPrefixes(IpPrefix.parse("198.51.100.192/26"));
    }
    if (dual) {
      b.addLanPrefixes(IpPrefix.parse("2001:db8:1::/64"));
    }

    // Traffic.
    if (random.nextInt(4) != 0) {
      for (int k = random.nextInt(1, 4); k > 0; k--) {
        b.addBalanced(lanSelector(random, lan));
      }
    }
    if (random.nextInt(5) >= 2) {
      for (int k = random.nextInt(1, 3); k > 0; k--) {
        b.addRouter(routerSelector(random));
      }
    }
    if (random.nextBoolean()) {
      for (int k = random.nextInt(1, 3); k > 0; k--) {
        b.addExclusions(exclusion(random, dual));
      }
    }
    b.stickyInbound(random.nextInt(5) != 0);
    // Failover, drawn last so that the draws above make the same policies as before: tiers a
    // quarter of the time (never with multipath, which cannot fail over), keep-last a quarter.
    if (!multipath && random.nextInt(4) == 0) {
      List<Uplink> tiered = new ArrayList<>();
      for (Uplink u : b.build().uplinks()) {
        tiered.add(Uplink.builder().from(u).tier(random.nextInt(1, 4)).build());
      }
      b.uplinks(tiered);
    }
    if (random.nextInt(4) == 0) {
      b.allDown(AllDown.KEEP_LAST);
    }
    return b.build();
  }

  private static TrafficSelector lanSelector(SplittableRandom random, IpPrefix lan) {
    TrafficSelector s = switch (random.nextInt(6)) {
      case 0, 1 -> ports(random, Protocol.TCP, TCP_PORTS);
      case 2 -> ports(random, Protocol.UDP, UDP_PORTS);
      case 3 -> new TrafficSelector(Optional.of(Protocol.TCP), ImmutableList.of(), ImmutableList.of(),
          ImmutableList.of());
      case 4 -> TrafficSelector.toDestinations(destination(random));
      default -> new TrafficSelector(Optional.of(random.nextBoolean() ? Protocol.TCP : Protocol.UDP),
          ImmutableList.of(range(random)), ImmutableList.of(), ImmutableList.of());
    };
    if (random.nextInt(4) == 0) {
      s = s.withSources(List.of(source(random, lan)));
    }
    if (random.nextInt(5) == 0 && s.destinations().isEmpty()) {
      s = s.withDestinations(List.of(destination(random)));
    }
    return s;
  }

  private static TrafficSelector routerSelector(SplittableRandom random) {
    TrafficSelector s = switch (random.nextInt(4)) {
      case 0, 1 -> ports(random, Protocol.TCP, new int[] {80, 443, 8080});
      case 2 -> ports(random, Protocol.UDP, new int[] {53, 123});
      default -> new TrafficSelector(Optional.of(Protocol.TCP), ImmutableList.of(range(random)),
          ImmutableList.of(), ImmutableList.of());
    };
    if (random.nextInt(4) == 0) {
      s = s.withDestinations(List.of(destination(random)));
    }
    return s;
  }

  private static TrafficSelector exclusion(SplittableRandom random, boolean dual) {
    return switch (random.nextInt(dual ? 5 : 4)) {
      case 0, 1 -> TrafficSelector.toDestinations(IpPrefix.parse(List.of("203.0.113.16/28", "203.0.113.32/27",
          "203.0.113.64/27", "203.0.113.96/27", "203.0.113.20/32").get(random.nextInt(5))));
      case 2 -> random.nextBoolean() ? TrafficSelector.of(Protocol.TCP, TCP_PORTS[random.nextInt(TCP_PORTS.length)])
          : TrafficSelector.of(Protocol.UDP, UDP_PORTS[random.nextInt(UDP_PORTS.length)]);
      case 3 -> new TrafficSelector(Optional.of(Protocol.UDP), ImmutableList.of(), ImmutableList.of(),
          ImmutableList.of());
      default -> TrafficSelector.toDestinations(IpPrefix.parse("2001:db8:dead::/48"));
    };
  }

  private static TrafficSelector ports(SplittableRandom random, Protocol protocol, int[] from) {
    List<PortRange> ports = new ArrayList<>();
    for (int p : from) {
      if (random.nextInt(3) == 0) {
        ports.add(PortRange.of(p));
      }
    }
    if (ports.isEmpty()) {
      ports.add(PortRange.of(from[random.nextInt(from.length)]));
    }
    if (random.nextInt(4) == 0) {
      ports.add(range(random));
    }
    return new TrafficSelector(Optional.of(protocol), ImmutableList.copyOf(ports), ImmutableList.of(),
        ImmutableList.of());
  }

  /** A port range of 2 to 200 ports between 1024 and 19999. */
  private static PortRange range(SplittableRandom random) {
    int first = random.nextInt(1024, 19800);
    return PortRange.of(first, first + random.nextInt(1, 200));
  }

  /** A prefix of the LAN, /25 to /30, that holds some of the simulator's clients (.100 to .115) or not. */
  private static IpPrefix source(SplittableRandom random, IpPrefix lan) {
    int length = random.nextInt(Math.max(lan.length() + 1, 25), 31);
    long size = 1L << (32 - length);
    long offset = random.nextLong((1L << (32 - lan.length())) / size) * size;
    return IpPrefix.of(new IpAddress(IpFamily.V4, 0, lan.address().low() + offset), length);
  }

  /** A destination in 203.0.113.0/25, /26 to /32; it may hold the server 203.0.113.10. */
  private static IpPrefix destination(SplittableRandom random) {
    if (random.nextInt(4) == 0) {
      return SERVER;
    }
    int length = random.nextInt(26, 33);
    long size = 1L << (32 - length);
    // A host is never the range's .0.
    long offset = length == 32 ? random.nextLong(1, 128) : random.nextLong(128 / size) * size;
    return IpPrefix.of(new IpAddress(IpFamily.V4, 0, v4("203.0.113.0").low() + offset), length);
  }

  /** {@code bits} (3 to 8) bit positions of 0..31 chosen at random, not all next to each other. */
  private static long scattered(SplittableRandom random, int atLeast) {
    int bits = random.nextInt(atLeast, 9);
    long mask;
    do {
      mask = 0;
      while (Long.bitCount(mask) < bits) {
        mask |= 1L << random.nextInt(32);
      }
    } while (isContiguous(mask));
    return mask;
  }

  private static boolean isContiguous(long mask) {
    long shifted = mask >>> Long.numberOfTrailingZeros(mask);
    return (shifted & (shifted + 1)) == 0;
  }

  /** A non-zero mark inside {@code mask} that is not in {@code taken}. */
  private static long freeMark(SplittableRandom random, long mask, Set<Long> taken) {
    int bits = Long.bitCount(mask);
    long values = (1L << bits) - 1;
    for (int attempt = 0; attempt < 64; attempt++) {
      long m = deposit(1 + random.nextLong(values), mask);
      if (!taken.contains(m)) {
        return m;
      }
    }
    for (long v = 1; v <= values; v++) {
      long m = deposit(v, mask);
      if (!taken.contains(m)) {
        return m;
      }
    }
    throw new IllegalStateException("no free mark in " + Long.toHexString(mask));
  }

  /** The bits of {@code value} placed into the set bits of {@code mask}, lowest first (as the policy assigns marks). */
  private static long deposit(long value, long mask) {
    long result = 0;
    long v = value;
    for (int bit = 0; bit < 32 && v != 0; bit++) {
      if ((mask & (1L << bit)) != 0) {
        if ((v & 1) != 0) {
          result |= 1L << bit;
        }
        v >>>= 1;
      }
    }
    return result;
  }

  private static IpAddress v4(String text) {
    return IpAddress.parse(text);
  }
}
