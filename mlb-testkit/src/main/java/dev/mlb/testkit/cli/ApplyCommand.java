package dev.mlb.testkit.cli;

import dev.mlb.testkit.check.CompiledPolicy;
import dev.mlb.testkit.live.Deployment;
import dev.mlb.testkit.live.LiveChange;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mlb apply}: puts a policy on the running router beside other software's rules.
 *
 * <pre>{@code
 * mlb apply --policy /etc/mlb/policy.yaml            # reads, changes only what differs
 * mlb apply --policy /etc/mlb/policy.yaml --dry-run  # prints the exact transaction, changes nothing
 * mlb apply --policy /etc/mlb/policy.yaml --down isp2 # as if isp2 were down: no new connections for it,
 *                                                    # its connections deleted from conntrack by mark
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

  @Option(names = "--down", paramLabel = "NAME", split = ",",
      description = "Apply as if these uplinks were down (no new connections; their connections are deleted from"
          + " conntrack by mark); a plain apply brings every uplink back.")
  List<String> down = List.of();

  @Override
  String name() {
    return "apply";
  }

  @Override
  public Integer call() {
    Ready ready = ready(policy);
    if (ready.exitCode() != 0) {
      return ready.exitCode();
    }
    CompiledPolicy compiled = ready.policy().get();
    Optional<Deployment> d = ready.deployment();
    if (!down.isEmpty()) {
      try {
        compiled = CompiledPolicy.compile(d.get().withDown(compiled.policy(), down));
      } catch (IllegalArgumentException e) {
        main.stderr.println("mlb apply: --down " + String.join(",", down) + ": " + e.getMessage());
        return Main.INVALID;
      } catch (RuntimeException e) {
        return failed(e);
      }
    }
    try {
      LiveChange change = d.get().planApply(compiled, down.isEmpty() ? "mlb apply" : "mlb apply --down");
      if (dryRun || !change.conflicts().isEmpty()) {
        return printedOnly(change);
      }
      d.get().execute(change);
      main.stdout.println(change.isEmpty() ? "mlb apply: nothing to change, " + policy + " is applied"
          : "mlb apply: applied " + policy + " in " + change.steps().size() + " steps (" + change.before().backend() + ")"
              + (compiled.policy().down().isEmpty() ? "" : "; down: " + String.join(", ", compiled.policy().down())));
      return 0;
    } catch (RuntimeException e) {
      return failed(e);
    }
  }
}
