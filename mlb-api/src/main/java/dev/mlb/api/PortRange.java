package dev.mlb.api;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * A TCP/UDP port or an inclusive range of ports.
 *
 * <pre>{@code
 * PortRange.parse("80");          // 80
 * PortRange.parse("1024:65535");  // 1024:65535
 * PortRange.parse("1024:");       // 1024:65535, as iptables reads it
 * PortRange.of(53).contains(53);  // true
 * }</pre>
 *
 * <p>{@link #toString()} is the iptables form: {@code N} for one port, {@code FIRST:LAST} otherwise.
 *
 * @param first the lowest port, 0 to 65535
 * @param last the highest port, {@code first} to 65535
 */
public record PortRange(int first, int last) implements Comparable<PortRange> {

  public PortRange {
    checkArgument(first >= 0 && first <= 65535, "port %s is outside 0..65535", first);
    checkArgument(last >= 0 && last <= 65535, "port %s is outside 0..65535", last);
    checkArgument(first <= last, "port range %s:%s is empty; the first port must not exceed the last", first, last);
  }

  /** One port. */
  public static PortRange of(int port) {
    return new PortRange(port, port);
  }

  /** {@code first} to {@code last}, inclusive. */
  public static PortRange of(int first, int last) {
    return new PortRange(first, last);
  }

  /**
   * Parses {@code N}, {@code FIRST:LAST}, {@code FIRST:} (to 65535) or {@code :LAST} (from 0), as
   * iptables does. {@code FIRST-LAST} (the ip rule form) is accepted too.
   *
   * @throws IllegalArgumentException naming {@code text} if it is not a port or range
   */
  public static PortRange parse(String text) {
    checkArgument(text != null, "port range is null");
    int sep = text.indexOf(':');
    if (sep < 0) {
      sep = text.indexOf('-');
    }
    if (sep < 0) {
      return of(port(text, text));
    }
    String a = text.substring(0, sep);
    String b = text.substring(sep + 1);
    int first = a.isEmpty() ? 0 : port(text, a);
    int last = b.isEmpty() ? 65535 : port(text, b);
    if (first > last) {
      throw new IllegalArgumentException(
          "port range \"" + text + "\" is empty; expected FIRST:LAST with FIRST <= LAST");
    }
    return new PortRange(first, last);
  }

  private static int port(String whole, String part) {
    if (part.isEmpty() || part.length() > 5 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException(
          "\"" + whole + "\": \"" + part + "\" is not a port number; expected 0 to 65535");
    }
    int port = Integer.parseInt(part);
    if (port > 65535) {
      throw new IllegalArgumentException(
          "\"" + whole + "\": port " + port + " is outside 0..65535");
    }
    return port;
  }

  /** Whether this is a single port. */
  public boolean isSingle() {
    return first == last;
  }

  /** Whether {@code port} lies in the range. */
  public boolean contains(int port) {
    return port >= first && port <= last;
  }

  @Override
  public int compareTo(PortRange o) {
    int c = Integer.compare(first, o.first);
    return c != 0 ? c : Integer.compare(last, o.last);
  }

  /** {@code N} or {@code FIRST:LAST}. */
  @Override
  public String toString() {
    return isSingle() ? Integer.toString(first) : first + ":" + last;
  }
}
