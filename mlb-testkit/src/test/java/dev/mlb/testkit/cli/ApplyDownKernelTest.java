package dev.mlb.testkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.testkit.kernel.FailoverLab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mlb apply --down} and back with a plain {@code mlb apply}, in the kernel, without watch:
 * the same transition as {@code FailoverKernelTest}'s, by hand. nth splits exactly (see there).
 */
class ApplyDownKernelTest {
  static final String POLICY = """
      uplinks:
        - {name: isp1, interface: ppp0, gateway: 198.51.100.1, weight: 2}
        - {name: isp2, interface: ppp1, gateway: 198.51.100.17}
        - {name: isp3, interface: ppp2, gateway: 198.51.100.33}
      lan:
        interfaces: [eth0]
        prefixes: [192.0.2.0/24]
      balance:
        - {protocol: tcp, ports: [443, 7000]}
      """;

  @Test
  void applyDownThenApply(@TempDir Path tmp) throws IOException {
    Path policy = tmp.resolve("policy.yaml");
    Files.writeString(policy, POLICY);
    try (FailoverLab f = FailoverLab.start(POLICY)) {
      String[] where = {"--policy", policy.toString(), "--netns", f.lab.router().name(), "--state-dir",
          f.state.toString()};
      MlbRun apply = MlbRun.of(concat(new String[] {"apply"}, where));
      assertEquals(0, apply.code(), apply.err());
      FailoverLab.Echo echo = f.echo(45000);   // the first new flow: nth gives it to isp1
      echo.exchange();
      FailoverLab.Entry longLived = f.conntrack().stream().filter(e -> e.tuple().contains(":45000 ")).findFirst()
          .orElseThrow();
      assertTrue(f.marked(longLived, "isp1"), longLived.toString());
      assertEquals(Map.of("isp1", 1, "isp2", 1, "isp3", 1), f.split(3));
      Set<FailoverLab.Entry> before = f.conntrack();

      MlbRun down = MlbRun.of(concat(new String[] {"apply", "--down", "isp2"}, where));
      assertEquals(0, down.code(), down.err());
      assertTrue(down.out().endsWith("; down: isp2\n"), down.out());
      Set<FailoverLab.Entry> after = f.conntrack();
      assertTrue(before.stream().anyMatch(e -> f.marked(e, "isp2")), before.toString());
      assertTrue(after.stream().noneMatch(e -> f.marked(e, "isp2")), after.toString());
      before.stream().filter(e -> !f.marked(e, "isp2")).forEach(e -> assertTrue(after.contains(e), e + ": " + after));
      echo.exchange();
      assertEquals(Map.of("isp1", 4, "isp3", 2), f.split(6));
      MlbRun status = MlbRun.of(concat(new String[] {"status"}, where));
      assertEquals(0, status.code(), status.out() + status.err());
      assertTrue(status.out().lines().anyMatch(l -> l.matches("isp2 +down +\\S+ +mlb apply --down +-")), status.out());

      MlbRun back = MlbRun.of(concat(new String[] {"apply"}, where));
      assertEquals(0, back.code(), back.err());
      assertEquals(Map.of("isp1", 2, "isp2", 1, "isp3", 1), f.split(4));
      echo.exchange();
      assertTrue(f.conntrack().contains(longLived), "the long-lived connection kept its entry and mark");
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
