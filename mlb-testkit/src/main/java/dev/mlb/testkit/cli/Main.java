package dev.mlb.testkit.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code mlb} command line.
 *
 * <pre>{@code
 * java -jar mlb-testkit/target/mlb.jar fmt mlb-testkit/examples/seed-rules.v4
 * }</pre>
 *
 * <p>Exit codes: 0 on success; 2 when the input is invalid (the message on standard error names the
 * line and column) or the command line is wrong; 1 when the program itself failed.
 */
@Command(
    name = "mlb",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Multi-uplink load balancing for Linux: canonical rulesets and routing batches, simulated, checked and run in the kernel.")
// The subcommands are SUBCOMMANDS, registered by commandLine(): only the one run, when it is named.
public final class Main implements Runnable {
  /** Exit code for invalid input or usage. */
  static final int INVALID = 2;

  final InputStream stdin;
  final PrintStream stdout;
  final PrintStream stderr;

  Main(InputStream stdin, PrintStream stdout, PrintStream stderr) {
    this.stdin = stdin;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  public static void main(String[] args) {
    System.exit(run(args, System.in, System.out, System.err));
  }

  /** The subcommands, in the order the usage lists them. */
  static final List<Class<?>> SUBCOMMANDS = List.of(
      FmtCommand.class,
      SimulateCommand.class,
      CheckCommand.class,
      TraceCommand.class,
      LabCommand.class,
      CompileCommand.class,
      DemoCommand.class,
      BenchCommand.class,
      ApplyCommand.class,
      RemoveCommand.class,
      StatusCommand.class,
      WatchCommand.class,
      ExtensionSuiteCommand.class,
      CommandLine.HelpCommand.class);

  /** Runs {@code mlb args...} with the given streams and returns the exit code. */
  public static int run(String[] args, InputStream stdin, PrintStream stdout, PrintStream stderr) {
    CommandLine cli = commandLine(new Main(stdin, stdout, stderr), args);
    cli.setOut(new PrintWriter(stdout, true, StandardCharsets.UTF_8));
    cli.setErr(new PrintWriter(stderr, true, StandardCharsets.UTF_8));
    // Wrong usage is invalid input (2); anything else that escapes a command is mlb's own failure (1).
    cli.setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException ? INVALID : 1);
    int code = cli.execute(args);
    // A PrintStream keeps its write errors to itself: a full disk or a closed pipe (> /dev/full)
    // would end in exit 0 with the output cut short. checkError() flushes and tells.
    if (stdout.checkError()) {
      String command = args.length > 0 && cli.getSubcommands().containsKey(args[0]) ? "mlb " + args[0] : "mlb";
      stderr.println(command + ": writing the output failed");
      stderr.flush();
      return code == 0 ? INVALID : code;
    }
    return code;
  }

  /**
   * The command line for {@code args}: when its first word names a subcommand, with that subcommand
   * alone (picocli reads every registered command's annotations and fields up front, about a third
   * of a second of a short command's start); otherwise, for the usage, {@code help} and the error
   * that names the subcommands, with all of them.
   */
  static CommandLine commandLine(Main main, String... args) {
    CommandLine cli = new CommandLine(main);
    List<Class<?>> register = SUBCOMMANDS;
    if (args.length > 0) {
      for (Class<?> c : SUBCOMMANDS) {
        if (c != CommandLine.HelpCommand.class && c.getAnnotation(Command.class).name().equals(args[0])) {
          register = List.of(c);
        }
      }
    }
    for (Class<?> c : register) {
      cli.addSubcommand(c);
    }
    return cli;
  }

  @Override
  public void run() {
    commandLine(this).usage(stdout);
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"mlb " + (v == null ? "(development build)" : v)};
    }
  }
}
