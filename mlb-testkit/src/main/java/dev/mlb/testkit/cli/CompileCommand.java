package dev.mlb.testkit.cli;

import dev.mlb.api.Finding;
import dev.mlb.testkit.check.CompiledPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code mlb compile}: compiles a balancing policy file into the files the kernel's tools load.
 *
 * <pre>{@code
 * mlb compile --policy seed-policy.yaml --out /etc/mlb
 * # wrote /etc/mlb/rules.v4
 * # wrote /etc/mlb/routes.v4.batch
 * # wrote /etc/mlb/routes.undo.batch
 * # wrote /etc/mlb/sysctl.conf
 * }</pre>
 *
 * <p>Writes {@code rules.v4} ({@code rules.v6}), {@code routes.v4.batch} ({@code routes.v6.batch}),
 * {@code routes.undo.batch} (and {@code routes.v6.undo.batch} for a policy of both families) and
 * {@code sysctl.conf} into the directory, creating it, and names each file written on standard
 * output. The policy's and the compilers' warnings and notes go to standard error, one a line
 * ({@code FILE: warning [code] field: message}). Exit code 0; 2 when the policy is invalid (the
 * message names the file, line and column, the field and the value, with the line and a
 * {@code [*]} marker) or the file is missing; 1 when a file cannot be read or written.
 */
@Command(name = "compile", mixinStandardHelpOptions = true,
    description = "Compile a balancing policy file into rules, routing batches, their undo and sysctl settings.")
final class CompileCommand implements Callable<Integer> {

  @ParentCommand
  Main main;

  @Option(names = "--policy", paramLabel = "FILE", required = true, description = "The policy file (YAML).")
  Path policy;

  @Option(names = "--out", paramLabel = "DIR", required = true,
      description = "The directory to write the files into (created if missing; existing files are replaced).")
  Path out;

  @Override
  public Integer call() {
    PolicyInput.Loaded loaded = PolicyInput.load("compile", policy, main.stderr);
    if (loaded.policy().isEmpty()) {
      return loaded.exitCode();
    }
    CompiledPolicy compiled = loaded.policy().get();
    for (Finding f : compiled.findings()) {
      main.stderr.println(policy + ": " + f);
    }
    try {
      Files.createDirectories(out);
      for (Map.Entry<String, String> file : compiled.files().entrySet()) {
        Path target = out.resolve(file.getKey());
        Files.writeString(target, file.getValue(), StandardCharsets.UTF_8);
        main.stdout.println("wrote " + target);
      }
    } catch (IOException e) {
      main.stderr.println("mlb compile: --out " + out + ": cannot write: " + e);
      return 1;
    }
    return 0;
  }
}
