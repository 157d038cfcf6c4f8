package dev.mlb.testkit.cli;

/**
 * Invalid input to a command (a file, its contents, an option value); the message names it. Exit code 2.
 *
 * <pre>{@code
 * throw new InputException("--flows " + n + ": expected 0..25000");   // "mlb check: --flows -5: expected 0..25000"
 * }</pre>
 */
final class InputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  InputException(String message) {
    super(message);
  }
}
