package dev.mlb.testkit.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * One in-process run of the {@code mlb} command line: its exit code and what it printed.
 *
 * <pre>{@code
 * MlbRun r = MlbRun.of("fmt", "rules.v4");
 * assertEquals(0, r.code(), r.err());
 * }</pre>
 */
record MlbRun(int code, String out, String err) {

  /** Runs {@code mlb ARGS} with an empty standard input. */
  static MlbRun of(String... args) {
    return withInput("", args);
  }

  /** Runs {@code mlb ARGS} with {@code stdin} as its standard input. */
  static MlbRun withInput(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new MlbRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
