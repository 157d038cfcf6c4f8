package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.iproute.IpJsonParser;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.testkit.gen.RoutingPlanGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A namespace with veth pairs, all up, and addresses on them (IPv6 without duplicate address
 * detection, so the addresses are usable at once). {@link #create(String)} makes the links of
 * {@link RoutingPlanGenerator#labInterfaces}: {@code mlb0} / {@code mlb0p} to {@code mlb2} /
 * {@code mlb2p} with the lab's IPv4 and IPv6 prefixes.
 *
 * <pre>{@code
 * try (IprouteLab lab = IprouteLab.create("iproute")) {
 *   lab.batch(IpFamily.V4, IpBatchWriter.render(plan)).check();
 *   assertEquals(plan.rules(), lab.live(IpFamily.V4).rules());
 *   String answer = lab.routeGet(IpFamily.V4, "203.0.113.10", "mark", "0x1");
 * }
 * }</pre>
 */
final class IprouteLab implements AutoCloseable {
  final Netns ns;

  private IprouteLab(Netns ns) {
    this.ns = ns;
  }

  static IprouteLab create(String purpose) {
    Map<String, String> veths = new LinkedHashMap<>();
    for (int i = 0; i < 3; i++) {
      veths.put("mlb" + i, "mlb" + i + "p");
    }
    List<String> addresses = new ArrayList<>();
    for (IpFamily f : IpFamily.values()) {
      for (Map.Entry<InterfaceName, IpPrefix> e : RoutingPlanGenerator.labInterfaces(f).entries()) {
        addresses.add(e.getValue() + " dev " + e.getKey().name());
      }
    }
    return create(purpose, veths, addresses);
  }

  /**
   * A namespace with a veth pair for each of {@code veths} (link name to peer name) and each of
   * {@code addresses} ({@code "PREFIX dev LINK"}) added, once every link has carrier.
   */
  static IprouteLab create(String purpose, Map<String, String> veths, List<String> addresses) {
    Netns ns = Netns.create(purpose);
    try {
      // One batch per pair: the kernel adds a link's IPv6 multicast route when its carrier comes up,
      // so pairs brought up one after the other list these routes in the same order every time.
      veths.forEach((link, peer) -> {
        StringBuilder pair = new StringBuilder("link add " + link + " type veth peer name " + peer + "\n");
        for (String dev : List.of(link, peer)) {
          // No IPv6 link-local addresses: they would appear (and change the tables) asynchronously.
          pair.append("link set ").append(dev).append(" addrgenmode none\n");
        }
        pair.append("link set ").append(link).append(" up\n");
        pair.append("link set ").append(peer).append(" up\n");
        ns.run("ip", "-batch", "-").stdin(pair.toString()).check();
      });
      StringBuilder addr = new StringBuilder();
      for (String a : addresses) {
        boolean v6 = a.substring(0, a.indexOf(' ')).contains(":");
        addr.append("addr add ").append(a).append(v6 ? " nodad\n" : "\n");
      }
      ns.run("ip", "-batch", "-").stdin(addr.toString()).check();
      awaitCarrier(ns, veths.keySet());
    } catch (RuntimeException e) {
      ns.close();
      throw e;
    }
    return new IprouteLab(ns);
  }

  /** Waits (up to 5 s) until every link has carrier, so no route changes its linkdown flag later. */
  private static void awaitCarrier(Netns ns, Set<String> links) {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (true) {
      String shown = ns.run("ip", "-o", "link", "show").check().stdout();
      if (links.stream().allMatch(link -> shown.lines().anyMatch(l -> l.contains(": " + link + "@")
          && l.contains("LOWER_UP")))) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("links without carrier after 5 s:\n" + shown);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  static String flag(IpFamily family) {
    return family == IpFamily.V4 ? "-4" : "-6";
  }

  /** Runs {@code ip -4|-6 -batch -} with {@code batch} on standard input. */
  Netns.Result batch(IpFamily family, String batch) {
    return ns.run("ip", flag(family), "-batch", "-").stdin(batch).run();
  }

  /** {@code ip -json rule show} of the family. */
  String rulesJson(IpFamily family) {
    return ns.run("ip", flag(family), "-json", "rule", "show").check().stdout();
  }

  /** {@code ip -json route show table all} of the family. */
  String routesJson(IpFamily family) {
    return ns.run("ip", flag(family), "-json", "route", "show", "table", "all").check().stdout();
  }

  /** The namespace's rules and routes of {@code family}, parsed, without what the kernel made. */
  RoutingPlan live(IpFamily family) {
    return IpJsonParser.parse(rulesJson(family), routesJson(family), family).withoutKernelEntries();
  }

  /** {@code ip route get ARGS}: its first line, or "error: " and the error. */
  String routeGet(IpFamily family, String... args) {
    return routeGets(family, List.of(List.of(args))).get(0);
  }

  /**
   * {@link #routeGet} for each query: all in one {@code ip -batch} if every lookup succeeds (a
   * process per lookup would be slow), else each in one shell, so that errors line up too.
   */
  List<String> routeGets(IpFamily family, List<List<String>> queries) {
    StringBuilder batch = new StringBuilder();
    for (List<String> q : queries) {
      batch.append("route get ").append(String.join(" ", q)).append('\n');
    }
    Netns.Result all = ns.run("ip", flag(family), "-force", "-batch", "-").stdin(batch.toString()).run();
    // Each answer is one line, then indented continuation lines ("    cache ...").
    List<String> heads = all.stdout().lines().filter(l -> !l.isEmpty() && !Character.isWhitespace(l.charAt(0)))
        .toList();
    if (all.exitCode() == 0 && all.stderr().isEmpty() && heads.size() == queries.size()) {
      return heads;
    }
    StringBuilder script = new StringBuilder();
    for (List<String> q : queries) {
      script.append("if out=$(ip ").append(flag(family)).append(" route get");
      for (String a : q) {
        script.append(" '").append(a).append('\'');  // no argument has a single quote
      }
      script.append(" 2>&1); then printf '%s\\n' \"$out\" | head -n 1;")
          .append(" else printf 'error: %s\\n' \"$out\" | head -n 1; fi\n");
    }
    List<String> lines = ns.run("sh", "-s").stdin(script.toString()).check().stdout().lines().toList();
    assertEquals(queries.size(), lines.size(), "one line per route lookup: " + lines);
    return lines;
  }

  /** {@code sysctl -p FILE} inside the namespace, from a temporary file. */
  void loadSysctl(String conf) {
    try {
      Path file = Files.createTempFile("mlb-sysctl", ".conf");
      try {
        Files.writeString(file, conf, StandardCharsets.UTF_8);
        ns.run("sysctl", "-p", file.toString()).check();
      } finally {
        Files.delete(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The files under /proc/sys, read inside the namespace (one process), by path. */
  Map<String, String> proc(Set<String> paths) {
    List<String> argv = new ArrayList<>(List.of("cat"));
    paths.forEach(p -> argv.add("/proc/sys/" + p));
    List<String> values = ns.run(argv).check().stdout().lines().toList();
    assertEquals(paths.size(), values.size(), "one value per file: " + values);
    Map<String, String> m = new TreeMap<>();
    int i = 0;
    for (String p : paths) {
      m.put(p, values.get(i++).strip());
    }
    return m;
  }

  @Override
  public void close() {
    ns.close();
  }
}
