package dev.mlb.testkit.watch;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The command {@code mlb watch --on-change CMD} runs on each uplink state change, like mwan3's
 * hotplug scripts: {@code CMD UPLINK STATE} with {@code MLB_UPLINK}, {@code MLB_STATE} ({@code up}
 * or {@code down}), {@code MLB_INTERFACE} and {@code MLB_POLICY} in its environment.
 *
 * <pre>{@code
 * ChangeHook hook = ChangeHook.of(List.of("/etc/mlb/on-change"), Duration.ofSeconds(30), log);
 * hook.run("isp2", "ppp1", "down", "mlb");   // runs "/etc/mlb/on-change isp2 down" in the background
 * }</pre>
 *
 * <p>Changes run one after another, in the order they happened, on a thread of their own, so a
 * slow command never delays probing or failover. A command that runs longer than its time limit
 * is killed; one that fails or is killed is reported in one log line, with the last line it
 * printed on its standard error. Its standard output is discarded.
 */
public final class ChangeHook implements AutoCloseable {
  private final ImmutableList<String> command;
  private final Duration limit;
  private final Consumer<String> log;
  private final ExecutorService queue = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "mlb-on-change");
    t.setDaemon(true);
    return t;
  });

  private ChangeHook(List<String> command, Duration limit, Consumer<String> log) {
    checkArgument(!command.isEmpty() && !command.get(0).isBlank(), "on-change command is empty");
    checkArgument(!limit.isNegative() && !limit.isZero(), "on-change time limit %s", limit);
    this.command = ImmutableList.copyOf(command);
    this.limit = limit;
    this.log = log;
  }

  /** Runs {@code command} on each change, killing it after {@code limit}; reports failures to {@code log}. */
  public static ChangeHook of(List<String> command, Duration limit, Consumer<String> log) {
    return new ChangeHook(command, limit, log);
  }

  /** Queues one run for {@code uplink} (on {@code iface}) of policy {@code policy} now being {@code state}. */
  public void run(String uplink, String iface, String state, String policy) {
    queue.execute(() -> runNow(uplink, iface, state, policy));
  }

  private void runNow(String uplink, String iface, String state, String policy) {
    List<String> cmd = new ArrayList<>(command);
    cmd.add(uplink);
    cmd.add(state);
    String line = String.join(" ", cmd);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Map<String, String> env = pb.environment();
    env.put("MLB_UPLINK", uplink);
    env.put("MLB_STATE", state);
    env.put("MLB_INTERFACE", iface);
    env.put("MLB_POLICY", policy);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      log.accept("on-change: cannot run " + line + ": " + e.getMessage());
      return;
    }
    try (InputStream err = p.getErrorStream()) {
      StringBuilder stderr = new StringBuilder();
      Thread pump = new Thread(() -> {
        try {
          stderr.append(new String(err.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
          // the process is gone; what it printed so far is what there is
        }
      }, "mlb-on-change-stderr");
      pump.setDaemon(true);
      pump.start();
      if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        log.accept("on-change: " + line + " ran longer than " + ToolProber.seconds(limit) + "s and was killed");
        return;
      }
      pump.join(1000);
      if (p.exitValue() != 0) {
        List<String> lines = stderr.toString().strip().lines().toList();
        log.accept("on-change: " + line + " exited " + p.exitValue()
            + (lines.isEmpty() ? "" : ": " + lines.get(lines.size() - 1)));
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      log.accept("on-change: " + line + ": " + e.getMessage());
    }
  }

  /** Waits for the queued runs to finish (each within its limit), then stops. */
  @Override
  public void close() {
    queue.shutdown();
    try {
      queue.awaitTermination(limit.toMillis() * 4 + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
