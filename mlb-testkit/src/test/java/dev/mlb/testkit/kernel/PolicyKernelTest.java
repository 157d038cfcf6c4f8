package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import dev.mlb.testkit.check.CompiledPolicy;
import dev.mlb.testkit.gen.PolicyGenerator;
import dev.mlb.testkit.policyfile.SeedPolicy;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.FlowResult;
import dev.mlb.testkit.sim.Simulator;
import dev.mlb.testkit.sim.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 5, acceptance 1 to 3 in the kernel: compiled policies loaded into the {@link KernelLab}
 * exactly as an administrator would load them (the environment's main default route, then
 * {@code routes.v4.batch}; {@code rules.v4}; the compiled {@code sysctl.conf} applied over a
 * strict reverse-path filter, see {@link KernelLab.Options#withRouterSysctl}), the same flows run
 * through the {@link Simulator}, and the two compared flow for flow.
 *
 * <p>Flow for flow: for NTH policies each flow's outcome (its uplink, or failed) and connection
 * mark are the same in both. RANDOM and MULTIPATH draw differently in each (the simulator's random
 * numbers and nexthop hash are not the kernel's), so there a flow the policy balances
 * ({@link CompiledPolicy#balances}) must complete in both and, for RANDOM, leave in each through
 * the uplink its mark designates (for MULTIPATH: any uplink); every other flow has the same
 * outcome in both and, unless it is inbound, no uplink mark.
 *
 * <p>The masquerade kill (a connection re-routed to another uplink after NAT is dropped and
 * picked up again, see {@code MasqueradeKillKernelTest}) would cost a flow a retransmission and
 * make a second NAT binding: the tests count the router's nat {@code PREFIX-postrouting} packets,
 * which only a connection's first packet traverses, and require one per flow that left by an
 * uplink.
 */
class PolicyKernelTest {
  static final KernelLab.Options FAST = new KernelLab.Options(Duration.ofMillis(800));
  static final IpAddress SERVER = IpAddress.parse("203.0.113.10");
  static final long SIM_SEED = 1;
  private static final Pattern COUNTER = Pattern.compile("^\\[(\\d+):(\\d+)\\] -A (\\S+) ", Pattern.MULTILINE);

  /** What one policy did in the lab and in the simulator. */
  record Run(CompiledPolicy compiled, List<Flow> flows, List<FlowResult> simulated, List<FlowResult> kernel,
      long natBindings, long millis) {

    long failed() {
      return kernel.stream().filter(r -> !r.completed()).count();
    }

    /** Flows that left by an uplink (LAN and router flows), each needing one NAT binding. */
    long outgoing() {
      return flows.stream().filter(f -> f.origin() != Flow.Origin.INBOUND).count();
    }
  }

  static Run run(CompiledPolicy c, List<Flow> flows) {
    long t0 = System.nanoTime();
    Topology t = c.topology();
    List<FlowResult> simulated = Simulator.of(t, c.ruleset(IpFamily.V4), c.simulatedPlan(), SIM_SEED).runAll(flows);
    List<FlowResult> kernel;
    long nat;
    try (KernelLab lab = KernelLab.start(t, c.files().get("rules.v4"),
        c.environmentRoutes() + c.files().get("routes.v4.batch"),
        FAST.withRouterSysctl(c.files().get("sysctl.conf")))) {
      kernel = lab.runAll(flows);
      nat = counted(lab, "nat", c.policy().chainPrefix() + "-postrouting");
    }
    return new Run(c, flows, simulated, kernel, nat, (System.nanoTime() - t0) / 1_000_000);
  }

  /** The packets the rules of {@code chain} in {@code table} of the lab's router counted, summed. */
  static long counted(KernelLab lab, String table, String chain) {
    Netns.Result saved = lab.router().run("iptables-save", "-c", "-t", table).timeout(Duration.ofSeconds(10)).run();
    assertEquals(0, saved.exitCode(), saved.stderr());
    long sum = 0;
    Matcher m = COUNTER.matcher(saved.stdout());
    while (m.find()) {
      if (m.group(3).equals(chain)) {
        sum += Long.parseLong(m.group(1));
      }
    }
    return sum;
  }

  /** The uplink whose policy mark {@code mark} has, if any. */
  static Optional<InterfaceName> designated(BalancingPolicy p, java.util.OptionalLong mark) {
    if (mark.isEmpty()) {
      return Optional.empty();
    }
    for (Uplink u : p.uplinks()) {
      Mark m = p.mark(u);
      if (m.matches(mark.getAsLong())) {
        return Optional.of(u.iface());
      }
    }
    return Optional.empty();
  }

  /** The disagreements between the simulator and the kernel (see the class comment), one line each. */
  static List<String> disagreements(Run r) {
    BalancingPolicy p = r.compiled().policy();
    List<String> out = new ArrayList<>();
    for (int i = 0; i < r.flows().size(); i++) {
      Flow f = r.flows().get(i);
      FlowResult s = r.simulated().get(i);
      FlowResult k = r.kernel().get(i);
      Optional<InterfaceName> ds = designated(p, s.mark());
      Optional<InterfaceName> dk = designated(p, k.mark());
      String why = null;
      if (p.strategy() == Strategy.NTH) {
        boolean sameMark = s.mark().isEmpty() || k.mark().isEmpty()
            || (s.mark().getAsLong() & p.markMask()) == (k.mark().getAsLong() & p.markMask());
        if (!s.outcome().equals(k.outcome()) || !sameMark) {
          why = "outcome or mark";
        }
      } else if (r.compiled().balances(f)) {
        if (!s.completed() || !k.completed()) {
          why = "a balanced flow failed";
        } else if (p.strategy() == Strategy.RANDOM && (ds.isEmpty() || !s.uplink().equals(ds))) {
          why = "the simulator's uplink is not the one its mark designates";
        } else if (p.strategy() == Strategy.RANDOM && (dk.isEmpty() || !k.uplink().equals(dk))) {
          why = "the kernel's uplink is not the one its mark designates";
        }
      } else if (!s.outcome().equals(k.outcome())) {
        why = "outcome";
      } else if (f.origin() != Flow.Origin.INBOUND && (ds.isPresent() || dk.isPresent())) {
        why = "an unbalanced flow has an uplink mark";
      }
      if (why != null) {
        out.add("#" + i + " " + f + " (" + why + ")\n    simulator: " + s + "\n    kernel:    " + k);
      }
    }
    return out;
  }

  static List<String> outcomes(List<FlowResult> results) {
    return results.stream().map(FlowResult::outcome).toList();
  }

  // ------------------------------------------------------------------ the seed

  @Test
  void seedPolicyAlternatesAnswersInboundOnItsUplinkAndBalancesRouterFlowsWithoutAKill() {
    KernelTests.requireKernel();
    CompiledPolicy c = CompiledPolicy.compile(SeedPolicy.policy());
    Topology t = c.topology();
    List<IpAddress> clients = t.lanClients(8);
    int[] ports = {22, 25, 80, 443};
    List<Flow> flows = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      flows.add(Flow.fromLan(clients.get(i % 8), 40000 + i, Protocol.TCP, SERVER, ports[i % 4]));
    }
    for (int i = 0; i < t.uplinks().size(); i++) {
      Topology.Uplink u = t.uplinks().get(i);
      flows.add(Flow.inbound(u.iface(), SERVER, 41000 + 2 * i, Protocol.TCP, u.ip(), 22));
      flows.add(Flow.inbound(u.iface(), SERVER, 41001 + 2 * i, Protocol.UDP, u.ip(), 5353));
    }
    for (int i = 0; i < 4; i++) {
      flows.add(Flow.fromRouter(Protocol.TCP, 43000 + i, SERVER, 80));
    }
    for (int i = 0; i < 6; i++) {
      flows.add(Flow.fromLan(clients.get((i + 3) % 8), 40100 + i, Protocol.TCP, SERVER, ports[(i + 1) % 4]));
    }
    // Not balanced: UDP from the LAN and the router's tcp 443 take the main table's route, ppp0.
    flows.add(Flow.fromLan(clients.get(0), 40200, Protocol.UDP, SERVER, 53));
    flows.add(Flow.fromRouter(Protocol.TCP, 43100, SERVER, 443));

    Run r = run(c, flows);
    assertEquals(0, r.failed(), String.join("\n", r.kernel().stream().map(FlowResult::toString).toList()));
    // The 16 balanced flows (LAN tcp 22/25/80/443 and router tcp 80 share one nth counter) alternate
    // ppp0, ppp1, ... from the first slot; under the default mask 0x0f000000, mark 0x1000000 is isp1's
    // (ppp0), 0x2000000 isp2's (ppp1).
    List<String> balanced = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    List<String> routerBalanced = new ArrayList<>();
    for (int i = 0; i < flows.size(); i++) {
      Flow f = flows.get(i);
      FlowResult k = r.kernel().get(i);
      boolean isBalanced = (f.origin() == Flow.Origin.LAN && f.protocol().equals(Protocol.TCP))
          || (f.origin() == Flow.Origin.ROUTER && f.serverPort() == 80);
      if (isBalanced) {
        String uplink = balanced.size() % 2 == 0 ? "ppp0" : "ppp1";
        expected.add(uplink);
        balanced.add(k.outcome());
        assertEquals(uplink.equals("ppp0") ? 0x1000000 : 0x2000000, k.mark().getAsLong() & 0xf000000, k.toString());
        if (f.origin() == Flow.Origin.ROUTER) {
          routerBalanced.add(k.outcome());
        }
      } else if (f.origin() == Flow.Origin.INBOUND) {
        assertEquals(f.inboundUplink().get().name(), k.outcome(), "answered through its uplink: " + k);
      } else {
        assertEquals("ppp0", k.outcome(), "unbalanced, the main table's route: " + k);
        assertEquals(0, k.mark().orElse(0) & 0xf000000, k.toString());
      }
    }
    assertEquals(expected, balanced);
    assertEquals(List.of("ppp0", "ppp1", "ppp0", "ppp1"), routerBalanced);
    assertEquals(r.outgoing(), r.natBindings(), "one NAT binding per outgoing flow: no masquerade kill");
    assertEquals(List.of(), disagreements(r));
    System.out.printf("PolicyKernelTest seed policy: %d flows, %d failed; balanced LAN and router flows %s;"
            + " inbound answered on their uplinks; router tcp 80 %s; %d NAT bindings for %d outgoing flows;"
            + " %d/%d flows agree with the simulator; %d ms%n",
        flows.size(), r.failed(), balanced, routerBalanced, r.natBindings(), r.outgoing(),
        flows.size() - disagreements(r).size(), flows.size(), r.millis());
  }

  /**
   * The compiled {@code sysctl.conf} is what lets the seed through a strict reverse-path filter:
   * with an empty one, a reply arriving on ppp1 (connmark 0x2000000, table 101) is checked against the
   * main table (default via ppp0) and dropped, and so is a connection arriving on ppp1.
   */
  @Test
  void withoutTheCompiledSysctlsAStrictReversePathFilterDropsWhatArrivesOnTheSecondUplink() {
    KernelTests.requireKernel();
    CompiledPolicy c = CompiledPolicy.compile(SeedPolicy.policy());
    Topology t = c.topology();
    IpAddress client = t.lanClients(1).get(0);
    Topology.Uplink ppp1 = t.uplinks().get(1);
    List<Flow> flows = List.of(
        Flow.fromLan(client, 40000, Protocol.TCP, SERVER, 443),
        Flow.fromLan(client, 40001, Protocol.TCP, SERVER, 443),
        Flow.inbound(ppp1.iface(), SERVER, 41000, Protocol.TCP, ppp1.ip(), 22));
    long t0 = System.nanoTime();
    List<FlowResult> kernel;
    try (KernelLab lab = KernelLab.start(t, c.files().get("rules.v4"),
        c.environmentRoutes() + c.files().get("routes.v4.batch"), FAST.withRouterSysctl("# nothing\n"))) {
      kernel = lab.runAll(flows);
    }
    assertEquals(List.of("ppp0", "failed", "failed"), outcomes(kernel), kernel.toString());
    assertEquals(2, kernel.get(1).loss().get().packet(), "the SYN-ACK is dropped: " + kernel.get(1));
    System.out.printf("PolicyKernelTest strict rp_filter without the compiled sysctl.conf: %s (the seed test passes"
        + " with it); %d ms%n", outcomes(kernel), (System.nanoTime() - t0) / 1_000_000);
  }

  // ------------------------------------------------------------------ weighted nth

  static BalancingPolicy weighted(int... weights) {
    BalancingPolicy.Builder b = BalancingPolicy.builder()
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(IpPrefix.parse("192.0.2.0/24"));
    for (int i = 0; i < weights.length; i++) {
      b.addUplinks(Uplink.builder().name("isp" + (i + 1)).iface(InterfaceName.of("ppp" + i))
          .gateway(IpAddress.parse("198.51.100." + (16 * i + 2))).weight(weights[i]).build());
    }
    return b.build();
  }

  @Test
  void weightedNthSplitsExactlyPerPeriod() {
    KernelTests.requireKernel();
    List<int[]> cases = new ArrayList<>();
    cases.add(new int[] {3, 2, 1});
    for (int n = 1; n <= 8; n++) {
      int[] w = new int[n];
      for (int i = 0; i < n; i++) {
        w[i] = i % 3 + 1;
      }
      cases.add(w);
    }
    List<String> lines = new ArrayList<>();
    long t0 = System.nanoTime();
    int flowsRun = 0;
    for (int[] w : cases) {
      CompiledPolicy c = CompiledPolicy.compile(weighted(w));
      int period = c.policy().weightSum();
      List<IpAddress> clients = c.topology().lanClients(16);
      List<Flow> flows = new ArrayList<>();
      for (int i = 0; i < 2 * period; i++) {
        flows.add(Flow.fromLan(clients.get(i % 16), 40000 + i, i % 3 == 2 ? Protocol.UDP : Protocol.TCP, SERVER,
            i % 3 == 2 ? 53 : 443));
      }
      Run r = run(c, flows);
      flowsRun += flows.size();
      assertEquals(0, r.failed(), String.join("\n", r.kernel().stream().map(FlowResult::toString).toList()));
      List<String> periods = new ArrayList<>();
      for (int start = 0; start < flows.size(); start += period) {
        Map<String, Integer> counts = new TreeMap<>();
        for (FlowResult k : r.kernel().subList(start, start + period)) {
          counts.merge(k.outcome(), 1, Integer::sum);
        }
        for (int i = 0; i < w.length; i++) {
          assertEquals(w[i], counts.getOrDefault("ppp" + i, 0),
              "weights " + java.util.Arrays.toString(w) + ", period from flow " + start + ": " + counts);
        }
        periods.add(counts.toString());
      }
      assertEquals(List.of(), disagreements(r));
      assertEquals(r.outgoing(), r.natBindings());
      lines.add(java.util.Arrays.toString(w) + " -> " + String.join(" ", periods));
    }
    System.out.printf("PolicyKernelTest weighted nth: %d policies, %d flows, every period of W flows split exactly by"
        + " weight in the kernel, flow for flow as simulated; %d ms%n  %s%n", cases.size(), flowsRun,
        (System.nanoTime() - t0) / 1_000_000, String.join("\n  ", lines));
  }

  // ------------------------------------------------------------------ generated policies

  static final int GENERATED = 20;

  @Test
  void generatedPoliciesRunInTheKernelAsSimulated() {
    KernelTests.requireKernel();
    PolicyGenerator gen = PolicyGenerator.of(1, 6);
    long t0 = System.nanoTime();
    Map<String, Integer> strategies = new TreeMap<>();
    int flows = 0;
    int agree = 0;
    long failed = 0;
    List<String> problems = new ArrayList<>();
    for (long seed = 1; seed <= GENERATED; seed++) {
      BalancingPolicy p = gen.generate(new SplittableRandom(seed));
      CompiledPolicy c = CompiledPolicy.compile(p);
      List<Flow> list = c.check().lanFlows(10).routerFlows(p.router().isEmpty() ? 2 : 4).seed(seed).build().flows();
      Run r = run(c, list);
      strategies.merge(p.strategy().toString(), 1, Integer::sum);
      List<String> d = disagreements(r);
      flows += list.size();
      agree += list.size() - d.size();
      failed += r.failed();
      String where = "seed " + seed + " " + p + " (" + r.millis() + " ms)";
      System.out.printf("PolicyKernelTest generated %s: %d flows, %d failed, %d disagree%n", where, list.size(),
          r.failed(), d.size());
      if (r.failed() > 0) {
        problems.add(where + ": failed in the kernel: " + r.kernel().stream().filter(k -> !k.completed()).toList());
      }
      if (!d.isEmpty()) {
        problems.add(where + ": " + String.join("\n", d));
      }
      if (r.natBindings() != r.outgoing()) {
        problems.add(where + ": " + r.natBindings() + " NAT bindings for " + r.outgoing() + " outgoing flows");
      }
    }
    System.out.printf("PolicyKernelTest generated: %d policies %s, %d flows, %d failed in the kernel, %d/%d agree with"
        + " the simulator; %d ms%n", GENERATED, strategies, flows, failed, agree, flows,
        (System.nanoTime() - t0) / 1_000_000);
    assertEquals(List.of(), problems);
    assertTrue(strategies.size() >= 2, "strategies " + strategies);
  }
}
