package dev.mlb.testkit.cli;

/** The {@code mlb} command line. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(2);
  }
}
