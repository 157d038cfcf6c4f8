package dev.mlb.testkit.realworld;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Ruleset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every real-world ruleset ({@link RealWorldSaves}) without root: mlb parses it, renders it, and
 * rendering what it rendered gives the same text again ({@code render(parse(render(parse(x))))
 * == render(parse(x))}). That the first rendering is what the kernel prints is
 * {@code RealWorldSavesKernelTest}'s part.
 */
class RealWorldSavesTest {

  @Test
  void thereAreAtLeastThirtyAndEachSaysWhatItResembles() {
    List<RealWorldSaves.Save> saves = RealWorldSaves.all();
    assertTrue(saves.size() >= 30, "only " + saves.size() + " files in " + RealWorldSaves.DIR);
    assertTrue(saves.stream().anyMatch(s -> s.name().endsWith(".v6")), "no IPv6 file");
    for (RealWorldSaves.Save s : saves) {
      String first = s.text().lines().findFirst().orElse("");
      assertTrue(first.startsWith("# Resembles ") && first.contains("written for mlb's tests"),
          s.name() + ": the first line must say what the file resembles and that it was written for mlb's tests: " + first);
    }
  }

  @Test
  void renderingIsIdempotentOnEveryFile() {
    List<String> failures = new ArrayList<>();
    int rules = 0;
    for (RealWorldSaves.Save s : RealWorldSaves.all()) {
      try {
        Ruleset once = RestoreParser.parse(s.name(), s.text(), s.family());
        String r1 = RestoreWriter.render(once);
        String r2 = RestoreWriter.render(RestoreParser.parse(s.name() + " (rendered)", r1, s.family()));
        RealWorldSaves.Census c = RealWorldSaves.census(once);
        rules += c.rules();
        System.out.printf("%-32s %4d rules, %4d modelled  %s%n", s.name(), c.rules(), c.modelledRules(), c.describe());
        if (!r1.equals(r2)) {
          failures.add(s.name() + ": rendering again changes the text:\n" + firstDifference(r1, r2));
        }
      } catch (RuntimeException e) {
        failures.add(s.name() + ": " + e);
      }
    }
    System.out.println("idempotence: " + RealWorldSaves.all().size() + " files, " + rules + " rules, "
        + failures.size() + " failing");
    assertEquals(List.of(), failures);
  }

  /** The first line where {@code a} and {@code b} differ, from both. */
  static String firstDifference(String a, String b) {
    String[] x = a.split("\n", -1);
    String[] y = b.split("\n", -1);
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      String l = i < x.length ? x[i] : "<end>";
      String r = i < y.length ? y[i] : "<end>";
      if (!l.equals(r)) {
        return "  line " + (i + 1) + "\n  - " + l + "\n  + " + r;
      }
    }
    return "  (equal)";
  }
}
