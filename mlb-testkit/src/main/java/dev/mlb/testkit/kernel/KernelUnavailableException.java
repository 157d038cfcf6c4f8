package dev.mlb.testkit.kernel;

/** The real kernel cannot be used here: not root, no network namespaces, or a tool is missing. */
public final class KernelUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public KernelUnavailableException(String message) {
    super(message);
  }
}
