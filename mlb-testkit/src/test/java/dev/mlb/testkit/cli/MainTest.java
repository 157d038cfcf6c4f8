package dev.mlb.testkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The top of the command line: usage, help and errors list every subcommand, although a run that
 * names one registers only that one.
 */
class MainTest {
  private static final List<String> COMMANDS = List.of("fmt", "simulate", "check", "trace", "lab", "compile", "demo",
      "bench", "apply", "remove", "status", "watch", "extension-suite", "help");

  /** The subcommand names in the "Commands:" section of {@code usage}, in order. */
  private static List<String> listed(String usage) {
    String commands = usage.substring(usage.indexOf("Commands:"));
    return commands.lines().skip(1).filter(l -> l.startsWith("  ") && !l.startsWith("   "))
        .map(l -> l.strip().split(" ")[0]).toList();
  }

  /** {@code mlb args} with a standard output that fails as a full disk does ({@code > /dev/full}): its exit code and standard error. */
  private static String[] withFullDisk(String... args) {
    java.io.OutputStream full = new java.io.OutputStream() {
      @Override
      public void write(int b) throws java.io.IOException {
        throw new java.io.IOException("No space left on device");
      }
    };
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int code = Main.run(args, java.io.InputStream.nullInputStream(),
        new java.io.PrintStream(full, true, java.nio.charset.StandardCharsets.UTF_8),
        new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    return new String[] {String.valueOf(code), err.toString(java.nio.charset.StandardCharsets.UTF_8)};
  }

  @Test
  void anyCommandWhoseOutputCannotBeWrittenFailsAndSaysSo() {
    // Without the check each of these exited 0, its output lost.
    assertEquals(List.of("2", "mlb: writing the output failed\n"), List.of(withFullDisk("--help")));
    assertEquals(List.of("2", "mlb help: writing the output failed\n"), List.of(withFullDisk("help", "fmt")));
    assertEquals(List.of("2", "mlb demo: writing the output failed\n"), List.of(withFullDisk("demo", "--lan-flows", "2", "--router-flows", "1")));
  }

  @Test
  void withoutArgumentsTheUsageListsEverySubcommand() {
    MlbRun r = MlbRun.of();
    assertEquals(0, r.code(), r.err());
    assertEquals(COMMANDS, listed(r.out()));
  }

  @Test
  void helpOptionListsEverySubcommand() {
    MlbRun r = MlbRun.of("--help");
    assertEquals(0, r.code(), r.err());
    assertEquals(COMMANDS, listed(r.out()));
  }

  @Test
  void helpCommandPrintsTheNamedSubcommandsUsage() {
    MlbRun r = MlbRun.of("help", "fmt");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("Usage: mlb fmt "), r.out());
  }

  @Test
  void aSubcommandRunAloneStillHasItsOwnHelp() {
    MlbRun r = MlbRun.of("extension-suite", "--help");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("Usage: mlb extension-suite "), r.out());
  }

  @Test
  void anUnknownSubcommandIsAUsageErrorThatSuggestsSubcommands() {
    // The suggestions come from every subcommand, as they did when all were always registered.
    MlbRun r = MlbRun.of("frobnicate");
    assertEquals(2, r.code());
    assertEquals("Unmatched argument at index 0: 'frobnicate'\n"
        + "Did you mean: mlb simulate or mlb extension-suite or mlb status?\n", r.err());
  }

  @Test
  void aSubcommandsOptionErrorNamesTheSubcommand() {
    MlbRun r = MlbRun.of("fmt", "--no-such-option", "x.v4");
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("Unknown option: '--no-such-option'"), r.err());
    assertTrue(r.err().contains("Usage: mlb fmt "), r.err());
  }
}
