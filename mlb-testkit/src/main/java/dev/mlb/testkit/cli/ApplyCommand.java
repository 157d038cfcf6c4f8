package dev.mlb.testkit.cli;

import dev.mlb.testkit.check.CompiledPolicy;
import dev.mlb.testkit.live.Deployment;
import dev.mlb.testkit.live.LiveChange;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mlb apply}: puts a policy on the running router beside other software's rules.
 *
 * <pre>{@code
 * mlb apply --policy /etc/mlb/policy.yaml            # reads, changes only what differs
 * mlb apply --policy /etc/mlb/policy.yaml --dry-run  # prints the exact transaction, changes nothing
 * }</pre>
 *
 * <p>Exit codes: 0 applied (or nothing to change); 2 refused (a conflict, each on one line), the
 * policy is invalid, a tool is missing, or a step failed and was rolled back (the router is as it
 * was); 3 a step failed and so did the rollback (the message says what is where).
 */
@Command(name = "apply", mixinStandardHelpOptions = true,
    description = "Put a balancing policy on the running router, beside other software's rules; change only what differs.")
final class ApplyCommand extends LiveCommand {

  @Option(names = "--policy", paramLabel = "FILE", required = true, description = "The policy file (YAML).")
  Path policy;

  @Option(names = "--dry-run", description = "Print the exact transaction (sysctl, ip batches, iptables-restore input); change nothing.")
  boolean dryRun;

  @Override
  String name() {
    return "apply";
  }

  @Override
  public Integer call() {
    PolicyInput.Loaded loaded = PolicyInput.load(name(), policy, main.stderr);
    if (loaded.policy().isEmpty()) {
      return loaded.exitCode();
    }
    CompiledPolicy compiled = loaded.policy().get();
    Optional<Deployment> d = deployment();
    if (d.isEmpty()) {
      return Main.INVALID;
    }
    try {
      LiveChange change = d.get().planApply(compiled);
      if (dryRun || !change.conflicts().isEmpty()) {
        return printedOnly(change);
      }
      d.get().execute(change);
      main.stdout.println(change.isEmpty() ? "mlb apply: nothing to change, " + policy + " is applied"
          : "mlb apply: applied " + policy + " in " + change.steps().size() + " steps (" + change.before().backend() + ")");
      return 0;
    } catch (RuntimeException e) {
      return failed(e);
    }
  }
}
