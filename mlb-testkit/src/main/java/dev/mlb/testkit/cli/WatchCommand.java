package dev.mlb.testkit.cli;

import dev.mlb.testkit.check.CompiledPolicy;
import dev.mlb.testkit.live.Deployment;
import dev.mlb.testkit.live.LiveException;
import dev.mlb.testkit.live.ToolRunner;
import dev.mlb.testkit.watch.ChangeHook;
import dev.mlb.testkit.watch.Prober;
import dev.mlb.testkit.watch.ToolProber;
import dev.mlb.testkit.watch.Watcher;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mlb watch}: applies a policy, probes each uplink through itself, and applies every change
 * of the set of down uplinks, until stopped ({@link Watcher} does the work).
 *
 * <pre>{@code
 * mlb watch --policy /etc/mlb/policy.yaml --on-change /etc/mlb/on-change
 * # watching mlb: isp1 up (1 target, every 10s, down within 54s), isp2 up (...); applied in 4 steps; new connections over isp1, isp2
 * # isp2 down: 5 failed rounds in a row (last ...: 198.51.100.17: no answer within 4s); applied in 2 steps; new connections over isp1
 * }</pre>
 *
 * <p>Each state change is one line on standard output (journal-friendly). SIGTERM or SIGINT stops
 * it: probing stops, a transition being applied finishes, the rules stay as they are, and the JVM
 * exits with 143 (128 + SIGTERM), which the shipped systemd unit counts as success. Exit 2: the
 * policy cannot be watched or applied at start (each reason on one line).
 */
@Command(name = "watch", mixinStandardHelpOptions = true,
    description = "Apply a policy, probe each uplink through itself, and fail over when one dies (until stopped).")
final class WatchCommand extends LiveCommand {

  /** How the command probes; tests give a scripted prober. */
  static Function<ToolRunner, Prober> probers = r -> new ToolProber(r, Clock.systemUTC());
  /** Stops the running watch commands (SIGTERM does, through a shutdown hook; tests call it). */
  static final java.util.Set<CountDownLatch> RUNNING = java.util.concurrent.ConcurrentHashMap.newKeySet();

  @Option(names = "--policy", paramLabel = "FILE", required = true, description = "The policy file (YAML).")
  Path policy;

  @Option(names = "--on-change", paramLabel = "CMD",
      description = "Run CMD UPLINK STATE (a shell command line) on each uplink state change; the environment has"
          + " MLB_UPLINK, MLB_STATE (up or down), MLB_INTERFACE and MLB_POLICY.")
  String onChange;

  @Option(names = "--on-change-limit", paramLabel = "DURATION", defaultValue = "30s",
      description = "Kill the on-change command after this long (default ${DEFAULT-VALUE}): 500ms, 30s, 2m.")
  String onChangeLimit;

  @Override
  String name() {
    return "watch";
  }

  @Override
  public Integer call() {
    Duration limit;
    try {
      limit = dev.mlb.testkit.policyfile.PolicyFile.parseDuration(onChangeLimit);
    } catch (IllegalArgumentException e) {
      main.stderr.println("mlb watch: --on-change-limit " + onChangeLimit + ": " + e.getMessage());
      return Main.INVALID;
    }
    Ready ready = ready(policy);
    if (ready.exitCode() != 0) {
      return ready.exitCode();
    }
    CompiledPolicy compiled = ready.policy().get();
    Optional<Deployment> d = ready.deployment();
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      stop.countDown();
      try {
        stopped.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "mlb-watch-stop");
    Watcher watcher;
    try {
      watcher = Watcher.of(d.get(), compiled.policy(), probers.apply(d.get().router()), this::log);
      if (onChange != null) {
        watcher.onChange(ChangeHook.of(List.of("sh", "-c", onChange + " \"$@\"", "mlb-on-change"), limit, this::log));
      }
      watcher.begin();
    } catch (RuntimeException e) {
      return failed(e);
    }
    RUNNING.add(stop);
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      watcher.start();
      stop.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      RUNNING.remove(stop);
      watcher.close();
      log("stopped; the rules stay as they are");
      stopped.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // shutting down: the hook is running
      }
    }
    return 0;
  }

  private void log(String line) {
    synchronized (main.stdout) {
      main.stdout.println(line);
      main.stdout.flush();
    }
  }

  /** Stops every watch command running in this JVM (tests; SIGTERM goes through the shutdown hook). */
  static void stopAll() {
    RUNNING.forEach(CountDownLatch::countDown);
  }

  @Override
  int failed(RuntimeException e) {
    if (e instanceof LiveException && !(e instanceof dev.mlb.testkit.live.StepFailedException)
        && !e.getMessage().startsWith("mlb ")) {
      main.stderr.println("mlb watch: " + e.getMessage());
      return Main.INVALID;
    }
    return super.failed(e);
  }
}
