package dev.mlb.api;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * A network interface name, possibly an iptables wildcard.
 *
 * <pre>{@code
 * InterfaceName.of("ppp0");          // one interface
 * InterfaceName.of("ppp+");          // every interface whose name starts with "ppp" (iptables only)
 * InterfaceName.of("ppp+").isWildcard();   // true
 * InterfaceName.of("eth0:1");        // IllegalArgumentException: ':' is not allowed
 * }</pre>
 *
 * <p>A name has 1 to 15 characters (the kernel's IFNAMSIZ of 16 less the terminating NUL). It may
 * not contain {@code /}, {@code :}, whitespace, quotes or backslashes, nor be {@code .} or {@code ..}:
 * the kernel refuses the first ones, and the rest could not be written into a restore or batch
 * file as one token. A trailing {@code +} is an iptables wildcard; {@link #isWildcard()} tells, and
 * the places that allow no wildcard (routes, ip rules) reject it.
 *
 * @param name the name as the kernel and iptables print it
 */
public record InterfaceName(String name) implements Comparable<InterfaceName> {

  /** IFNAMSIZ less the NUL. */
  public static final int MAX_LENGTH = 15;

  public InterfaceName {
    checkArgument(name != null, "interface name is null");
    String problem = problem(name);
    if (problem != null) {
      throw new IllegalArgumentException("interface name \"" + name + "\" " + problem);
    }
  }

  /** The interface called {@code name}. */
  public static InterfaceName of(String name) {
    return new InterfaceName(name);
  }

  /** What is wrong with {@code name} as an interface name, or {@code null} if nothing. */
  static String problem(String name) {
    if (name.isEmpty()) {
      return "is empty; expected 1 to 15 characters";
    }
    if (name.length() > MAX_LENGTH) {
      return "is " + name.length() + " characters; the kernel allows at most 15";
    }
    if (name.equals(".") || name.equals("..")) {
      return "is reserved by the kernel";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '/' || c == ':') {
        return "contains '" + c + "' at position " + (i + 1) + "; the kernel does not allow it";
      }
      if (c <= ' ' || c >= 0x7f) {
        return "contains a whitespace, control or non-ASCII character at position " + (i + 1);
      }
      if (c == '"' || c == '\'' || c == '\\') {
        return "contains " + c + " at position " + (i + 1)
            + "; quotes and backslashes cannot be written as part of one token";
      }
      if (c == '+' && i != name.length() - 1) {
        return "contains '+' at position " + (i + 1) + "; '+' is only allowed last, as a wildcard";
      }
    }
    return null;
  }

  /** Whether the name ends in {@code +}, matching every interface with the part before it as prefix. */
  public boolean isWildcard() {
    return name.endsWith("+");
  }

  /** Whether this name (wildcard or not) matches the real interface {@code device}. */
  public boolean matches(String device) {
    return isWildcard() ? device.startsWith(name.substring(0, name.length() - 1)) : name.equals(device);
  }

  @Override
  public int compareTo(InterfaceName o) {
    return name.compareTo(o.name);
  }

  /** The name itself. */
  @Override
  public String toString() {
    return name;
  }
}
