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
      Process events0 = new ProcessBuilder("ip", "netns", "exec", lab.router().name(), "conntrack", "-E", "-p", "tcp",
          "-o", "id").redirectOutput(log).redirectErrorStream(true).start();
      try {
        Thread.sleep(500);
        kernel = lab.runAll(flows);
        Thread.sleep(300);
      } finally {
        events0.destroy();
        events0.waitFor(5, TimeUnit.SECONDS);
      }
      events = Files.readAllLines(log.toPath());
    } finally {
      log.delete();
    }
    events.forEach(e -> System.out.println("conntrack -E: " + e));
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
