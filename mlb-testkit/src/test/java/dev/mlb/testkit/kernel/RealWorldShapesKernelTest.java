package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mlb.testkit.gen.RealWorldShapes;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Every real-world shape loads into the kernel with {@code iptables-legacy-restore}, and
 * {@code iptables-legacy-save} prints it back exactly as generated: the generator writes the
 * canonical text of the real tools, not something only mlb reads.
 */
class RealWorldShapesKernelTest {

  /**
   * The tables of {@code text}, by name, each from its {@code *TABLE} line to its {@code COMMIT}
   * line, without comment lines. iptables-legacy-save prints the tables in the order the kernel
   * registered them, which is not the order of the file, and prints the tables that were used in
   * the namespace before, so the comparison is table by table.
   */
  private static Map<String, String> tables(String text) {
    Map<String, String> out = new TreeMap<>();
    String name = null;
    StringBuilder b = new StringBuilder();
    for (String line : text.split("\n")) {
      if (line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("*")) {
        name = line.substring(1);
        b.setLength(0);
      }
      b.append(line).append('\n');
      if (line.equals("COMMIT")) {
        out.put(name, b.toString());
      }
    }
    return out;
  }

  @Test
  void everyShapeLoadsWithLegacyRestoreAndSavesBackAsGenerated() {
    KernelTests.requireKernel();
    for (RealWorldShapes.Shape shape : RealWorldShapes.Shape.values()) {
      String text = shape.generate(3_000, 16);
      try (Netns ns = Netns.create("shapes")) {
        Netns.Result test = ns.run("iptables-legacy-restore", "--test").stdin(text)
            .timeout(Duration.ofSeconds(120)).run();
        assertEquals(0, test.exitCode(), shape + ": iptables-legacy-restore --test: " + test.stderr());
        Netns.Result loaded = ns.run("sh", "-c", "iptables-legacy-restore && iptables-legacy-save").stdin(text)
            .timeout(Duration.ofSeconds(120)).run();
        assertEquals(0, loaded.exitCode(), shape + ": " + loaded.stderr());
        Map<String, String> generated = tables(text);
        Map<String, String> saved = tables(loaded.stdout());
        saved.keySet().retainAll(generated.keySet());
        assertEquals(generated, saved, shape + ": saved back");
      }
    }
  }
}
