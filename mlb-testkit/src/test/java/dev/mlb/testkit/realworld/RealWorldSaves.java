package dev.mlb.testkit.realworld;

import dev.mlb.api.IpFamily;
import dev.mlb.netfilter.Chain;
import dev.mlb.netfilter.Goto;
import dev.mlb.netfilter.Jump;
import dev.mlb.netfilter.Match;
import dev.mlb.netfilter.OpaqueMatch;
import dev.mlb.netfilter.OpaqueTarget;
import dev.mlb.netfilter.Rule;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.netfilter.Table;
import dev.mlb.netfilter.Target;
import dev.mlb.netfilter.Verdict;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The real-world rulesets under {@code src/test/resources/realworld/}: files written to resemble
 * what docker, kube-proxy, fail2ban, ufw, Shorewall, firewalld, libvirt, wg-quick, OpenWrt and
 * admins leave in the kernel (each file's first line says what it resembles). A {@code .v4} file
 * is iptables input, a {@code .v6} file ip6tables input; every one loads in the kernel
 * ({@code RealWorldSavesKernelTest}).
 *
 * <pre>{@code
 * for (RealWorldSaves.Save s : RealWorldSaves.all()) {
 *   Ruleset r = RestoreParser.parse(s.name(), s.text(), s.family());
 *   RealWorldSaves.Census c = RealWorldSaves.census(r);   // rules, modules, pass-through
 * }
 * }</pre>
 */
public final class RealWorldSaves {
  private RealWorldSaves() {}

  /** The directory, relative to the mlb-testkit module (the working directory of its tests). */
  public static final Path DIR = Path.of("src", "test", "resources", "realworld");

  private static final Pattern CHAIN_COUNTERS = Pattern.compile("(?m)^(:\\S+ \\S+) \\[[0-9]+:[0-9]+\\]$");

  /** One file: its name, its family (by extension) and its text. */
  public record Save(String name, IpFamily family, String text) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** Every file, sorted by name. */
  public static List<Save> all() {
    try (Stream<Path> files = Files.list(DIR)) {
      return files
          .filter(p -> p.toString().endsWith(".v4") || p.toString().endsWith(".v6"))
          .sorted()
          .map(RealWorldSaves::read)
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Save read(Path p) {
    try {
      String name = p.getFileName().toString();
      return new Save(name, name.endsWith(".v6") ? IpFamily.V6 : IpFamily.V4,
          Files.readString(p, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code save} as mlb renders it: without {@code #} lines and with every chain's counters
   * {@code [0:0]} (mlb never keeps counters; in a fresh namespace the kernel's are 0 anyway).
   */
  public static String canonicalSave(String save) {
    String noComments = save.lines().filter(l -> !l.startsWith("#"))
        .map(l -> l + "\n").collect(Collectors.joining());
    return CHAIN_COUNTERS.matcher(noComments).replaceAll("$1 [0:0]");
  }

  /**
   * What a parsed ruleset uses: its rule count, how many rules mlb models completely (no match or
   * target kept verbatim), and every match module and target extension with its count, marked
   * {@code *} where at least one use is passed through verbatim.
   */
  public record Census(int rules, int modelledRules, Map<String, Integer> modules, Map<String, Integer> passedThrough) {
    public boolean fullyModelled() {
      return rules == modelledRules;
    }

    /** e.g. {@code comment x12, tcp x4, LOG* x2} ({@code *}: passed through verbatim). */
    public String describe() {
      return modules.entrySet().stream()
          .map(e -> e.getKey() + (passedThrough.containsKey(e.getKey()) ? "*" : "") + " x" + e.getValue())
          .collect(Collectors.joining(", "));
    }
  }

  /**
   * For every rule, in the order {@code RestoreWriter} writes them (tables, then each table's
   * chains, then each chain's rules), whether mlb models it completely.
   */
  public static List<Boolean> modelledInOrder(Ruleset ruleset) {
    List<Boolean> out = new ArrayList<>();
    for (Table t : ruleset.tables()) {
      for (Chain c : t.chains()) {
        for (Rule r : c.rules()) {
          out.add(modelled(r));
        }
      }
    }
    return out;
  }

  /** Whether no match and no target of {@code rule} is kept verbatim. */
  public static boolean modelled(Rule rule) {
    return rule.matches().stream().noneMatch(m -> m instanceof OpaqueMatch)
        && !(rule.target().orElse(null) instanceof OpaqueTarget);
  }

  public static Census census(Ruleset ruleset) {
    int rules = 0;
    int modelled = 0;
    Map<String, Integer> modules = new TreeMap<>();
    Map<String, Integer> opaque = new TreeMap<>();
    for (Table t : ruleset.tables()) {
      for (Chain c : t.chains()) {
        for (Rule r : c.rules()) {
          rules++;
          boolean all = true;
          for (Match m : r.matches()) {
            modules.merge(m.module(), 1, Integer::sum);
            if (m instanceof OpaqueMatch) {
              opaque.merge(m.module(), 1, Integer::sum);
              all = false;
            }
          }
          if (r.target().isPresent()) {
            Target target = r.target().get();
            boolean grammar = target instanceof Verdict || target instanceof Jump || target instanceof Goto;
            if (!grammar) {
              modules.merge(target.name(), 1, Integer::sum);
            }
            if (target instanceof OpaqueTarget) {
              opaque.merge(target.name(), 1, Integer::sum);
              all = false;
            }
          }
          if (all) {
            modelled++;
          }
        }
      }
    }
    return new Census(rules, modelled, modules, opaque);
  }
}
