package dev.mlb.testkit.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.testkit.kernel.FailoverLab;
import dev.mlb.testkit.live.Deployment;
import dev.mlb.testkit.live.FakeConnection;
import dev.mlb.testkit.live.FakeRouter;
import dev.mlb.testkit.live.LiveException;
import dev.mlb.testkit.live.ProbeLog;
import dev.mlb.testkit.live.StateRecord;
import dev.mlb.testkit.policyfile.PolicyFile;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watcher's decisions on the fake router, one round at a time (no threads, no clock): when it
 * applies, what it applies, what it logs, and what it leaves alone.
 */
class WatcherTest {
  /** Three uplinks 2:1:1 with gateways; down after 3 failed rounds, up after 2 successful ones. */
  static final String POLICY = FailoverLab.policy(List.of("weight: 2", "", ""), """
      balance:
        - {protocol: tcp, ports: [443]}
      health: {interval: 1s, timeout: 500ms, down: 3, up: 2}
      """);

  @TempDir Path state;
  final List<String> log = new ArrayList<>();

  static FakeRouter router() {
    return FakeRouter.builder()
        .addInterface("ppp0", "198.51.100.2/28")
        .addInterface("ppp1", "198.51.100.18/28")
        .addInterface("ppp2", "198.51.100.34/28")
        .addInterface("eth0", "192.0.2.1/24")
        .build();
  }

  Watcher watcher(FakeRouter router, String policy) {
    BalancingPolicy p = PolicyFile.parse("policy.yaml", policy);
    return Watcher.of(Deployment.on(router, state), p, (pol, u) -> {
      throw new AssertionError("rounds are given by the test");
    }, log::add);
  }

  static ProbeLog.Round ok() {
    return new ProbeLog.Round(Instant.parse("2026-12-04T10:00:00Z"), true, "198.51.100.17: answered in 0.1 ms");
  }

  static ProbeLog.Round failed() {
    return new ProbeLog.Round(Instant.parse("2026-12-04T10:00:01Z"), false, "198.51.100.17: no answer within 0.5s");
  }

  /** The balancing chain's rules as iptables-save prints them. */
  static List<String> balance(FakeRouter router) {
    return router.run("iptables-save", "-t", "mangle").stdout().lines().filter(l -> l.startsWith("-A mlb-balance"))
        .toList();
  }

  static long restores(FakeRouter router) {
    return router.log().stream().filter(c -> c.command().get(0).contains("restore")).count();
  }

  @Test
  void goesDownAfterTheThirdFailedRoundAndDeletesOnlyThatUplinksConnections() {
    FakeRouter router = router();
    Watcher w = watcher(router, POLICY);
    w.begin();
    assertEquals(List.of("watching mlb: isp1 up (1 target, every 1s, down within 3.5s), isp2 up (1 target, every 1s,"
        + " down within 3.5s), isp3 up (1 target, every 1s, down within 3.5s); applied in 4 steps; new connections"
        + " over isp1, isp2, isp3"), log);
    List<String> all = balance(router);
    // isp2's connections (mark 0x2000000 under the default mask 0x0f000000), isp1's, a foreign-marked and an unmarked one.
    FakeConnection two = FakeConnection.tcp("192.0.2.9", 40000, "203.0.113.10", 443).withMark(0x2000000);
    FakeConnection twoWithForeignBit = FakeConnection.tcp("192.0.2.9", 40001, "203.0.113.10", 443).withMark(0x2004000);
    FakeConnection one = FakeConnection.tcp("192.0.2.9", 40002, "203.0.113.10", 443).withMark(0x1000000);
    FakeConnection foreign = FakeConnection.tcp("192.0.2.9", 40003, "203.0.113.10", 443).withMark(0x4000);
    FakeConnection plain = FakeConnection.udp("192.0.2.9", 40004, "203.0.113.10", 53);
    List.of(two, twoWithForeignBit, one, foreign, plain).forEach(router::addConntrack);
    router.clearLog();

    w.round("isp2", failed());
    w.round("isp2", failed());
    w.round("isp1", failed());   // one failed round of isp1 changes nothing
    assertEquals(0, router.log().size(), "two failed rounds: nothing applied");
    w.round("isp2", failed());
    assertEquals(Set.of("isp2"), w.applied());
    assertEquals("isp2 down: 3 failed rounds in a row (last 2026-12-04T10:00:01Z failed: 198.51.100.17: no answer"
        + " within 0.5s); applied in 2 steps; new connections over isp1, isp3", log.get(1));
    assertEquals(2, log.size());
    List<String> now = balance(router);
    assertTrue(now.stream().noneMatch(l -> l.contains("0x2000000")), String.join("\n", now));
    assertTrue(all.stream().anyMatch(l -> l.contains("0x2000000")), String.join("\n", all));
    // Only the balancing chain was rewritten, and conntrack lost exactly isp2's connections.
    assertEquals(Set.of(one, foreign, plain), Set.copyOf(router.snapshot().conntrack()));
    StateRecord r = Deployment.on(router, state).record("mlb").orElseThrow();
    assertTrue(r.uplinks().get("isp2").down());
    assertEquals("mlb watch: 3 failed rounds", r.uplinks().get("isp2").cause());
    assertFalse(r.uplinks().get("isp1").down());
    assertEquals(failed(), ProbeLog.read(state, "mlb").get("isp2"));

    // Back after two successful rounds: the full split again, nothing deleted.
    w.round("isp2", ok());
    assertEquals(Set.of("isp2"), w.applied());
    w.round("isp2", ok());
    assertEquals(Set.of(), w.applied());
    assertEquals(all, balance(router));
    assertEquals("isp2 up: 2 successful rounds in a row (last 2026-12-04T10:00:00Z ok: 198.51.100.17: answered in"
        + " 0.1 ms); applied in 1 steps; new connections over isp1, isp2, isp3", log.get(2));
    assertEquals(Set.of(one, foreign, plain), Set.copyOf(router.snapshot().conntrack()));
  }

  @Test
  void aFlappingUplinkCausesNoTransitionAndOneThatStaysDownExactlyOne() {
    FakeRouter router = router();
    Watcher w = watcher(router, POLICY);
    w.begin();
    router.clearLog();
    for (int i = 0; i < 30; i++) {   // two failed, one answered: never three failed in a row
      w.round("isp3", i % 3 == 2 ? ok() : failed());
    }
    assertEquals(0, restores(router), "flapping: no apply");
    assertEquals(1, log.size(), String.join("\n", log));
    for (int i = 0; i < 30; i++) {
      w.round("isp3", failed());
    }
    assertEquals(1, restores(router), "one transition: " + router.log());
    assertEquals(2, log.size(), String.join("\n", log));
    assertEquals(Set.of("isp3"), w.applied());
    for (int i = 0; i < 30; i++) {   // one answer at a time: never two in a row
      w.round("isp3", i % 2 == 0 ? ok() : failed());
    }
    assertEquals(1, restores(router));
    assertEquals(Set.of("isp3"), w.applied());
  }

  @Test
  void aFailingApplyIsLoggedOnceKeepsTheLastStateAndIsRetriedAfterEachRound() {
    FakeRouter router = router();
    Watcher w = watcher(router, POLICY);
    w.begin();
    FakeRouter.Snapshot before = router.snapshot();
    router.failOn(FakeRouter.command("iptables-nft-restore"), FakeRouter.Failure.exit(4, "iptables-restore: line 3 failed"));
    for (int i = 0; i < 3; i++) {
      w.round("isp1", failed());
    }
    assertEquals(Set.of(), w.applied());
    assertEquals(before, router.snapshot(), "rolled back to the last good state");
    assertEquals(2, log.size(), String.join("\n", log));
    assertTrue(log.get(1).startsWith("isp1 down: 3 failed rounds in a row (last "), log.get(1));
    assertTrue(log.get(1).contains("; apply failed, keeping new connections over isp1, isp2, isp3, retrying after"
        + " each round: mlb apply failed at step 1 (IPv4 mlb's chains): iptables-nft-restore --noflush exited 4:"
        + " iptables-restore: line 3 failed; rolled back: mlb's rules, routes and sysctl values are as they were"
        + " before"), log.get(1));
    w.round("isp2", ok());
    w.round("isp3", ok());
    assertEquals(2, log.size(), "the same failure again is not logged again: " + log);
    router.clearFailures();
    w.round("isp2", ok());
    assertEquals(Set.of("isp1"), w.applied());
    assertEquals("applied in 2 steps (after 3 failed attempts); new connections over isp2, isp3", log.get(2));
    // The cause recorded is the transition's, not the retry's.
    assertEquals("mlb watch: 3 failed rounds",
        Deployment.on(router, state).record("mlb").orElseThrow().uplinks().get("isp1").cause());
  }

  @Test
  void everyUplinkDownFollowsTheMainTableByDefault() {
    FakeRouter router = router();
    Watcher w = watcher(router, POLICY);
    w.begin();
    for (String u : List.of("isp1", "isp2", "isp3")) {
      for (int i = 0; i < 3; i++) {
        w.round(u, failed());
      }
    }
    assertEquals(Set.of("isp1", "isp2", "isp3"), w.applied());
    assertTrue(log.get(3).endsWith("; every uplink down: new connections follow the main table"), log.get(3));
    // No uplink takes new connections: the balancing chain keeps only its first rule (return when marked).
    assertEquals(1, balance(router).size(), String.join("\n", balance(router)));
  }

  @Test
  void keepLastKeepsTheLastUplinkWhenEveryUplinkIsDown() {
    FakeRouter router = router();
    Watcher w = watcher(router, POLICY + "all-down: keep-last\n");
    w.begin();
    for (String u : List.of("isp1", "isp2")) {
      for (int i = 0; i < 3; i++) {
        w.round(u, failed());
      }
    }
    assertEquals(Set.of("isp1", "isp2"), w.applied());
    router.clearLog();
    for (int i = 0; i < 3; i++) {
      w.round("isp3", failed());
    }
    assertEquals(Set.of("isp1", "isp2"), w.applied());
    assertEquals(0, restores(router));
    assertTrue(log.get(3).startsWith("isp3 down: 3 failed rounds in a row"), log.get(3));
    assertTrue(log.get(3).endsWith("; every uplink down; all-down: keep-last, new connections over isp3"), log.get(3));
    // The first to come back takes over alone.
    w.round("isp1", ok());
    w.round("isp1", ok());
    assertEquals(Set.of("isp2", "isp3"), w.applied());
  }

  @Test
  void aRestartedWatcherStartsFromTheStateRecord() {
    FakeRouter router = router();
    Watcher w = watcher(router, POLICY);
    w.begin();
    for (int i = 0; i < 3; i++) {
      w.round("isp2", failed());
    }
    log.clear();
    Watcher again = watcher(router, POLICY);
    router.clearLog();
    again.begin();
    assertEquals(Set.of("isp2"), again.applied());
    assertEquals(0, restores(router), "already applied");
    assertTrue(log.get(0).contains("isp2 down (1 target"), log.get(0));
    assertTrue(log.get(0).endsWith("; already applied; new connections over isp1, isp3"), log.get(0));
  }

  @Test
  void anUplinkWithoutItsInterfaceStartsDown() {
    FakeRouter router = FakeRouter.builder()
        .addInterface("ppp0", "198.51.100.2/28")
        .addInterface("ppp2", "198.51.100.34/28")
        .addInterface("eth0", "192.0.2.1/24")
        .build();
    Watcher w = watcher(router, POLICY);
    w.begin();
    assertEquals(Set.of("isp2"), w.applied());
    assertTrue(log.get(0).contains("; no interface yet for isp2;"), log.get(0));
    assertTrue(log.get(0).endsWith("; new connections over isp1, isp3"), log.get(0));
    // Its rp_filter and routes are left out until it exists (nothing about ppp1 was written).
    assertTrue(router.log().stream().filter(c -> c.command().contains("-w") || c.command().contains("-batch"))
        .noneMatch(c -> String.join(" ", c.command()).contains("ppp1") || c.stdin().contains("ppp1")),
        router.log().toString());
    assertTrue(router.log().stream().anyMatch(c -> c.command().contains("-batch")), "routes were written");
  }

  @Test
  void refusesWhatCannotFailOver() {
    FakeRouter router = router();
    LiveException multipath = assertThrows(LiveException.class, () -> watcher(router, POLICY + "strategy: multipath\n"));
    assertEquals("policy mlb balances with multipath routes, which cannot leave a dead uplink out; use strategy nth"
        + " or random to fail over", multipath.getMessage());
    LiveException noTarget = assertThrows(LiveException.class, () -> watcher(router,
        POLICY.replace(", gateway: 198.51.100.33", "")));
    assertEquals("uplink isp3 has no gateway and no health targets: nothing to probe it with; give it health:"
        + " {targets: [ADDRESS or tcp:ADDRESS:PORT]}", noTarget.getMessage());
    Watcher w = watcher(router, POLICY);
    assertThrows(IllegalStateException.class, w::start);
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> w.round("isp9", ok()));
    assertEquals("no uplink named \"isp9\" in policy mlb", unknown.getMessage());
  }

  static String lines(List<String> l) {
    return l.stream().collect(Collectors.joining("\n"));
  }
}
