package dev.mlb.testkit.kernel;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import dev.mlb.netfilter.IpSets;
import dev.mlb.netfilter.ParsedRuleset;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.UncheckedModules;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * iptables' own extension suite ({@code extensions/*.t} in iptables' source tree) run against the
 * kernel here and against mlb: each case is loaded alone into a fresh network namespace with
 * {@code iptables-nft-restore} (or {@code ip6tables-nft-restore}) and read back with
 * {@code iptables-nft-save}, and the same text goes through mlb's parser, validation and writer.
 *
 * <pre>{@code
 * List<ExtensionSuite.Case> cases = ExtensionSuite.read(Path.of("iptables/extensions"));
 * ExtensionSuite.Report report = ExtensionSuite.run(cases, System.err::println);
 * System.out.print(report);   // per module: counted cases and agreement; then the totals
 * }</pre>
 *
 * <p>A case <em>counts</em> when the kernel here gives the suite's verdict (loads what the suite
 * says loads, refuses what it says fails); the others are left out and counted, either because a
 * kernel module is missing here or because this kernel and iptables version judge it otherwise.
 * mlb <em>agrees</em> on a counted case when it refuses what the kernel refused (a parse error or a
 * validation error, validating with {@link IpSets#none()}: the namespace holds no ipsets, so
 * iptables refuses every set a rule names), or accepts it and writes byte-identically the {@code -A} lines
 * {@code iptables-save} printed. A module is <em>modelled</em> when mlb reported none of its
 * accepted cases as not checked (kept verbatim).
 *
 * <p>The suite's files are read from the tree given, never copied: they are iptables' (GPL-2.0).
 * {@code mlb extension-suite DIR} prints the report.
 */
public final class ExtensionSuite {
  private ExtensionSuite() {}

  private static final Set<String> BUILT_IN = Set.of("INPUT", "OUTPUT", "FORWARD", "PREROUTING", "POSTROUTING");
  /** What iptables-restore says when the kernel lacks what a rule needs. */
  private static final List<String> MISSING = List.of("No such file or directory", "missing kernel module",
      "not supported", "Protocol not supported", "Could not open socket");

  /**
   * One case of a {@code .t} file, for one family.
   *
   * @param file the file's name ({@code libxt_length.t})
   * @param line the case's line in it
   * @param suiteLoads whether the suite says iptables-nft loads it
   */
  public record Case(String file, int line, IpFamily family, String table, ImmutableList<String> chains,
      String rule, boolean suiteLoads) {

    /** The module the file tests: {@code length} for {@code libxt_length.t}; {@code header} for the core options. */
    public String module() {
      String m = file.replaceFirst("^lib(xt|ipt|ip6t)_", "").replaceFirst("\\.t$", "");
      return m.equals("standard") || m.equals("iptables") || m.equals("ip6tables") ? "header" : m;
    }

    /** The restore text: the rule appended to each of the case's chains (user chains declared). */
    public String restoreText() {
      StringBuilder text = new StringBuilder("*").append(table).append('\n');
      for (String chain : chains) {
        if (!BUILT_IN.contains(chain)) {
          text.append(':').append(chain).append(" - [0:0]\n");
        }
      }
      for (String chain : chains) {
        text.append("-A ").append(chain).append(' ').append(rule).append('\n');
      }
      return text.append("COMMIT\n").toString();
    }

    @Override
    public String toString() {
      return file + ":" + line + " (" + (family == IpFamily.V4 ? "iptables" : "ip6tables") + ") " + rule;
    }
  }

  /** The cases of every {@code lib*.t} and {@code iptables.t} file in {@code extensionsDir}, in file order. */
  public static List<Case> read(Path extensionsDir) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(extensionsDir)) {
      files = s.filter(p -> {
        String n = p.getFileName().toString();
        return n.endsWith(".t") && (n.startsWith("libxt_") || n.startsWith("libipt_") || n.startsWith("libip6t_")
            || n.equals("iptables.t"));
      }).sorted().toList();
    }
    if (files.isEmpty()) {
      throw new IOException(extensionsDir + ": no libxt_*.t, libipt_*.t or libip6t_*.t files; expected the"
          + " extensions directory of an iptables source tree");
    }
    List<Case> cases = new ArrayList<>();
    for (Path f : files) {
      cases.addAll(parse(f.getFileName().toString(), Files.readString(f, StandardCharsets.UTF_8)));
    }
    return cases;
  }

  /**
   * The cases of one {@code .t} file: {@code :CHAIN,...} and {@code *table} lines set where the
   * following rules go; {@code @} and {@code %} lines (commands the suite runs) are skipped; a case
   * is {@code RULE;SAVED;VERDICT} with an optional {@code ;VARIANT;VERDICT} for iptables-legacy or
   * iptables-nft (this reads the nft verdict). libxt_ files give a case per family.
   *
   * @throws IllegalArgumentException naming the file and line for a case line without a verdict
   */
  static List<Case> parse(String file, String text) {
    List<IpFamily> families = file.startsWith("libip6t_") ? List.of(IpFamily.V6)
        : file.startsWith("libxt_") ? List.of(IpFamily.V4, IpFamily.V6) : List.of(IpFamily.V4);
    String table = "filter";
    ImmutableList<String> chains = ImmutableList.of();
    List<Case> cases = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].stripTrailing();
      if (line.isBlank() || line.startsWith("#") || line.startsWith("@") || line.startsWith("%")) {
        continue;
      }
      if (line.startsWith("*")) {
        table = line.substring(1);
        continue;
      }
      if (line.startsWith(":")) {
        chains = ImmutableList.copyOf(line.substring(1).split(","));
        continue;
      }
      String[] item = line.split(";", -1);
      if (item.length < 3) {
        throw new IllegalArgumentException(file + ": line " + (i + 1) + ": expected RULE;SAVED;VERDICT, got \""
            + line + "\"");
      }
      String verdict = item[2].strip();
      if (item.length > 3 && !item[3].strip().equals("NFT")) {
        // A verdict for the other variant: the nft one is the alternative given, or the opposite.
        verdict = item.length > 4 ? item[4].strip() : verdict.equals("OK") ? "FAIL" : "OK";
      }
      boolean loads = switch (verdict) {
        case "OK", "=", "NOMATCH" -> true;
        case "FAIL" -> false;
        default -> throw new IllegalArgumentException(file + ": line " + (i + 1) + ": unknown verdict \"" + verdict
            + "\"; expected OK, FAIL or NOMATCH");
      };
      if (chains.isEmpty()) {
        throw new IllegalArgumentException(file + ": line " + (i + 1) + ": a case before any :CHAIN line");
      }
      for (IpFamily family : families) {
        cases.add(new Case(file, i + 1, family, table, chains, item[0].strip(), loads));
      }
    }
    return cases;
  }

  /** What became of one case. */
  public record Result(Case testCase, boolean kernelLoads, ImmutableList<String> kernelSave, String kernelError,
      boolean mlbLoads, ImmutableList<String> mlbSave, String mlbError, boolean unchecked) {

    /** Whether the kernel here gave the suite's verdict. */
    public boolean counts() {
      return kernelLoads == testCase.suiteLoads();
    }

    /** Left out because the kernel lacks a module it needs (the suite says it loads; the kernel says so). */
    public boolean missingModule() {
      return !counts() && testCase.suiteLoads() && MISSING.stream().anyMatch(kernelError::contains);
    }

    /** Whether mlb did what the kernel did: refused it, or wrote the same lines. */
    public boolean agrees() {
      return mlbLoads == kernelLoads && (!kernelLoads || mlbSave.equals(kernelSave));
    }

    @Override
    public String toString() {
      return testCase + "\n    kernel: " + (kernelLoads ? String.join(" | ", kernelSave) : "REFUSED " + firstLine(kernelError))
          + "\n    mlb:    " + (mlbLoads ? String.join(" | ", mlbSave) + (unchecked ? "   [not checked]" : "")
              : "REFUSED " + firstLine(mlbError));
    }
  }

  /** Runs every case in one fresh namespace (its tables emptied between cases), telling {@code progress} every 100. */
  public static Report run(List<Case> cases, Consumer<String> progress) {
    List<Result> results = new ArrayList<>();
    try (Netns ns = Netns.create("suite")) {
      for (Case c : cases) {
        results.add(run(ns, c));
        if (results.size() % 100 == 0) {
          progress.accept(results.size() + " of " + cases.size() + " cases");
        }
      }
    }
    return new Report(ImmutableList.copyOf(results));
  }

  private static Result run(Netns ns, Case c) {
    String v = c.family() == IpFamily.V4 ? "iptables" : "ip6tables";
    String text = c.restoreText();
    Netns.Result loaded = ns.run(v + "-nft-restore").stdin(text).run();
    ImmutableList<String> saved = ImmutableList.of();
    if (loaded.exitCode() == 0) {
      String save = ns.run(v + "-nft-save", "-t", c.table()).run().check().stdout();
      saved = save.lines().filter(l -> l.startsWith("-A ")).collect(ImmutableList.toImmutableList());
      // Empty the table (rules and user chains) for the next case.
      ns.run(v + "-nft-restore").stdin("*" + c.table() + "\nCOMMIT\n").run().check();
    }
    boolean mlbLoads = false;
    ImmutableList<String> mlbSave = ImmutableList.of();
    String why = "";
    boolean unchecked = false;
    try {
      ParsedRuleset p = RestoreParser.parseWithLines(c.file(), text, c.family());
      // The case's namespace holds no ipsets: iptables refuses every set a rule names.
      List<Finding> findings = p.ruleset().validate(IpSets.none());
      mlbLoads = findings.stream().noneMatch(Finding::isError);
      why = findings.stream().filter(Finding::isError).map(Finding::toString).findFirst().orElse("");
      if (mlbLoads) {
        mlbSave = RestoreWriter.render(p.ruleset()).lines().filter(l -> l.startsWith("-A "))
            .collect(ImmutableList.toImmutableList());
        unchecked = !UncheckedModules.of(p.ruleset()).counts().isEmpty();
      }
    } catch (ParseException e) {
      why = e.getMessage();
    }
    return new Result(c, loaded.exitCode() == 0, saved, loaded.stderr().strip(), mlbLoads, mlbSave, why, unchecked);
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /**
   * The results, with per-module agreement and the totals.
   *
   * <pre>{@code
   * report.modelledAgreement();   // 1.0 when every counted case of a modelled module agrees
   * report.agreement();           // over all counted cases
   * report.unreported();          // disagreements in unmodelled modules that mlb did not report as not checked
   * }</pre>
   */
  public record Report(ImmutableList<Result> results) {

    /** The modules with at least one accepted case that mlb reported as not checked. */
    public Set<String> unmodelled() {
      Set<String> out = new java.util.TreeSet<>();
      for (Result r : results) {
        if (r.unchecked()) {
          out.add(r.testCase().module());
        }
      }
      return out;
    }

    /** The counted cases. */
    public List<Result> counted() {
      return results.stream().filter(Result::counts).toList();
    }

    /** The fraction of counted cases of modelled modules on which mlb agrees with the kernel. */
    public double modelledAgreement() {
      Set<String> un = unmodelled();
      List<Result> m = counted().stream().filter(r -> !un.contains(r.testCase().module())).toList();
      return m.stream().filter(Result::agrees).count() / (double) m.size();
    }

    /** The fraction of all counted cases on which mlb agrees with the kernel. */
    public double agreement() {
      List<Result> c = counted();
      return c.stream().filter(Result::agrees).count() / (double) c.size();
    }

    /** Disagreements in unmodelled modules where mlb did not report the rule as not checked. */
    public List<Result> unreported() {
      Set<String> un = unmodelled();
      return counted().stream()
          .filter(r -> !r.agrees() && un.contains(r.testCase().module()) && !(r.mlbLoads() && r.unchecked()))
          .toList();
    }

    @Override
    public String toString() {
      Set<String> un = unmodelled();
      Map<String, int[]> per = new TreeMap<>();
      StringBuilder out = new StringBuilder();
      int excludedModule = 0;
      int excludedVerdict = 0;
      List<Result> disagreements = new ArrayList<>();
      for (Result r : results) {
        if (!r.counts()) {
          if (r.missingModule()) {
            excludedModule++;
          } else {
            excludedVerdict++;
          }
          continue;
        }
        int[] a = per.computeIfAbsent(r.testCase().module(), k -> new int[2]);
        a[0]++;
        if (r.agrees()) {
          a[1]++;
        } else {
          disagreements.add(r);
        }
      }
      disagreements.sort((a, b) -> Boolean.compare(un.contains(a.testCase().module()),
          un.contains(b.testCase().module())));
      for (Result r : disagreements) {
        out.append(un.contains(r.testCase().module()) ? "unmodelled " : "MODELLED ").append(r).append('\n');
      }
      out.append(String.format("%n%-16s %6s %6s%n", "module", "cases", "agree"));
      per.forEach((module, a) -> out.append(String.format("%-16s %6d %6d  %s%n", module, a[0], a[1],
          un.contains(module) ? "not modelled" : "modelled" + (a[0] == a[1] ? "" : "  <-- disagrees"))));
      int total = counted().size();
      long agree = counted().stream().filter(Result::agrees).count();
      out.append(String.format("modelled modules: %.1f%% of their counted cases agree%n", 100 * modelledAgreement()));
      out.append(String.format("all counted cases: %d of %d agree (%.1f%%)%n", agree, total, 100.0 * agree / total));
      out.append(String.format("left out: %d (a kernel module missing here: %d; this kernel's verdict differs from"
          + " the suite's: %d)%n", excludedModule + excludedVerdict, excludedModule, excludedVerdict));
      out.append(String.format("disagreements in unmodelled modules that mlb did not report as not checked: %d%n",
          unreported().size()));
      return out.toString();
    }
  }
}
