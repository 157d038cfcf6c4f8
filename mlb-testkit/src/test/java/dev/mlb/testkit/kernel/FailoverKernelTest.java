package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.testkit.live.StateRecord;
import dev.mlb.testkit.watch.ToolProber;
import dev.mlb.testkit.watch.Watcher;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Failover in the kernel: {@code mlb watch}'s watcher probing real providers through each uplink,
 * a provider that stops forwarding, the transition applied to the router, and the recovery.
 *
 * <p>Determinism: the strategy is nth, so which uplink each new flow takes is fixed by the order of
 * the flows, and every transition rewrites the balancing chain, so its counters start again at 0
 * (the splits below are exact, not statistical). Times: probes every 1 s with a 1 s timeout over
 * veth links, whose round trip is well under a millisecond; a round fails only when its provider
 * drops it. The detection bound is mwan3's: interval × down + timeout.
 */
class FailoverKernelTest {
  static final String POLICY = """
      uplinks:
        - name: isp1
          interface: ppp0
          gateway: 198.51.100.1
          weight: 2
          # The gateway, a server that answers garbage and an address that never answers: one suffices.
          health: {targets: [198.51.100.1, "tcp:203.0.113.10:7001", 203.0.113.77]}
        - {name: isp2, interface: ppp1, gateway: 198.51.100.17}
        - {name: isp3, interface: ppp2, gateway: 198.51.100.33}
      lan:
        interfaces: [eth0]
        prefixes: [192.0.2.0/24]
      balance:
        - {protocol: tcp, ports: [443, 7000]}
      health: {interval: 1s, timeout: 1s, down: 2, up: 2}
      """;

  @Test
  void watchDetectsADeadProviderMovesNewFlowsAndComesBack() {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    try (FailoverLab f = FailoverLab.start(POLICY)) {
      f.garbageServer();
      Watcher w = Watcher.of(f.deployment, f.policy, new ToolProber(f.router, Clock.systemUTC()), log::add);
      try {
        w.begin();
        w.start();
        // The long-lived connection is the first new flow: nth gives it to isp1.
        FailoverLab.Echo echo = f.echo(45000);
        echo.exchange();
        FailoverLab.Entry longLived = f.conntrack().stream().filter(e -> e.tuple().contains(":45000 ")).findFirst()
            .orElseThrow();
        assertTrue(f.marked(longLived, "isp1"), "the long-lived connection is on isp1: " + longLived);
        // The rest of the first nth cycle of 4 (2:1:1).
        assertEquals(Map.of("isp1", 1, "isp2", 1, "isp3", 1), f.split(3));
        Set<FailoverLab.Entry> before = f.conntrack();
        assertTrue(before.stream().anyMatch(e -> f.marked(e, "isp2")), "a connection of isp2 to delete: " + before);

        f.kill("isp2");
        Instant killed = Instant.now();
        while (!w.applied().contains("isp2")) {
          echo.exchange();   // the long-lived connection keeps talking through the transition
          if (Duration.between(killed, Instant.now()).toSeconds() > 30) {
            throw new AssertionError("isp2 not down within 30 s: " + log);
          }
          sleep(200);
        }
        StateRecord r = f.deployment.record("mlb").orElseThrow();   // since: when the watcher counted the round
        Duration detected = Duration.between(killed, r.uplinks().get("isp2").since());
        Duration bound = f.policy.probing(f.uplink("isp2")).detectionBound();
        assertTrue(detected.compareTo(bound.plusSeconds(1)) <= 0, "detected after " + detected + ", bound " + bound
            + " + 1 s: " + log);
        System.out.println("FailoverKernelTest: isp2 down after " + detected.toMillis() + " ms (bound " + bound.toMillis()
            + " ms + 1 s)");
        echo.exchange();

        // isp2's connections are gone from conntrack, and only they are.
        Set<FailoverLab.Entry> after = f.conntrack();
        assertTrue(after.stream().noneMatch(e -> f.marked(e, "isp2")), after.toString());
        for (FailoverLab.Entry e : before) {
          if (!f.marked(e, "isp2")) {
            assertTrue(after.contains(e), "kept " + e + ": " + after);
          }
        }
        assertTrue(after.contains(longLived), "the long-lived connection keeps its mark");
        // New flows: 2:1 over isp1 and isp3, none failed.
        assertEquals(Map.of("isp1", 4, "isp3", 2), f.split(6));
        echo.exchange();

        f.revive("isp2");
        FailoverLab.await(() -> w.applied().isEmpty(), Duration.ofSeconds(30), "isp2 up again: " + log);
        assertEquals(Map.of("isp1", 4, "isp2", 2, "isp3", 2), f.split(8));
        echo.exchange();
        assertTrue(f.conntrack().contains(longLived), "the long-lived connection survived both transitions");
        assertTrue(echo.exchanged() >= 5, "exchanged " + echo.exchanged());
      } finally {
        w.close();
      }
      // One line at the start, one per transition of isp2; isp1 (garbage and silent targets beside
      // its gateway) and isp3 never changed.
      assertEquals(3, log.size(), String.join("\n", log));
      assertTrue(log.get(1).startsWith("isp2 down: 2 failed rounds in a row (last "), log.get(1));
      assertTrue(log.get(1).endsWith("new connections over isp1, isp3"), log.get(1));
      assertTrue(log.get(2).startsWith("isp2 up: 2 successful rounds in a row (last "), log.get(2));
      assertFalse(String.join("\n", log).contains("isp1 down"), String.join("\n", log));
      log.forEach(l -> System.out.println("FailoverKernelTest: " + l));
    }
  }

  static final String TIERS = """
      uplinks:
        - {name: isp1, interface: ppp0, gateway: 198.51.100.1}
        - {name: isp2, interface: ppp1, gateway: 198.51.100.17}
        - {name: isp3, interface: ppp2, gateway: 198.51.100.33, tier: 2}
      lan:
        interfaces: [eth0]
        prefixes: [192.0.2.0/24]
      balance:
        - {protocol: tcp, ports: [443]}
      health: {interval: 1s, timeout: 1s, down: 2, up: 2}
      """;

  @Test
  void theBackupTierCarriesNewFlowsOnlyWhileEveryPrimaryIsDown() {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    try (FailoverLab f = FailoverLab.start(TIERS)) {
      Watcher w = Watcher.of(f.deployment, f.policy, new ToolProber(f.router, Clock.systemUTC()), log::add);
      try {
        w.begin();
        w.start();
        assertEquals(Map.of("isp1", 2, "isp2", 2), f.split(4));
        f.kill("isp1");
        FailoverLab.await(() -> w.applied().equals(Set.of("isp1")), Duration.ofSeconds(30), "isp1 down: " + log);
        assertEquals(Map.of("isp2", 3), f.split(3), "one primary left: the backup takes nothing");
        f.kill("isp2");
        FailoverLab.await(() -> w.applied().equals(Set.of("isp1", "isp2")), Duration.ofSeconds(30), "both down: " + log);
        assertEquals(Map.of("isp3", 3), f.split(3), "every primary down: the backup takes everything");
        f.revive("isp1");
        FailoverLab.await(() -> w.applied().equals(Set.of("isp2")), Duration.ofSeconds(30), "isp1 back: " + log);
        assertEquals(Map.of("isp1", 3), f.split(3), "a primary is back: the backup takes nothing again");
        f.revive("isp2");
        FailoverLab.await(() -> w.applied().isEmpty(), Duration.ofSeconds(30), "isp2 back: " + log);
        assertEquals(Map.of("isp1", 2, "isp2", 2), f.split(4));
      } finally {
        w.close();
      }
      assertEquals(5, log.size(), String.join("\n", log));
      assertTrue(log.get(2).endsWith("; new connections over isp3"), log.get(2));
      assertFalse(String.join("\n", log).contains("isp3 down"), String.join("\n", log));
    }
  }

  static final String TWO = """
      uplinks:
        - {name: isp1, interface: ppp0, gateway: 198.51.100.1}
        - {name: isp2, interface: ppp1, gateway: 198.51.100.17}
      lan:
        interfaces: [eth0]
        prefixes: [192.0.2.0/24]
      balance:
        - {protocol: tcp, ports: [443]}
      health: {interval: 1s, timeout: 1s, down: 2, up: 2}
      """;

  /** A PPP-like uplink whose interface disappears and comes back: a failed probe, then a clean apply. */
  @Test
  void anInterfaceThatDisappearsIsDownAndComesBackUp() {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    try (FailoverLab f = FailoverLab.start(TWO)) {
      Watcher w = Watcher.of(f.deployment, f.policy, new ToolProber(f.router, Clock.systemUTC()), log::add);
      try {
        w.begin();
        w.start();
        assertEquals(Map.of("isp1", 1, "isp2", 1), f.split(2));
        f.lab.router().run("ip", "link", "del", "ppp1").check();
        FailoverLab.await(() -> w.applied().equals(Set.of("isp2")), Duration.ofSeconds(30), "isp2 down: " + log);
        assertTrue(log.get(1).contains("No such device"), log.get(1));
        assertTrue(log.get(1).endsWith("; new connections over isp1"), log.get(1));
        assertTrue(f.deployment.status(f.compiled).inSync(), f.deployment.status(f.compiled).table());
        assertEquals(Map.of("isp1", 2), f.split(2));

        // The link comes back (as a PPP client would bring it): same name, same addresses.
        Netns provider = f.lab.provider(f.uplink("isp2").iface());
        f.lab.router().run("ip", "link", "add", "ppp1", "type", "veth", "peer", "name", "r0", "netns", provider.name())
            .check();
        f.lab.router().run("ip", "addr", "add", "198.51.100.18/28", "dev", "ppp1").check();
        f.lab.router().run("ip", "link", "set", "ppp1", "up").check();
        provider.run("ip", "addr", "add", "198.51.100.17/28", "dev", "r0").check();
        provider.run("ip", "link", "set", "r0", "up").check();
        FailoverLab.await(() -> w.applied().isEmpty(), Duration.ofSeconds(30), "isp2 up: " + log);
        assertTrue(f.deployment.status(f.compiled).inSync(), f.deployment.status(f.compiled).table());
        assertEquals(Map.of("isp1", 1, "isp2", 1), f.split(2));
      } finally {
        w.close();
      }
      assertEquals(3, log.size(), String.join("\n", log));
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
