package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Re-makes every golden file (paths relative to the mlb-testkit module) with the real tools and checks it still says the same: load the input
 * into a fresh namespace, run iptables-save, compare with the checked-in output (less the {@code #}
 * lines). The netfilter module's tests compare mlb's rendering with the same files, so mlb's output
 * equals the live kernel's.
 */
class GoldenKernelTest {
  private static final Path GOLDEN = Path.of("..", "mlb-netfilter", "src", "test", "resources", "golden");

  @ParameterizedTest
  @CsvSource({
    "examples/seed-rules.v4, seed-rules.v4.save, iptables",
    "../mlb-netfilter/src/test/resources/golden/coverage.v4, coverage.v4.save, iptables",
    "../mlb-netfilter/src/test/resources/golden/coverage.v6, coverage.v6.save, ip6tables",
  })
  void goldenFilesAreWhatTheRealToolsPrint(String input, String saved, String tool) throws IOException {
    KernelTests.requireKernel();
    String rules = Files.readString(Path.of(input), StandardCharsets.UTF_8);
    try (Netns ns = Netns.create("golden")) {
      ns.run(tool + "-restore").stdin(rules).check();
      String live = withoutComments(ns.run(tool + "-save").check().stdout());
      assertEquals(withoutComments(Files.readString(GOLDEN.resolve(saved), StandardCharsets.UTF_8)), live);
    }
  }

  static String withoutComments(String text) {
    return text.lines().filter(l -> !l.startsWith("#")).map(l -> l + "\n").collect(Collectors.joining());
  }
}
