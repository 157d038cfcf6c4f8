package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.testkit.check.CompiledPolicy;
import dev.mlb.testkit.live.Backend;
import dev.mlb.testkit.live.Deployment;
import dev.mlb.testkit.live.LiveChange;
import dev.mlb.testkit.live.Ownership;
import dev.mlb.testkit.live.ProcessRunner;
import dev.mlb.testkit.live.ToolRunner;
import dev.mlb.testkit.policyfile.PolicyFile;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.FlowResult;
import dev.mlb.testkit.sim.Topology;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code mlb apply} and {@code mlb remove} on a kernel-lab router that already runs other
 * software: docker-like nat, kube-proxy-like KUBE-* chains, a fail2ban-like filter chain, a foreign
 * mangle mark outside mlb's mask, a VPN's ip rule and table, and a strict reverse-path filter; on
 * each iptables backend. Everything foreign must be exactly
 * as before, after apply and after remove; balancing must work in between.
 */
class LiveApplyKernelTest {

  /** A VPN's table and rule (wg-quick style), on the LAN link so that the route is valid. */
  static final String FOREIGN_ROUTES = """
      route add 10.99.0.0/16 dev eth0 table 51820
      rule add priority 5000 not fwmark 0xca6c lookup 51820
      """;

  static BalancingPolicy seedPolicy(String mask) {
    return PolicyFile.parse("seed.yaml", LiveLab.policyYaml("""
        balance:
          - {protocol: tcp, ports: [22, 25, 80, 443]}
        router:
          - {protocol: tcp, ports: [80]}
        mark-mask: %s
        """.formatted(mask)));
  }

  /** What the router holds: rules of every table (counters stripped), ip rules and routes, some sysctl values. */
  record Snapshot(String rules, String ipRules, String routes, Map<String, String> sysctl) {
    static Snapshot of(ToolRunner r, Backend b, List<String> keys) {
      String rules = r.run(b.save(IpFamily.V4)).check().stdout().lines()
          .filter(l -> !l.startsWith("#")).map(l -> l.replaceAll(" \\[\\d+:\\d+\\]$", ""))
          .reduce("", (x, y) -> x + y + "\n");
      Map<String, String> sysctl = new TreeMap<>();
      for (String k : keys) {
        sysctl.put(k, r.run("sysctl", "-n", k).check().stdout().strip());
      }
      return new Snapshot(rules, r.run("ip", "-4", "rule", "show").check().stdout(),
          r.run("ip", "-4", "route", "show", "table", "all").check().stdout(), sysctl);
    }

    /** The rules without mlb's chains and the jumps into them. */
    String foreignRules() {
      return rules.lines().filter(l -> !l.contains("mlb-")).reduce("", (a, b) -> a + b + "\n");
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void applyBesideOtherSoftwareThenRemoveExactly(Backend backend) throws IOException {
    KernelTests.requireKernel();
    // The default mark mask, 0x0f000000: kube-proxy's 0x4000 and the foreign 0x1 are outside it.
    BalancingPolicy policy = seedPolicy("0x0f000000");
    CompiledPolicy compiled = CompiledPolicy.compile(policy);
    Topology t = compiled.topology();
    Path state = Files.createTempDirectory("mlb-state");
    List<String> keys = List.of("net.ipv4.ip_forward", "net.ipv4.conf.all.src_valid_mark", "net.ipv4.conf.all.rp_filter",
        "net.ipv4.conf.ppp0.rp_filter", "net.ipv4.conf.ppp1.rp_filter");
    try (KernelLab lab = KernelLab.start(t, "", "", new KernelLab.Options(Duration.ofMillis(800)).withRouterSysctl(""))) {
      ToolRunner router = ProcessRunner.inNamespace(lab.router().name());
      router.run(List.of(backend.restore(IpFamily.V4)), LiveLab.FOREIGN_RULES).check();
      // The administrator's default route in main (via ppp0), and the VPN's.
      router.run(List.of("ip", "-4", "-batch", "-"), compiled.environmentRoutes() + FOREIGN_ROUTES).check();
      Snapshot before = Snapshot.of(router, backend, keys);
      assertEquals("1", before.sysctl().get("net.ipv4.conf.all.rp_filter"), "strict reverse-path filter");

      Deployment d = Deployment.on(router, state);
      LiveChange apply = d.planApply(compiled);
      assertEquals(List.of(), apply.conflicts());
      System.out.print(apply);
      d.execute(apply);
      assertEquals(backend, apply.before().backend());
      Snapshot applied = Snapshot.of(router, backend, keys);
      assertEquals(before.foreignRules(), applied.foreignRules(), "foreign rules after apply");
      assertTrue(applied.ipRules().contains("not from all fwmark 0xca6c lookup 51820"), applied.ipRules());

      // Balancing works: nth 1:1 splits LAN flows exactly; inbound connections are answered.
      List<Flow> flows = new ArrayList<>();
      IpAddress server = t.server();
      for (int i = 0; i < 8; i++) {
        flows.add(Flow.fromLan(t.lanClients(1).get(0), 40000 + i, Protocol.TCP, server, 443));
      }
      for (Topology.Uplink u : t.uplinks()) {
        flows.add(Flow.inbound(u.iface(), server, 41000 + flows.size(), Protocol.TCP, u.ip(), 22));
      }
      Map<String, Integer> split = new TreeMap<>();
      for (FlowResult r : lab.runAll(flows)) {
        assertTrue(r.completed(), r.toString());
        if (r.flow().origin() == Flow.Origin.LAN) {
          split.merge(r.uplink().get().name(), 1, Integer::sum);
        }
      }
      assertEquals(Map.of("ppp0", 4, "ppp1", 4), split);

      LiveChange again = d.planApply(compiled);
      assertTrue(again.isEmpty(), again.toString());

      d.execute(d.planRemove(Ownership.of(policy)));
      assertEquals(before, Snapshot.of(router, backend, keys), backend + ": after remove");
      assertTrue(d.record("mlb").isEmpty(), "state record deleted");
    }
  }
}
