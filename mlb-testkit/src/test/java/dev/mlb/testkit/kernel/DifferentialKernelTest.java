package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Protocol;
import dev.mlb.iproute.IpBatchParser;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.Statistic;
import dev.mlb.testkit.check.BinomialBound;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.FlowResult;
import dev.mlb.testkit.sim.Simulator;
import dev.mlb.testkit.sim.Topology;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.Test;

/**
 * The differential corpus (issue 4, acceptance 1): every scenario runs the same flows through a
 * fresh {@link Simulator} and a fresh {@link KernelLab} and the two must agree.
 *
 * <ul>
 *   <li>nth-based rulesets: the per-flow sequence of outcomes (uplink, {@code local} or
 *       {@code failed}) is identical, so is the connection mark wherever both report one, and a
 *       flow that fails in both is lost at the same packet;
 *   <li>random-based rulesets: every flow completes in both, and each uplink's count lies within
 *       exact binomial bounds ({@link BinomialBound}) for the share the stored thresholds give it,
 *       in both. The kernel draws for real ({@code get_random_u32()} per evaluation; each flow's
 *       SYN is its only NEW packet, so one draw per rule reached), so its counts may leave the
 *       bounds by chance: the bounds are set so that this happens with probability at most 1e-9
 *       per run over all random counts together (a union bound). The simulator's counts are
 *       deterministic (seed {@link #SIM_SEED}) and checked against the same bounds.
 * </ul>
 *
 * <p>Differences found and resolved (the simulator was taught the kernel's behaviour, verified in
 * the lab with {@code conntrack -E}, see {@code MasqueradeKillKernelTest}):
 *
 * <ul>
 *   <li>In the seed as posted a router-originated TCP flow whose connmark becomes 2 leaves ppp0
 *       (there is no MARK copy in OUTPUT); its first ACK gets mark 2 restored, is re-routed to
 *       ppp1, and the masquerade's changed-output-interface check (nf_nat_oif_changed) deletes the
 *       conntrack entry and drops it. The simulator used to report the flow lost at packet 3. The
 *       real TCP stack goes on: its data finds no entry and is picked up mid-stream as a NEW
 *       connection ({@code nf_conntrack_tcp_loose=1}), walks balance1 again (the nth counter
 *       advances) and, with connmark 1, completes via ppp0. Scenarios "seed as posted" (router
 *       flows between LAN flows, so the extra nth turns show in the LAN flows after them) and
 *       "seed as posted, router flows".
 *   <li>A killed FIN is retransmitted, but a FIN without an entry opens none (INVALID): it leaves
 *       untracked, without NAT. Scenario "router flows re-marked when ESTABLISHED".
 *   <li>LAN-to-router and router-to-LAN flows: the simulator sent every LAN and router flow to the
 *       server; the lab's listeners live where the destination is. The simulator now does too.
 * </ul>
 *
 * <p>No difference is left; the {@code knownDifference} hook stays for documenting one should a
 * scenario need it (it is still printed and counted separately, never silently accepted).
 */
class DifferentialKernelTest {
  static final IpAddress SERVER = IpAddress.parse("203.0.113.10");
  static final KernelLab.Options FAST = new KernelLab.Options(Duration.ofMillis(800));
  static final long SIM_SEED = 1;
  static final String LAN_REPLY_RULE = "rule add to 192.0.2.0/24 lookup main pref 50\n";

  enum Kind { NTH, RANDOM }

  /**
   * A scenario: topology, rules (iptables-restore text), routes (ip -batch text), flows, and how to
   * compare. For random scenarios {@code expectedShare} gives each uplink's probability.
   * {@code knownDifference} accepts a (simulator, kernel) pair of results that may disagree, and
   * {@code knownDifferenceWhy} says why.
   */
  record Scenario(String name, Kind kind, Topology topology, String rules, String routes, List<Flow> flows,
      Map<String, Double> expectedShare, BiPredicate<FlowResult, FlowResult> knownDifference,
      String knownDifferenceWhy) {

    static Scenario nth(String name, Topology t, String rules, String routes, List<Flow> flows) {
      return new Scenario(name, Kind.NTH, t, rules, routes, flows, Map.of(), (s, k) -> false, "");
    }
  }

  record Row(String name, int flows, int agree, int known, String result, long millis) {}

  // ------------------------------------------------------------------ the rulesets

  // The seed, its OUTPUT fix and the obvious routes are KernelLabTest's: one definition for both.
  static String seed() throws IOException {
    return KernelLabTest.seed();
  }

  static String fixedSeed() throws IOException {
    return KernelLabTest.fixedSeed();
  }

  static final String SEED_ROUTES = KernelLabTest.OBVIOUS_ROUTES;

  /**
   * Rules for {@code n} uplinks: restore the connmark for established packets (in PREROUTING and
   * OUTPUT), inbound connections marked by the uplink they arrive on, {@code balance} (given as its
   * body) for the LAN traffic {@code lanMatch} and the router traffic {@code outputMatch} (null: no
   * balancing in OUTPUT), the connmark restored into the mark for new connections, MASQUERADE on
   * every uplink. Marks are {@code (i+1) << shift} within {@code mask}.
   */
  static String rules(int n, String balanceBody, String lanMatch, String outputMatch, long mask, int shift,
      String preamble) {
    String m = mask == 0xffffffffL ? "" : "/0x" + Long.toHexString(mask);
    String masks = mask == 0xffffffffL ? "" : " --nfmask 0x" + Long.toHexString(mask) + " --ctmask 0x"
        + Long.toHexString(mask);
    StringBuilder r = new StringBuilder("*mangle\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:balance - [0:0]\n");
    r.append(preamble);
    r.append("-A PREROUTING -m state --state ESTABLISHED,RELATED -j CONNMARK --restore-mark").append(masks).append('\n');
    r.append("-A OUTPUT -m state --state ESTABLISHED,RELATED -j CONNMARK --restore-mark").append(masks).append('\n');
    for (int i = 0; i < n; i++) {
      r.append("-A PREROUTING -i ppp").append(i).append(" -m state --state NEW -j CONNMARK --set-xmark 0x")
          .append(Long.toHexString((long) (i + 1) << shift)).append(mask == 0xffffffffL ? "/0xffffffff" : m)
          .append('\n');
    }
    r.append(balanceBody);
    r.append("-A PREROUTING -i eth0 ").append(lanMatch).append(" -m state --state NEW -j balance\n");
    r.append("-A PREROUTING -m state --state NEW -j CONNMARK --restore-mark").append(masks).append('\n');
    if (outputMatch != null) {
      r.append("-A OUTPUT ").append(outputMatch).append(" -m state --state NEW -j balance\n");
      r.append("-A OUTPUT -m state --state NEW -j CONNMARK --restore-mark").append(masks).append('\n');
    }
    r.append("COMMIT\n*nat\n:POSTROUTING ACCEPT [0:0]\n");
    for (int i = 0; i < n; i++) {
      r.append("-A POSTROUTING -o ppp").append(i).append(" -j MASQUERADE\n");
    }
    return r.append("COMMIT\n").toString();
  }

  static String rules(int n, String balanceBody, String lanMatch, String outputMatch) {
    return rules(n, balanceBody, lanMatch, outputMatch, 0xffffffffL, 0, "");
  }

  /** The guard and n equal nth turns: mark i+1 (shifted, in the mask) on evaluation i mod n. */
  static String equalNth(int n, long mask, int shift) {
    String m = mask == 0xffffffffL ? "/0xffffffff" : "/0x" + Long.toHexString(mask);
    String zero = mask == 0xffffffffL ? "0" : "0x0/0x" + Long.toHexString(mask);
    StringBuilder b = new StringBuilder("-A balance -m connmark ! --mark " + zero + " -j RETURN\n");
    for (int i = 0; i < n; i++) {
      b.append("-A balance -m statistic --mode nth --every ").append(n).append(" --packet ").append(i)
          .append(" -j CONNMARK --set-xmark 0x").append(Long.toHexString((long) (i + 1) << shift)).append(m)
          .append('\n');
    }
    return b.toString();
  }

  static String equalNth(int n) {
    return equalNth(n, 0xffffffffL, 0);
  }

  /** Routes: the LAN-reply rule, fwmark (i+1) << shift (in the mask) to table i+1, main via ppp0. */
  static String routes(Topology t, long mask, int shift) {
    StringBuilder r = new StringBuilder(LAN_REPLY_RULE);
    for (int i = 0; i < t.uplinks().size(); i++) {
      r.append("rule add fwmark 0x").append(Long.toHexString((long) (i + 1) << shift));
      if (mask != 0xffffffffL) {
        r.append("/0x").append(Long.toHexString(mask));
      }
      r.append(" lookup ").append(i + 1).append(" pref ").append(100 + i).append('\n');
      r.append("route replace default via ").append(t.uplinks().get(i).gateway().get()).append(" dev ppp").append(i)
          .append(" table ").append(i + 1).append('\n');
    }
    return r.append("route replace default via 198.51.100.2 dev ppp0\n").toString();
  }

  static String routes(Topology t) {
    return routes(t, 0xffffffffL, 0);
  }

  // ------------------------------------------------------------------ the flows

  /** {@code count} LAN flows from ten LAN hosts, ports from {@code firstPort}, cycling through the protocols/ports. */
  static List<Flow> lan(Topology t, int firstPort, int count, Object... protoPort) {
    List<IpAddress> hosts = t.lanClients(10);
    List<Flow> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int k = i % (protoPort.length / 2);
      out.add(Flow.fromLan(hosts.get(i % hosts.size()), firstPort + i, (Protocol) protoPort[2 * k], SERVER,
          (Integer) protoPort[2 * k + 1]));
    }
    return out;
  }

  /** One inbound TCP (to 22) and one inbound UDP (to 5353) flow on every uplink. */
  static List<Flow> inboundEverywhere(Topology t, int firstPort) {
    List<Flow> out = new ArrayList<>();
    for (int i = 0; i < t.uplinks().size(); i++) {
      Topology.Uplink u = t.uplinks().get(i);
      out.add(Flow.inbound(u.iface(), SERVER, firstPort + 2 * i, Protocol.TCP, u.ip(), 22));
      out.add(Flow.inbound(u.iface(), SERVER, firstPort + 2 * i + 1, Protocol.UDP, u.ip(), 5353));
    }
    return out;
  }

  static List<Flow> router(int firstPort, int count, Protocol protocol, int port) {
    List<Flow> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(Flow.fromRouter(protocol, firstPort + i, SERVER, port));
    }
    return out;
  }

  @SafeVarargs
  static List<Flow> concat(List<Flow>... parts) {
    List<Flow> out = new ArrayList<>();
    for (List<Flow> p : parts) {
      out.addAll(p);
    }
    return out;
  }

  static final Protocol TCP = Protocol.TCP;
  static final Protocol UDP = Protocol.UDP;

  // ------------------------------------------------------------------ the corpus

  static List<Scenario> corpus() throws IOException {
    List<Scenario> c = new ArrayList<>();
    Topology two = Topology.standard(2);
    IpAddress routerLan = IpAddress.parse("192.0.2.1");
    IpAddress client = IpAddress.parse("192.0.2.100");

    // 1. The seed as posted: balanced LAN connections die at their SYN-ACK (no LAN-reply rule),
    // unbalanced UDP takes main, inbound connections answer on their uplink, ssh to the router is
    // balanced and its answer leaves an uplink.
    c.add(Scenario.nth("seed as posted", two, seed(), SEED_ROUTES, concat(
        lan(two, 40000, 4, TCP, 443, TCP, 80),
        lan(two, 40100, 3, UDP, 53),
        inboundEverywhere(two, 41000),
        List.of(Flow.fromLan(client, 44000, TCP, routerLan, 22)),
        router(43100, 3, TCP, 80),
        lan(two, 40200, 2, TCP, 25))));

    // 2. The seed as posted, router-originated flows: a flow given connmark 2 loses its ACK to the
    // masquerade kill and its data is picked up mid-stream as a new connection that takes another
    // nth turn (see the class comment); every flow ends via ppp0 with connmark 1.
    c.add(Scenario.nth("seed as posted, router flows", two, seed(), SEED_ROUTES, concat(
        router(43000, 6, TCP, 80), router(43100, 2, UDP, 53), router(43200, 3, TCP, 80))));

    // 3. Router traffic re-marked once ESTABLISHED: mark 2 sends every later packet to ppp1, the
    // masqueraded connection is killed each time; the data is picked up mid-stream, the FIN is not
    // (INVALID, it leaves un-NATed with the router's ppp0 address, which the server knows), the
    // last ACK is. UDP is not retransmitted: its second request is lost with the entry.
    c.add(new Scenario("router flows re-marked when ESTABLISHED", Kind.NTH, two,
        "*mangle\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -m state --state ESTABLISHED -j MARK --set-xmark 0x2/0xffffffff\n"
            + "COMMIT\n*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o ppp+ -j MASQUERADE\nCOMMIT\n",
        "rule add fwmark 0x2 lookup 2 pref 100\nroute replace default via 198.51.100.18 dev ppp1 table 2\n"
            + "route replace default via 198.51.100.2 dev ppp0\n",
        concat(router(43000, 2, TCP, 80), router(43100, 1, UDP, 53)), Map.of(), (sim, kernel) -> false, ""));

    // 3b. LAN traffic re-marked once ESTABLISHED: the forwarded ACK is killed, the data picked up
    // (NEW, mark 0, ppp0, same masquerade address); the FIN is killed and its retransmission,
    // INVALID, leaves un-NATed with the LAN address: provider ppp0 drops it. UDP is not retransmitted.
    String lanRoutes = LAN_REPLY_RULE + "rule add fwmark 0x2 lookup 2 pref 100\n"
        + "route replace default via 198.51.100.18 dev ppp1 table 2\nroute replace default via 198.51.100.2 dev ppp0\n";
    c.add(Scenario.nth("LAN flows re-marked when ESTABLISHED", two,
        "*mangle\n:PREROUTING ACCEPT [0:0]\n"
            + "-A PREROUTING -i eth0 -m state --state ESTABLISHED -j MARK --set-xmark 0x2/0xffffffff\n"
            + "COMMIT\n*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o ppp+ -j MASQUERADE\nCOMMIT\n",
        lanRoutes, concat(lan(two, 40000, 2, TCP, 80), lan(two, 40100, 1, UDP, 53))));

    // 3c. Router pickups that leave another uplink: the ACK is killed, and the picked-up data takes
    // the other nth turn (mark 2), leaves ppp1 masqueraded to ppp1's address: the server has no
    // connection from there and resets it.
    c.add(Scenario.nth("router pickups leave another uplink", two,
        "*mangle\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -m state --state ESTABLISHED -j MARK --set-xmark 0x2/0xffffffff\n"
            + "-A OUTPUT -p tcp --dport 80 -m state --state NEW -m statistic --mode nth --every 2 --packet 1"
            + " -j MARK --set-xmark 0x2/0xffffffff\n"
            + "COMMIT\n*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o ppp+ -j MASQUERADE\nCOMMIT\n",
        lanRoutes, router(43000, 2, TCP, 80)));

    // 4. The seed with its defects fixed: everything completes; router flows share balance1's counter.
    c.add(Scenario.nth("seed fixed", two, fixedSeed(), LAN_REPLY_RULE + SEED_ROUTES, concat(
        lan(two, 40000, 12, TCP, 443, TCP, 80, TCP, 22, TCP, 25),
        lan(two, 40100, 2, UDP, 53),
        inboundEverywhere(two, 41000),
        router(43000, 4, TCP, 80),
        List.of(Flow.fromLan(client, 44000, TCP, routerLan, 22), Flow.fromLan(client, 44001, UDP, routerLan, 53)),
        lan(two, 40200, 4, TCP, 80))));

    // 5-7. 3, 5 and 8 uplinks taking equal nth turns, TCP and UDP, inbound on every uplink.
    for (int n : new int[] {3, 5, 8}) {
      Topology t = Topology.standard(n);
      c.add(Scenario.nth(n + " uplinks, equal nth", t,
          rules(n, equalNth(n), "-p tcp", null), routes(t), concat(
              lan(t, 40000, 2 * n + 1, TCP, 80, TCP, 443),
              inboundEverywhere(t, 41000),
              lan(t, 40100, n, TCP, 443))));
    }

    // 8. Unequal weights 3:2:1 by an nth cascade: half the flows to ppp0; of the rest a third to
    // ppp2 and two thirds to ppp1. The second and third nth rules see only the flows left over.
    Topology three = Topology.standard(3);
    String weighted = "-A balance -m connmark ! --mark 0 -j RETURN\n"
        + "-A balance -m statistic --mode nth --every 2 --packet 0 -j CONNMARK --set-xmark 0x1/0xffffffff\n"
        + "-A balance -m connmark ! --mark 0 -j RETURN\n"
        + "-A balance -m statistic --mode nth --every 3 --packet 0 -j CONNMARK --set-xmark 0x3/0xffffffff\n"
        + "-A balance -m connmark ! --mark 0 -j RETURN\n"
        + "-A balance -j CONNMARK --set-xmark 0x2/0xffffffff\n";
    c.add(Scenario.nth("weights 3:2:1, nth cascade", three, rules(3, weighted, "-p tcp", "-p tcp --dport 80"),
        routes(three), concat(lan(three, 40000, 18, TCP, 80, TCP, 443, TCP, 22), router(43000, 6, TCP, 80),
            inboundEverywhere(three, 41000))));

    // 9. Masked marks: the balancer owns 0xff00 (marks 0x100, 0x200, 0x300); another tool's low
    // bits (packet mark 0x7 on everything from the LAN, connmark 0x40 on tcp/443) stay untouched.
    long mask = 0xff00L;
    String preamble = "-A PREROUTING -i eth0 -j MARK --set-xmark 0x7/0xff\n"
        + "-A PREROUTING -i eth0 -p tcp --dport 443 -m state --state NEW -j CONNMARK --set-xmark 0x40/0xff\n";
    c.add(Scenario.nth("masked marks 0xff00", three,
        rules(3, equalNth(3, mask, 8), "-p tcp", "-p tcp --dport 80", mask, 8, preamble), routes(three, mask, 8),
        concat(lan(three, 40000, 12, TCP, 443, TCP, 80), router(43000, 3, TCP, 80), inboundEverywhere(three, 41000),
            lan(three, 40100, 3, UDP, 53))));

    // 10. nth splits through terminating sub-chains: each turn goes (-g) to a chain that sets both
    // marks and ACCEPTs, so later nth rules see only the flows earlier ones let through.
    String toChains = ":to1 - [0:0]\n:to2 - [0:0]\n:to3 - [0:0]\n"
        + "-A to1 -j CONNMARK --set-xmark 0x1/0xffffffff\n-A to1 -j MARK --set-xmark 0x1/0xffffffff\n-A to1 -j ACCEPT\n"
        + "-A to2 -j CONNMARK --set-xmark 0x2/0xffffffff\n-A to2 -j MARK --set-xmark 0x2/0xffffffff\n-A to2 -j ACCEPT\n"
        + "-A to3 -j CONNMARK --set-xmark 0x3/0xffffffff\n-A to3 -j MARK --set-xmark 0x3/0xffffffff\n-A to3 -j ACCEPT\n";
    String terminating = "-A balance -m statistic --mode nth --every 3 --packet 0 -g to1\n"
        + "-A balance -m statistic --mode nth --every 2 --packet 0 -g to2\n"
        + "-A balance -g to3\n";
    c.add(Scenario.nth("nth through -g/ACCEPT sub-chains", three,
        rules(3, terminating, "-p tcp --dport 80", null, 0xffffffffL, 0, toChains), routes(three), concat(
            lan(three, 40000, 15, TCP, 80), lan(three, 40100, 2, TCP, 443), inboundEverywhere(three, 41000))));

    // 11. Excluded destinations: tcp/8443, the server's tcp/25 and LAN-internal traffic RETURN
    // before any nth rule, so they take the main table (ppp0, mark 0) and cost no turn.
    String excluding = "-A balance -p tcp --dport 8443 -j RETURN\n"
        + "-A balance -d 203.0.113.10/32 -p tcp --dport 25 -j RETURN\n"
        + "-A balance -d 192.0.2.0/24 -j RETURN\n" + equalNth(2);
    c.add(Scenario.nth("excluded destinations", two, rules(2, excluding, "", null), routes(two), concat(
        lan(two, 40000, 16, TCP, 80, TCP, 8443, TCP, 443, TCP, 25, UDP, 53, TCP, 8443, UDP, 123, TCP, 443),
        List.of(Flow.fromLan(client, 44000, TCP, routerLan, 22), Flow.fromLan(client, 44001, UDP, routerLan, 53)),
        lan(two, 40100, 4, TCP, 80))));

    // 12. Inbound connections on every uplink of four, interleaved with balanced LAN traffic.
    Topology four = Topology.standard(4);
    c.add(Scenario.nth("inbound on every uplink", four, rules(4, equalNth(4), "-p tcp", null), routes(four),
        concat(inboundEverywhere(four, 41000), lan(four, 40000, 5, TCP, 80), inboundEverywhere(four, 41100),
            lan(four, 40100, 4, TCP, 443))));

    // 13. Router-originated traffic balanced in OUTPUT over three uplinks (re-route on the new
    // mark, MASQUERADE on the new uplink); unbalanced router UDP takes main.
    c.add(Scenario.nth("router-originated", three, rules(3, equalNth(3), "-p tcp --dport 80", "-p tcp"),
        routes(three), concat(router(43000, 9, TCP, 443), router(43100, 2, UDP, 53), lan(three, 40000, 3, TCP, 80),
            router(43200, 4, TCP, 80))));

    // 14-15. --mode random: 2 uplinks at 1/2 each, 3 uplinks by a cascade 1/3, then 1/2 of the rest.
    String random2 = "-A balance -m connmark ! --mark 0 -j RETURN\n"
        + "-A balance -m statistic --mode random --probability 0.5 -j CONNMARK --set-xmark 0x1/0xffffffff\n"
        + "-A balance -m connmark ! --mark 0 -j RETURN\n"
        + "-A balance -j CONNMARK --set-xmark 0x2/0xffffffff\n";
    c.add(new Scenario("random 1:1", Kind.RANDOM, two, rules(2, random2, "-p tcp", null), routes(two),
        lan(two, 40000, 80, TCP, 80, TCP, 443), Map.of("ppp0", 0.5, "ppp1", 0.5), (s, k) -> false, ""));
    // The kernel stores 0.33333 as lround(0.33333 * 2^31) / 2^31 and 0.5 as exactly 2^30 / 2^31.
    double first = Statistic.Random.ofProbability(0.33333).probability();
    String random3 = "-A balance -m connmark ! --mark 0 -j RETURN\n"
        + "-A balance -m statistic --mode random --probability 0.33333 -j CONNMARK --set-xmark 0x1/0xffffffff\n"
        + "-A balance -m connmark ! --mark 0 -j RETURN\n"
        + "-A balance -m statistic --mode random --probability 0.5 -j CONNMARK --set-xmark 0x2/0xffffffff\n"
        + "-A balance -m connmark ! --mark 0 -j RETURN\n"
        + "-A balance -j CONNMARK --set-xmark 0x3/0xffffffff\n";
    c.add(new Scenario("random 1:1:1 cascade", Kind.RANDOM, three, rules(3, random3, "-p tcp", null), routes(three),
        lan(three, 40000, 90, TCP, 80, TCP, 443), Map.of("ppp0", first, "ppp1", (1 - first) / 2, "ppp2", (1 - first) / 2),
        (s, k) -> false, ""));
    return c;
  }

  // ------------------------------------------------------------------ the comparison

  @Test
  void simulatorAndKernelAgreeOnEveryScenario() throws IOException {
    KernelTests.requireKernel();
    long t0 = System.nanoTime();
    List<Row> rows = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    List<String> known = new ArrayList<>();
    List<Scenario> corpus = corpus();
    // Every uplink count of a random scenario is one chance-dependent assertion on the kernel.
    double alpha = BinomialBound.ONE_IN_A_BILLION
        / corpus.stream().filter(s -> s.kind() == Kind.RANDOM).mapToInt(s -> s.expectedShare().size()).sum();
    for (Scenario s : corpus) {
      long s0 = System.nanoTime();
      Simulator sim = Simulator.of(s.topology(), RestoreParser.parse(s.name(), s.rules(), IpFamily.V4),
          IpBatchParser.parse(s.name(), s.routes(), IpFamily.V4), SIM_SEED);
      List<FlowResult> simulated = sim.runAll(s.flows());
      List<FlowResult> kernel;
      try (KernelLab lab = KernelLab.start(s.topology(), s.rules(), s.routes(), FAST)) {
        kernel = lab.runAll(s.flows());
      }
      long millis = (System.nanoTime() - s0) / 1_000_000;
      rows.add(s.kind() == Kind.NTH
          ? compareNth(s, simulated, kernel, failures, known, millis)
          : compareRandom(s, simulated, kernel, failures, millis, alpha));
    }
    long total = (System.nanoTime() - t0) / 1_000_000;

    StringBuilder table = new StringBuilder(String.format("%n%-40s %6s %6s %6s  %-8s %7s  %s%n", "scenario", "kind",
        "flows", "agree", "result", "ms", "known differences"));
    int flows = 0;
    int agree = 0;
    int knownCount = 0;
    for (Row r : rows) {
      table.append(String.format("%-40s %6s %6d %6d  %-8s %7d  %s%n", r.name(),
          r.result().startsWith("binomial") ? "random" : "nth", r.flows(), r.agree(),
          r.result().startsWith("binomial") ? "ok" : r.result(), r.millis(), r.known() == 0 ? "" : r.known()));
      flows += r.flows();
      agree += r.agree();
      knownCount += r.known();
    }
    table.append(String.format("differential: %d scenarios, %d/%d flows agree, %d known differences (documented),"
        + " %d disagreements; %d ms%n", rows.size(), agree, flows, knownCount, flows - agree - knownCount, total));
    known.forEach(k -> table.append("known difference: ").append(k).append('\n'));
    System.out.println(table);
    if (!failures.isEmpty()) {
      fail(failures.size() + " disagreements:\n" + String.join("\n", failures) + table);
    }
    assertTrue(rows.size() >= 12);
  }

  static Row compareNth(Scenario s, List<FlowResult> simulated, List<FlowResult> kernel, List<String> failures,
      List<String> known, long millis) {
    assertEquals(s.flows().size(), kernel.size());
    int agree = 0;
    int knownDiffs = 0;
    for (int i = 0; i < s.flows().size(); i++) {
      FlowResult a = simulated.get(i);
      FlowResult b = kernel.get(i);
      boolean sameOutcome = a.outcome().equals(b.outcome());
      boolean sameMark = a.mark().isEmpty() || b.mark().isEmpty() || a.mark().equals(b.mark());
      // A flow that fails in both must fail at the same packet (1 = the opening packet).
      boolean sameLoss = a.completed() || b.completed()
          || a.loss().get().packet() == b.loss().get().packet();
      if (sameOutcome && sameMark && sameLoss) {
        agree++;
      } else if (s.knownDifference().test(a, b)) {
        knownDiffs++;
        known.add(s.name() + " #" + i + ": " + s.knownDifferenceWhy() + "\n    simulator: " + a + "\n    kernel:    " + b);
      } else {
        failures.add(s.name() + " #" + i + " " + s.flows().get(i) + (!sameOutcome ? "" : !sameMark ? " (marks differ)" : " (lost at different packets)")
            + "\n    simulator: " + a + "\n    kernel:    " + b);
      }
    }
    System.out.printf("%s: simulator %s%n%s  kernel    %s%n", s.name(), summary(simulated), " ".repeat(s.name().length()),
        summary(kernel));
    String result = agree + knownDiffs == s.flows().size() ? (knownDiffs == 0 ? "agree" : "known") : "DIFFER";
    return new Row(s.name(), s.flows().size(), agree, knownDiffs, result, millis);
  }

  /** {@code alpha}: the probability with which a fair kernel count may leave its bounds, per uplink. */
  static Row compareRandom(Scenario s, List<FlowResult> simulated, List<FlowResult> kernel, List<String> failures,
      long millis, double alpha) {
    int n = s.flows().size();
    Map<String, Integer> simCounts = counts(simulated);
    Map<String, Integer> kernelCounts = counts(kernel);
    List<String> bad = new ArrayList<>();
    for (Map.Entry<String, Integer> e : simCounts.entrySet()) {
      if (!s.expectedShare().containsKey(e.getKey())) {
        bad.add("simulator outcome " + e.getKey() + " x" + e.getValue());
      }
    }
    for (Map.Entry<String, Integer> e : kernelCounts.entrySet()) {
      if (!s.expectedShare().containsKey(e.getKey())) {
        bad.add("kernel outcome " + e.getKey() + " x" + e.getValue());
      }
    }
    for (Map.Entry<String, Double> e : s.expectedShare().entrySet()) {
      // The count is Binomial(n, share) when every flow completes (checked above and below).
      BinomialBound bound = BinomialBound.of(n, e.getValue(), alpha);
      int a = simCounts.getOrDefault(e.getKey(), 0);
      int b = kernelCounts.getOrDefault(e.getKey(), 0);
      if (!bound.contains(a) || !bound.contains(b)) {
        bad.add(String.format("%s: simulator %d, kernel %d, expected %s", e.getKey(), a, b, bound));
      }
    }
    // Within one run the per-flow mark must still match the uplink the flow took.
    for (List<FlowResult> rs : List.of(simulated, kernel)) {
      for (FlowResult r : rs) {
        Optional<String> up = r.uplink().map(InterfaceName::name);
        if (up.isPresent() && r.mark().isPresent()
            && r.mark().getAsLong() != Long.parseLong(up.get().substring(3)) + 1) {
          bad.add("mark " + r.mark() + " for a flow via " + up.get() + ": " + r);
        }
      }
    }
    System.out.printf("%s: simulator %s, kernel %s%n", s.name(), simCounts, kernelCounts);
    if (!bad.isEmpty()) {
      failures.add(s.name() + ": " + String.join("; ", bad));
      return new Row(s.name(), n, 0, 0, "DIFFER", millis);
    }
    return new Row(s.name(), n, n, 0, "binomial", millis);
  }

  /** Each flow's outcome, with its lost packet for failed flows: {@code ppp0 ppp1 failed@2 local}. */
  static String summary(List<FlowResult> results) {
    return String.join(" ", results.stream()
        .map(r -> r.completed() ? r.outcome() : "failed@" + r.loss().get().packet()).toList());
  }

  static Map<String, Integer> counts(List<FlowResult> results) {
    Map<String, Integer> out = new LinkedHashMap<>();
    results.forEach(r -> out.merge(r.outcome(), 1, Integer::sum));
    return new java.util.TreeMap<>(out);
  }
}
