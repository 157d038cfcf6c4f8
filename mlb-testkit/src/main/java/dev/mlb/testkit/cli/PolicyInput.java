package dev.mlb.testkit.cli;

import dev.mlb.api.ParseException;
import dev.mlb.testkit.check.CompiledPolicy;
import dev.mlb.testkit.policyfile.PolicyFile;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reads and compiles the {@code --policy FILE} of a command, printing what is wrong with it (file,
 * line, column, field, value, the line with a {@code [*]} marker) the way every command does.
 */
final class PolicyInput {
  private PolicyInput() {}

  /** The outcome: the compiled policy, or the exit code to return after the message was printed. */
  record Loaded(Optional<CompiledPolicy> policy, int exitCode) {}

  static Loaded load(String command, Path file, PrintStream stderr) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      stderr.println("mlb " + command + ": --policy " + file + ": no such file");
      return new Loaded(Optional.empty(), Main.INVALID);
    } catch (IOException e) {
      stderr.println("mlb " + command + ": --policy " + file + ": cannot read it: " + e);
      return new Loaded(Optional.empty(), 1);
    }
    try {
      String text = Input.decode(bytes);
      return new Loaded(Optional.of(CompiledPolicy.compile(PolicyFile.parse(file.toString(), text))), 0);
    } catch (ParseException e) {
      for (String line : PolicyFile.describeAll(e).split("\n")) {
        stderr.println(line.startsWith("  ") ? line : "mlb " + command + ": " + line);
      }
    } catch (IOException e) {
      stderr.println("mlb " + command + ": " + file + ": " + e.getMessage());
    } catch (IllegalArgumentException e) {
      stderr.println("mlb " + command + ": " + file + ": cannot compile the policy: " + e.getMessage());
    }
    return new Loaded(Optional.empty(), Main.INVALID);
  }
}
