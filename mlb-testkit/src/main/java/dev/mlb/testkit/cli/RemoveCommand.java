package dev.mlb.testkit.cli;

import dev.mlb.testkit.live.Deployment;
import dev.mlb.testkit.live.LiveChange;
import dev.mlb.testkit.live.Ownership;
import java.util.Optional;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mlb remove}: takes off what mlb put on the router, exactly, and puts back the sysctl
 * values it changed.
 *
 * <pre>{@code
 * mlb remove --policy /etc/mlb/policy.yaml
 * mlb remove --name mlb            # from the state record alone, without the policy file
 * }</pre>
 *
 * <p>Exit codes as {@code mlb apply}.
 */
@Command(name = "remove", mixinStandardHelpOptions = true,
    description = "Take off what mlb applied, exactly, and put back the sysctl values it changed.")
final class RemoveCommand extends LiveCommand {

  @ArgGroup(multiplicity = "1")
  PolicyOrName which;

  @Option(names = "--dry-run", description = "Print the exact transaction; change nothing.")
  boolean dryRun;

  @Override
  String name() {
    return "remove";
  }

  @Override
  public Integer call() {
    Ownership own;
    if (which.policy != null) {
      PolicyInput.Loaded loaded = PolicyInput.load(name(), which.policy, main.stderr);
      if (loaded.policy().isEmpty()) {
        return loaded.exitCode();
      }
      own = Ownership.of(loaded.policy().get().policy());
    } else {
      own = null;
    }
    Optional<Deployment> d = deployment();
    if (d.isEmpty()) {
      return Main.INVALID;
    }
    try {
      if (own == null) {
        own = d.get().record(which.name).map(r -> r.ownership()).orElse(null);
        if (own == null) {
          main.stderr.println("mlb remove: --name " + which.name + ": no state record in " + stateDir()
              + "; give the policy file with --policy");
          return Main.INVALID;
        }
      }
      LiveChange change = d.get().planRemove(own);
      if (dryRun || !change.conflicts().isEmpty()) {
        return printedOnly(change);
      }
      d.get().execute(change);
      main.stdout.println(change.isEmpty() ? "mlb remove: nothing of " + own.name() + " is on this router"
          : "mlb remove: removed " + own.name() + " in " + change.steps().size() + " steps");
      return 0;
    } catch (RuntimeException e) {
      return failed(e);
    }
  }
}
