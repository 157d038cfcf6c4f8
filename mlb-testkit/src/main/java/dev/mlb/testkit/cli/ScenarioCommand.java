package dev.mlb.testkit.cli;

import dev.mlb.testkit.sim.SimulationException;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/**
 * Base of the commands that load a scenario ({@link ScenarioOptions}): invalid input and what the
 * simulator does not model exit with 2 and a message on standard error naming the input.
 *
 * <pre>{@code
 * class LabCommand extends ScenarioCommand {
 *   int execute(ScenarioOptions.Scenario s) { ...; FlowReport.text(s.topology(), results, out()); return 0; }
 * }
 * }</pre>
 */
abstract class ScenarioCommand implements Callable<Integer> {
  @ParentCommand
  Main main;

  @Mixin
  ScenarioOptions scenario;

  /** The command's name for messages. */
  abstract String name();

  /** Runs the command on the loaded scenario and returns its exit code. */
  abstract int execute(ScenarioOptions.Scenario s);

  PrintStream out() {
    return main.stdout;
  }

  PrintStream err() {
    return main.stderr;
  }

  @Override
  public final Integer call() {
    try {
      ScenarioOptions.Scenario s = scenario.load();
      if (!s.routesGiven()) {
        err().println("mlb " + name() + ": note: no --routes; the routing plan is empty (kernel default rules and"
            + " connected routes only, no default route)");
      }
      return execute(s);
    } catch (InputException e) {
      err().println("mlb " + name() + ": " + e.getMessage());
      return Main.INVALID;
    } catch (SimulationException e) {
      err().println("mlb " + name() + ": the simulator does not model this input: " + e.getMessage());
      return Main.INVALID;
    }
  }
}
