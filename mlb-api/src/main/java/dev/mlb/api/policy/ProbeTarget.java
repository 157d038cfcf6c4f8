package dev.mlb.api.policy;

import static java.util.Objects.requireNonNull;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import java.util.OptionalInt;

/**
 * What a health probe of an uplink asks: an ICMP echo to an address, or a TCP connection to an
 * address and port. {@link #toString()} is the canonical form that {@link #parse} reads.
 *
 * <pre>{@code
 * ProbeTarget.parse("192.0.2.53");            // ICMP echo
 * ProbeTarget.parse("tcp:203.0.113.9:443");   // TCP connect
 * ProbeTarget.parse("tcp:[2001:db8::9]:443"); // IPv6 addresses in brackets
 * ProbeTarget.tcp(IpAddress.parse("203.0.113.9"), 443).toString();   // "tcp:203.0.113.9:443"
 * }</pre>
 *
 * <p>A probe leaves through the uplink it tests (bound to the uplink's interface, with the uplink's
 * mark), so the address should lie beyond the provider: a gateway often answers while the
 * provider's upstream is dead.
 */
public record ProbeTarget(IpAddress address, OptionalInt tcpPort) {

  public ProbeTarget {
    requireNonNull(address, "address");
    requireNonNull(tcpPort, "tcpPort");
    if (tcpPort.isPresent() && (tcpPort.getAsInt() < 1 || tcpPort.getAsInt() > 65535)) {
      throw new IllegalArgumentException("TCP port " + tcpPort.getAsInt() + " is out of range; expected 1 to 65535");
    }
  }

  /** An ICMP (or ICMPv6) echo request to {@code address}. */
  public static ProbeTarget icmp(IpAddress address) {
    return new ProbeTarget(address, OptionalInt.empty());
  }

  /** A TCP connection to {@code address} port {@code port} (1 to 65535). */
  public static ProbeTarget tcp(IpAddress address, int port) {
    return new ProbeTarget(address, OptionalInt.of(port));
  }

  /**
   * Reads {@code ADDRESS} (ICMP echo) or {@code tcp:ADDRESS:PORT} ({@code tcp:[ADDRESS]:PORT} for
   * IPv6).
   *
   * @throws IllegalArgumentException naming the text and what was expected
   */
  public static ProbeTarget parse(String text) {
    requireNonNull(text, "text");
    if (!text.startsWith("tcp:")) {
      if (text.contains(":") && !looksLikeV6(text)) {
        throw bad(text, "a probe kind of tcp (the only one with a port); ICMP targets are a bare address");
      }
      return icmp(address(text, text));
    }
    String rest = text.substring(4);
    int colon;
    String host;
    if (rest.startsWith("[")) {
      int close = rest.indexOf(']');
      if (close < 0 || close + 1 >= rest.length() || rest.charAt(close + 1) != ':') {
        throw bad(text, "tcp:[IPV6-ADDRESS]:PORT");
      }
      host = rest.substring(1, close);
      colon = close + 1;
    } else {
      colon = rest.lastIndexOf(':');
      if (colon < 0) {
        throw bad(text, "tcp:ADDRESS:PORT (the port is missing)");
      }
      host = rest.substring(0, colon);
      if (host.contains(":")) {
        throw bad(text, "an IPv6 address in brackets, tcp:[ADDRESS]:PORT");
      }
    }
    IpAddress address = address(text, host);
    if (address.family() == IpFamily.V6 && !rest.startsWith("[")) {
      throw bad(text, "an IPv6 address in brackets, tcp:[ADDRESS]:PORT");
    }
    String port = rest.substring(colon + 1);
    if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw bad(text, "a port 1 to 65535 after the last ':'");
    }
    int p = Integer.parseInt(port);
    if (p < 1 || p > 65535) {
      throw bad(text, "a port 1 to 65535 after the last ':'");
    }
    return tcp(address, p);
  }

  private static boolean looksLikeV6(String text) {
    return text.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
  }

  private static IpAddress address(String text, String host) {
    try {
      return IpAddress.parse(host);
    } catch (IllegalArgumentException e) {
      throw bad(text, "an IP address (" + e.getMessage() + ")");
    }
  }

  private static IllegalArgumentException bad(String text, String expected) {
    return new IllegalArgumentException("invalid probe target \"" + text + "\"; expected " + expected);
  }

  /** Whether the probe is a TCP connection (else an ICMP echo). */
  public boolean isTcp() {
    return tcpPort.isPresent();
  }

  /** The family of the address probed. */
  public IpFamily family() {
    return address.family();
  }

  @Override
  public String toString() {
    if (tcpPort.isEmpty()) {
      return address.toString();
    }
    return "tcp:" + (address.family() == IpFamily.V6 ? "[" + address + "]" : address.toString()) + ":" + tcpPort.getAsInt();
  }
}
