package dev.mlb.testkit.kernel;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One {@link Peer} in {@code batch} mode inside a namespace: a command goes in, one line comes out.
 *
 * <pre>{@code
 * PeerProcess p = PeerProcess.start(ns);
 * p.request("tcp-server 443", Duration.ofSeconds(5));   // "listening proto=tcp port=443"
 * }</pre>
 *
 * <p>The namespace's {@link Netns#close()} kills the process if {@link #close()} was not called.
 */
final class PeerProcess implements AutoCloseable {
  private static final String EOF = "\u0000eof";
  private final Netns ns;
  private final Process process;
  private final Writer in;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final StringBuffer stderr = new StringBuffer();

  private PeerProcess(Netns ns, Process process) {
    this.ns = ns;
    this.process = process;
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    LinePump.start(process.getInputStream(), lines::add, () -> lines.add(EOF), "peer-out-" + ns.name());
    LinePump.start(process.getErrorStream(), l -> {
      if (stderr.length() < 8192) {
        stderr.append(l).append('\n');
      }
    }, () -> { }, "peer-err-" + ns.name());
  }

  /** Starts {@code Peer batch} in {@code ns}; call {@link #awaitReady} before the first request. */
  static PeerProcess start(Netns ns) {
    List<String> argv = new ArrayList<>();
    argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    argv.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-Xss512k", "-Xmx64m",
        "-cp", classpath(), Peer.class.getName(), "batch"));
    return new PeerProcess(ns, ns.start(argv));
  }

  /** Where {@link Peer} was loaded from: a classes directory or a jar. */
  static String classpath() {
    try {
      return Path.of(Peer.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException | RuntimeException e) {
      return System.getProperty("java.class.path");
    }
  }

  void awaitReady(Duration limit) {
    String first = next(limit, "start");
    if (!first.equals("ready")) {
      throw new IllegalStateException("peer in " + ns + " printed \"" + first + "\" instead of ready; stderr: " + stderr);
    }
  }

  /** Sends one command line and returns the peer's one answer line. */
  String request(String command, Duration limit) {
    try {
      in.write(command + "\n");
      in.flush();
    } catch (IOException e) {
      throw new IllegalStateException("peer in " + ns + " does not accept input (" + e.getMessage()
          + "); stderr: " + stderr, e);
    }
    return next(limit, command);
  }

  private String next(Duration limit, String what) {
    String line;
    try {
      line = lines.poll(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for the peer in " + ns, e);
    }
    if (line == null) {
      process.destroyForcibly();
      throw new IllegalStateException("peer in " + ns + " gave no answer to \"" + what + "\" within " + limit
          + "; stderr: " + stderr);
    }
    if (line.equals(EOF)) {
      lines.add(EOF);
      throw new IllegalStateException("peer in " + ns + " ended while answering \"" + what + "\"; stderr: " + stderr);
    }
    return line;
  }

  @Override
  public void close() {
    LinePump.end(process, in);
  }
}
