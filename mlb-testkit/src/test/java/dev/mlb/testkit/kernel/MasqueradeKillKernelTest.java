package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Protocol;
import dev.mlb.iproute.IpBatchParser;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.FlowResult;
import dev.mlb.testkit.sim.Simulator;
import dev.mlb.testkit.sim.Topology;
import dev.mlb.testkit.sim.Trace;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What the kernel does after the masquerade kill (nf_nat_oif_changed), watched with
 * {@code conntrack -E} in the router namespace, against the simulator's trace of the same flows:
 * each conntrack entry the kernel creates for a flow is one the simulator creates (the first
 * at the SYN, SYN_SENT; later ones picked up mid-stream, ESTABLISHED in TCP terms but NEW to the
 * rules), each entry the kernel destroys is one the simulator's kill deletes, and the entries'
 * marks agree. A retransmitted FIN opens no entry (it is INVALID), in both.
 */
class MasqueradeKillKernelTest {

  @Test
  void seedAsPostedRouterFlowsArePickedUpMidStreamAfterTheKill() throws IOException, InterruptedException {
    KernelTests.requireKernel();
    compare(DifferentialKernelTest.seed(), DifferentialKernelTest.SEED_ROUTES, 4);
  }

  @Test
  void aKilledFinIsRetransmittedUntrackedAndTheLastAckPickedUp() throws IOException, InterruptedException {
    KernelTests.requireKernel();
    compare("*mangle\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -m state --state ESTABLISHED -j MARK --set-xmark 0x2/0xffffffff\n"
            + "COMMIT\n*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o ppp+ -j MASQUERADE\nCOMMIT\n",
        "rule add fwmark 0x2 lookup 2 pref 100\nroute replace default via 198.51.100.18 dev ppp1 table 2\n"
            + "route replace default via 198.51.100.2 dev ppp0\n", 2);
  }

  /** A conntrack entry the flows never touch, whose mark the test changes to see its event arrive. */
  private static final String MARKER = "src=10.255.255.1 dst=10.255.255.2 sport=1 dport=1 ";
  private static final List<String> MARKER_TUPLE =
      List.of("-p", "tcp", "-s", "10.255.255.1", "-d", "10.255.255.2", "--sport", "1", "--dport", "1");

  /**
   * Sets a new mark on the marker entry ({@code marks[0]}: the last one set; 0: create the entry)
   * until {@code conntrack -E} has written that event to {@code log}: a wait for a deterministic
   * event, bounded only against a hang.
   */
  private static void marker(KernelLab lab, File log, int[] marks, String what) throws IOException,
      InterruptedException {
    if (marks[0] == 0) {
      List<String> insert = new ArrayList<>(List.of("conntrack", "-I"));
      insert.addAll(MARKER_TUPLE);
      insert.addAll(List.of("--state", "ESTABLISHED", "-u", "SEEN_REPLY", "-t", "3600", "-m", "0"));
      lab.router().run(insert).check();
    }
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (true) {
      String mark = "mark=" + ++marks[0] + " ";
      List<String> update = new ArrayList<>(List.of("conntrack", "-U"));
      update.addAll(MARKER_TUPLE);
      update.addAll(List.of("-m", Integer.toString(marks[0])));
      lab.router().run(update).check();
      for (int i = 0; i < 20; i++) {
        if (Files.readAllLines(log.toPath()).stream().anyMatch(e -> e.contains(MARKER) && e.contains(mark))) {
          return;
        }
        Thread.sleep(10);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("conntrack -E showed no marker event (" + what + ") within 30 s: "
            + Files.readAllLines(log.toPath()));
      }
    }
  }

  private static void compare(String rules, String routes, int flowCount) throws IOException, InterruptedException {
    Topology t = Topology.standard(2);
    List<Flow> flows = new ArrayList<>();
    for (int i = 0; i < flowCount; i++) {
      flows.add(Flow.fromRouter(Protocol.TCP, 43000 + i, DifferentialKernelTest.SERVER, 80));
    }
    Simulator sim = Simulator.of(t, RestoreParser.parse("rules", rules, IpFamily.V4),
        IpBatchParser.parse("routes", routes, IpFamily.V4), DifferentialKernelTest.SIM_SEED);
    List<Trace> traces = flows.stream().map(sim::trace).toList();
    File log = File.createTempFile("mlb-conntrack-events", ".log");
    List<String> events;
    List<FlowResult> kernel;
    try (KernelLab lab = KernelLab.start(t, rules, routes, DifferentialKernelTest.FAST)) {
      // With the default nf_conntrack_events=2, only connections made after a listener subscribed
      // report events: a marker inserted before conntrack -E had subscribed would never show one
      // (a race with the listener's start). 1 makes every connection report, whenever it was made.
      lab.router().run("sysctl", "-qw", "net.netfilter.nf_conntrack_events=1").check();
      Process events0 = new ProcessBuilder("ip", "netns", "exec", lab.router().name(), "conntrack", "-E", "-p", "tcp",
          "-o", "id").redirectOutput(log).redirectErrorStream(true).start();
      try {
        // conntrack -E shows only what happens after it subscribed, and writes each event as it
        // comes: a marker's event in the log means the events before it are there too.
        int[] marks = {0};
        marker(lab, log, marks, "subscribed");
        kernel = lab.runAll(flows);
        marker(lab, log, marks, "after the flows");
      } finally {
        events0.destroy();
        events0.waitFor(5, TimeUnit.SECONDS);
      }
      events = Files.readAllLines(log.toPath());
    } finally {
      log.delete();
    }
    events.forEach(e -> System.out.println("conntrack -E: " + e));
    events = events.stream().filter(e -> !e.contains(MARKER)).toList();
    for (int i = 0; i < flowCount; i++) {
      Trace tr = traces.get(i);
      String port = "sport=" + (43000 + i) + " ";
      List<String> mine = events.stream().filter(e -> e.contains(port)).toList();
      List<String> created = mine.stream().filter(e -> e.contains("[NEW]")).toList();
      long destroyed = mine.stream().filter(e -> e.contains("[DESTROY]")).count();
      List<String> simCreated = new ArrayList<>();
      tr.packets().forEach(p -> p.steps().stream().filter(s -> s.startsWith("conntrack: new connection"))
          .forEach(s -> simCreated.add(p.description())));
      long simKilled = tr.packets().stream()
          .filter(p -> p.loss().isPresent() && p.loss().get().where().equals("nat POSTROUTING")).count();
      String why = tr + "\nkernel: " + kernel.get(i) + "\nevents:\n" + String.join("\n", mine);
      assertEquals(tr.result().outcome(), kernel.get(i).outcome(), why);
      assertEquals(tr.result().mark(), kernel.get(i).mark(), why);
      assertEquals(simCreated.size(), created.size(), "entries created; simulator at " + simCreated + "\n" + why);
      assertEquals(simKilled, destroyed, "entries destroyed by the kill\n" + why);
      assertTrue(created.get(0).contains("SYN_SENT"), why);
      created.stream().skip(1).forEach(e -> assertTrue(e.contains(" ESTABLISHED "), "picked up mid-stream: " + e));
    }
  }
}
