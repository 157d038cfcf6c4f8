package dev.mlb.api.policy;

import static dev.mlb.api.policy.PolicyValidatorTest.error;
import static dev.mlb.api.policy.PolicyValidatorTest.errors;
import static dev.mlb.api.policy.PolicyValidatorTest.ip;
import static dev.mlb.api.policy.PolicyValidatorTest.seed;
import static dev.mlb.api.policy.PolicyValidatorTest.uplink;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Tiers, the down set, health settings and their checks, each with its whole message. */
class FailoverPolicyTest {

  /** isp1 and isp2 in tier 1 (weights 2 and 1), isp3 in tier 2. */
  static BalancingPolicy tiered() {
    return seed().uplinks(List.of(
            uplink("isp1", "ppp0").weight(2).build(),
            uplink("isp2", "ppp1").build(),
            uplink("isp3", "ppp2").tier(2).build()))
        .build();
  }

  static List<String> names(List<Uplink> uplinks) {
    return uplinks.stream().map(Uplink::name).toList();
  }

  @Test
  void newConnectionsGoToTheUpUplinksOfTheBestTierThatHasOne() {
    BalancingPolicy p = tiered();
    assertEquals(List.of("isp1", "isp2"), names(p.activeUplinks()));
    assertEquals(List.of("isp2"), names(p.withDown(Set.of("isp1")).activeUplinks()));
    assertEquals(List.of("isp3"), names(p.withDown(Set.of("isp1", "isp2")).activeUplinks()));
    assertEquals(List.of("isp1", "isp2"), names(p.withDown(Set.of("isp3")).activeUplinks()));
    assertEquals(List.of(), names(p.withDown(Set.of("isp1", "isp2", "isp3")).activeUplinks()));
  }

  @Test
  void marksAndTablesStayWithTheUplinkWhateverIsDown() {
    BalancingPolicy p = tiered();
    BalancingPolicy down = p.withDown(Set.of("isp1"));
    for (int i = 0; i < 3; i++) {
      assertEquals(p.mark(p.uplinks().get(i)), down.mark(down.uplinks().get(i)));
      assertEquals(p.table(p.uplinks().get(i)), down.table(down.uplinks().get(i)));
    }
  }

  @Test
  void probingResolvesUplinkOverPolicyOverMwan3Defaults() {
    BalancingPolicy p = seed()
        .health(Health.builder().interval(Duration.ofSeconds(2)).timeout(Duration.ofSeconds(1)).down(3).build())
        .uplinks(List.of(
            uplink("isp1", "eth1").gateway(ip("198.51.100.1")).build(),
            uplink("isp2", "ppp1")
                .health(Health.builder().addTargets(ProbeTarget.parse("tcp:203.0.113.9:443"),
                    ProbeTarget.parse("203.0.113.10")).timeout(Duration.ofMillis(500)).reliability(2).build())
                .build(),
            uplink("isp3", "ppp2").build()))
        .build();
    assertEquals(new Probing(List.of(ProbeTarget.parse("198.51.100.1")), Duration.ofSeconds(2),
        Duration.ofSeconds(1), 3, 5, 1), p.probing(p.uplinks().get(0)));
    assertEquals(new Probing(List.of(ProbeTarget.parse("tcp:203.0.113.9:443"), ProbeTarget.parse("203.0.113.10")),
        Duration.ofSeconds(2), Duration.ofMillis(500), 3, 5, 2), p.probing(p.uplinks().get(1)));
    assertEquals(List.of(), p.probing(p.uplinks().get(2)).targets(), "a point-to-point uplink without targets");
    assertEquals(Duration.ofMillis(6500), p.probing(p.uplinks().get(1)).detectionBound());
    assertEquals(Duration.ofSeconds(54), seed().build().probing(seed().build().uplinks().get(0)).detectionBound(),
        "mwan3's defaults: 10 s × 5 + 4 s");
  }

  @Test
  void defaultTargetsAreTheGatewaysOfTheCompiledFamilies() {
    BalancingPolicy p = seed().families(Set.of(IpFamily.V4, IpFamily.V6))
        .addLanPrefixes(PolicyValidatorTest.net("2001:db8:ff::/64"))
        .uplinks(List.of(
            uplink("isp1", "eth1").gateway(ip("198.51.100.1")).gateway6(ip("2001:db8:1::1")).build(),
            uplink("isp2", "eth2").gateway(ip("198.51.100.17")).gateway6(ip("2001:db8:2::1")).build()))
        .build();
    assertEquals(List.of(ProbeTarget.parse("198.51.100.1"), ProbeTarget.parse("2001:db8:1::1")),
        p.probing(p.uplinks().get(0)).targets());
  }

  @Test
  void tierOutOfRange() {
    assertEquals("error [tier-range] uplinks[1].tier: 0 is out of range; expected 1 (the best) to 100",
        error(PolicyValidatorTest.secondUplink(u -> u.tier(0))));
  }

  @Test
  void downNamesAnUplink() {
    assertEquals("error [down-unknown] down: \"isp9\" is no uplink's name; expected one of isp1, isp2",
        error(seed().addDown("isp9")));
  }

  @Test
  void everyUplinkDownUnderKeepLastIsTheCallersToAvoid() {
    assertEquals("error [down-all-keep-last] down: every uplink is down and all-down is keep-last; expected the"
            + " uplinks that last carried connections to be left up (mlb watch and mlb apply --down do so)",
        error(seed().allDown(AllDown.KEEP_LAST).addDown("isp1", "isp2")));
    assertEquals(List.of(), seed().addDown("isp1", "isp2").build().activeUplinks(), "main: nothing balanced");
  }

  @Test
  void multipathCannotFailOver() {
    String why = "strategy multipath cannot fail over: its flow hash moves connections of live uplinks when a"
        + " nexthop leaves the route; expected strategy nth or random";
    assertEquals("error [failover-multipath] down: isp2 down: " + why,
        error(seed().strategy(Strategy.MULTIPATH).addDown("isp2")));
    assertEquals("error [failover-multipath] uplinks[1].tier: tier 2: " + why,
        error(seed().strategy(Strategy.MULTIPATH).uplinks(List.of(
            uplink("isp1", "ppp0").build(), uplink("isp2", "ppp1").tier(2).build()))));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "192.0.2.9|error [probe-target-on-lan] health.targets[0]: 192.0.2.9 lies inside the LAN prefix 192.0.2.0/24"
          + " (a probe of it never leaves through the uplink); expected an address beyond the provider",
      "224.0.0.1|error [probe-target-address] health.targets[0]: 224.0.0.1: 224.0.0.1 is a multicast address;"
          + " expected a unicast address beyond the provider",
      "2001:db8::9|error [probe-target-family] health.targets[0]: 2001:db8::9 is an IPv6 address, but the policy"
          + " compiles IPv4 only; expected an address of a compiled family",
  })
  void probeTargets(String target, String expected) {
    assertEquals(expected, error(seed().health(Health.builder().addTargets(ProbeTarget.parse(target)).build())));
  }

  @Test
  void aTargetListedTwice() {
    assertEquals("error [duplicate-probe-target] uplinks[1].health.targets[1]: 203.0.113.9 is listed twice;"
            + " expected each target once",
        error(PolicyValidatorTest.secondUplink(u -> u.health(Health.builder()
            .addTargets(ProbeTarget.parse("203.0.113.9"), ProbeTarget.parse("203.0.113.9")).build()))));
  }

  @Test
  void intervalsTimeoutsRoundsAndReliability() {
    assertEquals(List.of(
            "error [probe-interval] health.interval: 50ms is out of range; expected 100ms to 1h",
            "error [probe-timeout] health.timeout: 5ms is too short; expected at least 10ms",
            "error [probe-rounds] health.down: 0 is out of range; expected 1 to 100 failed rounds in a row",
            "error [probe-rounds] health.up: 101 is out of range; expected 1 to 100 successful rounds in a row",
            "error [probe-reliability] health.reliability: 0 is out of range; expected at least 1 target answering"),
        errors(seed().health(Health.builder().interval(Duration.ofMillis(50)).timeout(Duration.ofMillis(5))
            .down(0).up(101).reliability(0).build())));
  }

  @Test
  void aTimeoutLongerThanTheIntervalIsNamedWhereItWasGiven() {
    assertEquals("error [probe-timeout] health.interval: 4s is longer than isp1's probe interval 1s; expected at most"
            + " the interval (a round ends before the next starts)",
        errors(seed().health(Health.builder().interval(Duration.ofSeconds(1)).build())).get(0),
        "the default timeout (4 s) against a given interval");
    assertEquals("error [probe-timeout] uplinks[1].health.timeout: 3s is longer than isp2's probe interval 2s;"
            + " expected at most the interval (a round ends before the next starts)",
        error(seed().health(Health.builder().interval(Duration.ofSeconds(2)).timeout(Duration.ofSeconds(1)).build())
            .uplinks(List.of(uplink("isp1", "ppp0").build(),
                uplink("isp2", "ppp1").health(Health.builder().timeout(Duration.ofSeconds(3)).build()).build()))));
  }

  @Test
  void reliabilityAboveTheTargets() {
    assertEquals("error [probe-reliability] uplinks[1].health.reliability: 2 targets must answer, but isp2 has 1"
            + " target; expected at most 1",
        error(PolicyValidatorTest.secondUplink(u -> u.health(Health.builder()
            .addTargets(ProbeTarget.parse("203.0.113.9")).reliability(2).build()))));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "192.0.2.53|192.0.2.53",
      "tcp:203.0.113.9:443|tcp:203.0.113.9:443",
      "tcp:[2001:DB8::9]:443|tcp:[2001:db8::9]:443",
      "2001:db8::9|2001:db8::9",
  })
  void probeTargetsReadAndPrintCanonically(String text, String canonical) {
    assertEquals(canonical, ProbeTarget.parse(text).toString());
    assertEquals(ProbeTarget.parse(text), ProbeTarget.parse(canonical));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "udp:203.0.113.9:53|invalid probe target \"udp:203.0.113.9:53\"; expected a probe kind of tcp (the only one"
          + " with a port); ICMP targets are a bare address",
      "tcp:203.0.113.9|invalid probe target \"tcp:203.0.113.9\"; expected tcp:ADDRESS:PORT (the port is missing)",
      "tcp:203.0.113.9:0|invalid probe target \"tcp:203.0.113.9:0\"; expected a port 1 to 65535 after the last ':'",
      "tcp:2001:db8::9:443|invalid probe target \"tcp:2001:db8::9:443\"; expected an IPv6 address in brackets,"
          + " tcp:[ADDRESS]:PORT",
      "tcp:[2001:db8::9]443|invalid probe target \"tcp:[2001:db8::9]443\"; expected tcp:[IPV6-ADDRESS]:PORT",
      "example.com|invalid probe target \"example.com\"; expected an IP address (",
  })
  void badProbeTargets(String text, String expected) {
    String message = assertThrows(IllegalArgumentException.class, () -> ProbeTarget.parse(text)).getMessage();
    if (expected.endsWith("(")) {
      assertEquals(expected, message.substring(0, Math.min(message.length(), expected.length())), message);
    } else {
      assertEquals(expected, message);
    }
  }

  @ParameterizedTest
  @CsvSource({"main,MAIN", "keep-last,KEEP_LAST", "KEEP-LAST,KEEP_LAST"})
  void allDownActions(String text, AllDown expected) {
    assertEquals(expected, AllDown.parse(text));
    assertEquals(text.toLowerCase(java.util.Locale.ROOT), expected.toString());
  }
}
