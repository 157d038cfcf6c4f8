package dev.mlb.testkit.kernel;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace that mlb created for itself, removed again by {@link #close()}.
 *
 * <pre>{@code
 * try (Netns ns = Netns.create("restore")) {
 *   ns.run("iptables-restore").stdin(rules).check();
 *   String saved = ns.run("iptables-save").check().stdout();
 * }
 * }</pre>
 *
 * <p>Every command runs through {@code ip netns exec NAME}, so nothing ever touches the machine's own
 * namespace. Names are unique ({@code mlb-PURPOSE-PID-N-RANDOM}), every command has a time limit,
 * and {@link #close()} kills what still runs inside before deleting the namespace.
 *
 * <p><b>Multipath hash seed.</b> Which nexthop of a multipath route a flow takes depends on a hash
 * seed that the kernel draws at boot, shared by every namespace. Where the kernel lets a namespace
 * pin it ({@code net.ipv4.fib_multipath_hash_seed}, Linux 6.11 and later; it applies to IPv4 and
 * IPv6), {@link #create} pins {@link #multipathHashSeed()}, so a lab spreads the same flows the same
 * way on every boot of the same kernel. Tests still assert only what holds for any seed (see
 * {@code BinomialBound}); the pin makes a failure reproducible.
 */
public final class Netns implements AutoCloseable {
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  /**
   * The environment variable that chooses the multipath hash seed of every namespace: a number
   * from 1 to 4294967295, or {@code boot} for the kernel's own seed.
   */
  public static final String MULTIPATH_HASH_SEED_ENV = "MLB_MULTIPATH_HASH_SEED";

  /** The seed pinned when {@value #MULTIPATH_HASH_SEED_ENV} is unset: "mlb" in ASCII. */
  public static final long DEFAULT_MULTIPATH_HASH_SEED = 0x6d6c62;

  private static final Path HASH_SEED_SYSCTL = Path.of("/proc/sys/net/ipv4/fib_multipath_hash_seed");

  private final String name;
  private boolean closed;

  private Netns(String name) {
    this.name = name;
  }

  /**
   * Creates a fresh namespace with its loopback up.
   *
   * @param purpose a short word that goes into the name, for whoever lists namespaces meanwhile
   * @throws KernelUnavailableException if namespaces cannot be created here
   */
  public static Netns create(String purpose) {
    checkArgument(purpose.matches("[a-z0-9]{1,12}"), "purpose \"%s\" must be 1-12 of [a-z0-9]", purpose);
    String prefix = "mlb-" + purpose + "-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet() + "-";
    String name;
    Result added;
    int attempt = 0;
    do {
      // The random part keeps names apart from those a crashed run with the same pid left behind;
      // if it meets one anyway (1 in 65536 per leftover of the same pid and counter), draw again.
      name = prefix + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000));
      added = Command.of("ip", "netns", "add", name).run();
    } while (added.exitCode() != 0 && added.stderr().contains("File exists") && ++attempt < 8);
    if (added.exitCode() != 0) {
      throw new KernelUnavailableException(
          "cannot create network namespace " + name + ": " + added.stderr().strip());
    }
    Netns ns = new Netns(name);
    try {
      ns.run("ip", "link", "set", "lo", "up").check();
      OptionalLong seed = multipathHashSeed();
      if (seed.isPresent() && multipathHashSeedPinnable()) {
        ns.pinMultipathHashSeed(seed.getAsLong());
      }
    } catch (RuntimeException e) {
      ns.close();
      throw e;
    }
    return ns;
  }

  /**
   * The multipath hash seed that {@link #create} pins: {@value #MULTIPATH_HASH_SEED_ENV} if set,
   * else {@link #DEFAULT_MULTIPATH_HASH_SEED}; empty for {@code boot} (the kernel's own seed).
   *
   * @throws IllegalArgumentException if the variable holds anything else
   */
  public static OptionalLong multipathHashSeed() {
    return parseMultipathHashSeed(System.getenv(MULTIPATH_HASH_SEED_ENV));
  }

  static OptionalLong parseMultipathHashSeed(String value) {
    if (value == null || value.isEmpty()) {
      return OptionalLong.of(DEFAULT_MULTIPATH_HASH_SEED);
    }
    if (value.equals("boot")) {
      return OptionalLong.empty();
    }
    long seed = value.matches("[0-9]{1,10}") ? Long.parseLong(value) : -1;
    checkArgument(seed >= 1 && seed <= 0xffffffffL,
        "%s=%s: expected a number from 1 to 4294967295, or \"boot\" for the kernel's own seed",
        MULTIPATH_HASH_SEED_ENV, value);
    return OptionalLong.of(seed);
  }

  /** Whether this kernel lets a namespace pin its multipath hash seed (Linux 6.11 and later). */
  public static boolean multipathHashSeedPinnable() {
    return Files.exists(HASH_SEED_SYSCTL);
  }

  /**
   * Sets this namespace's {@code net.ipv4.fib_multipath_hash_seed}; 0 returns to the kernel's own
   * seed (drawn at boot).
   *
   * @throws IllegalStateException if the kernel has no such setting
   */
  public void pinMultipathHashSeed(long seed) {
    checkArgument(seed >= 0 && seed <= 0xffffffffL, "seed %s is not a 32-bit unsigned number", seed);
    if (!multipathHashSeedPinnable()) {
      throw new IllegalStateException("this kernel (" + System.getProperty("os.version")
          + ") has no net.ipv4.fib_multipath_hash_seed; Linux 6.11 and later have it");
    }
    run("sysctl", "-qw", "net.ipv4.fib_multipath_hash_seed=" + seed).check();
  }

  /** The namespace's name, as {@code ip netns list} shows it. */
  public String name() {
    return name;
  }

  /** A command to run inside this namespace. */
  public Command run(String... command) {
    checkArgument(command.length > 0, "no command");
    if (closed) {
      throw new IllegalStateException("namespace " + name + " is already deleted");
    }
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", name));
    argv.addAll(List.of(command));
    return new Command(ImmutableList.copyOf(argv));
  }

  /** A command to run inside this namespace, from a list. */
  public Command run(List<String> command) {
    return run(command.toArray(String[]::new));
  }

  /** Starts a long-running process inside the namespace; {@link #close()} kills it if still alive. */
  public Process start(List<String> command) {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", name));
    argv.addAll(command);
    try {
      return new ProcessBuilder(argv).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + argv, e);
    }
  }

  /** Kills every process inside, then deletes the namespace. Safe to call twice. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    Result pids = Command.of("ip", "netns", "pids", name).run();
    for (String pid : pids.stdout().split("\\s+")) {
      if (pid.matches("\\d+")) {
        ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
    Result deleted = Command.of("ip", "netns", "del", name).run();
    if (deleted.exitCode() != 0) {
      throw new IllegalStateException("cannot delete namespace " + name + ": " + deleted.stderr().strip());
    }
  }

  @Override
  public String toString() {
    return name;
  }

  /** What a finished command printed and returned. */
  public record Result(ImmutableList<String> command, int exitCode, String stdout, String stderr) {
    /** This result, or an exception with the command, its exit code and its stderr. */
    public Result check() {
      if (exitCode != 0) {
        throw new IllegalStateException(
            String.join(" ", command) + " exited " + exitCode + ": " + stderr.strip());
      }
      return this;
    }
  }

  /** A command with optional standard input and a time limit. */
  public static final class Command {
    private final ImmutableList<String> argv;
    private byte[] stdin = new byte[0];
    private Duration timeout = DEFAULT_TIMEOUT;

    Command(ImmutableList<String> argv) {
      this.argv = argv;
    }

    /** A command in the current namespace (only for {@code ip netns} bookkeeping). */
    static Command of(String... argv) {
      return new Command(ImmutableList.copyOf(argv));
    }

    public Command stdin(String text) {
      this.stdin = text.getBytes(StandardCharsets.UTF_8);
      return this;
    }

    public Command timeout(Duration limit) {
      this.timeout = limit;
      return this;
    }

    /** Runs the command to its end (or its time limit) and returns what it printed. */
    public Result run() {
      Process p;
      try {
        p = new ProcessBuilder(argv).start();
      } catch (IOException e) {
        throw new KernelUnavailableException("cannot run " + argv.get(0) + ": " + e.getMessage());
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
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
          p.waitFor();
          throw new IllegalStateException(String.join(" ", argv) + " did not finish within " + timeout);
        }
        o.join();
        e.join();
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
        throw new IllegalStateException("interrupted while running " + argv, ie);
      }
      return new Result(
          argv,
          p.exitValue(),
          out.toString(StandardCharsets.UTF_8),
          err.toString(StandardCharsets.UTF_8));
    }

    /** Runs the command and fails unless it exits 0. */
    public Result check() {
      return run().check();
    }

    private static Thread pump(InputStream from, ByteArrayOutputStream to) {
      Thread t =
          new Thread(
              () -> {
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
