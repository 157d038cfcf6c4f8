package dev.mlb.testkit.kernel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Reads a process's output line by line on a daemon thread.
 *
 * <pre>{@code
 * LinePump.start(process.getInputStream(), lines::add, () -> lines.add(EOF), "peer-out-" + ns);
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
}
