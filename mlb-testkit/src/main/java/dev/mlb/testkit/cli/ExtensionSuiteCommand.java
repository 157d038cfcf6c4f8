package dev.mlb.testkit.cli;

import dev.mlb.testkit.kernel.ExtensionSuite;
import dev.mlb.testkit.kernel.KernelSupport;
import dev.mlb.testkit.kernel.KernelUnavailableException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code mlb extension-suite DIR}: runs iptables' own extension suite ({@code extensions/*.t} of an
 * iptables source tree) against the kernel here and against mlb, and prints where they disagree,
 * the agreement per module and the totals ({@link ExtensionSuite}).
 *
 * <pre>{@code
 * git clone https://git.netfilter.org/iptables
 * sudo mlb extension-suite iptables/extensions
 * sudo mlb extension-suite --module length --module tos iptables/extensions
 * }</pre>
 *
 * <p>Needs root and network namespaces: it creates one namespace and deletes it when done. Exit
 * code 0 when every counted case of a modelled module agrees and every other disagreement is
 * reported by mlb as not checked; 1 otherwise; 2 on invalid input or when namespaces are missing.
 */
@Command(name = "extension-suite", mixinStandardHelpOptions = true,
    description = "Run iptables' extensions/*.t cases against the kernel here and against mlb.")
final class ExtensionSuiteCommand implements Callable<Integer> {

  @ParentCommand Main main;

  @Parameters(index = "0", paramLabel = "DIR", description = "The extensions directory of an iptables source tree.")
  Path dir;

  @Option(names = "--module", paramLabel = "NAME",
      description = "Only the files of this module (length for libxt_length.t); repeatable.")
  List<String> modules;

  @Override
  public Integer call() {
    if (!Files.isDirectory(dir)) {
      main.stderr.println("mlb extension-suite: " + dir + ": no such directory; expected the extensions directory"
          + " of an iptables source tree");
      return Main.INVALID;
    }
    List<ExtensionSuite.Case> cases;
    try {
      cases = ExtensionSuite.read(dir);
    } catch (IOException | IllegalArgumentException e) {
      main.stderr.println("mlb extension-suite: " + e.getMessage());
      return Main.INVALID;
    }
    if (modules != null) {
      cases = cases.stream().filter(c -> modules.contains(c.module())).toList();
      if (cases.isEmpty()) {
        main.stderr.println("mlb extension-suite: no cases for module " + String.join(", ", modules) + " in " + dir);
        return Main.INVALID;
      }
    }
    Optional<String> unavailable = KernelSupport.unavailableReason();
    if (unavailable.isPresent()) {
      main.stderr.println("mlb extension-suite: the kernel cannot be asked here: " + unavailable.get());
      return Main.INVALID;
    }
    ExtensionSuite.Report report;
    try {
      report = ExtensionSuite.run(cases, line -> main.stderr.println("mlb extension-suite: " + line));
    } catch (KernelUnavailableException e) {
      main.stderr.println("mlb extension-suite: the kernel cannot be asked here: " + e.getMessage());
      return Main.INVALID;
    }
    main.stdout.print(report);
    main.stdout.flush();
    return report.modelledAgreement() == 1.0 && report.unreported().isEmpty() ? 0 : 1;
  }
}
