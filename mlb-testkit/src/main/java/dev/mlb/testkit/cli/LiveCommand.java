package dev.mlb.testkit.cli;

import dev.mlb.testkit.live.Deployment;
import dev.mlb.testkit.live.LiveException;
import dev.mlb.testkit.live.ProcessRunner;
import dev.mlb.testkit.live.ToolRunner;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * What {@code mlb apply}, {@code remove} and {@code status} share: the router they work on (this
 * machine, or {@code --netns NS}), the state directory, and how their failures print. The logic is
 * the library's ({@link Deployment}); a command parses, calls, prints.
 */
abstract class LiveCommand implements Callable<Integer> {
  /** Exit code when a failed change could not be rolled back: the router is in between. */
  static final int HALF_DONE = 3;
  static final Path STATE_DIR = Path.of("/var/lib/mlb");

  /** How commands reach a router: the real tools; tests give a fake. */
  static Function<Optional<String>, ToolRunner> routers =
      ns -> ns.<ToolRunner>map(ProcessRunner::inNamespace).orElseGet(ProcessRunner::local);

  /** Whether this process may change the router (root); tests replace it. */
  static java.util.function.BooleanSupplier root = ProcessRunner::isRoot;

  @ParentCommand
  Main main;

  @Option(names = "--netns", paramLabel = "NS",
      description = "Work on the router in network namespace NS (ip netns exec NS), not on this machine.")
  String netns;

  @Option(names = "--state-dir", paramLabel = "DIR",
      description = "Where mlb keeps what it applied (default /var/lib/mlb, or /var/lib/mlb/netns/NS with --netns).")
  Path stateDir;

  abstract String name();

  /** The state directory: given, or the default for the router. */
  Path stateDir() {
    if (stateDir != null) {
      return stateDir;
    }
    return netns == null ? STATE_DIR : STATE_DIR.resolve("netns").resolve(netns);
  }

  /** The deployment on the router, or empty after printing why there is none. */
  Optional<Deployment> deployment() {
    ToolRunner router;
    try {
      router = routers.apply(Optional.ofNullable(netns));
    } catch (IllegalArgumentException e) {
      main.stderr.println("mlb " + name() + ": --netns " + netns + ": " + e.getMessage());
      return Optional.empty();
    }
    if (router instanceof ProcessRunner && !root.getAsBoolean()) {
      main.stderr.println("mlb " + name() + ": must run as root (changing and reading iptables rules needs it)");
      return Optional.empty();
    }
    return Optional.of(Deployment.on(router, stateDir()));
  }

  /**
   * What a command that applies needs: the policy file compiled and the deployment on the router;
   * or, when either is missing (printed already), the exit code to return.
   */
  record Ready(Optional<dev.mlb.testkit.check.CompiledPolicy> policy, Optional<Deployment> deployment,
      int exitCode) {}

  /** Reads and compiles {@code file}, then finds the router (see {@link Ready}). */
  Ready ready(Path file) {
    PolicyInput.Loaded loaded = PolicyInput.load(name(), file, main.stderr);
    if (loaded.policy().isEmpty()) {
      return new Ready(Optional.empty(), Optional.empty(), loaded.exitCode());
    }
    Optional<Deployment> d = deployment();
    return new Ready(loaded.policy(), d, d.isEmpty() ? Main.INVALID : 0);
  }

  /**
   * Prints a change that only is to be shown: a dry run (to stdout, exit 0) or one refused for its
   * conflicts (each on one line, to stderr, exit 2).
   */
  int printedOnly(dev.mlb.testkit.live.LiveChange change) {
    boolean refused = !change.conflicts().isEmpty();
    (refused ? main.stderr : main.stdout).print(change);
    return refused ? Main.INVALID : 0;
  }

  /** Prints a failure of the library and gives the exit code for it. */
  int failed(RuntimeException e) {
    if (e instanceof dev.mlb.testkit.live.StepFailedException s && !s.rolledBack()) {
      main.stderr.println("mlb " + name() + ": " + e.getMessage());
      return HALF_DONE;
    }
    if (e instanceof LiveException || e instanceof ToolRunner.ToolMissingException
        || e instanceof ToolRunner.ToolFailedException) {
      String m = e.getMessage();
      main.stderr.println(m.startsWith("mlb ") ? m : "mlb " + name() + ": " + m);
      return Main.INVALID;
    }
    throw e;
  }
}
