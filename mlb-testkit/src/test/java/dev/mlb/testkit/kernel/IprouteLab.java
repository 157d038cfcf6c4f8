package dev.mlb.testkit.kernel;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.iproute.IpJsonParser;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.testkit.RoutingPlanGenerator;
import java.util.Map;

/**
 * A namespace with the links of {@link RoutingPlanGenerator#labInterfaces}: veth pairs {@code mlb0}
 * / {@code mlb0p} to {@code mlb2} / {@code mlb2p}, all up, with the lab's IPv4 and IPv6 prefixes
 * (IPv6 without duplicate address detection, so the addresses are usable at once).
 */
final class IprouteLab implements AutoCloseable {
  final Netns ns;

  private IprouteLab(Netns ns) {
    this.ns = ns;
  }

  static IprouteLab create(String purpose) {
    Netns ns = Netns.create(purpose);
    try {
      for (int i = 0; i < 3; i++) {
        ns.run("ip", "link", "add", "mlb" + i, "type", "veth", "peer", "name", "mlb" + i + "p").check();
        // No IPv6 link-local addresses: they would appear (and change the tables) asynchronously.
        ns.run("ip", "link", "set", "mlb" + i, "addrgenmode", "none").check();
        ns.run("ip", "link", "set", "mlb" + i + "p", "addrgenmode", "none").check();
        ns.run("ip", "link", "set", "mlb" + i, "up").check();
        ns.run("ip", "link", "set", "mlb" + i + "p", "up").check();
      }
      for (IpFamily f : IpFamily.values()) {
        for (Map.Entry<InterfaceName, IpPrefix> e : RoutingPlanGenerator.labInterfaces(f).entries()) {
          if (f == IpFamily.V4) {
            ns.run("ip", "addr", "add", e.getValue().toString(), "dev", e.getKey().name()).check();
          } else {
            ns.run("ip", "addr", "add", e.getValue().toString(), "dev", e.getKey().name(), "nodad").check();
          }
        }
      }
      awaitCarrier(ns);
    } catch (RuntimeException e) {
      ns.close();
      throw e;
    }
    return new IprouteLab(ns);
  }

  /** Waits (up to 5 s) until every link has carrier, so no route changes its linkdown flag later. */
  private static void awaitCarrier(Netns ns) {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (true) {
      String links = ns.run("ip", "-o", "link", "show").check().stdout();
      long down = links.lines().filter(l -> l.contains(": mlb") && !l.contains("LOWER_UP")).count();
      if (down == 0) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("links without carrier after 5 s:\n" + links);
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

  @Override
  public void close() {
    ns.close();
  }
}
