package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.testkit.realworld.RealWorldSaves;
import dev.mlb.testkit.realworld.RealWorldSaves.Census;
import dev.mlb.testkit.realworld.RealWorldSaves.Save;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 16, acceptance 2: the real-world rulesets ({@link RealWorldSaves}, 33 files resembling
 * docker, kube-proxy, fail2ban, ufw, Shorewall, firewalld, libvirt, wg-quick, OpenWrt and admins'
 * hosts) against the kernel. Each file is loaded with {@code iptables-nft-restore} (or
 * {@code ip6tables-nft-restore}) into a fresh namespace and saved back with
 * {@code iptables-nft-save}; the save, less its {@code #} lines and with chain counters
 * {@code [0:0]} (a fresh namespace has seen no packets), is the golden text. Two checks:
 *
 * <ol>
 *   <li><b>round trip</b>, every file: mlb's rendering of its parse of the save is the save, byte
 *       for byte ({@code render(parse(save)) == save}). Modules mlb does not model are kept
 *       verbatim, so this also holds for them;
 *   <li><b>canonical form</b>, every file: mlb's rendering of the original file has the save's
 *       lines, and every line but the rules mlb keeps (partly) verbatim is the save's line: the
 *       tables, the chains with their policies, and every rule whose matches and target mlb models.
 *       A rule with a pass-through part keeps that part as written (a file written in short forms,
 *       {@code --icmp-type echo-request}, stays so), so it is not compared; a file mlb models
 *       completely must be the save as a whole.
 * </ol>
 *
 * <p>A few files are also loaded with {@code iptables-legacy-restore}: each table of the legacy
 * save must be the nft save's table, and mlb's round trip of the legacy save must give every
 * table back byte for byte. The legacy tools print the tables in another order (the order the
 * kernel registered them, e.g. {@code nat} before {@code mangle}); mlb writes them in
 * iptables-nft's order, so the tables are compared one by one.
 *
 * <p>A failure in a module another branch of issue 16 is modelling right now would be listed in
 * {@link #KNOWN} with the reason; there is none.
 */
class RealWorldSavesKernelTest {

  /** Files whose round trip fails in a module that is being modelled (issue 16): file to reason. */
  static final Map<String, String> KNOWN = Map.of();

  /** Files also checked on the legacy backend. */
  static final List<String> LEGACY = List.of(
      "docker-bridge.v4", "kube-proxy-iptables.v4", "ufw-default.v4", "shorewall-two-interface.v4",
      "openwrt-mwan3.v4", "ufw-default.v6", "docker-ipv6.v6");

  @Test
  void everySaveRoundTripsAndModelledFilesRenderAsTheKernelPrints() {
    KernelTests.requireKernel();
    List<Save> saves = RealWorldSaves.all();
    assertTrue(saves.size() >= 30, "only " + saves.size() + " files");
    List<String> failures = new ArrayList<>();
    int roundFiles = 0;
    int roundRules = 0;
    int modelledFiles = 0;
    int canonicalFiles = 0;
    int modelledRules = 0;
    int canonicalRules = 0;
    int totalRules = 0;
    for (Save s : saves) {
      String kernel = load(s, "nft");
      Ruleset fromKernel = RestoreParser.parse(s.name() + " (iptables-save)", kernel, s.family());
      Census c = RealWorldSaves.census(fromKernel);
      totalRules += c.rules();
      String again = RestoreWriter.render(fromKernel);
      boolean round = again.equals(kernel);
      if (round) {
        roundFiles++;
        roundRules += c.rules();
      } else if (!KNOWN.containsKey(s.name())) {
        failures.add(s.name() + ": render(parse(save)) is not the save\n"
            + firstDifference(kernel, again));
      }
      Ruleset parsed = RestoreParser.parse(s.name(), s.text(), s.family());
      Census original = RealWorldSaves.census(parsed);
      String rendered = RestoreWriter.render(parsed);
      boolean canonical = rendered.equals(kernel);
      canonicalFiles += canonical ? 1 : 0;
      modelledFiles += original.fullyModelled() ? 1 : 0;
      // Rule by rule: every line but the -A lines of rules kept (partly) verbatim is the kernel's.
      List<Boolean> modelled = RealWorldSaves.modelledInOrder(parsed);
      String[] k = kernel.split("\n");
      String[] m = rendered.split("\n");
      int fileModelled = 0;
      int fileCanonical = 0;
      if (k.length != m.length) {
        failures.add(s.name() + ": mlb's rendering of the file has " + m.length + " lines, the save " + k.length
            + "\n" + firstDifference(kernel, rendered));
      } else {
        int rule = 0;
        for (int i = 0; i < k.length; i++) {
          boolean isRule = m[i].startsWith("-A ");
          boolean check = !isRule || modelled.get(rule);
          if (isRule && modelled.get(rule)) {
            fileModelled++;
            fileCanonical += k[i].equals(m[i]) ? 1 : 0;
          }
          if (check && !k[i].equals(m[i]) && !KNOWN.containsKey(s.name())) {
            failures.add(s.name() + ": line " + (i + 1) + " (a line mlb models completely) is not what the kernel"
                + " prints\n  kernel: " + k[i] + "\n  mlb:    " + m[i]);
          }
          rule += isRule ? 1 : 0;
        }
      }
      modelledRules += fileModelled;
      canonicalRules += fileCanonical;
      String verdict = canonical ? "= save" : fileCanonical + "/" + fileModelled + " modelled rules = save";
      System.out.printf("%-30s %4d rules (%4d modelled)  round trip %-4s  original %-30s  %s%n",
          s.name(), c.rules(), c.modelledRules(), round ? "ok" : "FAIL", verdict, c.describe());
    }
    System.out.printf("round trip: %d/%d files, %d/%d rules byte-identical; original rendered: %d/%d files"
            + " byte-identical to the save (%d modelled completely), %d/%d completely modelled rules as the kernel"
            + " prints them%n",
        roundFiles, saves.size(), roundRules, totalRules, canonicalFiles, saves.size(), modelledFiles,
        canonicalRules, modelledRules);
    assertEquals(List.of(), failures);
  }

  @Test
  void theLegacyBackendSavesTheSameTables() {
    KernelTests.requireKernel();
    List<String> failures = new ArrayList<>();
    int checked = 0;
    for (Save s : RealWorldSaves.all()) {
      if (!LEGACY.contains(s.name())) {
        continue;
      }
      String legacy = load(s, "legacy");
      String mlb = RestoreWriter.render(RestoreParser.parse(s.name() + " (iptables-legacy-save)", legacy, s.family()));
      Map<String, String> fromLegacy = tables(legacy);
      Map<String, String> fromNft = tables(load(s, "nft"));
      for (Map.Entry<String, String> t : fromNft.entrySet()) {
        if (!t.getValue().equals(fromLegacy.get(t.getKey()))) {
          failures.add(s.name() + " table " + t.getKey() + ": legacy and nft saves differ\n"
              + firstDifference(t.getValue(), String.valueOf(fromLegacy.get(t.getKey()))));
        }
      }
      Map<String, String> fromMlb = tables(mlb);
      if (!fromMlb.equals(fromLegacy)) {
        failures.add(s.name() + ": render(parse(legacy save)) does not give the legacy save's tables back\n"
            + firstDifference(legacy, mlb));
      }
      checked++;
      System.out.printf("legacy %-28s tables %s (nft: %s): each as nft saves it %s, mlb round trip per table %s%n",
          s.name(), fromLegacy.keySet(), fromNft.keySet(), fromNft.equals(fromLegacy) ? "yes" : "NO",
          fromMlb.equals(fromLegacy) ? "ok" : "FAIL");
    }
    assertEquals(LEGACY.size(), checked, "a file of LEGACY is missing");
    assertEquals(List.of(), failures);
  }

  /**
   * Loads {@code s} into a fresh namespace with the {@code backend} ("nft" or "legacy") tools and
   * returns the save: {@code #} lines out, chain counters {@code [0:0]}, and (legacy only) the
   * tables the file does not have left out (the legacy tools show every table the namespace has).
   */
  static String load(Save s, String backend) {
    String tool = s.family() == IpFamily.V4 ? "iptables" : "ip6tables";
    try (Netns ns = Netns.create("realworld")) {
      ns.run(tool + "-" + backend + "-restore").stdin(s.text()).check();
      String saved = RealWorldSaves.canonicalSave(ns.run(tool + "-" + backend + "-save").check().stdout());
      return backend.equals("nft") ? saved : RestoreLab.onlyTablesOf(s.text(), saved);
    }
  }

  /** Each table's block ({@code *name} to {@code COMMIT}) by name. */
  static Map<String, String> tables(String save) {
    Map<String, String> out = new LinkedHashMap<>();
    String name = null;
    StringBuilder block = new StringBuilder();
    for (String line : save.split("\n")) {
      if (line.startsWith("*")) {
        name = line.substring(1);
        block.setLength(0);
      }
      block.append(line).append('\n');
      if (line.equals("COMMIT") && name != null) {
        out.put(name, block.toString());
        name = null;
      }
    }
    return out;
  }

  /** The first line where {@code kernel} and {@code mlb} differ. */
  static String firstDifference(String kernel, String mlb) {
    String[] x = kernel.split("\n", -1);
    String[] y = mlb.split("\n", -1);
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      String k = i < x.length ? x[i] : "<end>";
      String m = i < y.length ? y[i] : "<end>";
      if (!k.equals(m)) {
        return "  line " + (i + 1) + "\n  kernel: " + k + "\n  mlb:    " + m;
      }
    }
    return "  (equal)";
  }
}
