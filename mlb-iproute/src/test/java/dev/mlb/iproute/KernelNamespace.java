package dev.mlb.iproute;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;

/**
 * A network namespace for this module's kernel tests, deleted again by {@link #close()}.
 *
 * <pre>{@code
 * KernelNamespace.requireKernel();
 * try (KernelNamespace ns = KernelNamespace.create("routes")) {
 *   ns.run("ip", "-4", "-batch", "-").stdin(batch).check();
 * }
 * }</pre>
 *
 * <p>mlb-iproute cannot use mlb-testkit's {@code Netns} (the testkit depends on this module), so
 * this is the small part of it these tests need: unique names ({@code mlb-PURPOSE-PID-N-RANDOM}),
 * every command through {@code ip netns exec} with a time limit, and the same gate: where root or
 * namespaces are missing, fail if {@code CI=true}, else skip.
 */
final class KernelNamespace implements AutoCloseable {
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final long TIMEOUT_SECONDS = 60;
  private static volatile Optional<String> unavailable;

  final String name;
  private boolean closed;

  private KernelNamespace(String name) {
    this.name = name;
  }

  /** Fails (CI=true) or skips the test unless this machine can run it: root, ip, sysctl, namespaces. */
  static void requireKernel() {
    Optional<String> why = unavailable;
    if (why == null) {
      why = probe();
      unavailable = why;
    }
    why.ifPresent(reason -> {
      String message = "kernel test needs root, ip, sysctl and network namespaces: " + reason;
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(message + " (CI=true, so this is a failure, not a skip)");
      }
      Assumptions.abort(message + " (skipped; set CI=true to make this a failure)");
    });
  }

  private static Optional<String> probe() {
    List<String> problems = new ArrayList<>();
    if (!"root".equals(System.getProperty("user.name"))) {
      problems.add("not running as root (user " + System.getProperty("user.name") + ")");
    }
    for (String tool : List.of("ip", "sysctl")) {
      if (!onPath(tool)) {
        problems.add(tool + " is not installed (apt-get install -y iproute2 procps)");
      }
    }
    if (problems.isEmpty()) {
      try (KernelNamespace ns = create("probe")) {
        ns.run("ip", "link", "add", "probe0", "type", "veth", "peer", "name", "probe1").check();
      } catch (RuntimeException e) {
        problems.add("cannot use a network namespace: " + e.getMessage());
      }
    }
    return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
  }

  private static boolean onPath(String tool) {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && new File(dir, tool).canExecute()) {
        return true;
      }
    }
    return false;
  }

  /** A fresh namespace with its loopback up. */
  static KernelNamespace create(String purpose) {
    String name = "mlb-" + purpose + "-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet() + "-"
        + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000));
    new Command(List.of("ip", "netns", "add", name)).check();
    KernelNamespace ns = new KernelNamespace(name);
    try {
      ns.run("ip", "link", "set", "lo", "up").check();
    } catch (RuntimeException e) {
      ns.close();
      throw e;
    }
    return ns;
  }

  /** A command to run inside the namespace. */
  Command run(String... argv) {
    return run(List.of(argv));
  }

  Command run(List<String> argv) {
    if (closed) {
      throw new IllegalStateException("namespace " + name + " is already deleted");
    }
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
    full.addAll(argv);
    return new Command(full);
  }

  /** Kills what still runs inside, then deletes the namespace. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (String pid : new Command(List.of("ip", "netns", "pids", name)).run().stdout().split("\\s+")) {
      if (pid.matches("\\d+")) {
        ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
    new Command(List.of("ip", "netns", "del", name)).check();
  }

  /** What a finished command printed and returned. */
  record Result(List<String> command, int exitCode, String stdout, String stderr) {
    Result check() {
      if (exitCode != 0) {
        throw new IllegalStateException(String.join(" ", command) + " exited " + exitCode + ": " + stderr.strip());
      }
      return this;
    }
  }

  /** A command with optional standard input. */
  static final class Command {
    private final List<String> argv;
    private byte[] stdin = new byte[0];

    Command(List<String> argv) {
      this.argv = List.copyOf(argv);
    }

    Command stdin(String text) {
      stdin = text.getBytes(StandardCharsets.UTF_8);
      return this;
    }

    Result check() {
      return run().check();
    }

    Result run() {
      Process p;
      try {
        p = new ProcessBuilder(argv).start();
      } catch (IOException e) {
        throw new IllegalStateException("cannot run " + argv + ": " + e.getMessage(), e);
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      Thread o = pump(p.getInputStream(), out);
      Thread e = pump(p.getErrorStream(), err);
      try (OutputStream in = p.getOutputStream()) {
        in.write(stdin);
      } catch (IOException ignored) {
        // The command may exit without reading its input; its exit code tells.
      }
      try {
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor();
          throw new IllegalStateException(String.join(" ", argv) + " did not finish within " + TIMEOUT_SECONDS + " s");
        }
        o.join();
        e.join();
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
        throw new IllegalStateException("interrupted while running " + argv, ie);
      }
      return new Result(argv, p.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Thread pump(InputStream from, ByteArrayOutputStream to) {
      Thread t = new Thread(() -> {
        try (from) {
          from.transferTo(to);
        } catch (IOException ignored) {
          // The process ended; what was read so far is kept.
        }
      });
      t.setDaemon(true);
      t.start();
      return t;
    }
  }
}
