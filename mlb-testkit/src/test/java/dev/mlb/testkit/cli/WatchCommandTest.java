package dev.mlb.testkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.testkit.kernel.FailoverLab;
import dev.mlb.testkit.live.Deployment;
import dev.mlb.testkit.live.FakeRouter;
import dev.mlb.testkit.live.ProbeLog;
import dev.mlb.testkit.live.ToolRunner;
import dev.mlb.testkit.watch.Prober;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mlb watch} and {@code mlb apply --down} on the fake router, with scripted probes. */
class WatchCommandTest {
  static final String POLICY = FailoverLab.policy(List.of("", ""),
      "health: {interval: 100ms, timeout: 50ms, down: 2, up: 2}\n");
  private final Function<Optional<String>, ToolRunner> routers = LiveCommand.routers;
  private final BooleanSupplier root = LiveCommand.root;
  private final Function<ToolRunner, Prober> probers = WatchCommand.probers;
  private final FakeRouter router = FakeRouter.builder()
      .addInterface("ppp0", "198.51.100.2/28")
      .addInterface("ppp1", "198.51.100.18/28")
      .addInterface("eth0", "192.0.2.1/24")
      .build();

  @AfterEach
  void restore() {
    LiveCommand.routers = routers;
    LiveCommand.root = root;
    WatchCommand.probers = probers;
  }

  private Path policy(Path dir, String text) throws IOException {
    LiveCommand.routers = ns -> router;
    Path p = dir.resolve("p.yaml");
    Files.writeString(p, text);
    return p;
  }

  @Test
  void watchAppliesFailsOverRunsTheHookAndStopsLeavingTheRules(@TempDir Path tmp) throws Exception {
    Path p = policy(tmp, POLICY);
    Path changes = tmp.resolve("changes");
    // isp2's probes never answer; isp1's always do.
    WatchCommand.probers = r -> (policy, u) -> new ProbeLog.Round(Instant.now(), u.name().equals("isp1"),
        u.name().equals("isp1") ? "198.51.100.1: answered" : "198.51.100.17: no answer within 0.05s");
    AtomicReference<MlbRun> run = new AtomicReference<>();
    Thread t = new Thread(() -> run.set(MlbRun.of("watch", "--policy", p.toString(), "--state-dir", tmp.toString(),
        "--on-change", "echo \"$MLB_INTERFACE\" >> " + changes)));
    t.start();
    // Waits for the transition, which takes 2 rounds of 100 ms, to end: its last step deletes isp2's
    // connections (the state record is written before the first step). The 60 s limit only ends a broken run.
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (router.log().stream().noneMatch(c -> c.command().get(0).equals("conntrack"))
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    FakeRouter.Snapshot failedOver = router.snapshot();
    WatchCommand.stopAll();
    t.join(60_000);
    MlbRun r = run.get();
    assertEquals(0, r.code(), r.err());
    List<String> out = r.out().lines().toList();
    assertEquals("watching mlb: isp1 up (1 target, every 0.1s, down within 0.25s), isp2 up (1 target, every 0.1s,"
        + " down within 0.25s); applied in 4 steps; new connections over isp1, isp2", out.get(0));
    assertTrue(out.get(1).matches("isp2 down: 2 failed rounds in a row \\(last \\S+ failed: 198.51.100.17: no answer"
        + " within 0.05s\\); applied in 2 steps; new connections over isp1"), out.get(1));
    assertEquals("stopped; the rules stay as they are", out.get(out.size() - 1));
    assertEquals(3, out.size(), r.out());
    assertEquals(failedOver.iptables(), router.snapshot().iptables(), "stopping changes no rule");
    // status: each uplink's state, since when, why, and its last probe round.
    MlbRun status = MlbRun.of("status", "--name", "mlb", "--state-dir", tmp.toString());
    assertEquals(0, status.code(), status.out() + status.err());
    List<String> rows = status.out().lines().toList();
    assertEquals("uplink  state  since                 cause                       last probe", rows.get(2));
    assertTrue(rows.get(3).matches("isp1    up     \\S{20}  mlb watch started           \\S{20} ok: 198.51.100.1:"
        + " answered"), rows.get(3));
    assertTrue(rows.get(4).matches("isp2    down   \\S{20}  mlb watch: 2 failed rounds  \\S{20} failed:"
        + " 198.51.100.17: no answer within 0.05s"), rows.get(4));
    // The hook ran once, with the interface in its environment and the uplink and state as arguments.
    assertEquals(List.of("ppp1 isp2 down"), Files.readAllLines(changes));
  }

  @Test
  void applyDownAndBack(@TempDir Path tmp) throws IOException {
    Path p = policy(tmp, POLICY);
    String[] where = {"--state-dir", tmp.toString()};
    MlbRun down = MlbRun.of("apply", "--policy", p.toString(), "--down", "isp2", where[0], where[1]);
    assertEquals(0, down.code(), down.err());
    assertEquals("mlb apply: applied " + p + " in 5 steps (iptables-nft); down: isp2\n", down.out());
    // sysctl, routes, chains, jumps, and the conntrack deletion by isp2's mark: the last step.
    assertEquals(List.of("conntrack", "-D", "-f", "ipv4", "--mark", "0x2000000/0xf000000"),
        router.log().get(router.log().size() - 1).command());
    Deployment d = Deployment.on(router, tmp);
    assertEquals("mlb apply --down", d.record("mlb").orElseThrow().uplinks().get("isp2").cause());
    MlbRun up = MlbRun.of("apply", "--policy", p.toString(), where[0], where[1]);
    assertEquals("mlb apply: applied " + p + " in 1 steps (iptables-nft)\n", up.out());
    assertTrue(d.record("mlb").orElseThrow().down().isEmpty());

    MlbRun unknown = MlbRun.of("apply", "--policy", p.toString(), "--down", "isp2,isp9", where[0], where[1]);
    assertEquals(2, unknown.code());
    assertEquals("mlb apply: --down isp2,isp9: no uplink named \"isp9\"; the uplinks are isp1, isp2\n", unknown.err());
  }

  @Test
  void refusals(@TempDir Path tmp) throws IOException {
    Path p = policy(tmp, POLICY);
    MlbRun limit = MlbRun.of("watch", "--policy", p.toString(), "--state-dir", tmp.toString(), "--on-change-limit", "1.5s");
    assertEquals(2, limit.code());
    assertEquals("mlb watch: --on-change-limit 1.5s: expected a duration such as 1s or 500ms (a whole number and ms,"
        + " s, m or h)\n", limit.err());
    Path multipath = policy(tmp, POLICY + "strategy: multipath\n");
    MlbRun mp = MlbRun.of("watch", "--policy", multipath.toString(), "--state-dir", tmp.toString());
    assertEquals(2, mp.code());
    assertEquals("mlb watch: policy mlb balances with multipath routes, which cannot leave a dead uplink out; use"
        + " strategy nth or random to fail over\n", mp.err());
    assertEquals(List.of(), router.log(), "nothing read or changed");
  }
}
