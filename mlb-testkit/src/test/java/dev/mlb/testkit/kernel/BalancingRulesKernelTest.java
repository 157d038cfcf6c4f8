package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import dev.mlb.netfilter.BalancingRules;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Ruleset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * What {@link BalancingRules} compiles loads into the real kernel: the seed policy and varied ones
 * (nth, random, multipath; IPv4 and IPv6; SNAT and masquerade; exclusions; port ranges; more than
 * 15 ports; 1026 nth rules) load with {@code iptables-restore} / {@code ip6tables-restore} into a
 * fresh namespace, and {@code iptables-save} prints back exactly what {@link RestoreWriter} rendered.
 *
 * <pre>{@code
 * String text = RestoreWriter.render(BalancingRules.compile(policy, IpFamily.V4).output());
 * assertEquals(text, lab.load(text).saved());
 * }</pre>
 *
 * <p>The interfaces the rules name need not exist: iptables only stores their names.
 */
class BalancingRulesKernelTest {

  private record Sample(String name, BalancingPolicy policy, IpFamily family) {}

  private static Uplink uplink(String name, String iface, int weight) {
    return Uplink.builder().name(name).iface(InterfaceName.of(iface)).weight(weight).build();
  }

  private static BalancingPolicy.Builder lan(String... prefixes) {
    BalancingPolicy.Builder b = BalancingPolicy.builder().addLanInterfaces(InterfaceName.of("eth0"));
    ImmutableSet.Builder<IpFamily> families = ImmutableSet.builder();
    for (String p : prefixes) {
      IpPrefix prefix = IpPrefix.parse(p);
      b.addLanPrefixes(prefix);
      families.add(prefix.family());
    }
    return b.families(families.build());
  }

  private static TrafficSelector ports(Protocol protocol, String... ports) {
    ImmutableList.Builder<PortRange> list = ImmutableList.builder();
    for (String p : ports) {
      list.add(PortRange.parse(p));
    }
    return new TrafficSelector(Optional.of(protocol), list.build(), ImmutableList.of(), ImmutableList.of());
  }

  private static TrafficSelector protocol(Protocol protocol) {
    return new TrafficSelector(Optional.of(protocol), ImmutableList.of(), ImmutableList.of(), ImmutableList.of());
  }

  private static List<IpPrefix> prefixes(String... prefixes) {
    return List.of(prefixes).stream().map(IpPrefix::parse).toList();
  }

  private static BalancingPolicy strategy(BalancingPolicy p, Strategy s) {
    return BalancingPolicy.builder().from(p).strategy(s).build();
  }

  private static BalancingPolicy seed() {
    return lan("192.0.2.0/24")
        .addUplinks(uplink("isp1", "ppp0", 1), uplink("isp2", "ppp1", 1))
        .addBalanced(TrafficSelector.of(Protocol.TCP, 22, 25, 80, 443))
        .addRouter(TrafficSelector.of(Protocol.TCP, 80))
        .build();
  }

  private static BalancingPolicy dualStack() {
    return lan("192.0.2.0/24", "2001:db8:100::/64")
        .addUplinks(Uplink.builder().name("isp1").iface(InterfaceName.of("eth1")).weight(3)
            .snat(IpAddress.parse("198.51.100.2")).snat6(IpAddress.parse("2001:db8:1::2")).build())
        .addUplinks(uplink("isp2", "ppp0", 2), uplink("isp3", "wwan0", 1))
        .addLanInterfaces(InterfaceName.of("wlan0"))
        .addRouter(TrafficSelector.all())
        .addExclusions(TrafficSelector.toDestinations(IpPrefix.parse("203.0.113.0/24")))
        .addExclusions(TrafficSelector.toDestinations(IpPrefix.parse("2001:db8:ff::/48")))
        .addExclusions(TrafficSelector.of(Protocol.UDP, 53, 123))
        .build();
  }

  /** Many selectors: more than 15 ports, ranges, sources x destinations, protocols without ports. */
  private static BalancingPolicy selectors() {
    String[] many = IntStream.rangeClosed(1, 20).mapToObj(i -> Integer.toString(1000 + i)).toArray(String[]::new);
    return lan("192.0.2.0/24", "2001:db8:100::/64")
        .addUplinks(uplink("isp1", "ppp0", 1), uplink("isp2", "ppp1", 4))
        .addBalanced(ports(Protocol.TCP, many))
        .addBalanced(ports(Protocol.TCP, "80", "443", "8000:8099", "9000:9099", "10000:10099", "11000:11099",
            "12000:12099", "13000:13099", "14000:14099"))
        .addBalanced(ports(Protocol.UDP, "33434:33534"))
        .addBalanced(ports(Protocol.SCTP, "5000")
            .withSources(prefixes("192.0.2.0/25", "192.0.2.128/25", "2001:db8:100::/65"))
            .withDestinations(prefixes("198.51.100.0/24", "203.0.113.0/25", "2001:db8:200::/48")))
        .addBalanced(protocol(Protocol.ICMP), protocol(Protocol.ICMPV6), protocol(Protocol.of(47)))
        .addRouter(ports(Protocol.TCP, "80", "443"), ports(Protocol.UDP, "1194"))
        .addExclusions(ports(Protocol.TCP, "25").withDestinations(prefixes("198.51.100.25", "2001:db8:200::25")))
        .build();
  }

  private static BalancingPolicy weighted(int uplinks, int maxWeight, long seed, String... lanPrefixes) {
    SplittableRandom rnd = new SplittableRandom(seed);
    BalancingPolicy.Builder b = lan(lanPrefixes).addBalanced(TrafficSelector.of(Protocol.TCP, 80, 443));
    for (int i = 0; i < uplinks; i++) {
      Uplink.Builder u = Uplink.builder().name("isp" + i).iface(InterfaceName.of("ppp" + i))
          .weight(rnd.nextInt(1, maxWeight + 1));
      if (i % 3 == 1) {
        u.snat(IpAddress.parse("198.51.100." + (10 + i))).snat6(IpAddress.parse("2001:db8:1::" + (10 + i)));
      }
      b.addUplinks(u.build());
    }
    return b.build();
  }

  private static List<Sample> samples() {
    List<Sample> s = new ArrayList<>();
    BalancingPolicy seed = seed();
    s.add(new Sample("seed", seed, IpFamily.V4));
    s.add(new Sample("seed random", strategy(seed, Strategy.RANDOM), IpFamily.V4));
    s.add(new Sample("seed multipath", strategy(seed, Strategy.MULTIPATH), IpFamily.V4));
    BalancingPolicy dual = dualStack();
    for (IpFamily f : IpFamily.values()) {
      for (Strategy st : Strategy.values()) {
        s.add(new Sample("dual stack " + st, strategy(dual, st), f));
      }
      s.add(new Sample("selectors", selectors(), f));
      s.add(new Sample("selectors random", strategy(selectors(), Strategy.RANDOM), f));
      s.add(new Sample("8 uplinks", weighted(8, 30, 1, "192.0.2.0/24", "2001:db8:100::/64"), f));
      s.add(new Sample("8 uplinks random", strategy(weighted(8, 256, 2, "192.0.2.0/24", "2001:db8:100::/64"),
          Strategy.RANDOM), f));
    }
    s.add(new Sample("seed as IPv6", lan("2001:db8:100::/64")
        .addUplinks(uplink("isp1", "ppp0", 1), uplink("isp2", "ppp1", 1))
        .addBalanced(TrafficSelector.of(Protocol.TCP, 22, 25, 80, 443))
        .addRouter(TrafficSelector.of(Protocol.TCP, 80))
        .build(), IpFamily.V6));
    s.add(new Sample("random 1:1:1 by destination, all router traffic", lan("2001:db8:100::/64")
        .addUplinks(uplink("isp1", "ppp0", 1), uplink("isp2", "ppp1", 1), uplink("isp3", "ppp2", 1))
        .addBalanced(TrafficSelector.toDestinations(IpPrefix.parse("2001:db8:300::/40")))
        .addRouter(TrafficSelector.all())
        .strategy(Strategy.RANDOM)
        .build(), IpFamily.V6));
    s.add(new Sample("one uplink", lan("2001:db8:100::/64").addUplinks(uplink("isp1", "ppp0", 7)).build(),
        IpFamily.V6));
    s.add(new Sample("mask, prefix, explicit marks, no stickiness", lan("192.0.2.0/24")
        .addUplinks(Uplink.builder().name("a").iface(InterfaceName.of("ppp0")).mark(0x3000).weight(2).build())
        .addUplinks(Uplink.builder().name("b").iface(InterfaceName.of("ppp1")).mark(0x5000).weight(3).build())
        .markMask(0xf000).chainPrefix("lb-v4").stickyInbound(false)
        .addRouter(TrafficSelector.all())
        .build(), IpFamily.V4));
    BalancingPolicy.Builder big = lan("192.0.2.0/24");
    int[] weights = {256, 255, 254, 253, 1, 7};
    for (int i = 0; i < weights.length; i++) {
      big.addUplinks(uplink("isp" + i, "ppp" + i, weights[i]));
    }
    s.add(new Sample("1026 nth rules", big.build(), IpFamily.V4));
    return s;
  }

  @Test
  void compiledPoliciesLoadAndSaveBackIdentically() {
    KernelTests.requireKernel();
    List<Sample> samples = samples();
    List<String> problems = new ArrayList<>();
    int loaded = 0;
    int identical = 0;
    long rules = 0;
    long start = System.nanoTime();
    for (IpFamily family : IpFamily.values()) {
      List<Sample> of = samples.stream().filter(x -> x.family() == family).toList();
      List<String> texts = new ArrayList<>();
      for (Sample x : of) {
        Ruleset r = BalancingRules.compile(x.policy(), family).output();
        assertEquals(List.of(), r.validate(), x.name() + " " + family + " validates without findings");
        texts.add(RestoreWriter.render(r));
      }
      try (RestoreLab lab = RestoreLab.open(family, family == IpFamily.V4 ? "balance4" : "balance6")) {
        List<RestoreLab.Loaded> results = lab.loadAll(texts);
        for (int i = 0; i < of.size(); i++) {
          String what = of.get(i).name() + " (" + family + ")";
          String text = texts.get(i);
          RestoreLab.Loaded result = results.get(i);
          rules += text.lines().filter(l -> l.startsWith("-A ")).count();
          if (result.exitCode() != 0) {
            problems.add(what + ": " + lab.restoreTool() + " exited " + result.exitCode() + ": "
                + result.stderr().strip());
            continue;
          }
          loaded++;
          if (result.saved().equals(text)) {
            identical++;
          } else {
            problems.add(what + ": " + lab.saveTool() + " differs from mlb's render\n"
                + RestoreKernelTest.firstDifference(text, result.saved()));
          }
        }
      }
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("BalancingRules kernel: %d policies (%d rules), %d loaded, %d saved back identically, %d ms%n",
        samples.size(), rules, loaded, identical, millis);
    assertTrue(problems.isEmpty(), () -> String.join("\n\n", problems));
    assertEquals(samples.size(), identical);
  }
}
