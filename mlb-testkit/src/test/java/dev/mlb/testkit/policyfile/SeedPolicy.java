package dev.mlb.testkit.policyfile;

import dev.mlb.api.policy.BalancingPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** The seed scenario as a policy: {@code examples/seed-policy.yaml} (the tests' working directory is mlb-testkit). */
public final class SeedPolicy {
  private SeedPolicy() {}

  public static final Path FILE = Path.of("examples/seed-policy.yaml");

  public static BalancingPolicy policy() {
    try {
      return PolicyFile.read(FILE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
