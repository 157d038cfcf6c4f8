package dev.mlb.testkit.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.iproute.BalancingRoutes;
import dev.mlb.testkit.check.CompiledPolicy;
import dev.mlb.testkit.gen.ForeignStateGenerator;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 4 of the live router on the fake: over 200 generated policies ({@link
 * PolicyRouters#policy}: 1 to 8 uplinks, every strategy, masks contiguous and scattered, IPv4,
 * IPv6 or both, odd interface names), each beside a generated foreign state ({@link
 * ForeignStateGenerator}) and a strict or loose rp_filter, the iptables backend alternating:
 * apply leaves every foreign rule, chain, ip rule, route and sysctl value as it was; status is then
 * in sync; a second apply plans no step; remove gives back exactly the router of before (the whole
 * {@link FakeRouter.Snapshot}; with iptables-legacy, but for the tables mlb's rules made the kernel
 * instantiate, which legacy keeps, empty) and deletes the state record. Seeded: the same 200
 * routers every run.
 */
class DeploymentPropertiesTest {
  static final int POLICIES = 200;
  static final int CHANGES = 40;

  @Test
  void applyRemoveIsIdentityBesideGeneratedForeignState(@TempDir Path stateRoot) {
    Map<String, Integer> seen = new TreeMap<>();
    int legacyTablesLeft = 0;
    for (long seed = 0; seed < POLICIES; seed++) {
      SplittableRandom r = new SplittableRandom(0x11FE_0000L + seed);
      BalancingPolicy policy = PolicyRouters.policy(r);
      CompiledPolicy compiled = CompiledPolicy.compile(policy);
      ForeignStateGenerator.ForeignState foreign = PolicyRouters.foreign(r, policy);
      FakeRouter.Backend backend = seed % 2 == 0 ? FakeRouter.Backend.NFT : FakeRouter.Backend.LEGACY;
      FakeRouter router = PolicyRouters.router(policy, backend, foreign, r.nextInt(3));
      String what = "seed " + seed + " (" + backend + "): " + policy;
      Path state = stateRoot.resolve("s" + seed);

      FakeRouter.Snapshot before = router.snapshot();
      Deployment d = Deployment.on(router, state);
      LiveChange apply = d.planApply(compiled);
      assertEquals(List.of(), apply.conflicts(), what);
      assertEquals(backend.name(), apply.before().backend().name(), what + ": the backend of the foreign rules");
      assertTrue(apply.steps().size() >= 3, what + ": " + apply);
      d.execute(apply);

      FakeRouter.Snapshot applied = router.snapshot();
      assertNotEquals(before, applied, what);
      String prefix = policy.chainPrefix() + "-";
      String protocol = Ownership.of(policy).protocol().toString();
      Set<String> keys = SnapshotViews.keys(BalancingRoutes.sysctl(policy));
      assertEquals(SnapshotViews.foreign(before, prefix, protocol, keys, true),
          SnapshotViews.foreign(applied, prefix, protocol, keys, true), what + ": foreign state after apply");
      Status status = d.status(compiled);
      assertTrue(status.inSync(), what + ":\n" + status.table());
      assertTrue(d.status(policy.chainPrefix()).inSync(), what + ": status from the state record");

      LiveChange again = d.planApply(compiled);
      assertEquals(List.of(), again.steps(), what + ": a second apply");
      d.execute(again);
      assertEquals(applied, router.snapshot(), what + ": a second apply changes nothing");

      LiveChange remove = d.planRemove(Ownership.of(policy));
      try {
        d.execute(remove);
      } catch (LiveException e) {
        throw new AssertionError(what + ": remove\n" + remove + "\napplied:\n" + apply, e);
      }
      FakeRouter.Snapshot removed = router.snapshot();
      if (backend == FakeRouter.Backend.NFT) {
        assertEquals(before.toString(), removed.toString(), what + ": after remove");
        assertEquals(before, removed, what + ": after remove");
      } else {
        if (!before.equals(removed)) {
          legacyTablesLeft++;
        }
        assertEquals(SnapshotViews.withoutEmptyTables(before).toString(),
            SnapshotViews.withoutEmptyTables(removed).toString(), what + ": after remove, but for empty tables");
        assertEquals(before.rules(), removed.rules(), what);
        assertEquals(before.routes(), removed.routes(), what);
        assertEquals(before.sysctl(), removed.sysctl(), what);
      }
      assertTrue(d.record(policy.chainPrefix()).isEmpty(), what + ": the state record after remove");
      assertEquals(Map.of(), PolicyRouters.files(state), what + ": the state directory after remove");
      seen.merge(policy.strategy() + "/" + (policy.families().size() == 2 ? "both"
          : policy.families().iterator().next()) + "/" + backend, 1, Integer::sum);
    }
    System.out.println("live properties on the fake, " + POLICIES + " policies: " + seen
        + "; legacy routers left with empty tables: " + legacyTablesLeft);
    // Every strategy, family set and backend appears with these fixed seeds (a fact about them,
    // checked here, not chance).
    for (String part : List.of("nth/", "random/", "multipath/", "/V4/", "/V6/", "/both/", "/NFT", "/LEGACY")) {
      assertTrue(seen.keySet().stream().anyMatch(k -> k.contains(part)), part + " in " + seen);
    }
  }

  /**
   * A changed policy applied over an applied one (the same uplinks and interfaces; weights, the
   * strategy, the balanced and router selectors and the down set changed): the router then holds
   * exactly what a fresh apply of the changed policy gives, status is in sync, a second apply has
   * no step, and remove restores the router of before the first apply.
   */
  @Test
  void aChangedApplyEqualsAFreshOne(@TempDir Path stateRoot) {
    int changes = 0;
    for (long seed = 0; seed < CHANGES; seed++) {
      SplittableRandom r = new SplittableRandom(0xC4A6_0000L + seed);
      BalancingPolicy first = PolicyRouters.policy(r);
      BalancingPolicy second = PolicyRouters.changed(r, first);
      ForeignStateGenerator.ForeignState foreign = PolicyRouters.foreign(r, first);
      FakeRouter.Backend backend = seed % 2 == 0 ? FakeRouter.Backend.NFT : FakeRouter.Backend.LEGACY;
      int rpFilter = r.nextInt(3);
      String what = "seed " + seed + " (" + backend + "): " + first + " then " + second + " down " + second.down();
      FakeRouter router = PolicyRouters.router(first, backend, foreign, rpFilter);
      FakeRouter.Snapshot before = router.snapshot();
      Deployment d = Deployment.on(router, stateRoot.resolve("c" + seed));
      d.execute(d.planApply(CompiledPolicy.compile(first)));
      LiveChange change = d.planApply(CompiledPolicy.compile(second));
      assertEquals(List.of(), change.conflicts(), what);
      try {
        d.execute(change);
      } catch (LiveException e) {
        throw new AssertionError(what + ":\n" + change, e);
      }
      FakeRouter fresh = PolicyRouters.router(first, backend, foreign, rpFilter);
      Deployment f = Deployment.on(fresh, stateRoot.resolve("f" + seed));
      f.execute(f.planApply(CompiledPolicy.compile(second)));
      FakeRouter.Snapshot changed = router.snapshot();
      FakeRouter.Snapshot expected = fresh.snapshot();
      // ip rules of one priority may be listed in another order (the kernel appends a rule after
      // those of its priority); mlb's rules of one priority have one action, so that order routes nothing
      // differently: they are compared as sets.
      assertEquals(SnapshotViews.rulesAsSets(SnapshotViews.withoutEmptyTables(expected)).toString(),
          SnapshotViews.rulesAsSets(SnapshotViews.withoutEmptyTables(changed)).toString(),
          what + ": as a fresh apply\n" + change);
      Status status = d.status(CompiledPolicy.compile(second));
      assertTrue(status.inSync(), what + ":\n" + status.table());
      assertEquals(List.of(), d.planApply(CompiledPolicy.compile(second)).steps(), what + ": a second apply");
      d.execute(d.planRemove(Ownership.of(second)));
      assertEquals(SnapshotViews.withoutEmptyTables(before).toString(),
          SnapshotViews.withoutEmptyTables(router.snapshot()).toString(), what + ": after remove");
      changes += change.steps().size();
    }
    System.out.println("changed applies on the fake: " + CHANGES + " policies, " + changes + " steps");
  }

  /**
   * Two changed applies that the kernel's matching of ip rules makes hard (see the fake's notes):
   * adding "tcp 443 from all" beside a kept "tcp 443 from 192.0.2.128/27" (the kernel takes the new
   * one for the kept one), and deleting "tcp" while a kept "tcp 443" is listed first (rule del takes
   * the first rule that has what it names).
   */
  @Test
  void changedSelectorsThatTheKernelMatchesLoosely(@TempDir Path stateRoot) {
    TrafficSelector narrow = TrafficSelector.of(Protocol.TCP, 443).withSources(List.of(IpPrefix.parse("192.0.2.128/27")));
    TrafficSelector https = TrafficSelector.of(Protocol.TCP, 443);
    TrafficSelector tcp = new TrafficSelector(java.util.Optional.of(Protocol.TCP),
        com.google.common.collect.ImmutableList.of(), com.google.common.collect.ImmutableList.of(),
        com.google.common.collect.ImmutableList.of());
    BalancingPolicy base = BalancingPolicy.builder().from(DeploymentFaultsTest.dualStack()).strategy(Strategy.MULTIPATH)
        .router(List.of()).build();
    List<List<List<TrafficSelector>>> cases = List.of(
        List.of(List.of(narrow), List.of(narrow, https)),
        List.of(List.of(https, tcp), List.of(https)),
        List.of(List.of(narrow, https, tcp), List.of(tcp)));
    int n = 0;
    List<String> failures = new java.util.ArrayList<>();
    for (List<List<TrafficSelector>> c : cases) {
      BalancingPolicy first = BalancingPolicy.builder().from(base).balanced(c.get(0)).build();
      BalancingPolicy second = BalancingPolicy.builder().from(base).balanced(c.get(1)).build();
      FakeRouter router = DeploymentFaultsTest.router(FakeRouter.Backend.NFT, first);
      Deployment d = Deployment.on(router, stateRoot.resolve("k" + n++));
      d.execute(d.planApply(CompiledPolicy.compile(first)));
      LiveChange change = d.planApply(CompiledPolicy.compile(second));
      try {
        d.execute(change);
        Status status = d.status(CompiledPolicy.compile(second));
        if (!status.inSync() || !d.planApply(CompiledPolicy.compile(second)).isEmpty()) {
          failures.add(c + ": not in sync after\n" + change + status.table());
        }
      } catch (LiveException e) {
        failures.add(c + ":\n" + change + e.getMessage());
      }
    }
    assertEquals(List.of(), failures);
  }
}
