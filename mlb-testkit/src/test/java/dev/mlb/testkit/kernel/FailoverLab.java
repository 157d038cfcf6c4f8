package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Uplink;
import dev.mlb.testkit.check.CompiledPolicy;
import dev.mlb.testkit.live.Deployment;
import dev.mlb.testkit.live.ProcessRunner;
import dev.mlb.testkit.live.ToolRunner;
import dev.mlb.testkit.policyfile.PolicyFile;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.FlowResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A kernel lab for failover: the policy applied by {@link Deployment} into the lab's router (which
 * holds nothing else), providers that can be made to drop everything and recover, LAN flows
 * counted per uplink, the router's TCP conntrack entries, and a long-lived echo connection.
 *
 * <pre>{@code
 * try (FailoverLab f = FailoverLab.start("watch", POLICY_YAML)) {
 *   f.kill("isp2");
 *   f.split(6);          // {isp1=4, isp3=2}, every flow answered
 *   f.revive("isp2");
 * }
 * }</pre>
 */
public final class FailoverLab implements AutoCloseable {
  private static final Pattern ENTRY = Pattern.compile(
      "src=(\\S+) dst=(\\S+) sport=(\\d+) dport=(\\d+) .*?mark=(\\d+)");

  public final BalancingPolicy policy;
  public final CompiledPolicy compiled;
  public final KernelLab lab;
  public final ToolRunner router;
  public final Path state;
  public final Deployment deployment;
  private int nextPort = 40000;
  private final List<Process> processes = new ArrayList<>();

  private FailoverLab(BalancingPolicy policy, KernelLab lab, Path state) {
    this.policy = policy;
    this.compiled = CompiledPolicy.compile(policy);
    this.lab = lab;
    this.router = ProcessRunner.inNamespace(lab.router().name());
    this.state = state;
    this.deployment = Deployment.on(router, state);
  }

  /** A lab for {@code yaml}; the main table's default route goes through the first uplink. */
  public static FailoverLab start(String yaml) {
    KernelTests.requireKernel();
    BalancingPolicy policy = PolicyFile.parse("policy.yaml", yaml);
    CompiledPolicy c = CompiledPolicy.compile(policy);
    Path state;
    try {
      state = Files.createTempDirectory("mlb-failover");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    KernelLab lab = KernelLab.start(c.topology(), "", "",
        new KernelLab.Options(Duration.ofMillis(800)).withRouterSysctl(""));
    FailoverLab f = new FailoverLab(policy, lab, state);
    try {
      f.router.run(List.of("ip", "-4", "-batch", "-"), c.environmentRoutes()).check();
    } catch (RuntimeException e) {
      f.close();
      throw e;
    }
    return f;
  }

  public Uplink uplink(String name) {
    return policy.uplinks().stream().filter(u -> u.name().equals(name)).findFirst().orElseThrow();
  }

  /** The provider of {@code uplink} drops every packet it receives (addressed to it or forwarded). */
  public void kill(String uplink) {
    Netns p = lab.provider(uplink(uplink).iface());
    p.run("iptables", "-I", "INPUT", "1", "-j", "DROP").check();
    p.run("iptables", "-I", "FORWARD", "1", "-j", "DROP").check();
  }

  /** The provider of {@code uplink} forwards and answers again. */
  public void revive(String uplink) {
    Netns p = lab.provider(uplink(uplink).iface());
    p.run("iptables", "-D", "INPUT", "-j", "DROP").check();
    p.run("iptables", "-D", "FORWARD", "-j", "DROP").check();
  }

  /**
   * Runs {@code n} new LAN flows to the server's port 443 one after another, asserts each was
   * answered, and counts them per uplink (by name).
   */
  public Map<String, Integer> split(int n) {
    List<Flow> flows = new ArrayList<>();
    IpAddress client = lab.topology().lanClients(1).get(0);
    for (int i = 0; i < n; i++) {
      flows.add(Flow.fromLan(client, nextPort++, Protocol.TCP, lab.topology().server(), 443));
    }
    Map<String, Integer> split = new TreeMap<>();
    for (FlowResult r : lab.runAll(flows)) {
      assertTrue(r.completed(), r.toString());
      InterfaceName iface = InterfaceName.of(r.uplink().orElseThrow().name());
      String name = policy.uplinks().stream().filter(u -> u.iface().equals(iface)).findFirst().orElseThrow().name();
      split.merge(name, 1, Integer::sum);
    }
    return split;
  }

  /** One TCP conntrack entry of the router: its original tuple and its mark. */
  public record Entry(String tuple, long mark) {}

  /** The router's TCP conntrack entries. */
  public Set<Entry> conntrack() {
    ToolRunner.Result r = router.run("conntrack", "-L", "-p", "tcp");
    return r.stdout().lines().map(ENTRY::matcher).filter(Matcher::find)
        .map(m -> new Entry(m.group(1) + ":" + m.group(3) + " > " + m.group(2) + ":" + m.group(4),
            Long.parseLong(m.group(5))))
        .collect(Collectors.toCollection(java.util.LinkedHashSet::new));
  }

  /** The connection mark of {@code uplink} (its value under the mask). */
  public long mark(String uplink) {
    return policy.mark(uplink(uplink)).value();
  }

  /** Whether {@code entry} carries {@code uplink}'s mark in mlb's bits. */
  public boolean marked(Entry entry, String uplink) {
    return (entry.mark() & policy.markMask()) == mark(uplink);
  }

  /** Waits until {@code done} holds, polling every 50 ms; the limit only ends a broken run. */
  public static void await(BooleanSupplier done, Duration limit, String what) {
    long end = System.nanoTime() + limit.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("not within " + limit + ": " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what);
      }
    }
  }

  /**
   * A long-lived TCP connection from the LAN (192.0.2.99, port {@code port}) to an echo server on
   * the server's port 7000, as the rules balance it.
   */
  public Echo echo(int port) {
    lab.lan().run("ip", "addr", "add", "192.0.2.99/24", "dev", "r0").check();
    Process server = lab.server().start(List.of("socat", "TCP4-LISTEN:7000,bind=" + lab.topology().server()
        + ",reuseaddr,fork", "EXEC:cat"));
    processes.add(server);
    await(() -> lab.server().run("ss", "-Htln", "sport = :7000").run().stdout().contains("7000"),
        Duration.ofSeconds(30), "the echo server listens");
    Process client = lab.lan().start(List.of("socat", "STDIO", "TCP4:" + lab.topology().server() + ":7000,bind=192.0.2.99:"
        + port));
    processes.add(client);
    return new Echo(client);
  }

  /** A server on the server's port 7001 that answers every connection with bytes that mean nothing. */
  public void garbageServer() {
    Process p = lab.server().start(List.of("socat", "TCP4-LISTEN:7001,bind=" + lab.topology().server()
        + ",reuseaddr,fork", "SYSTEM:head -c 64 /dev/urandom"));
    processes.add(p);
    await(() -> lab.server().run("ss", "-Htln", "sport = :7001").run().stdout().contains("7001"),
        Duration.ofSeconds(30), "the garbage server listens");
  }

  /** The client end of the echo connection: each line sent comes back. */
  public static final class Echo {
    private final OutputStream out;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private int sent;

    Echo(Process p) {
      this.out = p.getOutputStream();
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          for (String l = in.readLine(); l != null; l = in.readLine()) {
            lines.add(l);
          }
        } catch (IOException e) {
          lines.add("closed: " + e.getMessage());
        }
        lines.add("closed");
      }, "echo-reader");
      reader.setDaemon(true);
      reader.start();
    }

    /**
     * Sends one line and waits for it to come back; the 5 s limit is far above a round trip over
     * veth links (well under 1 ms) and only ends a connection that is broken.
     */
    public void exchange() {
      String line = "line " + (++sent);
      try {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        String back = lines.poll(5, TimeUnit.SECONDS);
        if (!line.equals(back)) {
          throw new AssertionError("the long-lived connection sent \"" + line + "\" and got " + back);
        }
      } catch (IOException e) {
        throw new AssertionError("the long-lived connection is broken: " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted");
      }
    }

    public int exchanged() {
      return sent;
    }
  }

  @Override
  public void close() {
    processes.forEach(Process::destroyForcibly);
    lab.close();
  }
}
