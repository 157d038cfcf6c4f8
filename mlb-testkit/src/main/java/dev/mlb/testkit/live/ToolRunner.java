package dev.mlb.testkit.live;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import java.util.List;

/**
 * The one way mlb's live code reaches a router: it runs {@code iptables-save}/{@code -restore}
 * (and the ip6tables, legacy and nft variants), {@code ip}, {@code sysctl}, {@code conntrack},
 * {@code wg}, {@code nft}, and for health probes {@code ping} and {@code socat}, and nothing else. Two implementations: {@link ProcessRunner} runs the real tools
 * (optionally inside {@code ip netns exec NS}); {@code FakeRouter} (mlb-testkit's tests and
 * library users) keeps a router in memory and answers as the kernel would.
 *
 * <pre>{@code
 * ToolRunner router = ProcessRunner.inNamespace("edge");
 * ToolRunner.Result saved = router.run(List.of("iptables-save"), "");
 * saved.exitCode();   // 0
 * saved.stdout();     // "*mangle\n:PREROUTING ACCEPT [0:0]\n..."
 * }</pre>
 */
public interface ToolRunner {

  /**
   * Runs {@code command} (the program first) with {@code stdin} on its standard input, to its end.
   *
   * @throws ToolMissingException if the program is not installed
   */
  Result run(List<String> command, String stdin);

  /** {@link #run(List, String)} without input. */
  default Result run(String... command) {
    return run(List.of(command), "");
  }

  /**
   * What a finished command printed and returned.
   *
   * @param command the command as run
   * @param exitCode its exit code
   * @param stdout its standard output
   * @param stderr its standard error
   */
  record Result(ImmutableList<String> command, int exitCode, String stdout, String stderr) {
    public Result {
      checkArgument(!command.isEmpty(), "no command");
    }

    /** Whether the command exited 0. */
    public boolean ok() {
      return exitCode == 0;
    }

    /** This result, or a {@link ToolFailedException} naming the command, its exit code and its stderr. */
    public Result check() {
      if (exitCode != 0) {
        throw new ToolFailedException(this);
      }
      return this;
    }

    /** {@code iptables-save -t mangle}: the command as one line. */
    public String commandLine() {
      return String.join(" ", command);
    }
  }

  /** A tool that exited with an error. */
  final class ToolFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Result result;

    public ToolFailedException(Result result) {
      super(result.commandLine() + " exited " + result.exitCode() + ": " + firstLines(result.stderr()));
      this.result = result;
    }

    /** What the tool printed and returned. */
    public Result result() {
      return result;
    }

    private static String firstLines(String stderr) {
      String s = stderr.strip();
      return s.isEmpty() ? "(no message)" : s.lines().limit(3).reduce((a, b) -> a + " | " + b).orElse(s);
    }
  }

  /** A tool that is not installed; the message names it and the package that provides it. */
  final class ToolMissingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ToolMissingException(String message) {
      super(message);
    }
  }
}
