package dev.mlb.testkit.watch;

import com.google.common.collect.ImmutableSet;
import dev.mlb.api.policy.AllDown;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Probing;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.Uplink;
import dev.mlb.testkit.check.CompiledPolicy;
import dev.mlb.testkit.live.Deployment;
import dev.mlb.testkit.live.LiveChange;
import dev.mlb.testkit.live.LiveException;
import dev.mlb.testkit.live.Ownership;
import dev.mlb.testkit.live.ProbeLog;
import dev.mlb.testkit.live.StateRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What {@code mlb watch} runs: probes every uplink of a policy through itself, decides with
 * hysteresis when one is down or up again ({@link UplinkHealth}), and applies each change of the
 * down set through the apply engine ({@link Deployment}): only the balancing chain changes, and
 * the connections of an uplink that went down are deleted from conntrack by mark and mask.
 *
 * <pre>{@code
 * Deployment d = Deployment.on(ProcessRunner.inNamespace("edge"), Path.of("/var/lib/mlb"));
 * try (Watcher w = Watcher.of(d, policy, new ToolProber(d.router(), Clock.systemUTC()), System.out::println)) {
 *   w.begin();   // applies the policy (the uplinks the state record has down stay down)
 *   w.start();   // a probe round per uplink every interval, on threads of their own
 *   ...          // "isp2 down: 3 failed rounds in a row (...); new connections over isp1, isp3"
 * }              // stops probing; the rules stay as they are
 * }</pre>
 *
 * <p><b>One log line per state change</b>, and one per failed apply: a transition that cannot be
 * applied (a conflict, a failing step, which is rolled back) keeps the last applied state and is
 * retried after every following round; the same failure again is not logged again, and the line
 * after the retry that succeeds says how many attempts failed. A round never fails: a target that
 * answers garbage, never answers or whose interface is gone is a failed round ({@link Prober}).
 *
 * <p><b>Where it starts.</b> Each uplink starts in the state the state record gives it (a
 * restarted watcher does not send new connections to an uplink it found dead before), or up; an
 * uplink whose interface does not exist yet starts down and comes up after its successful rounds.
 * Under {@code all-down: keep-last} the uplinks that carried connections last stay in the balance
 * when every uplink is down; under {@code main} (the default) new connections follow the main
 * table.
 *
 * <p>Refused: a policy balancing with multipath routes (they cannot leave out an uplink), and an
 * uplink with nothing to probe (no gateway and no {@code health: targets}).
 */
public final class Watcher implements AutoCloseable {
  private final Deployment deployment;
  private final BalancingPolicy policy;
  private final Prober prober;
  private final Consumer<String> log;
  private final String name;
  private final Map<String, UplinkHealth> health = new LinkedHashMap<>();
  private final Map<String, ProbeLog.Round> rounds = new LinkedHashMap<>();
  private Optional<ChangeHook> hook = Optional.empty();
  private ImmutableSet<String> applied = ImmutableSet.of();
  private boolean begun;
  private String pendingCause = "mlb watch";
  private java.time.Instant decidedAt = java.time.Instant.EPOCH;
  private String lastFailure = "";
  private int failures;
  private String lastLogFailure = "";
  private ScheduledExecutorService schedule;
  private ExecutorService decider;

  private Watcher(Deployment deployment, BalancingPolicy policy, Prober prober, Consumer<String> log) {
    this.deployment = deployment;
    this.policy = policy.withDown(Set.of());
    this.prober = prober;
    this.log = log;
    this.name = Ownership.of(policy).name();
  }

  /**
   * A watcher of {@code policy} on {@code deployment}'s router, probing with {@code prober} and
   * logging each state change to {@code log} as one line.
   *
   * @throws LiveException for a policy that cannot fail over (see the class comment)
   */
  public static Watcher of(Deployment deployment, BalancingPolicy policy, Prober prober, Consumer<String> log) {
    if (policy.strategy() == Strategy.MULTIPATH) {
      throw new LiveException("policy " + Ownership.of(policy).name() + " balances with multipath routes, which cannot"
          + " leave a dead uplink out; use strategy nth or random to fail over");
    }
    for (Uplink u : policy.uplinks()) {
      if (policy.probing(u).targets().isEmpty()) {
        throw new LiveException("uplink " + u.name() + " has no gateway and no health targets: nothing to probe it"
            + " with; give it health: {targets: [ADDRESS or tcp:ADDRESS:PORT]}");
      }
    }
    return new Watcher(deployment, policy, prober, log);
  }

  /** This watcher, running {@code hook} on each uplink state change. */
  public synchronized Watcher onChange(ChangeHook hook) {
    this.hook = Optional.of(hook);
    return this;
  }

  /**
   * Applies the policy with the uplinks the state record has down (none without one), and takes
   * each uplink's state from it.
   *
   * @throws LiveException if it cannot be applied (nothing changed, or rolled back)
   */
  public synchronized LiveChange begin() {
    Optional<StateRecord> record = deployment.record(name);
    Set<String> absent = deployment.absentUplinks(policy);
    Set<String> down = new LinkedHashSet<>();
    for (Uplink u : policy.uplinks()) {
      Probing p = policy.probing(u);
      boolean wasDown = absent.contains(u.name())
          || record.map(r -> r.uplinks().get(u.name())).map(StateRecord.UplinkState::down).orElse(false);
      health.put(u.name(), wasDown ? UplinkHealth.down(p.down(), p.up()) : UplinkHealth.up(p.down(), p.up()));
      if (wasDown) {
        down.add(u.name());
      }
    }
    BalancingPolicy start = deployment.withDown(policy, down);
    LiveChange change = deployment.planApply(CompiledPolicy.compile(start), "mlb watch started");
    deployment.execute(change);
    applied = start.down();
    begun = true;
    List<String> states = new ArrayList<>();
    for (Uplink u : policy.uplinks()) {
      Probing p = policy.probing(u);
      states.add(u.name() + " " + (health.get(u.name()).isDown() ? "down" : "up") + " (" + p.targets().size()
          + (p.targets().size() == 1 ? " target" : " targets") + ", every " + ToolProber.seconds(p.interval())
          + "s, down within " + ToolProber.seconds(p.detectionBound()) + "s)");
    }
    log.accept("watching " + name + ": " + String.join(", ", states)
        + (absent.isEmpty() ? "" : "; no interface yet for " + String.join(", ", absent)) + (change.isEmpty() ? "; already applied"
        : "; applied in " + change.steps().size() + " steps") + "; " + balance(applied));
    return change;
  }

  /**
   * Counts {@code round} of {@code uplink}: records it for {@code mlb status}, updates the
   * uplink's state, and applies the down set when it changed (or retries one that failed).
   */
  public synchronized void round(String uplink, ProbeLog.Round round) {
    UplinkHealth h = health.get(uplink);
    if (h == null) {
      throw new IllegalArgumentException("no uplink named \"" + uplink + "\" in policy " + name);
    }
    rounds.put(uplink, round);
    try {
      ProbeLog.write(deployment.stateDir(), name, rounds);
    } catch (LiveException e) {
      logFailure("cannot keep the probe results: " + e.getMessage());
    }
    boolean changed = h.record(round.ok());
    String change = "";
    if (changed) {
      Probing p = policy.probing(policy.uplinks().stream().filter(u -> u.name().equals(uplink)).findFirst().get());
      int n = h.isDown() ? p.down() : p.up();
      change = uplink + (h.isDown() ? " down: " : " up: ") + n + (h.isDown() ? " failed" : " successful")
          + (n == 1 ? " round" : " rounds in a row") + " (last " + round + ")";
      decidedAt = java.time.Instant.now();
      pendingCause = "mlb watch: " + n + (h.isDown() ? " failed" : " successful") + (n == 1 ? " round" : " rounds");
    }
    Set<String> wanted = new LinkedHashSet<>();
    health.forEach((u, s) -> {
      if (s.isDown()) {
        wanted.add(u);
      }
    });
    if (begun) {
      String outcome = applyIfChanged(wanted);
      if (changed) {
        log.accept(change + "; " + outcome);
      } else if (!outcome.isEmpty()) {
        log.accept(outcome);
      }
    }
    if (changed) {
      String state = h.isDown() ? "down" : "up";
      String iface = policy.uplinks().stream().filter(u -> u.name().equals(uplink)).findFirst().get().iface().name();
      hook.ifPresent(k -> k.run(uplink, iface, state, name));
    }
  }

  /**
   * Applies {@code wanted} (resolved for {@code all-down}) when it differs from what is applied;
   * what happened, or "" when nothing needed saying.
   */
  private String applyIfChanged(Set<String> wanted) {
    BalancingPolicy next;
    try {
      next = deployment.withDown(policy, wanted);
    } catch (RuntimeException e) {
      return failed(e.getMessage());
    }
    if (next.down().equals(applied)) {
      boolean keptLast = wanted.size() == policy.uplinks().size() && policy.allDown() == AllDown.KEEP_LAST;
      return keptLast ? "every uplink down; all-down: keep-last, " + balance(applied) : "";
    }
    try {
      // An uplink's state changed when the round was counted, not when the change was applied.
      Deployment at = deployment.withClock(java.time.Clock.fixed(decidedAt, java.time.ZoneOffset.UTC));
      LiveChange c = at.execute(at.planApply(CompiledPolicy.compile(next), pendingCause));
      applied = next.down();
      String retried = failures == 0 ? "" : " (after " + failures + " failed attempt" + (failures == 1 ? "" : "s") + ")";
      failures = 0;
      lastFailure = "";
      return "applied in " + c.steps().size() + " steps" + retried + "; " + balance(applied);
    } catch (RuntimeException e) {
      return failed(e.getMessage());
    }
  }

  private String failed(String message) {
    failures++;
    String m = String.valueOf(message).strip().replace("\n", "; ");
    if (m.equals(lastFailure)) {
      return "";
    }
    lastFailure = m;
    return "apply failed, keeping " + balance(applied) + ", retrying after each round: " + m;
  }

  private void logFailure(String m) {
    if (!m.equals(lastLogFailure)) {
      lastLogFailure = m;
      log.accept(m);
    }
  }

  /** "new connections over isp1, isp3" for a down set. */
  private String balance(Set<String> down) {
    List<String> up = policy.withDown(down).activeUplinks().stream().map(Uplink::name).toList();
    return up.isEmpty() ? "every uplink down: new connections follow the main table"
        : "new connections over " + String.join(", ", up);
  }

  /** The uplinks down in the rules applied last. */
  public synchronized Set<String> applied() {
    return applied;
  }

  /** Each uplink's state as the probes say (which may not be applied yet, see the class comment). */
  public synchronized Map<String, UplinkHealth> health() {
    return Map.copyOf(health);
  }

  /**
   * Starts probing: a round of each uplink every interval, the first at once, each on a thread of
   * its own; rounds are counted one at a time, in the order they end.
   */
  public synchronized void start() {
    if (!begun) {
      throw new IllegalStateException("begin() first: the policy is not applied yet");
    }
    if (schedule != null) {
      return;
    }
    decider = Executors.newSingleThreadExecutor(r -> daemon(r, "mlb-watch"));
    schedule = Executors.newScheduledThreadPool(policy.uplinks().size(), r -> daemon(r, "mlb-watch-probe"));
    for (Uplink u : policy.uplinks()) {
      long every = policy.probing(u).interval().toNanos();
      schedule.scheduleAtFixedRate(() -> {
        try {
          ProbeLog.Round r = prober.probe(policy, u);
          decider.execute(() -> {
            try {
              round(u.name(), r);
            } catch (RuntimeException e) {
              logFailure("round of " + u.name() + " failed: " + e);
            }
          });
        } catch (RuntimeException e) {
          logFailure("probing " + u.name() + " failed: " + e);
        }
      }, 0, every, TimeUnit.NANOSECONDS);
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /**
   * Stops probing and waits for a transition being applied to finish; the rules stay as they are.
   */
  @Override
  public void close() {
    ScheduledExecutorService s;
    ExecutorService d;
    synchronized (this) {
      s = schedule;
      d = decider;
    }
    try {
      if (s != null) {
        s.shutdownNow();
        s.awaitTermination(30, TimeUnit.SECONDS);
      }
      if (d != null) {
        d.shutdown();
        d.awaitTermination(60, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    hook.ifPresent(ChangeHook::close);
  }
}
