package dev.mlb.testkit.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whether this machine can run the kernel lab: root, network namespaces, and the real tools.
 *
 * <pre>{@code
 * KernelSupport.unavailableReason().ifPresent(why -> System.err.println("no kernel lab: " + why));
 * }</pre>
 */
public final class KernelSupport {
  private static volatile Optional<String> cached;

  private KernelSupport() {}

  /** Why the kernel lab cannot run here, or empty if it can. Probes once per JVM. */
  public static Optional<String> unavailableReason() {
    Optional<String> result = cached;
    if (result == null) {
      result = probe();
      cached = result;
    }
    return result;
  }

  private static Optional<String> probe() {
    List<String> problems = new ArrayList<>();
    String user = System.getProperty("user.name");
    if (!"root".equals(user)) {
      problems.add("not running as root (user " + user + ")");
    }
    for (String tool : List.of("ip", "iptables-restore", "iptables-save", "ip6tables-restore", "ip6tables-save")) {
      if (!onPath(tool)) {
        problems.add(tool + " is not installed (apt-get install -y iptables iproute2 conntrack)");
      }
    }
    if (problems.isEmpty()) {
      try (Netns ns = Netns.create("probe")) {
        ns.run("iptables-save").check();
      } catch (RuntimeException e) {
        problems.add("cannot use a network namespace: " + e.getMessage());
      }
    }
    return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
  }

  static boolean onPath(String tool) {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && new java.io.File(dir, tool).canExecute()) {
        return true;
      }
    }
    return false;
  }
}
