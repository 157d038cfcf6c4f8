package dev.mlb.testkit.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableMap;
import dev.mlb.api.IpFamily;
import dev.mlb.api.policy.AllDown;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.testkit.check.CompiledPolicy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failing over through the fake: an apply with an uplink down deletes exactly that uplink's
 * connections (mark under mlb's mask equal to its value, in each family) and no others, balances new
 * connections over the up uplinks only and changes nothing else; a plain apply then takes it back
 * without deleting anything; {@code all-down: keep-last} keeps the record's down set; a down uplink
 * whose interface is gone is left out of the routes and sysctl values instead of refused.
 */
class DeploymentFailoverTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

  /** The entries seeded beside each uplink's: a foreign mark bit only, unmarked, and a mark of no uplink. */
  private static final List<FakeConnection> OTHERS = List.of(
      FakeConnection.tcp("192.0.2.11", 41000, "203.0.113.80", 443).withMark(0x4000),
      FakeConnection.udp("2001:db8:ff::11", 41001, "2001:db8:113::53", 53),
      FakeConnection.tcp("192.0.2.12", 41002, "203.0.113.80", 443).withMark(0x3000000),
      FakeConnection.tcp("192.0.2.13", 41003, "203.0.113.80", 80).unreplied().withMark(0x2004000));

  /** The CONNMARK values mlb's balance chains set, per family, from the saves of {@code s}. */
  private static Set<String> balanceMarks(FakeRouter.Snapshot s, FakeRouter.Backend b) {
    Set<String> out = new TreeSet<>();
    String store = b == FakeRouter.Backend.NFT ? "nft" : "legacy";
    for (String family : List.of("iptables-", "ip6tables-")) {
      s.iptables().getOrDefault(family + store, "").lines()
          .filter(l -> l.startsWith("-A mlb-balance ") && l.contains("-j CONNMARK --set-xmark "))
          .forEach(l -> out.add(family + l.substring(l.indexOf("--set-xmark ") + 12)));
    }
    return out;
  }

  /** {@code s} without mlb's balance chains' rules and without the connections. */
  private static FakeRouter.Snapshot outsideBalance(FakeRouter.Snapshot s) {
    ImmutableMap.Builder<String, String> ipt = ImmutableMap.builder();
    s.iptables().forEach((k, v) -> {
      StringBuilder kept = new StringBuilder();
      v.lines().filter(l -> !l.startsWith("-A mlb-balance ")).forEach(l -> kept.append(l).append('\n'));
      ipt.put(k, kept.toString());
    });
    return new FakeRouter.Snapshot(ipt.build(), s.rules(), s.routes(), s.sysctl(), com.google.common.collect.ImmutableList.of(), s.wireguard());
  }

  @Test
  void goingDownDeletesExactlyItsConnectionsAndComingBackDeletesNone(@TempDir Path root) {
    for (FakeRouter.Backend backend : FakeRouter.Backend.values()) {
      BalancingPolicy policy = DeploymentFaultsTest.dualStack();
      FakeRouter router = DeploymentFaultsTest.router(backend, policy);
      OTHERS.forEach(router::addConntrack);
      Deployment d = Deployment.on(router, root.resolve(backend.name())).withClock(CLOCK);
      CompiledPolicy plain = CompiledPolicy.compile(policy);
      d.execute(d.planApply(plain));
      FakeRouter.Snapshot up = router.snapshot();
      assertEquals(Set.of("iptables-0x1000000/0xf000000", "iptables-0x2000000/0xf000000",
          "ip6tables-0x1000000/0xf000000", "ip6tables-0x2000000/0xf000000"), balanceMarks(up, backend), backend.name());

      LiveChange down = d.planApply(CompiledPolicy.compile(d.withDown(policy, Set.of("isp1"))), "mlb apply --down");
      List<String> conntrack = down.steps().stream().filter(s -> s.command().get(0).equals("conntrack"))
          .map(s -> String.join(" ", s.command())).toList();
      assertEquals(List.of("conntrack -D -f ipv4 --mark 0x1000000/0xf000000",
          "conntrack -D -f ipv6 --mark 0x1000000/0xf000000"), conntrack, backend + ": " + down);
      d.execute(down);
      FakeRouter.Snapshot isp1Down = router.snapshot();
      // The seeded entries of isp1 (mark 0x1000001 over IPv4, 0x1000000 over IPv6) are gone; isp2's
      // and the others stay, in order.
      List<FakeConnection> expected = new ArrayList<>(up.conntrack());
      expected.removeIf(c -> c.mark() == 0x1000001L || c.mark() == 0x1000000L);
      assertEquals(up.conntrack().size() - 2, expected.size());
      assertEquals(expected, isp1Down.conntrack(), backend.name());
      assertEquals(Set.of("iptables-0x2000000/0xf000000", "ip6tables-0x2000000/0xf000000"),
          balanceMarks(isp1Down, backend), backend + ": only isp2 takes new connections");
      assertEquals(outsideBalance(up), outsideBalance(isp1Down), backend + ": all else as it was");
      StateRecord record = d.record("mlb").orElseThrow();
      assertEquals(Set.of("isp1"), record.down());
      assertEquals("mlb apply --down", record.uplinks().get("isp1").cause());
      assertEquals("mlb apply", record.uplinks().get("isp2").cause());
      assertTrue(d.status(plain).inSync(), d.status(plain).table());
      assertTrue(d.planApply(CompiledPolicy.compile(d.withDown(policy, Set.of("isp1")))).isEmpty(),
          backend + ": applied again, isp1 still down");

      LiveChange back = d.planApply(plain);
      assertTrue(back.steps().stream().noneMatch(s -> s.command().get(0).equals("conntrack")), back.toString());
      d.execute(back);
      FakeRouter.Snapshot again = router.snapshot();
      assertEquals(new FakeRouter.Snapshot(up.iptables(), up.rules(), up.routes(), up.sysctl(),
          isp1Down.conntrack(), up.wireguard()).toString(), again.toString(), backend + ": isp1 back, no connection deleted");
      assertEquals(Set.of(), d.record("mlb").orElseThrow().down());
    }
  }

  @Test
  void keepLastKeepsTheRecordsDownSetWhenAllAreDown(@TempDir Path root) {
    BalancingPolicy policy = BalancingPolicy.builder().from(DeploymentFaultsTest.dualStack())
        .allDown(AllDown.KEEP_LAST).build();
    FakeRouter router = DeploymentFaultsTest.router(FakeRouter.Backend.NFT, policy);
    Deployment d = Deployment.on(router, root).withClock(CLOCK);
    // Without a record, every uplink down under keep-last is none down.
    assertEquals(Set.of(), d.withDown(policy, Set.of("isp1", "isp2")).down());
    d.execute(d.planApply(CompiledPolicy.compile(d.withDown(policy, Set.of("isp2")))));
    FakeRouter.Snapshot isp2Down = router.snapshot();
    BalancingPolicy allDown = d.withDown(policy, Set.of("isp1", "isp2"));
    assertEquals(Set.of("isp2"), allDown.down(), "the record's down set");
    assertTrue(d.planApply(CompiledPolicy.compile(allDown)).isEmpty(), "nothing changes");
    assertEquals(isp2Down, router.snapshot());
    // The default (all-down: main) takes them all down.
    BalancingPolicy main = BalancingPolicy.builder().from(policy).allDown(AllDown.MAIN).build();
    assertEquals(Set.of("isp1", "isp2"), d.withDown(main, Set.of("isp1", "isp2")).down());
  }

  @Test
  void aDownUplinkWhoseInterfaceVanishedIsSkipped(@TempDir Path root) {
    for (IpFamily only : List.of(IpFamily.V4, IpFamily.V6)) {
      BalancingPolicy policy = BalancingPolicy.builder().from(DeploymentFaultsTest.dualStack())
          .families(Set.of(only)).build();
      // isp2's interface, ppp1, is not there (a PPP session that ended).
      FakeRouter router = FakeRouter.builder()
          .addInterface("ppp0", "198.51.100.2/28", "2001:db8:1::2/64")
          .addInterface("eth0", "192.0.2.1/24", "2001:db8:ff::1/64").build();
      Deployment d = Deployment.on(router, root.resolve(only.name())).withClock(CLOCK);
      // While isp2 is up, its missing interface is refused: IPv4 before any change (its rp_filter
      // key is missing), IPv6 (no key of ppp1) at its route, rolled back.
      FakeRouter.Snapshot empty = router.snapshot();
      LiveChange refused = d.planApply(CompiledPolicy.compile(policy));
      if (only == IpFamily.V4) {
        assertEquals(List.of("sysctl net.ipv4.conf.ppp1.rp_filter does not exist on this router; is the interface"
            + " there?"), refused.conflicts(), refused.toString());
      } else {
        StepFailedException e = org.junit.jupiter.api.Assertions.assertThrows(StepFailedException.class,
            () -> d.execute(refused));
        assertTrue(e.getMessage().contains("(IPv6 routes and rules (add)): ip -6 -batch - exited 1: Cannot find device"
            + " \"ppp1\""), e.getMessage());
        assertTrue(e.rolledBack(), e.getMessage());
        assertEquals(empty, router.snapshot());
      }
      LiveChange change = d.planApply(CompiledPolicy.compile(d.withDown(policy, Set.of("isp2"))));
      assertEquals(List.of(), change.conflicts(), only + ": " + change);
      String all = change.toString();
      assertFalse(all.contains("dev ppp1"), only + ": no route through ppp1: " + all);
      assertFalse(all.contains("ppp1.rp_filter"), only + ": no sysctl of ppp1: " + all);
      assertTrue(all.contains("dev ppp0 table 100"), only + ": isp1's route: " + all);
      d.execute(change);
      assertTrue(d.status(CompiledPolicy.compile(policy)).inSync(), d.status(CompiledPolicy.compile(policy)).table());

      // With ppp1 there and isp1 down, nothing is skipped: isp1 keeps its table and route.
      FakeRouter both = DeploymentFaultsTest.router(FakeRouter.Backend.NFT, policy);
      Deployment d2 = Deployment.on(both, root.resolve(only.name() + "2")).withClock(CLOCK);
      LiveChange isp1Down = d2.planApply(CompiledPolicy.compile(d2.withDown(policy, Set.of("isp1"))));
      assertTrue(isp1Down.toString().contains("dev ppp0 table 100"), only + ": isp1's route kept: " + isp1Down);
      assertTrue(isp1Down.toString().contains("dev ppp1 table 101"), only + ": " + isp1Down);
    }
  }
}
