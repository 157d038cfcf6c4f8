package dev.mlb.testkit.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Which applied policy {@code mlb remove} and {@code mlb status} mean: its file, or only its name
 * (then the state record says what mlb applied). Exactly one of the two is given.
 */
final class PolicyOrName {
  @Option(names = "--policy", paramLabel = "FILE", description = "The policy file (YAML).")
  Path policy;

  @Option(names = "--name", paramLabel = "NAME",
      description = "The applied policy's name (its chain prefix, default mlb), from the state record.")
  String name;
}
