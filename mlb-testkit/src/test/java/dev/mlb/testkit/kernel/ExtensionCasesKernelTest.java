package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import dev.mlb.netfilter.IpSets;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Ruleset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every case of {@code mlb-netfilter/src/test/resources/extension-cases/*.cases} against the
 * running kernel: each rule is loaded alone into a fresh namespace with iptables-restore, and
 * iptables must still do what the file recorded (refuse it, or save it as written there), and mlb
 * must agree with what the kernel did here (refuse it, or write the same text). The cases mlb
 * refuses on purpose ({@code MLB-REFUSES}) must still load in the kernel and still be refused by mlb.
 * A file's {@code NAME.setup} (shell commands, such as {@code ipset create}) runs in the namespace
 * before any case is loaded, and mlb validates that file's cases with the ipsets it makes.
 */
class ExtensionCasesKernelTest {
  private static final Path CASES = Path.of("..", "mlb-netfilter", "src", "test", "resources", "extension-cases");

  /** One case of a file, as ExtensionCases (mlb-netfilter's tests) reads it; the file's sets, or null. */
  private record Case(String where, IpFamily family, String table, String chain, String rule, String expected,
      IpSets sets) {
    String input() {
      return "*" + table + "\n-A " + chain + " " + rule + "\nCOMMIT\n";
    }

    boolean refused() {
      return expected.equals("REFUSED");
    }

    boolean mlbRefuses() {
      return expected.startsWith("MLB-REFUSES ");
    }

    /** What iptables-save printed after -A CHAIN, or null if iptables refused it. */
    String saved() {
      if (refused()) {
        return null;
      }
      return mlbRefuses() ? expected.substring(12, expected.indexOf("  # ")) : expected;
    }
  }

  private static List<Case> cases() throws IOException {
    List<Case> cases = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(CASES)) {
      files = s.filter(p -> p.toString().endsWith(".cases")).sorted().toList();
    }
    for (Path file : files) {
      IpSets sets = sets(file);
      List<String> lines = Files.readAllLines(file);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        String[] f = line.split("\t", -1);
        cases.add(new Case(file.getFileName() + ":" + (i + 1), f[0].equals("6") ? IpFamily.V6 : IpFamily.V4,
            f[1], f[2], f[3], f[4], sets));
      }
    }
    return cases;
  }

  /** The commands of {@code NAME.setup} next to {@code NAME.cases} (none if there is no such file). */
  private static List<String> setup(Path cases) throws IOException {
    Path setup = cases.resolveSibling(cases.getFileName().toString().replaceFirst("\\.cases$", ".setup"));
    if (!Files.exists(setup)) {
      return List.of();
    }
    return Files.readAllLines(setup).stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .toList();
  }

  /** The ipsets {@code NAME.setup}'s {@code ipset create} commands make, or null without a setup. */
  private static IpSets sets(Path cases) throws IOException {
    List<String> commands = setup(cases);
    if (commands.isEmpty()) {
      return null;
    }
    return IpSets.parse(cases.getFileName() + " setup", String.join("\n",
        commands.stream().map(c -> c.replaceFirst("^ipset ", "")).toList()));
  }

  /** The commands of every {@code .setup} file. */
  private static List<String> allSetup() throws IOException {
    List<String> commands = new ArrayList<>();
    try (Stream<Path> s = Files.list(CASES)) {
      for (Path p : s.filter(p -> p.toString().endsWith(".cases")).sorted().toList()) {
        commands.addAll(setup(p));
      }
    }
    return commands;
  }

  /** The rules of table {@code c.table} chain {@code c.chain} in {@code saved}, after -A CHAIN, joined by " || ". */
  private static String rules(Case c, String saved) {
    List<String> rules = new ArrayList<>();
    String prefix = "-A " + c.chain() + " ";
    for (String line : saved.split("\n")) {
      if (line.startsWith(prefix)) {
        rules.add(line.substring(prefix.length()));
      }
    }
    return String.join(" || ", rules);
  }

  /** What mlb writes for the case's rule, or null if it refuses the input. */
  private static String mlb(Case c) {
    try {
      Ruleset r = RestoreParser.parse(c.where(), c.input(), c.family());
      if ((c.sets() == null ? r.validate() : r.validate(c.sets())).stream().anyMatch(Finding::isError)) {
        return null;
      }
      return rules(c, RestoreWriter.render(r));
    } catch (ParseException e) {
      return null;
    }
  }

  @Test
  void theKernelStillDoesWhatEachCaseRecordsAndMlbAgrees() throws IOException {
    KernelTests.requireKernel();
    List<Case> all = cases();
    assertTrue(all.size() >= 300, "only " + all.size() + " cases in " + CASES);
    List<String> problems = new ArrayList<>();
    List<String> setup = allSetup();
    for (IpFamily family : IpFamily.values()) {
      List<Case> cases = all.stream().filter(c -> c.family() == family).toList();
      List<String> texts = cases.stream().map(Case::input).toList();
      try (RestoreLab lab = RestoreLab.open(family, "extcases")) {
        lab.setup(setup);
        List<RestoreLab.Loaded> loaded = lab.loadAll(texts);
        for (int i = 0; i < cases.size(); i++) {
          Case c = cases.get(i);
          RestoreLab.Loaded k = loaded.get(i);
          String kernel = k.exitCode() == 0 ? rules(c, k.saved()) : null;
          String mlb = mlb(c);
          String recorded = c.saved();
          if (!java.util.Objects.equals(kernel, recorded)) {
            problems.add(c.where() + " " + c.rule() + ": recorded " + (recorded == null ? "a refusal" : recorded)
                + ", but iptables here " + (kernel == null ? "refused it: " + k.stderr().strip() : "saved " + kernel));
          } else if (c.mlbRefuses() ? mlb != null : !java.util.Objects.equals(kernel, mlb)) {
            problems.add(c.where() + " " + c.rule() + ": iptables "
                + (kernel == null ? "refused it" : "saved " + kernel) + ", mlb "
                + (mlb == null ? "refused it" : "wrote " + mlb) + (c.mlbRefuses() ? " (mlb should refuse it)" : ""));
          }
        }
      }
    }
    assertEquals(List.of(), problems);
  }
}
