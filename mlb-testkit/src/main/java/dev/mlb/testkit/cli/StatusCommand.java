package dev.mlb.testkit.cli;

import dev.mlb.testkit.live.Deployment;
import dev.mlb.testkit.live.Status;
import java.util.Optional;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mlb status}: whether the router holds what the policy wants, or each difference.
 *
 * <pre>{@code
 * mlb status --policy /etc/mlb/policy.yaml          # a table
 * mlb status --name mlb --json                      # from the state record, as JSON
 * }</pre>
 *
 * <p>Exit codes: 0 in sync; 1 drift (each difference printed); 2 an error (invalid policy, no
 * state record, a tool missing, not root).
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Report whether the router holds what the policy wants, or each difference. Exit 0 in sync, 1 drift, 2 error.")
final class StatusCommand extends LiveCommand {

  @ArgGroup(multiplicity = "1")
  PolicyOrName which;

  @Option(names = "--json", description = "Print one JSON object instead of a table.")
  boolean json;

  @Override
  String name() {
    return "status";
  }

  @Override
  public Integer call() {
    Optional<dev.mlb.testkit.check.CompiledPolicy> policy = Optional.empty();
    if (which.policy != null) {
      PolicyInput.Loaded loaded = PolicyInput.load(name(), which.policy, main.stderr);
      if (loaded.policy().isEmpty()) {
        return loaded.exitCode();
      }
      policy = loaded.policy();
    }
    Optional<Deployment> d = deployment();
    if (d.isEmpty()) {
      return Main.INVALID;
    }
    try {
      Status s = policy.isPresent() ? d.get().status(policy.get()) : d.get().status(which.name);
      main.stdout.print(json ? s.json() : s.table());
      return s.inSync() ? 0 : 1;
    } catch (RuntimeException e) {
      return failed(e);
    }
  }
}
