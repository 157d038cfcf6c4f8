package dev.mlb.testkit.kernel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The two ends of a long-lived child process the lab talks to line by line: reading its output on a
 * daemon thread, and ending it.
 *
 * <pre>{@code
 * LinePump.start(process.getInputStream(), lines::add, () -> lines.add(EOF), "peer-out-" + ns);
 * ...
 * LinePump.end(process, stdin);
 * }</pre>
 */
final class LinePump {
  private LinePump() {}

  /** Hands every line of {@code from} to {@code each}, then runs {@code atEnd} once the stream ends. */
  static void start(InputStream from, Consumer<String> each, Runnable atEnd, String threadName) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(from, StandardCharsets.UTF_8))) {
        for (String l; (l = r.readLine()) != null; ) {
          each.accept(l);
        }
      } catch (IOException ignored) {
        // The process ended; what was read so far was handed on.
      }
      atEnd.run();
    }, threadName);
    t.setDaemon(true);
    t.start();
  }

  /** Closes the process's input so it can end by itself; kills it if it has not within 500 ms. */
  static void end(Process process, Writer stdin) {
    try {
      stdin.close();
    } catch (IOException ignored) {
      // Killed below if need be.
    }
    try {
      if (!process.waitFor(500, TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
