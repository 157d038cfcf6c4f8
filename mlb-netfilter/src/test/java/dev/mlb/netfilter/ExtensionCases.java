package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;

/**
 * The table-driven extension cases in {@code src/test/resources/extension-cases/NAME.cases}: each a
 * rule as written and what iptables-nft 1.8.9 made of it, recorded by loading the rule alone into a
 * fresh network namespace on Linux 6.18 and reading it back with iptables-save (the files say so
 * in their headers; ExtensionCasesKernelTest in mlb-testkit re-checks them against the kernel).
 *
 * <pre>{@code
 * 4	filter	INPUT	-m conntrack --ctproto tcp	-m conntrack --ctproto 6
 * 4	filter	INPUT	-m conntrack --ctexpire -1	REFUSED
 * }</pre>
 */
final class ExtensionCases {
  private ExtensionCases() {}

  /**
   * One case: the rule as written and what iptables-save printed after {@code -A CHAIN}; with the
   * ipsets that existed when it was recorded ({@code NAME.setup}), or null if the file has none.
   */
  record Case(String file, int line, IpFamily family, String table, String chain, String rule,
      Kind kind, String saved, IpSets sets) {
    String input() {
      return "*" + table + "\n-A " + chain + " " + rule + "\nCOMMIT\n";
    }

    @Override
    public String toString() {
      return file + ":" + line + " (" + (family == IpFamily.V4 ? "iptables" : "ip6tables") + ", " + table
          + " " + chain + ") " + rule;
    }
  }

  /** What iptables did with a case. */
  enum Kind {
    /** Loaded; {@link Case#saved} is what iptables-save printed. */
    LOADED,
    /** Refused by iptables-restore. */
    REFUSED,
    /** Loaded, but mlb refuses the form on purpose (address lists, ...). */
    MLB_REFUSES
  }

  /**
   * The ipsets that {@code NAME.setup} makes (its {@code ipset create} commands, read as
   * {@code ipset save} prints them), or null if there is no such file: the sets that existed in the
   * namespace when {@code NAME.cases} was recorded.
   */
  static IpSets sets(String name) {
    try (InputStream in = ExtensionCases.class.getResourceAsStream("/extension-cases/" + name + ".setup")) {
      if (in == null) {
        return null;
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return IpSets.parse(name + ".setup", text.replaceAll("(?m)^#.*$", "").replaceAll("(?m)^ipset ", ""));
    } catch (IOException e) {
      throw new AssertionError("cannot read extension-cases/" + name + ".setup", e);
    }
  }

  /** The cases of {@code NAME.cases}. */
  static List<Case> load(String name) {
    String file = name + ".cases";
    String text;
    try (InputStream in = ExtensionCases.class.getResourceAsStream("/extension-cases/" + file)) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException | NullPointerException e) {
      throw new AssertionError("cannot read extension-cases/" + file, e);
    }
    IpSets sets = sets(name);
    List<Case> cases = new ArrayList<>();
    String[] lines = text.split("\n");
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].isEmpty() || lines[i].startsWith("#")) {
        continue;
      }
      String[] f = lines[i].split("\t", -1);
      if (f.length != 5) {
        throw new AssertionError(file + ":" + (i + 1) + ": expected 5 tab-separated columns");
      }
      IpFamily family = f[0].equals("6") ? IpFamily.V6 : IpFamily.V4;
      String expected = f[4];
      Kind kind = Kind.LOADED;
      if (expected.equals("REFUSED")) {
        kind = Kind.REFUSED;
        expected = null;
      } else if (expected.startsWith("MLB-REFUSES ")) {
        kind = Kind.MLB_REFUSES;
        expected = expected.substring("MLB-REFUSES ".length(), expected.indexOf("  # "));
      }
      cases.add(new Case(file, i + 1, family, f[1], f[2], f[3], kind, expected, sets));
    }
    return cases;
  }

  /**
   * What mlb makes of the case: the rules after {@code -A CHAIN} as it writes them ({@code ||}
   * between rules), or null if it refuses the input (a parse error or a validation error).
   */
  static String mlb(Case c) {
    try {
      Ruleset r = RestoreParser.parse(c.file(), c.input(), c.family());
      List<Finding> findings = c.sets() == null ? r.validate() : r.validate(c.sets());
      if (findings.stream().anyMatch(Finding::isError)) {
        return null;
      }
      List<String> rules = new ArrayList<>();
      String prefix = "-A " + c.chain() + " ";
      for (String line : RestoreWriter.render(r).split("\n")) {
        if (line.startsWith(prefix)) {
          rules.add(line.substring(prefix.length()));
        }
      }
      return String.join(" || ", rules);
    } catch (ParseException e) {
      return null;
    }
  }

  /** mlb's refusal of the case if it is about /etc/services (a name it does not list, or no file), else null. */
  static String servicesProblem(Case c) {
    try {
      RestoreParser.parse(c.file(), c.input(), c.family());
      return null;
    } catch (ParseException e) {
      return e.getMessage().contains("/etc/services") ? e.getMessage() : null;
    }
  }

  /** One test per case of {@code NAME.cases}: mlb accepts what iptables loaded, as iptables-save printed it. */
  static Stream<DynamicTest> tests(String name) {
    List<Case> cases = load(name);
    assertTrue(cases.size() >= 10, name + ".cases holds " + cases.size() + " cases");
    return cases.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
      String mlb = mlb(c);
      switch (c.kind()) {
        case LOADED -> {
          String services = mlb == null ? servicesProblem(c) : null;
          // A case with a service name needs this machine's /etc/services to list it as the recording
          // host's did (Debian netbase); without that, this one case is skipped and says why.
          Assumptions.assumeTrue(services == null, () -> "skipped, /etc/services here: " + services);
          assertEquals(c.saved(), mlb, "iptables-save printed this; mlb should write the same");
        }
        case REFUSED, MLB_REFUSES -> assertEquals(null, mlb, "mlb should refuse this");
        default -> throw new AssertionError(c.kind());
      }
    }));
  }
}
