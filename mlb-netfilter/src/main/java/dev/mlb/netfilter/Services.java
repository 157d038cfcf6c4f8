package dev.mlb.netfilter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Service names for ports, looked up as iptables looks them up: {@code getservbyname(3)} over the
 * machine's {@code /etc/services} (Debian's and most distributions' netbase file), so that a rule
 * read by mlb means what it means to iptables on the same machine.
 *
 * <pre>{@code
 * Services.port("ssh", "tcp");        // 22
 * Services.port("domain", "udp");     // 53
 * Services.port("ftp-data", null);    // 20: any protocol, the first entry of the file
 * Services.port("no-such", "tcp");    // -1
 * }</pre>
 *
 * <p>A name matches an entry's name or one of its aliases, for the given protocol ({@code null}:
 * any, as the NAT targets and {@code -m conntrack} ask); the first matching line wins. The file is
 * read once, on first use; the system property {@code mlb.services} names another file (tests).
 * Without the file, no name resolves, as with iptables there.
 */
final class Services {
  private Services() {}

  /** The file, read once. */
  private static final class Table {
    static final Path PATH = Path.of(System.getProperty("mlb.services", "/etc/services"));
    static final List<String[]> ENTRIES = read();

    private static List<String[]> read() {
      try {
        return Files.readAllLines(PATH, StandardCharsets.ISO_8859_1).stream()
            .map(l -> {
              int hash = l.indexOf('#');
              return (hash < 0 ? l : l.substring(0, hash)).trim();
            })
            .filter(l -> !l.isEmpty())
            .map(l -> l.split("\\s+"))
            .filter(f -> f.length >= 2 && f[1].indexOf('/') > 0)
            .toList();
      } catch (NoSuchFileException e) {
        return List.of();
      } catch (IOException e) {
        throw new IllegalStateException("cannot read " + PATH + ": " + e.getMessage(), e);
      }
    }
  }

  /** Whether {@code text} is spelled like a service name (not a number): it starts with a letter. */
  static boolean isName(String text) {
    return !text.isEmpty() && Character.isLetter(text.charAt(0));
  }

  /** The port of service {@code name} for protocol {@code proto} (null: any), or -1. */
  static int port(String name, String proto) {
    for (String[] f : Table.ENTRIES) {
      int slash = f[1].indexOf('/');
      if (proto != null && !f[1].substring(slash + 1).equals(proto)) {
        continue;
      }
      boolean named = f[0].equals(name);
      for (int i = 2; !named && i < f.length; i++) {
        named = f[i].equals(name);
      }
      if (named) {
        try {
          int port = Integer.parseInt(f[1].substring(0, slash));
          if (port >= 0 && port <= 65535) {
            return port;
          }
        } catch (NumberFormatException e) {
          // A malformed line: getservbyname skips it too.
        }
      }
    }
    return -1;
  }

  /** Where names were looked up, for messages: {@code /etc/services}, or that it is missing. */
  static String source() {
    return Table.ENTRIES.isEmpty() ? Table.PATH + ", which is missing or empty here" : Table.PATH.toString();
  }
}
