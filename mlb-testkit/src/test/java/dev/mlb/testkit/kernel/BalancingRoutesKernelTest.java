package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableMultiset;
import com.google.common.collect.ImmutableSortedMap;
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
import dev.mlb.iproute.BalancingRoutes;
import dev.mlb.iproute.IpBatchWriter;
import dev.mlb.iproute.IpJsonParser;
import dev.mlb.iproute.IpRule;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.testkit.check.BinomialBound;
import dev.mlb.testkit.policyfile.PolicyFile;
import dev.mlb.testkit.policyfile.SeedPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Plans and sysctl files that {@link BalancingRoutes} compiles, loaded into a fresh network
 * namespace with the real {@code ip -batch} and {@code sysctl -p}, read back with {@code ip -json}
 * and {@code sysctl -n}, and asked with {@code ip route get} where packets go.
 *
 * <pre>{@code
 * try (IprouteLab lab = policyLab(policy)) {
 *   lab.batch(IpFamily.V4, IpBatchWriter.render(BalancingRoutes.compile(policy, IpFamily.V4).output()));
 *   lab.routeGet(IpFamily.V4, "203.0.113.10", "mark", "0x1000000");  // "... dev ppp0 table 100 ..."
 * }
 * }</pre>
 *
 * <p>Uplink {@code k} (in order of first appearance) is a veth with 198.51.100.{16k+2}/28 and
 * 2001:db8:{k+1}::2/64, so gateways .{16k+1} and 2001:db8:{k+1}::1 are on its link; the first LAN
 * interface has 192.0.2.1/24 and 2001:db8:ff::1/64.
 */
class BalancingRoutesKernelTest {

  private static final String REMOTE4 = "203.0.113.10";
  private static final String REMOTE6 = "2001:db8:113::10";
  private static final String LAN_HOST4 = "192.0.2.100";
  private static final String LAN_HOST6 = "2001:db8:ff::100";

  /** A lab with the policy's interfaces, addressed as the class comment says. */
  static IprouteLab policyLab(BalancingPolicy policy) {
    Map<String, String> veths = new LinkedHashMap<>();
    List<String> addresses = new ArrayList<>();
    for (Uplink u : policy.uplinks()) {
      String iface = u.iface().name();
      if (!veths.containsKey(iface)) {
        int k = veths.size();
        veths.put(iface, "mlbu" + k);
        addresses.add("198.51.100." + (16 * k + 2) + "/28 dev " + iface);
        addresses.add("2001:db8:" + (k + 1) + "::2/64 dev " + iface);
      }
    }
    List<InterfaceName> lans = policy.lanInterfaces();
    for (int l = 0; l < lans.size(); l++) {
      veths.put(lans.get(l).name(), "mlbl" + l);
    }
    addresses.add("192.0.2.1/24 dev " + lans.get(0));
    addresses.add("2001:db8:ff::1/64 dev " + lans.get(0));
    return IprouteLab.create("policy", veths, addresses);
  }

  /**
   * What {@code ip -json rule show} and {@code route show table all} printed for each family
   * (one process: this runs often).
   */
  record Snapshot(String rules4, String routes4, String rules6, String routes6) {
    static Snapshot of(IprouteLab lab) {
      String out = lab.ns.run("sh", "-c", "for f in -4 -6; do ip $f -json rule show && echo && ip $f -json route show"
          + " table all && echo || exit 1; done").check().stdout();
      List<String> docs = out.lines().filter(l -> !l.isBlank()).toList();
      assertEquals(4, docs.size(), "four ip -json documents: " + out);
      return new Snapshot(docs.get(0), docs.get(1), docs.get(2), docs.get(3));
    }

    /** The family's rules and routes, parsed, without what the kernel made. */
    RoutingPlan live(IpFamily f) {
      return (f == IpFamily.V4 ? IpJsonParser.parse(rules4, routes4, f) : IpJsonParser.parse(rules6, routes6, f))
          .withoutKernelEntries();
    }
  }

  /**
   * Asserts that the namespace holds exactly the plan's rules and routes besides what it held
   * before ({@code baseline}) and the kernel's own.
   */
  static void assertHolds(Snapshot now, RoutingPlan baseline, RoutingPlan plan, String what) {
    RoutingPlan live = now.live(plan.family());
    List<IpRule> expected = new ArrayList<>(baseline.rules());
    expected.addAll(plan.rules());
    assertEquals(IprouteKernelTest.byPriority(expected), live.rules(), what + ": rules read back");
    assertEquals(
        ImmutableMultiset.builder().addAll(baseline.routes()).addAll(plan.routes()).build(),
        ImmutableMultiset.copyOf(live.routes()), what + ": routes read back");
    assertEquals(List.of(), live.unmodelledJson(), what + ": unmodelled entries read back");
  }

  /**
   * Three uplinks with IPv4 and IPv6 gateways (the third on a VLAN interface, eth3.100), weights
   * 3, 1 and 256, an explicit mark and table for the second, mask 0xf0f0, tables from 50,
   * priorities from 2000, chain prefix lb, protocol 200; two LAN interfaces; multipath with web
   * traffic and high UDP ports from half the LAN balanced, router web traffic balanced, and two
   * exclusions (one IPv4-only, one for both families with a port).
   */
  static BalancingPolicy threeUplinksMultipath() {
    return PolicyFile.parse("three-uplinks.yaml", """
        family: both
        strategy: multipath
        uplinks:
          - {name: fibre, interface: eth1, gateway: 198.51.100.1, gateway6: "2001:db8:1::1", weight: 3}
          - {name: cable, interface: eth2, gateway: 198.51.100.17, gateway6: "2001:db8:2::1", mark: 0x8000, table: 200}
          - {name: lte, interface: eth3.100, gateway: 198.51.100.33, gateway6: "2001:db8:3::1", weight: 256}
        lan:
          interfaces: [eth0, eth4]
          prefixes: [192.0.2.0/24, "2001:db8:ff::/64"]
        balance:
          - {protocol: tcp, ports: [80, 443]}
          - {protocol: udp, ports: ["1024-65535"], sources: [192.0.2.0/25, "2001:db8:ff::/64"]}
        router:
          - {protocol: tcp, ports: [80]}
        exclude:
          - {destinations: [203.0.113.128/25]}
          - {protocol: tcp, ports: [25], destinations: [203.0.113.0/24, "2001:db8:bad::/48"]}
        mark-mask: 0xf0f0
        table-base: 50
        priority-base: 2000
        chain-prefix: lb
        rule-protocol: 200
        """);
  }

  private static void assertContains(String expected, String actual, String what) {
    assertTrue(actual.contains(expected), what + ": expected \"" + expected + "\" in \"" + actual + "\"");
  }

  private static void assertLacks(String unexpected, String actual, String what) {
    assertTrue(!actual.contains(unexpected), what + ": did not expect \"" + unexpected + "\" in \"" + actual + "\"");
  }

  /** The /proc/sys paths the policy's settings must reach, and their values; written from the brief, not the code. */
  private static Map<String, String> expectedSysctl(BalancingPolicy policy) {
    Map<String, String> m = new TreeMap<>();
    boolean multipath = policy.strategy() == Strategy.MULTIPATH;
    if (policy.families().contains(IpFamily.V4)) {
      m.put("net/ipv4/ip_forward", "1");
      m.put("net/ipv4/conf/all/src_valid_mark", "1");
      policy.uplinks().forEach(u -> m.put("net/ipv4/conf/" + u.iface() + "/rp_filter", "2"));
      if (multipath) {
        m.put("net/ipv4/fib_multipath_hash_policy", "1");
      }
    }
    if (policy.families().contains(IpFamily.V6)) {
      m.put("net/ipv6/conf/all/forwarding", "1");
      if (multipath) {
        m.put("net/ipv6/fib_multipath_hash_policy", "1");
      }
    }
    return m;
  }

  /** Loads the sysctl file and checks every value inside, and that the root namespace's stayed as they were. */
  private static int loadAndCheckSysctl(IprouteLab lab, BalancingPolicy policy) {
    Map<String, String> expected = expectedSysctl(policy);
    Map<String, String> rootBefore = rootValues(expected.keySet());
    lab.loadSysctl(BalancingRoutes.sysctlConf(policy));
    assertEquals(expected, lab.proc(expected.keySet()), "/proc/sys in the namespace");
    assertEquals(rootBefore, rootValues(expected.keySet()), "the root namespace's settings are untouched");
    return expected.size();
  }

  private static Map<String, String> rootValues(Set<String> paths) {
    Map<String, String> m = new TreeMap<>();
    for (String p : paths) {
      Path file = Path.of("/proc/sys", p);
      if (Files.exists(file)) {
        try {
          m.put(p, Files.readString(file).strip());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return m;
  }

  /** Applies, reapplies and undoes the family's plan, checking the kernel state at each step. */
  private static void applyTwiceThenUndo(IprouteLab lab, RoutingPlan plan, String what, Runnable whileApplied) {
    Snapshot before = Snapshot.of(lab);
    assertOk(lab.batch(plan.family(), IpBatchWriter.render(plan)), what + ": ip -batch");
    Snapshot applied = Snapshot.of(lab);
    assertHolds(applied, before.live(plan.family()), plan, what);
    assertNotEquals(before, applied, what + ": the batch changed something");
    whileApplied.run();
    assertOk(lab.batch(plan.family(), IpBatchWriter.render(plan)), what + ": ip -batch again");
    assertEquals(applied, Snapshot.of(lab), what + ": state after applying twice");
    assertOk(lab.batch(plan.family(), IpBatchWriter.renderUndo(plan)), what + ": undo");
    assertEquals(before, Snapshot.of(lab), what + ": state after undo");
  }

  private static void assertOk(Netns.Result r, String what) {
    assertEquals(0, r.exitCode(), what + " failed: " + r.stderr());
  }

  @Test
  void seedPlanRoutesByMarkAndKeepsLanRepliesOnTheLan() {
    KernelTests.requireKernel();
    BalancingPolicy seed = SeedPolicy.policy();
    try (IprouteLab lab = policyLab(seed)) {
      loadAndCheckSysctl(lab, seed);
      RoutingPlan plan = BalancingRoutes.compile(seed, IpFamily.V4).output();
      applyTwiceThenUndo(lab, plan, "seed", () -> {
        // The seed's marks under the default mask 0x0f000000: 0x1000000 (isp1), 0x2000000 (isp2).
        String isp2 = lab.routeGet(IpFamily.V4, REMOTE4, "mark", "0x2000000", "from", LAN_HOST4, "iif", "eth0");
        assertContains("dev ppp1 table 101", isp2, "LAN packet marked for isp2");
        String isp1 = lab.routeGet(IpFamily.V4, REMOTE4, "mark", "0x1000000", "from", LAN_HOST4, "iif", "eth0");
        assertContains("dev ppp0 table 100", isp1, "LAN packet marked for isp1");
        // Only the mask's bits count: a foreign low byte does not change the uplink.
        assertContains("dev ppp1 table 101", lab.routeGet(IpFamily.V4, REMOTE4, "mark", "0x20000a5"),
            "router, mark 0x20000a5");
        // The LAN-reply fix: a reply to the LAN carries the connection's mark, but goes to the LAN.
        String reply = lab.routeGet(IpFamily.V4, LAN_HOST4, "mark", "0x2000000");
        assertContains("dev eth0", reply, "reply to the LAN marked for isp2");
        assertLacks("table", reply, "reply to the LAN marked for isp2");
        String forwardedReply = lab.routeGet(IpFamily.V4, LAN_HOST4, "mark", "0x1000000", "from", REMOTE4, "iif",
            "ppp0");
        assertContains("dev eth0", forwardedReply, "reply arriving on ppp0 for the LAN");
        // Unmarked traffic is the main table's; mlb put no default route there.
        assertContains("Network is unreachable", lab.routeGet(IpFamily.V4, REMOTE4), "unmarked, from the router");
        System.out.println("seed: " + isp1 + " | " + isp2 + " | " + reply);
      });
    }
  }

  /**
   * The three-uplink multipath policy, both families: weighted nexthops in table 53, balanced and
   * excluded traffic, inbound stickiness (marked replies to an excluded destination keep their
   * uplink), router traffic, and how the L4 hash spreads one client's connections.
   */
  @Test
  void multipathPlanBothFamilies() {
    KernelTests.requireKernel();
    BalancingPolicy policy = threeUplinksMultipath();
    try (IprouteLab lab = policyLab(policy)) {
      // The administrator's own default routes in main, through cable (eth2).
      lab.ns.run("ip", "-4", "route", "add", "default", "via", "198.51.100.17", "dev", "eth2").check();
      lab.ns.run("ip", "-6", "route", "add", "default", "via", "2001:db8:2::1", "dev", "eth2").check();
      loadAndCheckSysctl(lab, policy);
      for (IpFamily f : IpFamily.values()) {
        boolean v4 = f == IpFamily.V4;
        String remote = v4 ? REMOTE4 : REMOTE6;
        String host = v4 ? LAN_HOST4 : LAN_HOST6;
        RoutingPlan plan = BalancingRoutes.compile(policy, f).output();
        applyTwiceThenUndo(lab, plan, "multipath " + f, () -> {
          assertWeightedSpread(lab, f, remote, host, policy);
          // Without the sysctl (L3 hash), one client's flows all take the same uplink: the L3 hash
          // covers only the addresses (and, for IPv6, the flow label, 0 here), the same for all 200.
          String hashPolicy = "net." + (v4 ? "ipv4" : "ipv6") + ".fib_multipath_hash_policy";
          lab.ns.run("sysctl", "-qw", hashPolicy + "=0").check();
          Set<String> l3 = new java.util.TreeSet<>();
          lab.routeGets(f, webFlows(remote, host, "eth0", 200)).forEach(r -> l3.add(device(r)));
          lab.ns.run("sysctl", "-qw", hashPolicy + "=1").check();
          assertEquals(1, l3.size(), f + " uplinks with the L3 hash: " + l3);
          System.out.println("multipath " + f + ": 200 flows from one client take only " + l3
              + " with fib_multipath_hash_policy 0");
          // Not balanced: ssh from the LAN, ssh from the router; balanced: web from the router.
          assertLacks("table", lab.routeGet(f, remote, "from", host, "iif", "eth0", "ipproto", "tcp", "dport", "22"),
              "LAN ssh");
          assertLacks("table", lab.routeGet(f, remote, "ipproto", "tcp", "dport", "22"), "router ssh");
          assertContains("table 53", lab.routeGet(f, remote, "ipproto", "tcp", "dport", "80"), "router web");
          // Inbound stickiness wins over the exclusion: a marked reply keeps its uplink.
          String excluded = v4 ? "203.0.113.200" : "2001:db8:bad::1";
          String sticky = lab.routeGet(f, excluded, "mark", "0x8000");
          assertContains("dev eth2 table 200", sticky, "marked reply to an excluded destination");
          assertContains("dev eth3.100 table 52", lab.routeGet(f, excluded, "mark", "0x30", "from", host, "iif", "eth0"),
              "marked LAN reply to an excluded destination");
          // The LAN-reply fix, both ways in.
          assertContains("dev eth0", lab.routeGet(f, host, "mark", "0x10"), "reply to the LAN");
          if (v4) {
            // Excluded destination: main (the administrator's route via eth2), not table 53.
            String ex = lab.routeGet(f, "203.0.113.200", "from", host, "iif", "eth0", "ipproto", "tcp", "dport", "443");
            assertContains("via 198.51.100.17 dev eth2", ex, "excluded destination");
            assertLacks("table", ex, "excluded destination");
            // rp_filter: the kernel takes the larger of all and the interface. An unmarked packet
            // arriving on eth1 from a host main routes via eth2 fails a strict check, passes the loose one.
            String original = lab.proc(Set.of("net/ipv4/conf/all/rp_filter")).values().iterator().next();
            lab.ns.run("sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1").check();
            String loose = lab.routeGet(f, host, "from", remote, "iif", "eth1");
            lab.ns.run("sysctl", "-qw", "net.ipv4.conf.eth1.rp_filter=0").check();
            String strict = lab.routeGet(f, host, "from", remote, "iif", "eth1");
            // src_valid_mark: even a strict check passes a packet marked for eth1's uplink (fibre, 0x10),
            // because the reverse lookup uses the mark; without it, the check ignores the mark.
            String marked = lab.routeGet(f, host, "from", remote, "iif", "eth1", "mark", "0x10");
            lab.ns.run("sysctl", "-qw", "net.ipv4.conf.all.src_valid_mark=0").check();
            String markIgnored = lab.routeGet(f, host, "from", remote, "iif", "eth1", "mark", "0x10");
            lab.ns.run("sysctl", "-qw", "net.ipv4.conf.all.src_valid_mark=1").check();
            assertContains("dev eth0", marked, "strict, src_valid_mark 1, marked for fibre");
            assertContains("error: RTNETLINK answers: Invalid argument", markIgnored, "strict, src_valid_mark 0");
            lab.ns.run("sysctl", "-qw", "net.ipv4.conf.eth1.rp_filter=2", "net.ipv4.conf.all.rp_filter=" + original)
                .check();
            assertContains("dev eth0", loose, "all.rp_filter 1, eth1.rp_filter 2 (mlb)");
            // The reverse-path drop: ip_route_input answers EINVAL (a martian source).
            assertContains("error: RTNETLINK answers: Invalid argument", strict, "all 1, eth1 0");
            System.out.println("rp_filter all=1: inbound on eth1 from " + remote + " with eth1=2: " + loose.strip()
                + "; with eth1=0: " + strict + "; strict and marked 0x10: " + marked.strip() + ", the same without"
                + " src_valid_mark: " + markIgnored);
            // High UDP ports are balanced from 192.0.2.0/25 only.
            assertContains("table 53", lab.routeGet(f, remote, "from", host, "iif", "eth0", "ipproto", "udp", "dport",
                "5000"), "udp from the lower half");
            assertLacks("table", lab.routeGet(f, remote, "from", "192.0.2.200", "iif", "eth0", "ipproto", "udp",
                "dport", "5000"), "udp from the upper half");
          } else {
            // ssh to the excluded IPv6 prefix is excluded; web to it is balanced.
            assertContains("table 53", lab.routeGet(f, excluded, "from", host, "iif", "eth0", "ipproto", "tcp",
                "dport", "443"), "web to 2001:db8:bad::/48");
          }
        });
      }
    }
  }

  /** Flows per spread: enough that the weight-1 nexthop of 260 is seen, bounded below. */
  private static final int SPREAD_FLOWS = 8000;

  /**
   * The seeds the spread is checked under: the one {@link Netns#create} pinned, seed 8 (on Linux
   * 6.18 it sent all 200 IPv6 flows of this test's earlier version, which expected every nexthop
   * among them, to lte), and the kernel's own boot seed (0). Where the kernel cannot pin seeds
   * (before 6.11), only its own.
   */
  private static List<Long> spreadSeeds() {
    if (!Netns.multipathHashSeedPinnable()) {
      return List.of(-1L);
    }
    Set<Long> seeds = new LinkedHashSet<>();
    seeds.add(Netns.multipathHashSeed().orElse(0));
    seeds.add(8L);
    seeds.add(0L);
    return List.copyOf(seeds);
  }

  /**
   * {@value #SPREAD_FLOWS} HTTPS flows from one LAN client (source ports 40000 up) go to the
   * multipath table's nexthops by their weights, under each of {@link #spreadSeeds()}.
   *
   * <p>What the kernel guarantees, whatever the seed: nexthop {@code i} owns a share
   * {@code w_i / W} of the 31-bit hash space (its upper bound is {@code round(w_i * 2^31 / W) - 1},
   * off by at most 2^-31), and the L4 hash (policy 1) of distinct source ports is a keyed hash under
   * the seed. Taking that hash as uniform and independent per flow, nexthop {@code i}'s count is
   * Binomial(N, w_i/W). The test makes at most 3 seeds x 2 families x 3 nexthops = 18 such
   * assertions, so each gets {@code alpha = 1e-9 / 18}: {@link BinomialBound} gives the exact range
   * that holds except with that probability, and the whole test fails by chance with probability at
   * most 1e-9. With N = 8000 the weight-1 nexthop (p = 1/260) is empty with probability
   * (259/260)^8000 = 4e-14 < alpha/2, so every range starts at 1 or more: each nexthop carries
   * flows. (Seed 8 was picked because 200 flows of ports 40000-40199 all went to lte; the other
   * 7800 flows are still independent draws, and lte's 200 only push its count up, inside its range.)
   */
  private static void assertWeightedSpread(IprouteLab lab, IpFamily f, String remote, String host,
      BalancingPolicy policy) {
    Map<String, Integer> weights = new LinkedHashMap<>();
    policy.uplinks().forEach(u -> weights.merge(u.iface().name(), u.weight(), Integer::sum));
    int total = weights.values().stream().mapToInt(Integer::intValue).sum();
    double alpha = BinomialBound.ONE_IN_A_BILLION / 18;
    for (long seed : spreadSeeds()) {
      if (seed >= 0) {
        lab.ns.pinMultipathHashSeed(seed);
      }
      Map<String, Integer> spread = new TreeMap<>();
      for (String r : lab.routeGets(f, webFlows(remote, host, "eth0", SPREAD_FLOWS))) {
        assertContains("table 53", r, "balanced web traffic");
        spread.merge(device(r), 1, Integer::sum);
      }
      String what = f + ", hash seed " + (seed < 0 ? "of the kernel (not pinnable)" : seed == 0 ? "0 (boot)" : seed)
          + ", weights " + weights + ": " + spread;
      assertEquals(weights.keySet(), spread.keySet(), what);
      for (Map.Entry<String, Integer> w : weights.entrySet()) {
        BinomialBound bound = BinomialBound.of(SPREAD_FLOWS, (double) w.getValue() / total, alpha);
        assertTrue(bound.low() >= 1, "the bound proves every nexthop is used: " + bound);
        assertTrue(bound.contains(spread.get(w.getKey())), what + ": " + w.getKey() + " outside " + bound);
      }
      System.out.println("multipath spread, " + what);
    }
    if (Netns.multipathHashSeedPinnable()) {
      lab.ns.pinMultipathHashSeed(Netns.multipathHashSeed().orElse(0));
    }
  }

  private static String device(String routeGet) {
    return routeGet.replaceAll(".* dev (\\S+) .*", "$1");
  }

  // ---------------------------------------------------------------------------------------------
  // Generated policies

  private static final List<Long> MASKS = List.of(0xff00L, 0xf0f0L, 0x7L, 0xff0000L, 0x0f000000L, 0xffffffffL, 0x80000700L);

  /**
   * A varied valid policy: 1 to 8 uplinks with weights 1 to 256, some with gateways, odd interface
   * names (dots, dashes, semicolons), masks with 3 to 32 bits, table and priority bases, one or both
   * families, each strategy, with and without stickiness, selectors and exclusions.
   */
  static BalancingPolicy generate(SplittableRandom r) {
    int n = 1 + r.nextInt(8);
    List<IpFamily> families = switch (r.nextInt(3)) {
      case 0 -> List.of(IpFamily.V4);
      case 1 -> List.of(IpFamily.V6);
      default -> List.of(IpFamily.V4, IpFamily.V6);
    };
    Strategy strategy = Strategy.values()[r.nextInt(3)];
    List<Long> masks = MASKS.stream().filter(m -> (1L << Long.bitCount(m)) - 1 >= n).toList();
    long mask = masks.get(r.nextInt(masks.size()));
    int tableBase = List.of(100, 1, 1000, 70000, 4000000).get(r.nextInt(5)) + r.nextInt(100);
    if (tableBase <= 255 && tableBase + n >= 253) {
      tableBase = 10;
    }
    BalancingPolicy.Builder b = BalancingPolicy.builder()
        .strategy(strategy)
        .stickyInbound(r.nextInt(4) != 0)
        .markMask(mask)
        .tableBase(tableBase)
        .priorityBase(1 + r.nextInt(32000))
        .chainPrefix(List.of("mlb", "lb", "x_y").get(r.nextInt(3)))
        .ruleProtocol(List.of(109, 180, 200, 254).get(r.nextInt(4)))
        .families(families);
    String[] styles = {"wan%d", "eth%d.1%d", "ppp%d", "up_%d", "up-%d", "u;%d"};
    for (int k = 0; k < n; k++) {
      String iface = String.format(styles[r.nextInt(styles.length)], k, k);
      Uplink.Builder u = Uplink.builder().name("isp" + k).iface(InterfaceName.of(iface)).weight(1 + r.nextInt(256));
      boolean v6multipath = strategy == Strategy.MULTIPATH && n > 1 && families.contains(IpFamily.V6);
      if (r.nextBoolean()) {
        u.gateway(IpAddress.parse("198.51.100." + (16 * k + 1)));
      }
      if (v6multipath || r.nextBoolean()) {
        u.gateway6(IpAddress.parse("2001:db8:" + (k + 1) + "::1"));
      }
      b.addUplinks(u.build());
    }
    b.addLanInterfaces(InterfaceName.of(r.nextBoolean() ? "lan0" : "eth9.10"));
    if (r.nextBoolean()) {
      b.addLanInterfaces(InterfaceName.of("lan1"));
    }
    b.addLanPrefixes(IpPrefix.parse("192.0.2.0/24"), IpPrefix.parse("2001:db8:ff::/64"));
    if (r.nextBoolean()) {
      b.addBalanced(TrafficSelector.of(Protocol.TCP, 80, 443));
      if (r.nextBoolean()) {
        b.addBalanced(new TrafficSelector(Optional.of(Protocol.UDP), com.google.common.collect.ImmutableList.of(
                PortRange.of(1024, 65535)), com.google.common.collect.ImmutableList.of(),
            com.google.common.collect.ImmutableList.of(IpPrefix.parse("203.0.113.0/24"),
                IpPrefix.parse("2001:db8:113::/48"))));
      }
    }
    if (r.nextBoolean()) {
      b.addRouter(TrafficSelector.of(Protocol.TCP, 80));
    }
    if (r.nextBoolean()) {
      b.addExclusions(TrafficSelector.toDestinations(IpPrefix.parse("203.0.113.128/25"),
          IpPrefix.parse("2001:db8:bad::/48")));
      b.addExclusions(TrafficSelector.of(Protocol.TCP, 25));
    }
    return b.build();
  }

  /**
   * ~20 generated policies, each in its own namespace: the sysctl file, then for each family the
   * plan applied, read back, asked where marked packets and LAN replies go (and for multipath,
   * balanced web traffic), applied again, undone.
   */
  @Test
  void generatedPolicies() {
    KernelTests.requireKernel();
    int policies = 0;
    int plans = 0;
    int rules = 0;
    int routes = 0;
    int sysctls = 0;
    int routeGets = 0;
    Map<String, Integer> strategies = new TreeMap<>();
    for (long seed = 0; seed < 20; seed++) {
      BalancingPolicy policy = generate(new SplittableRandom(seed));
      String what = "seed " + seed + ": " + policy;
      try (IprouteLab lab = policyLab(policy)) {
        sysctls += loadAndCheckSysctl(lab, policy);
        for (IpFamily f : policy.families()) {
          RoutingPlan plan = BalancingRoutes.compile(policy, f).output();
          assertEquals(List.of(), plan.validate(), what);
          int[] gets = {0};
          applyTwiceThenUndo(lab, plan, what + " " + f + "\n" + plan, () -> gets[0] += routeChecks(lab, policy, f, what));
          routeGets += gets[0];
          plans++;
          rules += plan.rules().size();
          routes += plan.routes().size();
        }
      }
      policies++;
      strategies.merge(policy.strategy() + "/" + policy.uplinks().size() + "up/"
          + policy.families().stream().map(f -> f == IpFamily.V4 ? "IPv4" : "IPv6").collect(java.util.stream.Collectors.joining("+")),
          1, Integer::sum);
    }
    System.out.println("generated policies: " + policies + " policies, " + plans + " plans (" + rules + " rules, "
        + routes + " routes) applied twice and undone, " + sysctls + " sysctl values read back, " + routeGets
        + " route lookups checked; " + ImmutableSortedMap.copyOf(strategies));
    assertEquals(20, policies);
  }

  /** Lookups for {@code count} HTTPS connections from one LAN host, by source port from 40000. */
  private static List<List<String>> webFlows(String remote, String host, String lan, int count) {
    List<List<String>> queries = new ArrayList<>();
    for (int sport = 40000; sport < 40000 + count; sport++) {
      queries.add(List.of(remote, "from", host, "iif", lan, "ipproto", "tcp", "sport", Integer.toString(sport),
          "dport", "443"));
    }
    return queries;
  }

  /** Where marked packets, LAN replies and (multipath) balanced web traffic go; the number of lookups. */
  private static int routeChecks(IprouteLab lab, BalancingPolicy policy, IpFamily f, String what) {
    boolean v4 = f == IpFamily.V4;
    String remote = v4 ? REMOTE4 : REMOTE6;
    String host = v4 ? LAN_HOST4 : LAN_HOST6;
    String lan = policy.lanInterfaces().get(0).name();
    boolean multipath = policy.strategy() == Strategy.MULTIPATH;
    List<List<String>> queries = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (Uplink u : policy.uplinks()) {
      String mark = dev.mlb.api.Mark.hex(policy.mark(u).value());
      queries.add(List.of(host, "mark", mark));
      expected.add("dev " + lan + " ");
      if (!multipath || policy.stickyInbound()) {
        queries.add(List.of(remote, "mark", mark, "from", host, "iif", lan));
        expected.add(u.gateway(f).map(g -> "via " + g + " ").orElse("") + "dev " + u.iface() + " table " + policy.table(u)
            + " ");
      }
    }
    List<String> answers = lab.routeGets(f, queries);
    for (int i = 0; i < queries.size(); i++) {
      assertContains(expected.get(i), answers.get(i), what + ": route get " + String.join(" ", queries.get(i)));
    }
    int gets = queries.size();
    if (multipath) {
      Set<String> devs = new LinkedHashSet<>();
      policy.uplinks().forEach(u -> devs.add(u.iface().name()));
      Set<String> used = new LinkedHashSet<>();
      for (String r : lab.routeGets(f, webFlows(remote, host, lan, 16))) {
        assertContains("table " + policy.multipathTable() + " ", r, what + ": balanced web traffic");
        String dev = device(r);
        assertTrue(devs.contains(dev), what + ": " + r);
        used.add(dev);
        gets++;
      }
      System.out.println("generated " + f + " multipath over " + devs.size() + " uplinks, weights "
          + policy.uplinks().stream().map(u -> Integer.toString(u.weight())).collect(java.util.stream.Collectors.joining(":"))
          + ": 16 flows from one client took " + used.size() + " of them");
    }
    return gets;
  }
}
