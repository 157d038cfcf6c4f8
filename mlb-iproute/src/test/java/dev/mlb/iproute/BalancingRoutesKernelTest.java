package dev.mlb.iproute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableMultiset;
import com.google.common.collect.ImmutableSortedMap;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Compiled plans and sysctl files loaded into a fresh network namespace with the real {@code ip
 * -batch} and {@code sysctl -p}, read back with {@code ip -json} and {@code sysctl -n}, and asked
 * with {@code ip route get} where packets go.
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

  /** A namespace with the policy's interfaces. */
  static final class PolicyLab implements AutoCloseable {
    final KernelNamespace ns;
    final BalancingPolicy policy;

    PolicyLab(BalancingPolicy policy) {
      this.policy = policy;
      this.ns = KernelNamespace.create("policy");
      try {
        StringBuilder setup = new StringBuilder();
        Set<InterfaceName> uplinks = new LinkedHashSet<>();
        policy.uplinks().forEach(u -> uplinks.add(u.iface()));
        int k = 0;
        for (InterfaceName i : uplinks) {
          link(setup, i, "mlbu" + k);
          setup.append("addr add 198.51.100.").append(16 * k + 2).append("/28 dev ").append(i).append('\n');
          setup.append("addr add 2001:db8:").append(k + 1).append("::2/64 dev ").append(i).append(" nodad\n");
          k++;
        }
        List<InterfaceName> lans = policy.lanInterfaces();
        for (int l = 0; l < lans.size(); l++) {
          link(setup, lans.get(l), "mlbl" + l);
        }
        setup.append("addr add 192.0.2.1/24 dev ").append(lans.get(0)).append('\n');
        setup.append("addr add 2001:db8:ff::1/64 dev ").append(lans.get(0)).append(" nodad\n");
        ns.run("ip", "-batch", "-").stdin(setup.toString()).check();
        awaitCarrier();
      } catch (RuntimeException e) {
        ns.close();
        throw e;
      }
    }

    /** A veth pair, both ends up, without IPv6 link-local addresses (they would appear asynchronously). */
    private static void link(StringBuilder setup, InterfaceName name, String peer) {
      setup.append("link add ").append(name).append(" type veth peer name ").append(peer).append('\n');
      for (String dev : List.of(name.name(), peer)) {
        setup.append("link set ").append(dev).append(" addrgenmode none\n");
        setup.append("link set ").append(dev).append(" up\n");
      }
    }

    private void awaitCarrier() {
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (true) {
        String links = ns.run("ip", "-o", "link", "show").check().stdout();
        if (links.lines().noneMatch(l -> !l.contains(": lo:") && !l.contains("LOWER_UP"))) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("links without carrier after 5 s:\n" + links);
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
    }

    static String flag(IpFamily f) {
      return f == IpFamily.V4 ? "-4" : "-6";
    }

    KernelNamespace.Result batch(IpFamily f, String text) {
      return ns.run("ip", flag(f), "-batch", "-").stdin(text).run();
    }

    /** Both families' rules and routes as {@code ip -json} prints them (one process: this runs often). */
    Snapshot snapshot() {
      String out = ns.run("sh", "-c", "for f in -4 -6; do ip $f -json rule show && echo && ip $f -json route show"
          + " table all && echo || exit 1; done").check().stdout();
      List<String> docs = out.lines().filter(l -> !l.isBlank()).toList();
      assertEquals(4, docs.size(), "four ip -json documents: " + out);
      return new Snapshot(docs.get(0), docs.get(1), docs.get(2), docs.get(3));
    }

    /** What {@code ip -json rule show} and {@code route show table all} printed for each family. */
    record Snapshot(String rules4, String routes4, String rules6, String routes6) {
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
      expected.sort(Comparator.comparingLong(r -> r.priority().orElse(-1L)));
      assertEquals(expected, live.rules(), what + ": rules read back");
      assertEquals(
          ImmutableMultiset.builder().addAll(baseline.routes()).addAll(plan.routes()).build(),
          ImmutableMultiset.copyOf(live.routes()), what + ": routes read back");
      assertEquals(List.of(), live.unmodelledJson(), what + ": unmodelled entries read back");
    }

    /** {@code sysctl -p FILE} inside the namespace, from a temporary file. */
    void loadSysctl(String conf) {
      try {
        Path file = Files.createTempFile("mlb-sysctl", ".conf");
        try {
          Files.writeString(file, conf, StandardCharsets.UTF_8);
          ns.run("sysctl", "-p", file.toString()).check();
        } finally {
          Files.delete(file);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** The files under /proc/sys, read inside the namespace (one process), by path. */
    Map<String, String> proc(Set<String> paths) {
      List<String> argv = new ArrayList<>(List.of("cat"));
      paths.forEach(p -> argv.add("/proc/sys/" + p));
      List<String> values = ns.run(argv).check().stdout().lines().toList();
      assertEquals(paths.size(), values.size(), "one value per file: " + values);
      Map<String, String> m = new TreeMap<>();
      int i = 0;
      for (String p : paths) {
        m.put(p, values.get(i++).strip());
      }
      return m;
    }

    /** {@code ip route get ARGS}: its first line, or "error: " and the error. */
    String routeGet(IpFamily f, String... args) {
      return routeGets(f, List.of(List.of(args))).get(0);
    }

    /**
     * {@link #routeGet} for each query: all in one {@code ip -batch} if every lookup succeeds (a
     * process per lookup would be slow), else each in one shell, so that errors line up too.
     */
    List<String> routeGets(IpFamily f, List<List<String>> queries) {
      StringBuilder batch = new StringBuilder();
      for (List<String> q : queries) {
        batch.append("route get ").append(String.join(" ", q)).append('\n');
      }
      KernelNamespace.Result all = ns.run("ip", flag(f), "-force", "-batch", "-").stdin(batch.toString()).run();
      // Each answer is one line, then indented continuation lines ("    cache ...").
      List<String> heads = all.stdout().lines().filter(l -> !l.isEmpty() && !Character.isWhitespace(l.charAt(0)))
          .toList();
      if (all.exitCode() == 0 && all.stderr().isEmpty() && heads.size() == queries.size()) {
        return heads;
      }
      StringBuilder script = new StringBuilder();
      for (List<String> q : queries) {
        script.append("if out=$(ip ").append(flag(f)).append(" route get");
        for (String a : q) {
          script.append(" '").append(a).append('\'');  // no argument has a single quote
        }
        script.append(" 2>&1); then printf '%s\\n' \"$out\" | head -n 1;")
            .append(" else printf 'error: %s\\n' \"$out\" | head -n 1; fi\n");
      }
      List<String> lines = ns.run("sh", "-s").stdin(script.toString()).check().stdout().lines().toList();
      assertEquals(queries.size(), lines.size(), "one line per route lookup: " + lines);
      return lines;
    }

    @Override
    public void close() {
      ns.close();
    }
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
  private static int loadAndCheckSysctl(PolicyLab lab) {
    Map<String, String> expected = expectedSysctl(lab.policy);
    Map<String, String> rootBefore = rootValues(expected.keySet());
    lab.loadSysctl(BalancingRoutes.sysctlConf(lab.policy));
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
  private static void applyTwiceThenUndo(PolicyLab lab, RoutingPlan plan, String what, Runnable whileApplied) {
    PolicyLab.Snapshot before = lab.snapshot();
    assertOk(lab.batch(plan.family(), IpBatchWriter.render(plan)), what + ": ip -batch");
    PolicyLab.Snapshot applied = lab.snapshot();
    PolicyLab.assertHolds(applied, before.live(plan.family()), plan, what);
    assertNotEquals(before, applied, what + ": the batch changed something");
    whileApplied.run();
    assertOk(lab.batch(plan.family(), IpBatchWriter.render(plan)), what + ": ip -batch again");
    assertEquals(applied, lab.snapshot(), what + ": state after applying twice");
    assertOk(lab.batch(plan.family(), IpBatchWriter.renderUndo(plan)), what + ": undo");
    assertEquals(before, lab.snapshot(), what + ": state after undo");
  }

  private static void assertOk(KernelNamespace.Result r, String what) {
    assertEquals(0, r.exitCode(), what + " failed: " + r.stderr());
  }

  @Test
  void seedPlanRoutesByMarkAndKeepsLanRepliesOnTheLan() {
    KernelNamespace.requireKernel();
    BalancingPolicy seed = BalancingPolicies.seed();
    try (PolicyLab lab = new PolicyLab(seed)) {
      loadAndCheckSysctl(lab);
      RoutingPlan plan = BalancingRoutes.compile(seed, IpFamily.V4).output();
      applyTwiceThenUndo(lab, plan, "seed", () -> {
        String isp2 = lab.routeGet(IpFamily.V4, REMOTE4, "mark", "0x200", "from", LAN_HOST4, "iif", "eth0");
        assertContains("dev ppp1 table 101", isp2, "LAN packet marked for isp2");
        String isp1 = lab.routeGet(IpFamily.V4, REMOTE4, "mark", "0x100", "from", LAN_HOST4, "iif", "eth0");
        assertContains("dev ppp0 table 100", isp1, "LAN packet marked for isp1");
        // Only the mask's bits count: a foreign low byte does not change the uplink.
        assertContains("dev ppp1 table 101", lab.routeGet(IpFamily.V4, REMOTE4, "mark", "0x2a5"), "router, mark 0x2a5");
        // The LAN-reply fix: a reply to the LAN carries the connection's mark, but goes to the LAN.
        String reply = lab.routeGet(IpFamily.V4, LAN_HOST4, "mark", "0x200");
        assertContains("dev eth0", reply, "reply to the LAN marked for isp2");
        assertLacks("table", reply, "reply to the LAN marked for isp2");
        String forwardedReply = lab.routeGet(IpFamily.V4, LAN_HOST4, "mark", "0x100", "from", REMOTE4, "iif", "ppp0");
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
    KernelNamespace.requireKernel();
    BalancingPolicy policy = BalancingPolicies.threeUplinks(Strategy.MULTIPATH);
    try (PolicyLab lab = new PolicyLab(policy)) {
      // The administrator's own default routes in main, through cable (eth2).
      lab.ns.run("ip", "-4", "route", "add", "default", "via", "198.51.100.17", "dev", "eth2").check();
      lab.ns.run("ip", "-6", "route", "add", "default", "via", "2001:db8:2::1", "dev", "eth2").check();
      loadAndCheckSysctl(lab);
      for (IpFamily f : IpFamily.values()) {
        boolean v4 = f == IpFamily.V4;
        String remote = v4 ? REMOTE4 : REMOTE6;
        String host = v4 ? LAN_HOST4 : LAN_HOST6;
        RoutingPlan plan = BalancingRoutes.compile(policy, f).output();
        applyTwiceThenUndo(lab, plan, "multipath " + f, () -> {
          Map<String, Integer> spread = new TreeMap<>();
          for (String r : lab.routeGets(f, webFlows(remote, host, "eth0", 200))) {
            assertContains("table 53", r, "balanced web traffic");
            spread.merge(r.replaceAll(".* dev (\\S+) .*", "$1"), 1, Integer::sum);
          }
          // Weights 3:1:256: lte (eth3.100) gets about 98 % of 200 flows; the hash covers the ports.
          assertTrue(spread.getOrDefault("eth3.100", 0) > 150 && spread.size() >= 2, f + " spread " + spread);
          // Without the sysctl (L3 hash), one client's flows all take the same uplink.
          String hashPolicy = "net." + (v4 ? "ipv4" : "ipv6") + ".fib_multipath_hash_policy";
          lab.ns.run("sysctl", "-qw", hashPolicy + "=0").check();
          Set<String> l3 = new java.util.TreeSet<>();
          lab.routeGets(f, webFlows(remote, host, "eth0", 200)).forEach(r -> l3.add(r.replaceAll(".* dev (\\S+) .*", "$1")));
          lab.ns.run("sysctl", "-qw", hashPolicy + "=1").check();
          assertEquals(1, l3.size(), f + " uplinks with the L3 hash: " + l3);
          System.out.println("multipath " + f + ": 200 flows from one client by source port, weights 3:1:256: " + spread
              + " with fib_multipath_hash_policy 1, " + l3 + " only with 0");
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
        u.gateway(BalancingPolicies.ip("198.51.100." + (16 * k + 1)));
      }
      if (v6multipath || r.nextBoolean()) {
        u.gateway6(BalancingPolicies.ip("2001:db8:" + (k + 1) + "::1"));
      }
      b.addUplinks(u.build());
    }
    b.addLanInterfaces(InterfaceName.of(r.nextBoolean() ? "lan0" : "eth9.10"));
    if (r.nextBoolean()) {
      b.addLanInterfaces(InterfaceName.of("lan1"));
    }
    b.addLanPrefixes(BalancingPolicies.prefix("192.0.2.0/24"), BalancingPolicies.prefix("2001:db8:ff::/64"));
    if (r.nextBoolean()) {
      b.addBalanced(TrafficSelector.of(Protocol.TCP, 80, 443));
      if (r.nextBoolean()) {
        b.addBalanced(new TrafficSelector(Optional.of(Protocol.UDP), com.google.common.collect.ImmutableList.of(
                PortRange.of(1024, 65535)), com.google.common.collect.ImmutableList.of(),
            com.google.common.collect.ImmutableList.of(BalancingPolicies.prefix("203.0.113.0/24"),
                BalancingPolicies.prefix("2001:db8:113::/48"))));
      }
    }
    if (r.nextBoolean()) {
      b.addRouter(TrafficSelector.of(Protocol.TCP, 80));
    }
    if (r.nextBoolean()) {
      b.addExclusions(TrafficSelector.toDestinations(BalancingPolicies.prefix("203.0.113.128/25"),
          BalancingPolicies.prefix("2001:db8:bad::/48")));
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
    KernelNamespace.requireKernel();
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
      try (PolicyLab lab = new PolicyLab(policy)) {
        sysctls += loadAndCheckSysctl(lab);
        for (IpFamily f : policy.families()) {
          RoutingPlan plan = BalancingRoutes.compile(policy, f).output();
          assertEquals(List.of(), plan.validate(), what);
          int[] gets = {0};
          applyTwiceThenUndo(lab, plan, what + " " + f + "\n" + plan, () -> gets[0] += routeChecks(lab, f, what));
          routeGets += gets[0];
          plans++;
          rules += plan.rules().size();
          routes += plan.routes().size();
        }
      }
      policies++;
      strategies.merge(policy.strategy() + "/" + policy.uplinks().size() + "up/"
          + policy.families().stream().map(BalancingRoutes::name).collect(java.util.stream.Collectors.joining("+")),
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
  private static int routeChecks(PolicyLab lab, IpFamily f, String what) {
    BalancingPolicy policy = lab.policy;
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
        String dev = r.replaceAll(".* dev (\\S+) .*", "$1");
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
