package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.Protocol;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.testkit.check.CompiledPolicy;
import dev.mlb.testkit.live.Deployment;
import dev.mlb.testkit.live.LiveChange;
import dev.mlb.testkit.live.ProcessRunner;
import dev.mlb.testkit.live.ToolRunner;
import dev.mlb.testkit.policyfile.PolicyFile;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.FlowResult;
import dev.mlb.testkit.sim.Topology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Other software's packet marks beside mlb, in the kernel: a WireGuard-style socket mark keeps its
 * route, kube-proxy-style marks masquerade the same connections, an explicit mask that overlaps a
 * live mark user is refused, and {@code mark-mask: auto} finds bits beside all of them at once.
 */
class MarksKernelTest {

  /** wg-quick's full-tunnel rules: the tunnel's own packets (socket mark 0xca6c) use main, the rest the tunnel. */
  static final String WG_ROUTES = """
      route add default dev wg0 table 51820
      rule add priority 4999 lookup main suppress_prefixlength 0
      rule add priority 5000 not fwmark 0xca6c lookup 51820
      """;

  static BalancingPolicy seed(String more) {
    return PolicyFile.parse("seed.yaml", LiveLab.policyYaml("""
        balance:
          - {protocol: tcp, ports: [22, 25, 80, 443]}
        router:
          - {protocol: tcp, ports: [80]}
          - {protocol: icmp}
        """ + more));
  }

  private static final Pattern COUNTED = Pattern.compile("\\[(\\d+):\\d+\\] -A POSTROUTING -o (\\S+) -m mark --mark 0xca6c");

  /** Packets with the whole mark 0xca6c that left through each of ppp0 and wg0, from the counting rules. */
  static Map<String, Integer> leftWithWireguardMark(Netns ns) {
    Map<String, Integer> out = new TreeMap<>();
    Matcher m = COUNTED.matcher(ns.run("iptables-save", "-c", "-t", "mangle").check().stdout());
    while (m.find()) {
      out.merge(m.group(2), Integer.parseInt(m.group(1)), Integer::sum);
    }
    return out;
  }

  /** Three ICMP echo requests from a socket with mark 0xca6c (51820), as wg-quick's WireGuard socket has. */
  static void pingWithWireguardMark(Netns ns) {
    ns.run("ping", "-n", "-q", "-c", "3", "-i", "0.2", "-W", "0.3", "-m", "51820", "203.0.113.10").run();
  }

  @Test
  void aWireguardStyleSocketMarkKeepsItsRoute(@TempDir Path state) {
    KernelTests.requireKernel();
    try (LiveLab lab = LiveLab.create("markswg")) {
      ToolRunner r = lab.runner();
      Netns ns = lab.ns();
      r.run(List.of("ip", "-4", "-batch", "-"), "route add default via 198.51.100.1 dev ppp0\n" + WG_ROUTES).check();
      // Counting rules (no target): packets that left with the whole mark 0xca6c, per interface.
      ns.run("iptables", "-t", "mangle", "-A", "POSTROUTING", "-o", "ppp0", "-m", "mark", "--mark", "0xca6c").check();
      ns.run("iptables", "-t", "mangle", "-A", "POSTROUTING", "-o", "wg0", "-m", "mark", "--mark", "0xca6c").check();
      pingWithWireguardMark(ns);
      assertEquals(Map.of("ppp0", 3, "wg0", 0), leftWithWireguardMark(ns), "without mlb: main's uplink, mark kept");

      // mlb with the default mask, balancing the router's own ICMP: the marked socket is not balanced
      // and its packets keep mark and route.
      BalancingPolicy policy = seed("");
      Deployment d = Deployment.on(r, state);
      LiveChange apply = d.planApply(CompiledPolicy.compile(policy));
      assertEquals(List.of(), apply.conflicts());
      d.execute(apply);
      pingWithWireguardMark(ns);
      assertEquals(Map.of("ppp0", 6, "wg0", 0), leftWithWireguardMark(ns), "with mlb: still main's uplink");

      // The restore mlb used to compile (every packet, mask 0xff00) sends them into the tunnel:
      // what this test guards against.
      ns.run("iptables", "-t", "mangle", "-I", "OUTPUT", "-j", "CONNMARK", "--restore-mark", "--nfmask", "0xff00",
          "--ctmask", "0xff00").check();
      pingWithWireguardMark(ns);
      Map<String, Integer> clobbered = leftWithWireguardMark(ns);
      assertEquals(6, clobbered.get("ppp0"), "the old restore clears bits of the mark: none leaves as 0xca6c");
    }
  }

  @Test
  void kubeProxyStyleMarksMasqueradeTheSameConnections(@TempDir Path state) {
    KernelTests.requireKernel();
    BalancingPolicy policy = seed("");
    CompiledPolicy compiled = CompiledPolicy.compile(policy);
    Topology t = compiled.topology();
    // kube-proxy's pattern: a mark set in nat PREROUTING for some connections (here: from the LAN's
    // upper half), MASQUERADE on it in POSTROUTING.
    String kube = """
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        :KUBE-MARK-MASQ - [0:0]
        :KUBE-POSTROUTING - [0:0]
        -A PREROUTING -s 192.0.2.128/25 -j KUBE-MARK-MASQ
        -A POSTROUTING -j KUBE-POSTROUTING
        -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
        -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
        -A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
        -A KUBE-POSTROUTING -j MASQUERADE
        COMMIT
        """;
    try (KernelLab lab = KernelLab.start(t, "", "", new KernelLab.Options(Duration.ofMillis(800)))) {
      ToolRunner r = ProcessRunner.inNamespace(lab.router().name());
      r.run(List.of("iptables-restore", "--noflush"), kube).check();
      r.run(List.of("ip", "-4", "-batch", "-"), compiled.environmentRoutes()).check();
      var plain = t.lanClients(1).get(0);
      var marked = dev.mlb.api.IpAddress.parse("192.0.2.200");
      List<Flow> flows = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        flows.add(Flow.fromLan(marked, 40000 + i, Protocol.TCP, t.server(), 443));
        flows.add(Flow.fromLan(plain, 40100 + i, Protocol.TCP, t.server(), 443));
      }
      lab.runAll(flows);
      assertEquals(4, kubeMasqueraded(lab), "without mlb: the 4 marked connections, no other");

      Deployment.on(r, state).execute(Deployment.on(r, state).planApply(compiled));
      List<Flow> again = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        again.add(Flow.fromLan(marked, 40200 + i, Protocol.TCP, t.server(), 443));
        again.add(Flow.fromLan(plain, 40300 + i, Protocol.TCP, t.server(), 443));
      }
      Map<String, Integer> split = new TreeMap<>();
      for (FlowResult fr : lab.runAll(again)) {
        assertTrue(fr.completed(), fr.toString());
        split.merge(fr.uplink().get().name(), 1, Integer::sum);
      }
      assertEquals(Map.of("ppp0", 4, "ppp1", 4), split, "balanced exactly, marked or not");
      assertEquals(8, kubeMasqueraded(lab), "with mlb: again the 4 marked connections, and no other");
    }
  }

  /** Connections kube's MASQUERADE rule took (nat sees each connection's first packet only). */
  static int kubeMasqueraded(KernelLab lab) {
    String saved = lab.router().run("iptables-save", "-c", "-t", "nat").check().stdout();
    Matcher m = Pattern.compile("\\[(\\d+):\\d+\\] -A KUBE-POSTROUTING -j MASQUERADE").matcher(saved);
    assertTrue(m.find(), saved);
    return Integer.parseInt(m.group(1));
  }

  /** Everything at once: Tailscale-, mwan3-, kube-proxy-, WireGuard- and Docker-style mark users. */
  static final String ALL_MARK_USERS = """
      *mangle
      :PREROUTING ACCEPT [0:0]
      :OUTPUT ACCEPT [0:0]
      :mwan3_hook - [0:0]
      -A PREROUTING -j mwan3_hook
      -A mwan3_hook -m mark --mark 0x0/0x3f00 -j MARK --set-xmark 0x100/0x3f00
      -A OUTPUT -p udp -m udp --dport 4789 -j MARK --set-xmark 0xd0c4e3/0xffffffff
      COMMIT
      *filter
      :FORWARD ACCEPT [0:0]
      :ts-forward - [0:0]
      -A FORWARD -j ts-forward
      -A ts-forward -i wg0 -j MARK --set-xmark 0x40000/0xff0000
      COMMIT
      *nat
      :PREROUTING ACCEPT [0:0]
      :POSTROUTING ACCEPT [0:0]
      -A PREROUTING -s 10.244.0.0/16 -j MARK --set-xmark 0x4000/0x4000
      -A POSTROUTING -m mark --mark 0x4000/0x4000 -j MASQUERADE
      COMMIT
      """;

  @Test
  void anOverlappingMaskIsRefusedNamingTheUserAndAutoFindsFreeBits(@TempDir Path state) {
    KernelTests.requireKernel();
    try (LiveLab lab = LiveLab.create("marksauto")) {
      ToolRunner r = lab.runner();
      r.run(List.of("iptables-restore", "--noflush"), ALL_MARK_USERS).check();
      r.run(List.of("ip", "-4", "-batch", "-"), "route add default via 198.51.100.1 dev ppp0\n" + WG_ROUTES
          + "rule add priority 5210 fwmark 0x80000/0xff0000 lookup main\n").check();
      Deployment d = Deployment.on(r, state);
      // The old default mask 0xff00 overlaps mwan3, kube-proxy, Docker's overlay and wg-quick: each is named,
      // with free bits to use instead (sorted here; mlb lists them as it finds them).
      LiveChange refused = d.planApply(CompiledPolicy.compile(seed("mark-mask: 0xff00\n")));
      assertEquals(List.of(
          "mark bits 0x3f00 of mlb's mask 0xff00 are in use: iptables -t mangle rule 1 of mwan3_hook \"-A mwan3_hook"
              + " -m mark --mark 0x0/0x3f00 -j MARK --set-xmark 0x100/0x3f00\" uses 0x3f00; free bits: mark-mask:"
              + " 0xf000000",
          "mark bits 0x4000 of mlb's mask 0xff00 are in use: iptables -t nat rule 1 of POSTROUTING \"-A POSTROUTING"
              + " -m mark --mark 0x4000/0x4000 -j MASQUERADE\" uses 0x4000; free bits: mark-mask: 0xf000000",
          "mark bits 0x4000 of mlb's mask 0xff00 are in use: iptables -t nat rule 1 of PREROUTING \"-A PREROUTING -s"
              + " 10.244.0.0/16 -j MARK --set-xmark 0x4000/0x4000\" uses 0x4000; free bits: mark-mask: 0xf000000",
          "mark bits 0xc400 of mlb's mask 0xff00 are in use: iptables -t mangle rule 1 of OUTPUT \"-A OUTPUT -p udp"
              + " -m udp --dport 4789 -j MARK --set-xmark 0xd0c4e3/0xffffffff\" uses 0xd0c4e3; free bits: mark-mask:"
              + " 0xf000000",
          "mark bits 0xca00 of mlb's mask 0xff00 are in use: ip rule 5000 \"priority 5000 not from all fwmark 0xca6c"
              + " lookup 51820\" uses 0xca6c; free bits: mark-mask: 0xf000000"),
          refused.conflicts().stream().sorted().toList());

      LiveChange auto = d.planApply(CompiledPolicy.compile(seed("mark-mask: auto\n")));
      assertEquals(List.of(), auto.conflicts());
      d.execute(auto);
      assertEquals(0x0f000000L, d.record("mlb").orElseThrow().ownership().markMask(), "the default bits were free");
      assertTrue(d.status(CompiledPolicy.compile(seed("mark-mask: auto\n"))).inSync());
      assertTrue(d.planApply(CompiledPolicy.compile(seed("mark-mask: auto\n"))).isEmpty(), "auto keeps its mask");
    }
  }
}
