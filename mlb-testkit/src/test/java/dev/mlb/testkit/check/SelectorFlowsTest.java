package dev.mlb.testkit.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.testkit.gen.FlowGenerator;
import dev.mlb.testkit.gen.PolicyGens;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.Selectors;
import dev.mlb.testkit.sim.Sim;
import dev.mlb.testkit.sim.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Flows of a policy's {@link TrafficSelector}: {@link FlowGenerator#lan(TrafficSelector)} draws
 * inside it, {@link FlowGenerator#lanOutside(TrafficSelector)} just outside it, and
 * {@link BalancingCheck} judges flows by the same criteria.
 */
class SelectorFlowsTest {
  static final Topology TWO = Topology.standard(2);
  static final IpAddress SERVER = IpAddress.parse("203.0.113.10");
  static final IpPrefix LAB_LINKS = IpPrefix.parse("203.0.113.128/25");

  static TrafficSelector selector(Protocol protocol, List<PortRange> ports, List<String> sources,
      List<String> destinations) {
    return new TrafficSelector(Optional.ofNullable(protocol), ImmutableList.copyOf(ports),
        sources.stream().map(IpPrefix::parse).collect(ImmutableList.toImmutableList()),
        destinations.stream().map(IpPrefix::parse).collect(ImmutableList.toImmutableList()));
  }

  @Test
  void matchingFollowsEveryCriterion() {
    Flow web = Flow.fromLan(IpAddress.parse("192.0.2.100"), 40000, Protocol.TCP, SERVER, 443);
    assertTrue(Selectors.matches(TrafficSelector.all(), web));
    assertTrue(Selectors.matches(TrafficSelector.of(Protocol.TCP, 80, 443), web));
    assertFalse(Selectors.matches(TrafficSelector.of(Protocol.UDP, 443), web));
    assertTrue(Selectors.matches(selector(Protocol.TCP, List.of(PortRange.of(400, 500)), List.of(), List.of()), web));
    assertFalse(Selectors.matches(selector(Protocol.TCP, List.of(PortRange.of(444, 500)), List.of(), List.of()), web));
    assertTrue(Selectors.matches(selector(null, List.of(), List.of("192.0.2.96/28"), List.of()), web));
    assertFalse(Selectors.matches(selector(null, List.of(), List.of("192.0.2.112/28"), List.of()), web));
    assertTrue(Selectors.matches(selector(null, List.of(), List.of(), List.of("203.0.113.0/28")), web));
    assertFalse(Selectors.matches(selector(null, List.of(), List.of(), List.of("203.0.113.16/28")), web));
    // An IPv6 destination list holds no IPv4 flow: the selector picks nothing of IPv4.
    assertFalse(Selectors.matches(selector(null, List.of(), List.of(), List.of("2001:db8::/32")), web));
    // A router flow has no source of its own: a selector with sources never picks it.
    Flow router = Flow.fromRouter(Protocol.TCP, 40001, SERVER, 443);
    assertTrue(Selectors.matches(TrafficSelector.of(Protocol.TCP, 443), router));
    assertFalse(Selectors.matches(selector(null, List.of(), List.of("0.0.0.0/0"), List.of()), router));
  }

  @Test
  void intersectionPicksWhatBothPick() {
    TrafficSelector web = TrafficSelector.of(Protocol.TCP, 80, 443);
    TrafficSelector bank = TrafficSelector.toDestinations(IpPrefix.parse("203.0.113.64/26"));
    assertEquals(Optional.of(selector(Protocol.TCP, List.of(PortRange.of(80), PortRange.of(443)), List.of(),
        List.of("203.0.113.64/26"))), Selectors.intersect(web, bank));
    assertEquals(Optional.of(selector(Protocol.TCP, List.of(PortRange.of(443)), List.of(), List.of())),
        Selectors.intersect(web, selector(Protocol.TCP, List.of(PortRange.of(400, 500)), List.of(), List.of())));
    assertEquals(Optional.empty(), Selectors.intersect(web, TrafficSelector.of(Protocol.UDP, 443)));
    assertEquals(Optional.empty(), Selectors.intersect(web, TrafficSelector.of(Protocol.TCP, 22)));
    assertEquals(Optional.of(selector(null, List.of(), List.of("192.0.2.96/28"), List.of())),
        Selectors.intersect(selector(null, List.of(), List.of("192.0.2.0/24"), List.of()),
            selector(null, List.of(), List.of("192.0.2.96/28"), List.of())));
    assertEquals(Optional.empty(), Selectors.intersect(bank,
        TrafficSelector.toDestinations(IpPrefix.parse("203.0.113.0/26"))));
  }

  @Test
  void flowsInsideAndOutsideEverySelectorOfGeneratedPolicies() {
    List<String> counts = new ArrayList<>();
    int[] made = new int[3];
    qt().withExamples(300).withFixedSeed(5L)
        .forAll(PolicyGens.seeded(1, 4))
        .checkAssert(s -> {
          Topology t = CompiledPolicy.compile(s.policy()).topology();
          FlowGenerator gen = FlowGenerator.of(t, s.seed());
          List<TrafficSelector> selectors = new ArrayList<>(s.policy().balanced());
          selectors.addAll(s.policy().router());
          selectors.addAll(s.policy().exclusions());
          for (TrafficSelector sel : selectors) {
            for (int i = 0; i < 5; i++) {
              Optional<Flow> in = gen.lan(sel);
              if (sel.appliesTo(dev.mlb.api.IpFamily.V4)) {
                assertTrue(in.isPresent(), "no LAN flow of " + sel + " in " + t);
              }
              in.ifPresent(f -> {
                assertTrue(Selectors.matches(sel, f), f + " is not of " + sel);
                assertLabCompatible(t, f);
                made[0]++;
              });
              gen.router(sel).ifPresent(f -> {
                assertTrue(sel.sources().isEmpty(), "a router flow of a selector with sources: " + f);
                assertTrue(Selectors.matches(sel, f), f + " is not of " + sel);
                assertLabCompatible(t, f);
                made[1]++;
              });
              gen.lanOutside(sel).ifPresent(f -> {
                assertFalse(Selectors.matches(sel, f), f + " is of " + sel);
                assertLabCompatible(t, f);
                made[2]++;
              });
            }
          }
        });
    System.out.printf("SelectorFlowsTest: %d LAN flows inside, %d router flows inside, %d LAN flows just outside the"
        + " selectors of 300 generated policies%n", made[0], made[1], made[2]);
    assertTrue(made[0] > 1000 && made[1] > 500 && made[2] > 500, java.util.Arrays.toString(made) + counts);
  }

  /** A flow the kernel lab can run: LAN clients in the LAN, destinations on the internet side. */
  static void assertLabCompatible(Topology t, Flow f) {
    f.client().ifPresent(c -> {
      assertTrue(t.lanAddress().network().contains(c) && !c.equals(t.lanAddress().address()), f.toString());
    });
    assertFalse(LAB_LINKS.contains(f.server()), f.toString());
    assertFalse(t.lanAddress().network().contains(f.server()), f.toString());
    assertTrue(t.uplinkOnLink(f.server()).isEmpty(), f.toString());
    assertTrue(f.serverPort() < 20000, f.toString());
  }

  @Test
  void outsideFlowsBreakOneCriterion() {
    FlowGenerator gen = FlowGenerator.of(TWO, 3);
    TrafficSelector sel = selector(Protocol.TCP, List.of(PortRange.of(443)), List.of("192.0.2.96/28"),
        List.of("203.0.113.0/28"));
    List<String> broken = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      Flow f = gen.lanOutside(sel).orElseThrow();
      List<String> fails = new ArrayList<>();
      if (!f.protocol().equals(Protocol.TCP)) {
        fails.add("protocol");
      }
      if (f.serverPort() != 443) {
        fails.add("port");
      }
      if (!IpPrefix.parse("192.0.2.96/28").contains(f.client().get())) {
        fails.add("source");
      }
      if (!IpPrefix.parse("203.0.113.0/28").contains(f.server())) {
        fails.add("destination");
      }
      assertEquals(1, fails.size(), f + " breaks " + fails);
      broken.add(fails.get(0));
    }
    for (String criterion : List.of("protocol", "port", "source", "destination")) {
      assertTrue(broken.contains(criterion), criterion + " never broken: " + broken);
    }
    assertEquals(Optional.empty(), gen.lanOutside(TrafficSelector.all()));
    // No IPv4 flow can be of a selector whose destinations are all IPv6, or of ICMP.
    assertEquals(Optional.empty(), gen.lan(selector(null, List.of(), List.of(), List.of("2001:db8::/32"))));
    assertEquals(Optional.empty(), gen.lan(selector(Protocol.ICMP, List.of(), List.of(), List.of())));
  }

  @Test
  void theCheckDrawsItsFlowsFromTheSelectors() {
    // A hand-made ruleset that balances only tcp 443 to 203.0.113.0/28 from 192.0.2.96/28, as the
    // seed does (alternating connmarks 1 and 2), and the routes that go with it.
    String rules = "*mangle\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:bal - [0:0]\n"
        + "-A PREROUTING -m conntrack --ctstate ESTABLISHED,RELATED -j CONNMARK --restore-mark\n"
        + "-A PREROUTING -i ppp0 -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x1/0xffffffff\n"
        + "-A PREROUTING -i ppp1 -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x2/0xffffffff\n"
        + "-A PREROUTING -i eth0 -s 192.0.2.96/28 -d 203.0.113.0/28 -p tcp -m tcp --dport 443 -m conntrack"
        + " --ctstate NEW -j bal\n"
        + "-A PREROUTING -m conntrack --ctstate NEW -j CONNMARK --restore-mark\n"
        + "-A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j CONNMARK --restore-mark\n"
        + "-A bal -m statistic --mode nth --every 2 --packet 0 -j CONNMARK --set-xmark 0x1/0xffffffff\n"
        + "-A bal -m statistic --mode nth --every 2 --packet 1 -j CONNMARK --set-xmark 0x2/0xffffffff\n"
        + "COMMIT\n*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o ppp+ -j MASQUERADE\nCOMMIT\n";
    String routes = "rule add to 192.0.2.0/24 lookup main pref 50\n"
        + "rule add fwmark 0x1 lookup 1 pref 100\nrule add fwmark 0x2 lookup 2 pref 101\n"
        + "route replace default via 198.51.100.2 dev ppp0 table 1\n"
        + "route replace default via 198.51.100.18 dev ppp1 table 2\n"
        + "route replace default via 198.51.100.2 dev ppp0\n";
    TrafficSelector sel = selector(Protocol.TCP, List.of(PortRange.of(443)), List.of("192.0.2.96/28"),
        List.of("203.0.113.0/28"));
    BalancingCheck check = BalancingCheck.builder(TWO, Sim.rules(rules), Sim.plan(routes.split("\n")))
        .balancedLan(sel).balanceNothingElse().build();
    check.assertAll();
    assertTrue(check.flows().stream().filter(f -> f.origin() == Flow.Origin.LAN).anyMatch(f -> !Selectors.matches(sel, f)),
        "flows just outside the selector");
    assertEquals(16, check.split().values().stream().mapToInt(Integer::intValue).sum());

    // The same rules judged against a wider selector: tcp 443 from anywhere in the LAN is not balanced.
    TrafficSelector wider = selector(Protocol.TCP, List.of(PortRange.of(443)), List.of(), List.of("203.0.113.0/28"));
    BalancingCheck narrowRules = BalancingCheck.builder(TWO, Sim.rules(rules), Sim.plan(routes.split("\n")))
        .balancedLan(wider).lanFlows(32).build();
    List<Violation> v = narrowRules.violations(BalancingProperty.ONE_UPLINK_MARK);
    assertFalse(v.isEmpty());
    assertTrue(v.stream().allMatch(x -> !IpPrefix.parse("192.0.2.96/28").contains(x.flow().client().get())), v.toString());

    // And against a narrower one with balanceNothingElse: the rules balance more than it allows.
    TrafficSelector narrower = selector(Protocol.TCP, List.of(PortRange.of(443)), List.of("192.0.2.100/30"),
        List.of("203.0.113.0/28"));
    BalancingCheck wideRules = BalancingCheck.builder(TWO, Sim.rules(rules), Sim.plan(routes.split("\n")))
        .balancedLan(sel).balancedLan(narrower).balanceNothingElse().build();
    wideRules.assertAll();
    Flow beside = Flow.fromLan(IpAddress.parse("192.0.2.105"), 40000, Protocol.TCP, IpAddress.parse("203.0.113.5"), 443);
    BalancingCheck onlyNarrower = BalancingCheck.builder(TWO, Sim.rules(rules), Sim.plan(routes.split("\n")))
        .balancedLan(narrower).balanceNothingElse().flows(List.of(beside)).build();
    assertEquals("no balanced LAN traffic picks it, but the flow was balanced: its connmark 0x1 designates [ppp0]",
        onlyNarrower.violations(BalancingProperty.EXCLUDED_NOT_BALANCED).get(0).explanation());
  }
}
