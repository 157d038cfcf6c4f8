package dev.mlb.testkit.kernel;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A shell kept open inside a namespace, for the many small commands the lab runs per flow
 * ({@code conntrack -L}, {@code nft list set}, {@code ip route get}, adding a client address):
 * {@code ip netns exec} costs 30 ms or more per command, a command in an open shell a few.
 *
 * <pre>{@code
 * NsShell sh = NsShell.start(router);
 * Netns.Result r = sh.run(List.of("conntrack", "-L", "-p", "tcp"), Duration.ofSeconds(5));
 * }</pre>
 *
 * <p>Every word is single-quoted, so no argument can change the command. Standard error is folded
 * into the output; the exit code is kept. The namespace's {@link Netns#close()} kills the shell.
 */
final class NsShell implements AutoCloseable {
  private static final String EOF = "\u0000eof";
  private final Netns ns;
  private final Process process;
  private final Writer in;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final String marker = "__mlb_end_" + UUID.randomUUID().toString().replace("-", "") + "__";

  private NsShell(Netns ns, Process process) {
    this.ns = ns;
    this.process = process;
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    LinePump.start(process.getInputStream(), lines::add, () -> lines.add(EOF), "nsshell-" + ns.name());
  }

  static NsShell start(Netns ns) {
    return new NsShell(ns, ns.start(List.of("sh")));
  }

  /** Runs one command; its output (stdout and stderr together) and exit code. */
  Netns.Result run(List<String> command, Duration limit) {
    StringBuilder line = new StringBuilder();
    for (String w : command) {
      line.append('\'').append(w.replace("'", "'\\''")).append("' ");
    }
    line.append("</dev/null 2>&1; echo \"").append(marker).append(" $?\"\n");
    try {
      in.write(line.toString());
      in.flush();
    } catch (IOException e) {
      throw new IllegalStateException("the shell in " + ns + " is gone: " + e.getMessage(), e);
    }
    long deadline = System.nanoTime() + limit.toNanos();
    StringBuilder out = new StringBuilder();
    while (true) {
      String l;
      try {
        l = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted running " + command + " in " + ns, e);
      }
      if (l == null) {
        process.destroyForcibly();
        throw new IllegalStateException(command + " in " + ns + " did not finish within " + limit);
      }
      if (l.equals(EOF)) {
        lines.add(EOF);
        throw new IllegalStateException("the shell in " + ns + " ended while running " + command);
      }
      if (l.startsWith(marker + " ")) {
        int code = Integer.parseInt(l.substring(marker.length() + 1).strip());
        return new Netns.Result(com.google.common.collect.ImmutableList.copyOf(command), code, out.toString(), "");
      }
      out.append(l).append('\n');
    }
  }

  @Override
  public void close() {
    LinePump.end(process, in);
  }
}
