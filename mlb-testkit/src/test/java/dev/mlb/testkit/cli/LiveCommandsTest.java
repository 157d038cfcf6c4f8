package dev.mlb.testkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mlb.testkit.live.ToolRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The live commands' refusals that need no kernel: not root, a tool missing. */
class LiveCommandsTest {
  private final Function<Optional<String>, ToolRunner> routers = LiveCommand.routers;
  private final BooleanSupplier root = LiveCommand.root;

  @AfterEach
  void restore() {
    LiveCommand.routers = routers;
    LiveCommand.root = root;
  }

  private static Path policy(Path dir) throws IOException {
    Path p = dir.resolve("p.yaml");
    Files.writeString(p, LiveCommandsKernelTest.POLICY);
    return p;
  }

  @Test
  void notRootIsRefused(@TempDir Path tmp) throws IOException {
    LiveCommand.root = () -> false;
    MlbRun r = MlbRun.of("apply", "--policy", policy(tmp).toString(), "--state-dir", tmp.toString());
    assertEquals(2, r.code());
    assertEquals("mlb apply: must run as root (changing and reading iptables rules needs it)\n", r.err());
  }

  @Test
  void aMissingToolIsNamed(@TempDir Path tmp) throws IOException {
    LiveCommand.routers = ns -> new ToolRunner() {
      @Override
      public Result run(List<String> command, String stdin) {
        throw new ToolMissingException("iptables is not installed (not found); install the iptables package");
      }
    };
    MlbRun r = MlbRun.of("status", "--policy", policy(tmp).toString(), "--state-dir", tmp.toString());
    assertEquals(2, r.code());
    assertEquals("mlb status: iptables is not installed (not found); install the iptables package\n", r.err());
  }
}
