package dev.mlb.testkit.cli;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Protocol;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.testkit.check.CompiledPolicy;
import dev.mlb.testkit.gen.FlowGenerator;
import dev.mlb.testkit.gen.RealWorldShapes;
import dev.mlb.testkit.gen.ScaleRulesetGenerator;
import dev.mlb.testkit.kernel.KernelLab;
import dev.mlb.testkit.kernel.KernelSupport;
import dev.mlb.testkit.kernel.KernelUnavailableException;
import dev.mlb.testkit.kernel.Netns;
import dev.mlb.testkit.policyfile.PolicyFile;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.FlowResult;
import dev.mlb.testkit.sim.Simulator;
import dev.mlb.testkit.sim.Topology;
import dev.mlb.testkit.sim.Traffic;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code mlb bench}: mlb side by side with the native tools on one generated ruleset, in one run,
 * printed as a table of times, rates and ratios.
 *
 * <pre>{@code
 * sudo java -jar mlb-testkit/target/mlb.jar bench --rules 100000
 * mlb bench --rules 1000 --no-kernel      # the in-process figures only
 * mlb bench --shape kube-proxy             # a ruleset shaped like kube-proxy's nat table
 * }</pre>
 *
 * <p>It generates a ruleset of {@code --rules} rules of one {@code --shape} (the project's own,
 * {@link ScaleRulesetGenerator}, or a real router's, {@link RealWorldShapes}), writes it to a
 * temporary file, and times on that same file:
 * <ul>
 *   <li>mlb parse+validate in this process, warm (after warm-up runs; the median of
 *       {@code --repeat} runs), and the same for rendering to a String and for writing the text
 *       streamed ({@code RestoreWriter.write} to a discarding writer), as MB/s;
 *   <li>{@code mlb fmt FILE} as a whole process ({@code java -cp} this program's class path, with
 *       the JVM options in {@code MLB_FMT_JAVA_OPTS}), with its peak resident set size (through
 *       {@code /usr/bin/time} where it exists), and {@code iptables-legacy-restore --test} reading
 *       the file in a scratch network namespace made for it and deleted after ({@link Netns}), the
 *       two alternately, run by run, so that a change in the machine's load meets both;
 *   <li>{@code iptables-nft-restore --test} reading the file, in a scratch namespace too;
 *   <li>the bytes the parsed model retains per rule (heap in use after full collections, with and
 *       without the model; the median of three);
 *   <li>linear growth: parse+validate time per rule at a tenth of the size against the full size;
 *   <li>the kernel lab's rate of flows through the built-in seed policy ({@code mlb demo}'s,
 *       compiled: its rules, routes and {@code sysctl.conf} in the lab's router; {@code --lab-flows}
 *       TCP flows, {@link KernelLab}) against the simulator's on the same compiled policy and
 *       topology.
 * </ul>
 * The kernel rows need root and network namespaces; without them (or with {@code --no-kernel}) they
 * say why they were skipped. Exit code 0; 1 if a timed command failed; 2 for bad options.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Time mlb against iptables-restore --test and the kernel lab on one generated ruleset; print ratios.")
final class BenchCommand implements Callable<Integer> {

  @ParentCommand
  Main main;

  @Option(names = "--rules", paramLabel = "N", defaultValue = "100000",
      description = "Rules in the generated ruleset (default ${DEFAULT-VALUE}).")
  int rules;

  @Option(names = "--seed", paramLabel = "SEED", defaultValue = "42",
      description = "Seed of the generated ruleset (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--repeat", paramLabel = "N", defaultValue = "5",
      description = "Timed runs of each in-process measurement; the median is printed (default ${DEFAULT-VALUE}).")
  int repeat;

  @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "10",
      description = "Least time of warm-up runs before each in-process measurement (default ${DEFAULT-VALUE});"
          + " unless it is 0, the warm-up then goes on until the JIT compiler has been idle for"
          + " 2 seconds of runs, for at most 120 seconds more.")
  double warmup;

  @Option(names = "--native-repeat", paramLabel = "N", defaultValue = "3",
      description = "Timed runs of each external command; the median is printed (default ${DEFAULT-VALUE}).")
  int nativeRepeat;

  @Option(names = "--lab-flows", paramLabel = "N", defaultValue = "20",
      description = "TCP flows through the kernel lab (default ${DEFAULT-VALUE}).")
  int labFlows;

  @Option(names = "--sim-flows", paramLabel = "N", defaultValue = "200000",
      description = "Flows through the simulator for its rate (default ${DEFAULT-VALUE}).")
  int simFlows;

  @Option(names = "--no-kernel", description = "Skip iptables-restore and the kernel lab.")
  boolean noKernel;

  @Option(names = "--shape", paramLabel = "SHAPE", defaultValue = "own",
      description = "The ruleset's shape: own (default: mlb's per-subscriber balancing), kube-proxy, docker,"
          + " fail2ban, log-limit or mixed.")
  String shape;

  /** One row of the table. */
  private record Row(String what, String time, String rate, String ratio) {}

  private final List<Row> rows = new ArrayList<>();

  @Override
  public Integer call() throws IOException {
    PrintStream out = main.stdout;
    IntFunction<String> generator;
    int minRules;
    if (shape.equals("own")) {
      generator = n -> RestoreWriter.render(new ScaleRulesetGenerator(seed).generate(n));
      minRules = ScaleRulesetGenerator.MIN_RULES;
    } else {
      RealWorldShapes.Shape real;
      try {
        real = RealWorldShapes.Shape.of(shape);
      } catch (IllegalArgumentException e) {
        main.stderr.println("mlb bench: --shape: " + e.getMessage().replace("expected kube-proxy",
            "expected own, kube-proxy"));
        return Main.INVALID;
      }
      generator = n -> real.generate(n, seed);
      minRules = RealWorldShapes.MIN_RULES;
    }
    this.minRules = minRules;
    if (rules < minRules) {
      main.stderr.println("mlb bench: --rules " + rules + " is too small; expected at least " + minRules);
      return Main.INVALID;
    }
    if (repeat < 1 || nativeRepeat < 1 || labFlows < 1 || simFlows < 1 || !(warmup >= 0)) {
      main.stderr.println("mlb bench: --repeat, --native-repeat, --lab-flows and --sim-flows must be at least 1"
          + " and --warmup at least 0 (got " + repeat + ", " + nativeRepeat + ", " + labFlows + ", " + simFlows
          + ", " + warmup + ")");
      return Main.INVALID;
    }
    String text = generator.apply(rules);
    Ruleset ruleset = RestoreParser.parse("generated", text, IpFamily.V4);
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    Path file = Files.createTempFile("mlb-bench-", ".v4");
    boolean failed = false;
    try {
      Files.write(file, bytes);
      out.printf(Locale.ROOT, "mlb bench: %,d rules, %,d bytes (seed %d%s), %s%n", rules, bytes.length, seed,
          shape.equals("own") ? "" : ", shape " + shape, file);
      out.println("machine: " + machine());
      out.flush();

      double parse = median(repeat, () -> {
        List<Finding> findings = RestoreParser.parse(file.toString(), text, IpFamily.V4).validate();
        if (findings.stream().anyMatch(Finding::isError)) {
          throw new IllegalStateException("the generated ruleset has errors: " + findings);
        }
        return findings;
      });
      double parseCpu = lastCpu;
      targets.parseCpu = lastProcessCpu;
      rows.add(new Row("mlb parse+validate (in-process, warm)", seconds(parse),
          rate(rules / parse, "rules/s") + ", thread CPU " + seconds(parseCpu) + " (user " + seconds(lastUser)
              + "), all threads " + seconds(lastProcessCpu) + " (pool " + seconds(lastKinds[0]) + ", GC "
              + seconds(lastKinds[1]) + ", JIT " + seconds(lastKinds[2]) + ")",
          "1.0"));
      double render = median(repeat, () -> RestoreWriter.render(ruleset));
      targets.renderMbs = bytes.length / lastCpu / 1e6;
      rows.add(new Row("mlb render to a String (in-process, warm)", seconds(render),
          String.format(Locale.ROOT, "%.0f MB/s", bytes.length / render / 1e6) + ", thread CPU " + seconds(lastCpu)
              + " (user " + seconds(lastUser) + ")",
          ""));
      double write = median(repeat, () -> {
        Writer sink = Writer.nullWriter();
        try {
          RestoreWriter.write(ruleset, sink);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        return sink;
      });
      rows.add(new Row("mlb write, streamed (in-process, warm)", seconds(write),
          String.format(Locale.ROOT, "%.0f MB/s", bytes.length / write / 1e6) + ", thread CPU " + seconds(lastCpu)
              + " (user " + seconds(lastUser) + ")",
          ""));
      targets.writeMbs = bytes.length / lastCpu / 1e6;
      linearGrowth(parse, parseCpu, generator);
      memory(text);

      Optional<String> unavailable = noKernel ? Optional.of("--no-kernel") : KernelSupport.unavailableReason();
      failed |= !fmtBesideLegacy(file, text, parse, unavailable.isEmpty(), () -> sink(
          RestoreParser.parse(file.toString(), text, IpFamily.V4).validate()));
      if (unavailable.isPresent()) {
        for (String tool : List.of("iptables-legacy-restore --test", "iptables-nft-restore --test", "kernel lab")) {
          rows.add(new Row(tool, "skipped", unavailable.get(), ""));
        }
      } else {
        failed |= !restoreTest("iptables-nft-restore", text, parse);
      }
      failed |= !flowRates(unavailable);
    } finally {
      Files.deleteIfExists(file);
    }
    printTable(out);
    printTargets(out);
    return failed ? 1 : 0;
  }

  /** The figures issue 16's targets are about, as this run measured them (NaN: not measured). */
  private static final class Targets {
    /** mlb parse+validate, CPU seconds of all the process's threads (the parser reads on several). */
    double parseCpu = Double.NaN;
    double renderMbs = Double.NaN;
    double writeMbs = Double.NaN;
    double fmtCpu = Double.NaN;
    double fmtRss = Double.NaN;
    double legacyCpu = Double.NaN;
    double legacyRss = Double.NaN;
    /** Wall times (medians), shown beside the CPU times the targets are judged by. */
    double parseWall = Double.NaN;
    double fmtWall = Double.NaN;
    double legacyWall = Double.NaN;
    /** Legacy's CPU over mlb's parse+validate (all threads) run right after it: the median of the pairs. */
    double pairedSpeedup = Double.NaN;
    double bytesPerRule = Double.NaN;
    double growth = Double.NaN;
  }

  private final Targets targets = new Targets();

  /**
   * Issue 16's targets, each with mlb's figure, legacy {@code --test}'s beside it (same run) and
   * whether it is met. Judged by CPU time, not wall time: on a shared machine the wall clock measures the run
   * queue (the wall-time ratios are printed beside, for information).
   */
  private void printTargets(PrintStream out) {
    Targets t = targets;
    out.println();
    out.printf(Locale.ROOT, "targets (issue 16), %,d rules%s:%n", rules, shape.equals("own") ? "" : ", shape " + shape);
    String f = "  %-46s %-34s %-52s %s%n";
    out.printf(Locale.ROOT, f, "target", "mlb", "iptables-legacy-restore --test", "met");
    // Legacy's CPU time comes from /usr/bin/time in 10 ms steps: 0 is "too short to tell", not a ratio.
    boolean legacy = t.legacyCpu > 0;
    // Judged run by run: legacy's CPU over mlb's in the run right after it (the machine changes
    // between the two medians' measurements; it changes less between a pair's).
    double speedup = legacy ? t.pairedSpeedup : Double.NaN;
    out.printf(Locale.ROOT, f, "parse+validate >= 5x faster than legacy --test",
        String.format(Locale.ROOT, "%s CPU (warm, all threads)", seconds(t.parseCpu)),
        legacy ? String.format(Locale.ROOT, "%s CPU: %.1fx paired (medians %.1fx, wall %.1fx)",
            seconds(t.legacyCpu), speedup, t.legacyCpu / t.parseCpu, t.legacyWall / t.parseWall)
            : legacyMissing(t),
        met(speedup >= 5, speedup));
    out.printf(Locale.ROOT, f, "render >= 200 MB/s",
        String.format(Locale.ROOT, "%.0f MB/s (write %.0f MB/s), thread CPU", t.renderMbs, t.writeMbs), "",
        met(t.renderMbs >= 200, t.renderMbs));
    double fmtRatio = legacy ? t.fmtCpu / t.legacyCpu : Double.NaN;
    out.printf(Locale.ROOT, f, "mlb fmt process no slower than legacy --test",
        String.format(Locale.ROOT, "%s CPU", seconds(t.fmtCpu)),
        legacy ? String.format(Locale.ROOT, "%s CPU: mlb %.2fx (wall %.2fx)", seconds(t.legacyCpu), fmtRatio,
            t.fmtWall / t.legacyWall) : legacyMissing(t),
        met(fmtRatio <= 1, fmtRatio));
    out.printf(Locale.ROOT, f, "mlb fmt peak RSS <= 128 MiB", String.format(Locale.ROOT, "%.0f MiB", t.fmtRss),
        Double.isNaN(t.legacyRss) ? "not measured" : String.format(Locale.ROOT, "%.0f MiB", t.legacyRss),
        met(t.fmtRss <= 128, t.fmtRss));
    out.printf(Locale.ROOT, f, "memory per rule <= 512 B", String.format(Locale.ROOT, "%.0f B/rule", t.bytesPerRule),
        "", met(t.bytesPerRule <= 512, t.bytesPerRule));
    // Per-rule CPU at N against N/10: 1.0 is linear; up to 1.25 counts as linear (noise of a shared machine).
    out.printf(Locale.ROOT, f, "growth linear (per-rule CPU, N/10 -> N)", String.format(Locale.ROOT, "%.2f", t.growth),
        "", met(t.growth <= 1.25, t.growth));
    out.flush();
  }

  private static String legacyMissing(Targets t) {
    return Double.isNaN(t.legacyCpu) ? "not measured" : "under 10 ms CPU (too short to compare)";
  }

  private static String met(boolean met, double figure) {
    return Double.isNaN(figure) ? "not measured" : met ? "yes" : "NO";
  }

  // ---------------------------------------------------------------- measurements

  /** The fewest rules of the chosen shape. */
  private int minRules;

  private void linearGrowth(double parseFull, double parseFullCpu, IntFunction<String> generator) {
    int small = rules / 10;
    if (small < minRules) {
      rows.add(new Row("linear growth", "skipped", "--rules below " + 10 * minRules, ""));
      return;
    }
    String smallText = generator.apply(small);
    double t = median(repeat, () -> RestoreParser.parse("small", smallText, IpFamily.V4).validate());
    double smallCpu = lastCpu;
    double perRuleSmall = t / small * 1e6;
    double perRuleFull = parseFull / rules * 1e6;
    rows.add(new Row(String.format(Locale.ROOT, "parse+validate per rule, %,d -> %,d rules", small, rules),
        String.format(Locale.ROOT, "%.2f -> %.2f us", perRuleSmall, perRuleFull),
        String.format(Locale.ROOT, "thread CPU %.2f -> %.2f us", smallCpu / small * 1e6, parseFullCpu / rules * 1e6),
        String.format(Locale.ROOT, "%.2f (1.0 = linear; CPU %.2f)", perRuleFull / perRuleSmall,
            (parseFullCpu / rules) / (smallCpu / small))));
    targets.growth = (parseFullCpu / rules) / (smallCpu / small);
  }

  private void memory(String text) {
    double[] perRule = new double[3];
    for (int i = 0; i < perRule.length; i++) {
      long before = heapAfterGc();
      Ruleset model = RestoreParser.parse("memory", text, IpFamily.V4);
      long after = heapAfterGc();
      Reference.reachabilityFence(model);
      perRule[i] = (after - before) / (double) rules;
    }
    Arrays.sort(perRule);
    targets.bytesPerRule = perRule[1];
    rows.add(new Row("memory retained by the parsed model", String.format(Locale.ROOT, "%.0f B/rule", perRule[1]),
        "heap in use after System.gc() with and without it (MemoryMXBean), median of 3", ""));
  }

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Where {@code /usr/bin/time} is, for the peak resident set size of {@code mlb fmt}. */
  private static final Path TIME = Path.of("/usr/bin/time");

  /**
   * {@code mlb fmt FILE} in a new JVM with this program's class path and, when {@code legacy},
   * {@code iptables-legacy-restore --test} on the same text, alternately: {@code --native-repeat}
   * runs of each; their median wall times, the ratio of the two, and the median peak RSS of
   * {@code mlb fmt}. After each legacy run, {@code parseOnce} (the warm in-process parse+validate)
   * runs twice and the second is timed, so that each legacy run has an mlb run beside it under the
   * same conditions of the machine: the median of those paired ratios is what the parse+validate target is judged by. False
   * if one of them failed.
   */
  private boolean fmtBesideLegacy(Path file, String text, double parse, boolean legacy, Runnable parseOnce) {
    String java = ProcessHandle.current().info().command().orElse(
        Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> argv = new ArrayList<>();
    boolean timed = Files.isExecutable(TIME);
    Path rss = null;
    double[] fmt = new double[nativeRepeat];
    double[] fmtCpu = new double[nativeRepeat];
    double[] peak = new double[nativeRepeat];
    double[] legacyCpu = new double[nativeRepeat];
    double[] legacyPeak = new double[nativeRepeat];
    double[] legacyTimes = new double[nativeRepeat];
    double[] pairedSpeedup = new double[nativeRepeat];
    String fmtRow = "mlb fmt FILE (whole process)";
    String legacyRow = "iptables-legacy-restore --test";
    try {
      rss = Files.createTempFile("mlb-bench-", ".rss");
      if (timed) {
        argv.addAll(List.of(TIME.toString(), "-f", "%U %S %M", "-o", rss.toString()));
      }
      String opts = System.getenv("MLB_FMT_JAVA_OPTS");
      Optional<Path> launcher = launcher();
      if (launcher.isPresent()) {
        // The command users run: target/mlb, with its JVM options and AppCDS archive.
        argv.add(launcher.get().toString());
        fmtRow = "mlb fmt FILE (whole process, " + launcher.get().getFileName() + " launcher)";
      } else {
        argv.add(java);
        if (opts != null && !opts.isBlank()) {
          argv.addAll(Arrays.asList(opts.strip().split("\\s+")));
        }
        argv.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
      }
      argv.addAll(List.of("fmt", file.toString()));
      for (int i = 0; i < nativeRepeat; i++) {
        Path err = Files.createTempFile("mlb-bench-", ".err");
        try {
          long t0 = System.nanoTime();
          ProcessBuilder pb = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(err.toFile());
          if (launcher.isPresent()) {
            // The fmt process gets MLB_FMT_JAVA_OPTS, never the bench's own JVM options.
            if (opts != null) {
              pb.environment().put("MLB_JAVA_OPTS", opts);
            } else {
              pb.environment().remove("MLB_JAVA_OPTS");
            }
          }
          Process p = pb.start();
          int code = p.waitFor();
          fmt[i] = (System.nanoTime() - t0) / 1e9;
          if (code != 0) {
            rows.add(new Row(fmtRow, "FAILED", "exit " + code + ": " + firstLine(Files.readString(err)), ""));
            return false;
          }
          double[] usage = timed ? usage(Files.readString(rss)) : new double[] {Double.NaN, Double.NaN};
          fmtCpu[i] = usage[0];
          peak[i] = usage[1];
        } finally {
          Files.deleteIfExists(err);
        }
        if (legacy) {
          Optional<double[]> t = restoreOnce("iptables-legacy-restore", text, timed);
          if (t.isEmpty()) {
            return false;
          }
          legacyTimes[i] = t.get()[0];
          legacyCpu[i] = t.get()[1];
          legacyPeak[i] = t.get()[2];
          // Once untimed first: after the two processes' seconds the bench's heap and caches are cold
          // (on a VM that reclaims idle memory, its pages too), which no warm run of a user would be.
          parseOnce.run();
          long p0 = processCpu();
          parseOnce.run();
          pairedSpeedup[i] = legacyCpu[i] / ((processCpu() - p0) / 1e9);
        }
      }
    } catch (IOException | NumberFormatException e) {
      rows.add(new Row(fmtRow, "FAILED", e.toString(), ""));
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      if (rss != null) {
        try {
          Files.deleteIfExists(rss);
        } catch (IOException e) {
          // A temporary file left behind.
        }
      }
    }
    double f = median(fmt);
    targets.fmtCpu = median(fmtCpu);
    targets.fmtRss = median(peak);
    targets.fmtWall = f;
    targets.parseWall = parse;
    if (legacy) {
      targets.legacyCpu = median(legacyCpu);
      targets.legacyRss = median(legacyPeak);
      targets.legacyWall = median(legacyTimes);
      targets.pairedSpeedup = median(pairedSpeedup);
    }
    rows.add(new Row(fmtRow, seconds(f), rate(rules / f, "rules/s") + usage(timed, fmtCpu, peak),
        ratio(f, parse)));
    if (legacy) {
      double l = median(legacyTimes);
      rows.add(new Row(legacyRow + " (in a scratch netns)", seconds(l), rate(rules / l, "rules/s")
          + usage(timed, legacyCpu, legacyPeak), ratio(l, parse)));
      rows.add(new Row("mlb fmt FILE / iptables-legacy-restore --test", "", "alternately, run by run",
          String.format(Locale.ROOT, "%.2f (below 1: mlb fmt is faster)", f / l)
              + (timed ? String.format(Locale.ROOT, "; CPU time %.2f", median(fmtCpu) / median(legacyCpu)) : "")));
    }
    return true;
  }

  /** The launcher beside mlb.jar (mlb-testkit/target/mlb) when this JVM runs mlb.jar and it is there. */
  private static Optional<Path> launcher() {
    String cp = System.getProperty("java.class.path", "");
    if (cp.contains(java.io.File.pathSeparator) || !cp.endsWith("mlb.jar")) {
      return Optional.empty();
    }
    Path jar = Path.of(cp).toAbsolutePath();
    Path mlb = jar.resolveSibling("mlb");
    return Files.isExecutable(mlb) ? Optional.of(mlb) : Optional.empty();
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v[v.length / 2];
  }

  /** User+system CPU seconds and peak RSS in MiB from {@code /usr/bin/time -f "%U %S %M"}'s last line. */
  private static double[] usage(String timeOutput) {
    String t = timeOutput.strip();
    String[] f = t.substring(t.lastIndexOf('\n') + 1).split(" ");
    return new double[] {Double.parseDouble(f[0]) + Double.parseDouble(f[1]), Double.parseDouble(f[2]) / 1024};
  }

  private static String usage(boolean timed, double[] cpu, double[] peak) {
    return timed ? String.format(Locale.ROOT, ", CPU %s, peak RSS %.0f MiB", seconds(median(cpu)), median(peak))
        : ", CPU and peak RSS unknown (no /usr/bin/time)";
  }

  /**
   * One run of {@code TOOL --test} on {@code text} in a scratch namespace: its wall time and, when
   * {@code timed}, its CPU time and peak RSS (NaN otherwise); empty after adding a FAILED row.
   */
  private Optional<double[]> restoreOnce(String tool, String text, boolean timed) {
    String what = tool + " --test";
    try (Netns ns = Netns.create("bench")) {
      List<String> argv = new ArrayList<>();
      if (timed) {
        argv.addAll(List.of(TIME.toString(), "-f", "%U %S %M"));
      }
      argv.addAll(List.of(tool, "--test"));
      Netns.Command command = ns.run(argv).stdin(text).timeout(Duration.ofMinutes(10));
      long t0 = System.nanoTime();
      Netns.Result r = command.run();
      double t = (System.nanoTime() - t0) / 1e9;
      if (r.exitCode() != 0) {
        rows.add(new Row(what, "FAILED", "exit " + r.exitCode() + ": " + firstLine(r.stderr()), ""));
        return Optional.empty();
      }
      double[] usage = timed ? usage(r.stderr()) : new double[] {Double.NaN, Double.NaN};
      return Optional.of(new double[] {t, usage[0], usage[1]});
    } catch (RuntimeException e) {
      rows.add(new Row(what, "FAILED", e.getMessage(), ""));
      return Optional.empty();
    }
  }

  /** {@code TOOL --test} reading the ruleset, in a scratch namespace per run; false if it failed. */
  private boolean restoreTest(String tool, String text, double parse) {
    double[] times = new double[nativeRepeat];
    for (int i = 0; i < nativeRepeat; i++) {
      Optional<double[]> t = restoreOnce(tool, text, false);
      if (t.isEmpty()) {
        return false;
      }
      times[i] = t.get()[0];
    }
    double t = median(times);
    rows.add(new Row(tool + " --test (in a scratch netns)", seconds(t), rate(rules / t, "rules/s"), ratio(t, parse)));
    return true;
  }

  /**
   * The kernel lab's flow rate and the simulator's on the built-in seed policy, compiled; false if
   * the lab failed.
   */
  private boolean flowRates(Optional<String> unavailable) {
    CompiledPolicy policy = CompiledPolicy.compile(PolicyFile.parse("seed-policy.yaml", DemoCommand.seedPolicyText()));
    Topology topology = policy.topology();
    Traffic web = Traffic.of(Protocol.TCP, 80, 443);
    // The simulator: warm up, then time on this thread's CPU and on the wall clock.
    List<Flow> flows = FlowGenerator.of(topology, seed).lan(web, Math.min(simFlows, 20_000));
    Simulator sim = Simulator.of(topology, policy.ruleset(IpFamily.V4), policy.simulatedPlan(), seed);
    long warmUntil = System.nanoTime() + (long) (warmup * 1e9);
    for (int i = 0; i < 3 || System.nanoTime() < warmUntil; i++) {
      runFlows(sim, flows, flows.size());
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long cpu0 = threads.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    int completed = runFlows(sim, flows, simFlows);
    double wall = (System.nanoTime() - t0) / 1e9;
    double cpu = (threads.getCurrentThreadCpuTime() - cpu0) / 1e9;
    double simRate = simFlows / wall;
    rows.add(new Row("simulator, seed policy (one thread)", String.format(Locale.ROOT, "%,d flows", simFlows),
        rate(simRate, "flows/s") + String.format(Locale.ROOT, ", %,.0f per CPU-s", simFlows / cpu),
        String.format(Locale.ROOT, "%,d completed", completed)));
    if (unavailable.isPresent()) {
      return true;
    }
    List<Flow> labList = FlowGenerator.of(topology, seed).lan(web, labFlows);
    // As PolicyKernelTest loads a compiled policy: the administrator's default route before mlb's
    // routes, and the router's sysctl.conf (so that the lab balances as a real router would).
    try (KernelLab lab = KernelLab.start(topology, policy.files().get("rules.v4"),
        policy.environmentRoutes() + policy.files().get("routes.v4.batch"),
        KernelLab.Options.defaults().withRouterSysctl(policy.files().get("sysctl.conf")))) {
      long l0 = System.nanoTime();
      List<FlowResult> results = lab.runAll(labList);
      double t = (System.nanoTime() - l0) / 1e9;
      long done = results.stream().filter(FlowResult::completed).count();
      double labRate = labFlows / t;
      rows.add(new Row("kernel lab, seed policy", String.format(Locale.ROOT, "%d flows in %s", labFlows, seconds(t)),
          rate(labRate, "flows/s") + String.format(Locale.ROOT, ", %d completed (%s)", done, split(results)),
          String.format(Locale.ROOT, "simulator %,.0fx faster", simRate / labRate)));
      return true;
    } catch (KernelUnavailableException | IllegalStateException e) {
      rows.add(new Row("kernel lab, seed policy", "FAILED", e.getMessage(), ""));
      return false;
    }
  }

  /** How many completed flows each uplink carried: {@code ppp0 2, ppp1 1}. */
  private static String split(List<FlowResult> results) {
    Map<String, Integer> byUplink = new TreeMap<>();
    for (FlowResult r : results) {
      if (r.completed()) {
        byUplink.merge(r.outcome(), 1, Integer::sum);
      }
    }
    StringBuilder b = new StringBuilder();
    byUplink.forEach((uplink, n) -> b.append(b.length() == 0 ? "" : ", ").append(uplink).append(' ').append(n));
    return b.length() == 0 ? "none" : b.toString();
  }

  private static int runFlows(Simulator sim, List<Flow> flows, int count) {
    int completed = 0;
    for (int i = 0; i < count; i++) {
      if (sim.run(flows.get(i % flows.size())).completed()) {
        completed++;
      }
    }
    return completed;
  }

  /**
   * Runs {@code work} until warm, then the median of {@code n} runs. Warm: five runs, {@code --warmup}
   * seconds, and then (unless {@code --warmup} is 0) a JIT compiler that compiled nothing during the
   * last {@link #QUIET_NANOS} of runs (at most {@link #MAX_EXTRA_WARMUP_NANOS} more). A time alone is not enough: on 2 CPUs a
   * 100k-rule parse was still being compiled after 10 seconds (thread CPU 104 ms at 10 s, 77 ms at 30 s).
   */
  private double median(int n, Supplier<?> work) {
    long start = System.nanoTime();
    long warmUntil = start + (long) (warmup * 1e9);
    java.lang.management.CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    boolean jitTimed = warmup > 0 && jit != null && jit.isCompilationTimeMonitoringSupported();
    long compiled = jitTimed ? jit.getTotalCompilationTime() : 0;
    long quietSince = start;
    for (int i = 0; ; i++) {
      sink(work.get());
      long now = System.nanoTime();
      if (jitTimed) {
        long c = jit.getTotalCompilationTime();
        if (c != compiled) {
          compiled = c;
          quietSince = now;
        }
      }
      boolean quiet = !jitTimed || now - quietSince >= QUIET_NANOS;
      if (i >= 4 && now >= warmUntil && (quiet || now - warmUntil >= MAX_EXTRA_WARMUP_NANOS)) {
        break;
      }
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    double[] times = new double[n];
    double[] cpu = new double[n];
    double[] user = new double[n];
    double[] process = new double[n];
    double[][] kindsOf = new double[n][THREAD_KINDS.length];
    for (int i = 0; i < n; i++) {
      long c0 = threads.getCurrentThreadCpuTime();
      long u0 = threads.getCurrentThreadUserTime();
      long[] kinds0 = new long[THREAD_KINDS.length];
      long p0 = processCpu(kinds0);
      long t0 = System.nanoTime();
      sink(work.get());
      times[i] = (System.nanoTime() - t0) / 1e9;
      cpu[i] = (threads.getCurrentThreadCpuTime() - c0) / 1e9;
      user[i] = (threads.getCurrentThreadUserTime() - u0) / 1e9;
      long[] kinds1 = new long[THREAD_KINDS.length];
      process[i] = (processCpu(kinds1) - p0) / 1e9;
      for (int k = 0; k < kinds1.length; k++) {
        kindsOf[i][k] = (kinds1[k] - kinds0[k]) / 1e9;
      }
    }
    Arrays.sort(times);
    Arrays.sort(cpu);
    Arrays.sort(user);
    // The split of the run whose whole-process CPU is the median.
    Integer[] byProcess = new Integer[n];
    for (int i = 0; i < n; i++) {
      byProcess[i] = i;
    }
    Arrays.sort(byProcess, (a, b) -> Double.compare(process[a], process[b]));
    lastKinds = kindsOf[byProcess[n / 2]];
    Arrays.sort(process);
    lastCpu = cpu[n / 2];
    lastUser = user[n / 2];
    lastProcessCpu = process[n / 2];
    return times[n / 2];
  }

  /** How long the JIT compiler must have been idle for the warm-up to end. */
  private static final long QUIET_NANOS = 2_000_000_000L;

  /** The longest the warm-up waits for the JIT compiler after {@code --warmup} seconds. */
  private static final long MAX_EXTRA_WARMUP_NANOS = 120_000_000_000L;

  /**
   * The CPU time of the whole process (every thread: the parser's helpers, GC, the JIT), or 0 if
   * unknown: on Linux the sum of each thread's time on the CPU in nanoseconds
   * ({@code /proc/self/task/}TID{@code /schedstat}), elsewhere what the JVM reports (on Linux that
   * counts in steps of 10 ms, as coarse as the figures it would compare). A thread that ends between
   * two readings takes its time with it; the threads a measurement uses (the parser's pool, GC, JIT)
   * outlive it.
   */
  static long processCpu() {
    return processCpu(new long[THREAD_KINDS.length]);
  }

  /** The kinds of thread {@link #processCpu(long[])} counts apart, by the start of their names. */
  private static final String[] THREAD_KINDS = {"ForkJoinPool", "G1 |GC |VM Thread", "C1 |C2 "};

  /**
   * {@link #processCpu()}, and the part of it of each of {@link #THREAD_KINDS} (the parser's pool, the
   * GC, the JIT) added to {@code kinds} (left as it is where the JVM's figure is used).
   */
  static long processCpu(long[] kinds) {
    long sum = 0;
    try (java.nio.file.DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
      for (Path task : tasks) {
        String stat;
        String name;
        try {
          stat = Files.readString(task.resolve("schedstat"), StandardCharsets.US_ASCII);
          name = Files.readString(task.resolve("comm"), StandardCharsets.UTF_8);
        } catch (IOException e) {
          continue;   // the thread ended meanwhile: its time is no longer the process's to count here
        }
        int space = stat.indexOf(' ');
        long ns = Long.parseLong(space < 0 ? stat.strip() : stat.substring(0, space));
        sum += ns;
        for (int k = 0; k < THREAD_KINDS.length; k++) {
          for (String prefix : THREAD_KINDS[k].split("\\|")) {
            if (name.startsWith(prefix)) {
              kinds[k] += ns;
            }
          }
        }
      }
      return sum;
    } catch (IOException | RuntimeException e) {
      return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
          ? os.getProcessCpuTime() : 0;
    }
  }

  private static final Path TASKS = Path.of("/proc/self/task");

  /** The median CPU time of the whole process in the last {@link #median} measurement. */
  private double lastProcessCpu;

  /** The parts of {@link #lastProcessCpu} of the parser's pool, the GC and the JIT. */
  private double[] lastKinds;

  /** The median CPU time of this thread in the last {@link #median} measurement (GC threads not counted). */
  private double lastCpu;

  /** The same, user mode only: the rest is the kernel's, mostly page faults. */
  private double lastUser;

  private static volatile int sink;

  private static void sink(Object o) {
    sink += System.identityHashCode(o) & 1;
  }

  // ---------------------------------------------------------------- printing

  private static String seconds(double s) {
    return s >= 10 ? String.format(Locale.ROOT, "%.1f s", s)
        : s >= 1 ? String.format(Locale.ROOT, "%.2f s", s)
        : String.format(Locale.ROOT, "%.1f ms", s * 1e3);
  }

  private static String rate(double perSecond, String unit) {
    return String.format(Locale.ROOT, "%,.0f %s", perSecond, unit);
  }

  /** How many times slower than mlb's parse+validate. */
  private static String ratio(double time, double parse) {
    return String.format(Locale.ROOT, "%.1f (mlb parse+validate %.1fx faster)", time / parse, time / parse);
  }

  private static String firstLine(String s) {
    String t = s.strip();
    int nl = t.indexOf('\n');
    return nl < 0 ? t : t.substring(0, nl);
  }

  private void printTable(PrintStream out) {
    int w0 = "measurement".length();
    int w1 = "time".length();
    int w2 = "rate".length();
    for (Row r : rows) {
      w0 = Math.max(w0, r.what().length());
      w1 = Math.max(w1, r.time().length());
      w2 = Math.max(w2, r.rate().length());
    }
    String format = "%-" + w0 + "s  %" + w1 + "s  %-" + w2 + "s  %s%n";
    out.println();
    out.printf(Locale.ROOT, format, "measurement", "time", "rate", "ratio (time / mlb parse+validate)");
    for (Row r : rows) {
      out.printf(Locale.ROOT, format, r.what(), r.time(), r.rate(), r.ratio());
    }
    out.flush();
  }

  /** {@code 2 CPUs, AMD EPYC, Linux 6.1, OpenJDK 64-Bit Server VM 17.0.15+6, load 1.00 0.50 0.20}. */
  static String machine() {
    String cpu = "unknown CPU";
    String load = "";
    try {
      cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse(cpu);
      String[] avg = Files.readString(Path.of("/proc/loadavg")).split(" ");
      load = ", load average " + avg[0] + " " + avg[1] + " " + avg[2];
    } catch (IOException | RuntimeException e) {
      // Not Linux, or /proc is not readable: the rest still says something.
    }
    List<String> heap = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("-Xm") || a.startsWith("-XX:+AlwaysPreTouch") || a.startsWith("-XX:+Use"))
        .collect(Collectors.toList());
    return Runtime.getRuntime().availableProcessors() + " CPUs, " + cpu + ", " + System.getProperty("os.name") + " "
        + System.getProperty("os.version") + ", " + System.getProperty("java.vm.name") + " "
        + System.getProperty("java.runtime.version") + (heap.isEmpty() ? ", default heap" : ", " + String.join(" ", heap))
        + load;
  }
}
