package dev.mlb.testkit.live;

/**
 * The router is not in a state mlb may change, or could not be read or changed; the message says
 * what and why. The command line prints it and exits 2.
 */
public class LiveException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public LiveException(String message) {
    super(message);
  }

  public LiveException(String message, Throwable cause) {
    super(message, cause);
  }
}
