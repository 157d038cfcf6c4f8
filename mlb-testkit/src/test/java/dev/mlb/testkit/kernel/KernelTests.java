package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/**
 * The gate every kernel test passes first. Where the kernel lab cannot run, the test fails with the
 * reason when {@code CI=true} and is skipped with that reason otherwise.
 */
public final class KernelTests {
  private KernelTests() {}

  public static void requireKernel() {
    KernelSupport.unavailableReason()
        .ifPresent(
            why -> {
              String message = "kernel test needs root and network namespaces: " + why;
              if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(message + " (CI=true, so this is a failure, not a skip)");
              }
              Assumptions.abort(message + " (skipped; set CI=true to make this a failure)");
            });
  }
}
