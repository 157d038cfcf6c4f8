package dev.mlb.api;

/** How bad a {@link Finding} is. */
public enum Severity {
  /** The kernel or the tool would refuse it, or it cannot work. Rendering is refused. */
  ERROR,
  /** It loads, but very likely does not do what was meant. */
  WARNING,
  /** Worth knowing; nothing is wrong. */
  INFO
}
