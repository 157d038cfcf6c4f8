package dev.mlb.testkit.cli;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import dev.mlb.api.ValidationException;
import dev.mlb.iproute.IpBatchParser;
import dev.mlb.iproute.IpBatchWriter;
import dev.mlb.iproute.IpJsonParser;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.IpSets;
import dev.mlb.netfilter.ParsedRuleset;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.UncheckedModules;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code mlb fmt FILE}: reads a ruleset or a routing batch, validates it and prints its canonical
 * form.
 *
 * <pre>{@code
 * mlb fmt rules.v4                         # iptables-restore input, printed as iptables-save prints it
 * mlb fmt --format ip6tables rules.v6
 * mlb fmt --format ip-batch routes.batch   # ip -batch input, printed as mlb writes it
 * mlb fmt --format ip-json -6 live.json    # ip -json rule show + ip -json route show table all
 * cat rules.v4 | mlb fmt -
 * mlb fmt --strict rules.v4                # refuses rules with modules mlb does not model
 * mlb fmt --verbose rules.v4               # every warning, not one line per kind
 * ipset list -t > sets; mlb fmt --ipsets sets rules.v4   # also refuses rules naming sets that do not exist
 * }</pre>
 *
 * <p>Exit code 0 with the canonical text on standard output; 2 with the problems on standard error
 * (each {@code FILE: line N, column M: ...} or {@code FILE: line N: error [...] ...}). Warnings go to
 * standard error too, one line per kind: the first, with how many more there are
 * ({@code --verbose} prints every one); the modules mlb keeps verbatim are one line
 * {@code FILE: not checked: LED ×2, u32 ×1 (...)}.
 */
@Command(
    name = "fmt",
    mixinStandardHelpOptions = true,
    description = "Read a ruleset or routing batch, check it, and print its canonical form.")
final class FmtCommand implements Callable<Integer> {

  /** The input formats. */
  enum Format {
    iptables,
    ip6tables,
    ip_batch,
    ip_json;

    @Override
    public String toString() {
      return name().replace('_', '-');
    }
  }

  @ParentCommand Main main;

  @Parameters(index = "0", paramLabel = "FILE", description = "The file to read, or - for standard input.")
  String file;

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      defaultValue = "iptables",
      converter = FormatConverter.class,
      description = "iptables (default), ip6tables, ip-batch or ip-json.")
  Format format;

  @Option(names = "-6", description = "The ip-batch or ip-json input is IPv6 (default: IPv4).")
  boolean ipv6;

  @Option(names = "--strict", description = "Refuse rules that use a match or target mlb does not model"
      + " (they would pass unchecked).")
  boolean strict;

  @Option(names = "--verbose", description = "Print every warning, not one line per kind.")
  boolean verbose;

  @Option(names = "--ipsets", paramLabel = "SETS", description = "The ipsets that exist (the output of"
      + " \"ipset list -t\" or \"ipset save\"): rules naming another set, or one of the other family, are refused"
      + " as iptables refuses them. Without it, set names are not checked.")
  Path ipsets;

  /**
   * The input text until the rules are parsed; then null, so that the text (as large as the file)
   * is not kept while the ruleset is checked and written.
   */
  private String input;

  @Override
  public Integer call() {
    try {
      input = file.equals("-") ? Input.decode(main.stdin.readAllBytes()) : Input.read(Path.of(file));
    } catch (IOException e) {
      main.stderr.println("mlb fmt: " + file + ": " + describe(e));
      return Main.INVALID;
    }
    String source = file.equals("-") ? "<stdin>" : file;
    IpSets sets = null;
    if (ipsets != null) {
      try {
        sets = IpSets.parse(ipsets.toString(), Input.read(ipsets));
      } catch (IOException e) {
        main.stderr.println("mlb fmt: " + ipsets + ": " + describe(e));
        return Main.INVALID;
      } catch (ParseException e) {
        main.stderr.println(e.describe());
        return Main.INVALID;
      }
    }
    try {
      if (format == Format.iptables || format == Format.ip6tables) {
        return rules(source, format == Format.iptables ? IpFamily.V4 : IpFamily.V6, sets);
      }
      String text = input;
      input = null;
      String out = switch (format) {
        case ip_batch -> routes(IpBatchParser.parse(source, text, family()));
        case ip_json -> routes(IpJsonParser.parseOutput(source, text, family()).withoutKernelEntries());
        default -> throw new AssertionError(format);
      };
      if (out == null) {
        return Main.INVALID;
      }
      main.stdout.print(out);
      main.stdout.flush();
      return 0;
    } catch (ParseException e) {
      main.stderr.println(source + ": " + e.getMessage());
      return Main.INVALID;
    } catch (ValidationException e) {
      e.findings().forEach(f -> main.stderr.println(source + ": " + f));
      return Main.INVALID;
    }
  }

  private IpFamily family() {
    return ipv6 ? IpFamily.V6 : IpFamily.V4;
  }

  /**
   * Prints the errors and the summarised findings ({@link #report}), then the canonical rules
   * streamed to standard output (in the writer's 64 KiB pieces, never the whole text at once); 0, or
   * 2 after printing the errors.
   */
  private int rules(String source, IpFamily family, IpSets sets) {
    String text = input;
    input = null;
    ParsedRuleset parsed = strict ? RestoreParser.parseStrict(source, text, family)
        : RestoreParser.parseWithLines(source, text, family);
    text = null;   // the interpreter keeps a local's object alive until the slot is overwritten
    List<Finding> findings = sets == null ? parsed.ruleset().validate() : parsed.ruleset().validate(sets);
    boolean failed = false;
    StringBuilder errors = new StringBuilder();
    for (Finding f : findings) {
      if (f.isError()) {
        errors.append(source).append(": ").append(parsed.describe(f)).append('\n');
        failed = true;
      }
    }
    // One write for all the errors: the standard error stream flushes on every line.
    main.stderr.print(errors);
    report(source, parsed, findings);
    main.stderr.flush();
    if (failed) {
      return Main.INVALID;
    }
    try {
      RestoreWriter.write(parsed.ruleset(), new Utf8Out(main.stdout));
      main.stdout.flush();
    } catch (IOException e) {
      main.stderr.println("mlb fmt: writing the output: " + describe(e));
      return Main.INVALID;
    }
    return 0;   // Main reports a write that failed (main.stdout.checkError())
  }

  /**
   * The writer's 64 KiB pieces, each encoded as UTF-8 in one call and written as bytes: for ASCII
   * text that is one array copy, where a {@code Writer} runs a charset encoder over every character.
   */
  private static final class Utf8Out implements Appendable {
    private final OutputStream out;

    Utf8Out(OutputStream out) {
      this.out = out;
    }

    @Override
    public Appendable append(CharSequence text) throws IOException {
      out.write(text.toString().getBytes(StandardCharsets.UTF_8));
      return this;
    }

    @Override
    public Appendable append(CharSequence text, int start, int end) throws IOException {
      return append(text.subSequence(start, end));
    }

    @Override
    public Appendable append(char c) throws IOException {
      return append(String.valueOf(c));
    }
  }

  /**
   * The warnings and notes: every one with {@code --verbose}; otherwise one line per kind (the
   * first, and how many more), and the modules kept verbatim on one line with their counts.
   */
  private void report(String source, ParsedRuleset parsed, List<Finding> findings) {
    Map<String, List<Finding>> byKind = new LinkedHashMap<>();
    for (Finding f : findings) {
      if (!f.isError()) {
        byKind.computeIfAbsent(f.code(), k -> new ArrayList<>()).add(f);
      }
    }
    for (Map.Entry<String, List<Finding>> kind : byKind.entrySet()) {
      List<Finding> all = kind.getValue();
      if (verbose) {
        all.forEach(f -> main.stderr.println(source + ": " + parsed.describe(f)));
      } else if (kind.getKey().equals("not-checked")) {
        UncheckedModules unchecked = UncheckedModules.of(parsed.ruleset());
        main.stderr.println(source + ": not checked: " + unchecked + " (kept verbatim; mlb does not check or"
            + " simulate these; first at " + parsed.describe(all.get(0)).replaceFirst(":.*", "")
            + "; --strict refuses them, --verbose lists each)");
      } else {
        main.stderr.println(source + ": " + parsed.describe(all.get(0)) + (all.size() == 1 ? ""
            : " (and " + (all.size() - 1) + " more [" + kind.getKey() + "]; --verbose prints every one)"));
      }
    }
  }

  /** The canonical batch, or null after printing the errors. */
  private String routes(RoutingPlan plan) {
    List<Finding> findings = plan.validate();
    boolean failed = false;
    for (Finding f : findings) {
      main.stderr.println((file.equals("-") ? "<stdin>" : file) + ": " + f);
      failed |= f.isError();
    }
    return failed ? null : IpBatchWriter.render(plan);
  }

  private static String describe(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /** Reads {@code ip-batch} as well as {@code ip_batch}. */
  static final class FormatConverter implements picocli.CommandLine.ITypeConverter<Format> {
    @Override
    public Format convert(String value) {
      for (Format f : Format.values()) {
        if (f.toString().equals(value)) {
          return f;
        }
      }
      throw new picocli.CommandLine.TypeConversionException(
          "unknown format \"" + value + "\"; expected iptables, ip6tables, ip-batch or ip-json");
    }
  }
}
