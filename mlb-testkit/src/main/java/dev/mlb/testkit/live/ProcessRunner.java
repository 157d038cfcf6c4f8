package dev.mlb.testkit.live;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The real tools, run as processes: on this machine, or inside a network namespace with
 * {@code ip netns exec NS}.
 *
 * <pre>{@code
 * ToolRunner here = ProcessRunner.local();
 * ToolRunner edge = ProcessRunner.inNamespace("edge");   // ip netns exec edge iptables-save ...
 * }</pre>
 *
 * <p>Only the programs mlb's live code needs may run: {@code iptables}, {@code ip6tables} and their
 * {@code -save}/{@code -restore}, {@code -legacy} and {@code -nft} forms, {@code ip}, {@code sysctl},
 * {@code conntrack}, {@code wg}, {@code nft} (only to delete an iptables-nft table that mlb
 * created and left empty), and {@code ping} and {@code socat} (health probes of {@code mlb watch}). A program that is not installed gives a
 * {@link ToolRunner.ToolMissingException} that names its package. Every command has a time limit.
 */
public final class ProcessRunner implements ToolRunner {
  private static final Pattern ALLOWED = Pattern.compile(
      "ip6?tables(-legacy|-nft)?(-save|-restore)?|ip|sysctl|conntrack|wg|nft|ping|socat");
  private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  /** The Debian package of each program. */
  private static final Map<String, String> PACKAGES = ImmutableMap.of(
      "ip", "iproute2", "sysctl", "procps", "conntrack", "conntrack", "wg", "wireguard-tools", "nft", "nftables",
      "ping", "iputils-ping", "socat", "socat");

  private final Optional<String> namespace;
  private final Duration timeout;

  private ProcessRunner(Optional<String> namespace, Duration timeout) {
    this.namespace = namespace;
    this.timeout = timeout;
  }

  /** The tools of this machine's own network namespace. */
  public static ProcessRunner local() {
    return new ProcessRunner(Optional.empty(), Duration.ofSeconds(60));
  }

  /**
   * The tools inside the named network namespace ({@code ip netns exec NAME}).
   *
   * @throws IllegalArgumentException if the name is not one {@code ip netns} accepts
   */
  public static ProcessRunner inNamespace(String name) {
    checkArgument(NAMESPACE.matcher(name).matches() && !name.equals(".") && !name.equals(".."),
        "network namespace name \"%s\": expected 1 to 64 of A-Z a-z 0-9 _ . -", name);
    return new ProcessRunner(Optional.of(name), Duration.ofSeconds(60));
  }

  /** Whether this process runs as root (uid 0), as changing a router's rules needs. */
  public static boolean isRoot() {
    try {
      return java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status")).stream()
          .anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
    } catch (IOException e) {
      return false;
    }
  }

  /** The namespace the tools run in; empty for the machine's own. */
  public Optional<String> namespace() {
    return namespace;
  }

  /** The Debian package that provides {@code program}. */
  static String packageOf(String program) {
    return program.startsWith("ip6tables") || program.startsWith("iptables") ? "iptables"
        : PACKAGES.getOrDefault(program, program);
  }

  @Override
  public Result run(List<String> command, String stdin) {
    checkArgument(!command.isEmpty(), "no command");
    String program = command.get(0);
    checkArgument(ALLOWED.matcher(program).matches(), "mlb does not run %s on a router", program);
    List<String> argv = new ArrayList<>();
    namespace.ifPresent(ns -> argv.addAll(List.of("ip", "netns", "exec", ns)));
    argv.addAll(command);
    Process p;
    try {
      p = new ProcessBuilder(argv).start();
    } catch (IOException e) {
      throw missing(namespace.isPresent() ? "ip" : program, e);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread o = pump(p.getInputStream(), out);
    Thread e = pump(p.getErrorStream(), err);
    try (OutputStream in = p.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    } catch (IOException ignored) {
      // The program may exit without reading its input; its exit code tells.
    }
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor();
        throw new UncheckedIOException(new IOException(String.join(" ", argv) + " did not finish within " + timeout));
      }
      o.join();
      e.join();
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IllegalStateException("interrupted while running " + String.join(" ", argv), ie);
    }
    String stderr = err.toString(StandardCharsets.UTF_8);
    if (namespace.isPresent() && p.exitValue() != 0 && stderr.contains("exec of \"" + program + "\" failed")) {
      throw missing(program, null);
    }
    return new Result(ImmutableList.copyOf(command), p.exitValue(), out.toString(StandardCharsets.UTF_8), stderr);
  }

  private static ToolMissingException missing(String program, IOException cause) {
    return new ToolMissingException(program + " is not installed (" + (cause == null ? "not found" : cause.getMessage())
        + "); install the " + packageOf(program) + " package");
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

  @Override
  public String toString() {
    return namespace.map(n -> "the tools in network namespace " + n).orElse("this machine's tools");
  }
}
