package dev.mlb.testkit.cli;

/** Invalid input to a command (a file, its contents, an option value); the message names it. Exit code 2. */
final class InputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  InputException(String message) {
    super(message);
  }
}
