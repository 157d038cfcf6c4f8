package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.AllDown;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import dev.mlb.testkit.check.CompiledPolicy;
import dev.mlb.testkit.gen.UplinkStates;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.FlowResult;
import dev.mlb.testkit.sim.Simulator;
import dev.mlb.testkit.sim.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, acceptance 5 (kernel half): failover transitions in the simulator and in the kernel
 * lab, flow by flow. Each scenario compiles a policy (nth, so nothing depends on chance: every
 * transition restores the rules, so the nth counters start fresh in both, and only this test's
 * flows walk them, one after the other), opens UDP flows that stay open across the transitions
 * (LAN flows, a router flow, one connection arriving on every uplink), runs new LAN flows, and
 * then, for each transition, in both worlds:
 *
 * <ol>
 *   <li>kills or revives providers: in the lab {@code iptables -I FORWARD -j DROP} inside the
 *       provider's namespace (deleted again to revive), in the simulator
 *       {@link Simulator#killUplink}/{@link Simulator#reviveUplink};
 *   <li>loads the rules compiled for the new down set without touching conntrack: in the lab
 *       {@code iptables-restore} in the router namespace (which holds only mlb's rules; the
 *       routes do not depend on the down set, which the test asserts), in the simulator
 *       {@link Simulator#transition};
 *   <li>deletes the connections of the uplinks that went down by mark and mask only:
 *       {@code conntrack -D -f ipv4 --mark V/M} in the router namespace (exit 1 with "0 flow
 *       entries have been deleted" means nothing matched);
 *   <li>runs every open flow once more (the lab: the same UDP five-tuple again, so the router's
 *       entry, if still there, carries on; the simulator: {@link Simulator#exchange}), then new
 *       TCP and UDP LAN flows.
 * </ol>
 *
 * <p>Every flow's outcome must agree: for LAN and router flows the uplink it left by and whether
 * it was answered, and the connection mark wherever both answer; for inbound flows whether they
 * were answered. The router's UDP conntrack timeouts are raised to 600 s so that no open flow's
 * entry expires during a scenario (the default 30 s would make survival depend on timing).
 */
class FailoverDifferentialKernelTest {
  static final KernelLab.Options FAST = new KernelLab.Options(Duration.ofMillis(800));
  static final IpAddress SERVER = IpAddress.parse("203.0.113.10");
  static final IpAddress CLIENT = IpAddress.parse("192.0.2.100");
  /** How many compared flows failed in both worlds (the dead providers' share). */
  private int failedInBoth;

  record Scenario(String name, BalancingPolicy policy, List<UplinkStates> steps) {}

  static BalancingPolicy policy(AllDown allDown, int[] weights, int[] tiers) {
    BalancingPolicy.Builder b = BalancingPolicy.builder().addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(IpPrefix.parse("192.0.2.0/24")).addRouter(TrafficSelector.of(Protocol.UDP, 123))
        .allDown(allDown);
    for (int i = 0; i < weights.length; i++) {
      b.addUplinks(Uplink.builder().name("isp" + (i + 1)).iface(InterfaceName.of("ppp" + i))
          .gateway(IpAddress.parse("198.51.100." + (16 * i + 2))).weight(weights[i]).tier(tiers[i]).build());
    }
    return b.build();
  }

  static UplinkStates dead(String... names) {
    return new UplinkStates(Set.of(names), Set.of(names));
  }

  static List<Scenario> scenarios() {
    return List.of(
        new Scenario("two uplinks 1:1, isp1 dies", policy(AllDown.MAIN, new int[] {1, 1}, new int[] {1, 1}),
            List.of(dead("isp1"))),
        new Scenario("three uplinks 2:1:1, isp2 dies and comes back",
            policy(AllDown.MAIN, new int[] {2, 1, 1}, new int[] {1, 1, 1}), List.of(dead("isp2"), dead())),
        new Scenario("tiers: isp1, isp2 primary, isp3 backup; both primaries die, then come back",
            policy(AllDown.MAIN, new int[] {1, 2, 1}, new int[] {1, 1, 2}),
            List.of(dead("isp1"), dead("isp1", "isp2"), dead())),
        new Scenario("four uplinks 3:1:2:1, two die at once, one comes back",
            policy(AllDown.MAIN, new int[] {3, 1, 2, 1}, new int[] {1, 1, 1, 1}),
            List.of(dead("isp1", "isp3"), dead("isp3"))),
        new Scenario("keep-last: isp2 dies, then isp1 too (isp1 stays in use), then both come back",
            policy(AllDown.KEEP_LAST, new int[] {1, 2}, new int[] {1, 1}),
            List.of(dead("isp2"), new UplinkStates(Set.of("isp1", "isp2"), Set.of("isp2")), dead())));
  }

  @Test
  void simulatorPredictsTheKernelFlowByFlowAcrossTransitions() {
    KernelTests.requireKernel();
    int flows = 0;
    int transitions = 0;
    for (Scenario s : scenarios()) {
      flows += run(s);
      transitions += s.steps().size();
    }
    System.out.printf("FailoverDifferentialKernelTest: %d scenarios, %d transitions, %d flows agree (%d failed in"
        + " both)%n", scenarios().size(), transitions, flows, failedInBoth);
    assertTrue(failedInBoth > 0 && failedInBoth < flows, "the scenarios have both answered and failed flows");
  }

  /** Runs one scenario in both worlds; returns how many flow results were compared. */
  private int run(Scenario s) {
    CompiledPolicy c = CompiledPolicy.compile(s.policy());
    Topology t = c.topology();
    Simulator sim = Simulator.of(t, c.ruleset(IpFamily.V4), c.simulatedPlan(), 1);
    int compared = 0;
    int port = 30000;
    try (KernelLab lab = KernelLab.start(t, c.files().get("rules.v4"),
        c.environmentRoutes() + c.files().get("routes.v4.batch"), FAST.withRouterSysctl(c.files().get("sysctl.conf")))) {
      lab.router().run("sysctl", "-q", "-w", "net.netfilter.nf_conntrack_udp_timeout=600",
          "net.netfilter.nf_conntrack_udp_timeout_stream=600").timeout(Duration.ofSeconds(10)).run().check();
      List<Flow> open = new ArrayList<>();
      for (int i = 0; i < 2 * t.uplinks().size(); i++) {
        open.add(Flow.fromLan(CLIENT, port++, Protocol.UDP, SERVER, 53));
      }
      open.add(Flow.fromRouter(Protocol.UDP, port++, SERVER, 123));
      for (Topology.Uplink u : t.uplinks()) {
        open.add(Flow.inbound(u.iface(), SERVER, port++, Protocol.UDP, u.ip(), 53));
      }
      for (Flow f : open) {
        compare(s, 0, sim.open(f), lab.run(f));
        compared++;
      }
      for (int k = 0; k < 4; k++) {
        Flow f = Flow.fromLan(CLIENT, port++, Protocol.TCP, SERVER, 443);
        compare(s, 0, sim.run(f), lab.run(f));
        compared++;
      }
      Set<String> down = Set.of();
      int step = 0;
      for (UplinkStates st : s.steps()) {
        step++;
        Set<String> newlyDown = new HashSet<>(st.down());
        newlyDown.removeAll(down);
        for (Uplink u : s.policy().uplinks()) {
          boolean wasDead = sim.deadUplinks().contains(u.iface());
          boolean dies = st.dead().contains(u.name());
          if (dies && !wasDead) {
            sim.killUplink(u.iface());
            lab.provider(u.iface()).run("iptables", "-I", "FORWARD", "-j", "DROP").run().check();
          } else if (!dies && wasDead) {
            sim.reviveUplink(u.iface());
            lab.provider(u.iface()).run("iptables", "-D", "FORWARD", "-j", "DROP").run().check();
          }
        }
        down = st.down();
        CompiledPolicy next = CompiledPolicy.compile(s.policy().withDown(down));
        assertEquals(c.files().get("routes.v4.batch"), next.files().get("routes.v4.batch"),
            "the routes do not depend on the down set");
        List<Mark> deleted = s.policy().uplinks().stream().filter(u -> newlyDown.contains(u.name()))
            .map(s.policy()::mark).toList();
        sim.transition(next.ruleset(IpFamily.V4), next.simulatedPlan(), deleted);
        lab.router().run("iptables-restore").stdin(next.files().get("rules.v4")).timeout(Duration.ofSeconds(20))
            .run().check();
        for (Mark m : deleted) {
          Netns.Result r = lab.router().run("conntrack", "-D", "-f", "ipv4", "--mark", m.toString())
              .timeout(Duration.ofSeconds(10)).run();
          assertTrue(r.exitCode() == 0 || r.exitCode() == 1 && r.stderr().contains(" 0 flow entries have been deleted"),
              "conntrack -D --mark " + m + ": " + r);
        }
        for (Flow f : open) {
          compare(s, step, sim.exchange(f), lab.runAgain(f));
          compared++;
        }
        for (int k = 0; k < 6; k++) {
          Flow f = Flow.fromLan(CLIENT, port++, k % 2 == 0 ? Protocol.TCP : Protocol.UDP, SERVER, k % 2 == 0 ? 443 : 53);
          compare(s, step, sim.run(f), lab.run(f));
          compared++;
        }
      }
    }
    return compared;
  }

  private void compare(Scenario s, int step, FlowResult simulated, FlowResult kernel) {
    String where = s.name() + ", step " + step + ", " + simulated.flow() + "\n  simulator: " + simulated
        + "\n  kernel:    " + kernel;
    assertEquals(simulated.completed(), kernel.completed(), where);
    failedInBoth += simulated.completed() ? 0 : 1;
    if (simulated.flow().origin() != Flow.Origin.INBOUND) {
      assertEquals(simulated.uplink(), kernel.uplink(), where);
      if (simulated.completed()) {
        assertEquals(simulated.mark(), kernel.mark(), where);
      }
    }
  }
}
