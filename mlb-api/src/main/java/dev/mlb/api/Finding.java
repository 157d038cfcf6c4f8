package dev.mlb.api;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * One problem found by validation or compilation, with where it is.
 *
 * <pre>{@code
 * Finding f = Finding.error("chain-name-length", "table mangle, chain x...x",
 *     "chain name \"x...x\" is 31 characters; iptables allows at most 28");
 * f.toString();   // "error [chain-name-length] table mangle, chain x...x: chain name ..."
 * }</pre>
 *
 * @param code a stable, kebab-case identifier of the kind of problem, for filtering and tests
 * @param severity how bad it is
 * @param location what it is about: a table/chain/rule path, a line, a policy field
 * @param message what is wrong and what was expected, naming the offending value
 */
public record Finding(String code, Severity severity, String location, String message) {

  public Finding {
    checkArgument(code != null && !code.isEmpty(), "code is empty");
    checkArgument(severity != null, "severity is null");
    checkArgument(location != null, "location is null");
    checkArgument(message != null && !message.isEmpty(), "message is empty");
  }

  public static Finding error(String code, String location, String message) {
    return new Finding(code, Severity.ERROR, location, message);
  }

  public static Finding warning(String code, String location, String message) {
    return new Finding(code, Severity.WARNING, location, message);
  }

  public static Finding info(String code, String location, String message) {
    return new Finding(code, Severity.INFO, location, message);
  }

  /** Whether this finding blocks rendering. */
  public boolean isError() {
    return severity == Severity.ERROR;
  }

  @Override
  public String toString() {
    return severity.name().toLowerCase(java.util.Locale.ROOT) + " [" + code + "] " + location + ": " + message;
  }
}
