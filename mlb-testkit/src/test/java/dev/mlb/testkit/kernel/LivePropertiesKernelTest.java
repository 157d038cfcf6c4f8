package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Uplink;
import dev.mlb.testkit.check.CompiledPolicy;
import dev.mlb.testkit.gen.ForeignStateGenerator;
import dev.mlb.testkit.live.Backend;
import dev.mlb.testkit.live.Deployment;
import dev.mlb.testkit.live.LiveChange;
import dev.mlb.testkit.live.Ownership;
import dev.mlb.testkit.live.ProcessRunner;
import dev.mlb.testkit.live.ToolRunner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live properties in the kernel, over 20 generated policies ({@link BalancingRoutesKernelTest#generate}:
 * 1 to 8 uplinks, odd interface names, masks of 3 to 32 bits, one or both families, each strategy)
 * each beside a generated foreign state ({@link ForeignStateGenerator}), alternating the iptables
 * backend: apply leaves every foreign rule, chain, ip rule and route as it was; status is then in
 * sync; a second apply changes nothing; remove restores exactly what was there before.
 */
class LivePropertiesKernelTest {

  @Test
  void applyRemoveIsIdentityBesideGeneratedForeignState(@TempDir Path stateRoot) {
    KernelTests.requireKernel();
    Map<String, Integer> seen = new TreeMap<>();
    for (long seed = 0; seed < 20; seed++) {
      SplittableRandom r = new SplittableRandom(seed);
      BalancingPolicy policy = BalancingRoutesKernelTest.generate(r);
      CompiledPolicy compiled = CompiledPolicy.compile(policy);
      Backend backend = seed % 2 == 0 ? Backend.NFT : Backend.LEGACY;
      Set<String> ifaces = new LinkedHashSet<>();
      policy.uplinks().forEach(u -> ifaces.add(u.iface().name()));
      policy.lanInterfaces().forEach(i -> ifaces.add(i.name()));
      List<dev.mlb.iproute.RoutingPlan> plans = new ArrayList<>();
      compiled.families().forEach(f -> plans.add(compiled.plan(f)));
      ForeignStateGenerator.ForeignState foreign = ForeignStateGenerator.generate(r, policy.markMask(), plans,
          List.copyOf(ifaces));
      String what = "seed " + seed + " (" + backend + "): " + policy;
      try (IprouteLab lab = BalancingRoutesKernelTest.policyLab(policy)) {
        ToolRunner router = ProcessRunner.inNamespace(lab.ns.name());
        for (IpFamily f : IpFamily.values()) {
          router.run(List.of(backend.restore(f), "--noflush"), foreign.rules().get(f)).check();
          router.run(List.of("ip", f == IpFamily.V4 ? "-4" : "-6", "-batch", "-"), foreign.routes().get(f)).check();
        }
        LiveBackendsKernelTest.Snapshot before = snapshot(router, backend);
        Deployment d = Deployment.on(router, stateRoot.resolve("s" + seed));
        LiveChange apply = d.planApply(compiled);
        assertEquals(List.of(), apply.conflicts(), what);
        assertEquals(backend, apply.before().backend(), what);
        d.execute(apply);
        LiveBackendsKernelTest.Snapshot applied = snapshot(router, backend);
        assertEquals(before.foreign(policy.chainPrefix() + "-", policy.ruleProtocol()),
            applied.foreign(policy.chainPrefix() + "-", policy.ruleProtocol()), what + ": foreign after apply");
        assertTrue(d.status(compiled).inSync(), what + ": " + d.status(compiled).table());
        assertTrue(d.planApply(compiled).isEmpty(), what + ": a second apply");
        d.execute(d.planRemove(Ownership.of(policy)));
        LiveBackendsKernelTest.Snapshot removed = snapshot(router, backend);
        assertEquals(before, backend == Backend.NFT ? removed : removed.withoutEmptyTables(), what + ": after remove");
      }
      seen.merge(policy.strategy() + "/" + policy.uplinks().size() + "up/" + policy.families().size() + "fam/"
          + backend, 1, Integer::sum);
    }
    System.out.println("live properties in the kernel, 20 policies: " + seen);
  }

  private static LiveBackendsKernelTest.Snapshot snapshot(ToolRunner r, Backend b) {
    return LiveBackendsKernelTest.Snapshot.of(r, b, List.of("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding",
        "net.ipv4.conf.all.src_valid_mark"));
  }

  static List<String> names(List<Uplink> uplinks) {
    return uplinks.stream().map(u -> u.iface().name()).toList();
  }
}
