package dev.mlb.netfilter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Service names for ports, resolved through this machine's {@code /etc/services} as iptables resolves
 * them (glibc reads the same file), for example:
 *
 * <pre>{@code
 * Services.lookup("ssh", "tcp")      // 22, as libxt_tcp's xtables_parse_port(name, "tcp")
 * Services.lookup("ftp-data", null)  // 20, the first entry of any protocol (libxt_NAT: getservbyname(name, NULL))
 * Services.lookupAny("ntp")          // 123, getaddrinfo(NULL, name) of xtopt's XTTYPE_PORTRC: tcp, then udp, ...
 * }</pre>
 *
 * <p>Which protocol each module passes (iptables 1.8.9): {@code -m tcp} "tcp"; {@code -m sctp} "sctp";
 * {@code -m udp}, {@code -m dccp} and {@code -m conntrack}'s port options any protocol (getaddrinfo);
 * {@code -m multiport} the rule's {@code -p}; DNAT and REDIRECT (libxt_NAT) any (first line).
 */
final class Services {
  private static final Path FILE = Path.of("/etc/services");
  /** getaddrinfo's order of socket types/protocols when no hints are given (glibc gaih_inet_typeproto). */
  private static final List<String> ANY_ORDER = List.of("tcp", "udp", "dccp", "udplite", "sctp");

  private record Entry(String name, int port, String protocol, List<String> aliases) {
    boolean named(String n) {
      return name.equals(n) || aliases.contains(n);
    }
  }

  private Services() {}

  /** Thrown when {@code /etc/services} cannot be read; its message says why. */
  static final class Unavailable extends Exception {
    private static final long serialVersionUID = 1L;

    Unavailable(String message) {
      super(message);
    }
  }

  private static final class Holder {
    static final List<Entry> ENTRIES;
    static final String PROBLEM;

    static {
      List<Entry> entries = new ArrayList<>();
      String problem = null;
      try {
        for (String line : Files.readAllLines(FILE, StandardCharsets.ISO_8859_1)) {
          int hash = line.indexOf('#');
          String[] f = (hash < 0 ? line : line.substring(0, hash)).trim().split("\\s+");
          if (f.length < 2 || f[0].isEmpty()) {
            continue;
          }
          int slash = f[1].indexOf('/');
          if (slash <= 0) {
            continue;
          }
          int port;
          try {
            port = Integer.parseInt(f[1].substring(0, slash));
          } catch (NumberFormatException e) {
            continue;
          }
          if (port < 0 || port > 65535) {
            continue;
          }
          entries.add(new Entry(f[0], port, f[1].substring(slash + 1),
              List.of(f).subList(2, f.length)));
        }
      } catch (IOException e) {
        problem = FILE + " cannot be read (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
      }
      ENTRIES = List.copyOf(entries);
      PROBLEM = problem;
    }
  }

  /** The port of {@code name} for {@code protocol} ({@code null}: the first entry of any protocol). */
  static Optional<Integer> lookup(String name, String protocol) throws Unavailable {
    if (Holder.PROBLEM != null) {
      throw new Unavailable(Holder.PROBLEM);
    }
    for (Entry e : Holder.ENTRIES) {
      if (e.named(name) && (protocol == null || e.protocol().equals(protocol))) {
        return Optional.of(e.port());
      }
    }
    return Optional.empty();
  }

  /** The port of {@code name} as getaddrinfo without hints finds it: tcp first, then udp, dccp, ... */
  static Optional<Integer> lookupAny(String name) throws Unavailable {
    for (String p : ANY_ORDER) {
      Optional<Integer> port = lookup(name, p);
      if (port.isPresent()) {
        return port;
      }
    }
    return Optional.empty();
  }

  /**
   * {@code text} as a service name for a port, or a refusal naming the input: {@code protocol} "*" for
   * getaddrinfo's order, {@code null} for the first entry of any protocol, else that protocol.
   */
  static int resolve(ModuleContext rule, Token arg, String option, String text, String protocol, String expected) {
    Optional<Integer> port;
    try {
      port = "*".equals(protocol) ? lookupAny(text) : lookup(text, protocol);
    } catch (Unavailable e) {
      throw rule.error(arg, "bad port " + Arguments.quoted(text) + " in " + option + " " + arg.text()
          + "; expected " + expected + " (a service name needs " + e.getMessage() + ")");
    }
    if (port.isEmpty()) {
      throw rule.error(arg, "bad port " + Arguments.quoted(text) + " in " + option + " " + arg.text()
          + "; expected " + expected + " or a service name that " + FILE + " lists"
          + ("*".equals(protocol) || protocol == null ? "" : " for " + protocol));
    }
    return port.get();
  }
}
