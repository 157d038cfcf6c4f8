package dev.mlb.testkit.policyfile;

import static dev.mlb.testkit.policyfile.PolicyFileTest.LAN;
import static dev.mlb.testkit.policyfile.PolicyFileTest.problems;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mlb.api.policy.AllDown;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Health;
import dev.mlb.api.policy.ProbeTarget;
import dev.mlb.api.policy.Probing;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tiers, health blocks and the all-down action in a policy file: read, written, refused. */
class HealthFileTest {

  static final String FILE = """
      uplinks:
        - name: isp1
          interface: eth1
          gateway: 198.51.100.1
          weight: 2
        - name: isp2
          interface: ppp1
          health:
            targets: ["tcp:203.0.113.9:443", 203.0.113.10]
            timeout: 500ms
            reliability: 2
        - name: backup
          interface: ppp2
          tier: 2
          health:
            targets: [203.0.113.77]
      lan:
        interfaces: [eth0]
        prefixes: [192.0.2.0/24]
      health:
        interval: 1s
        timeout: 1s
        down: 3
        up: 8
      all-down: keep-last
      """;

  @Test
  void readsTiersHealthAndTheAllDownAction() {
    BalancingPolicy p = PolicyFile.parse("h.yaml", FILE);
    assertEquals(2, p.uplinks().get(2).tier());
    assertEquals(AllDown.KEEP_LAST, p.allDown());
    assertEquals(Health.builder().interval(Duration.ofSeconds(1)).timeout(Duration.ofSeconds(1)).down(3).up(8).build(),
        p.health());
    assertEquals(new Probing(List.of(ProbeTarget.parse("198.51.100.1")), Duration.ofSeconds(1), Duration.ofSeconds(1),
        3, 8, 1), p.probing(p.uplinks().get(0)));
    assertEquals(new Probing(List.of(ProbeTarget.parse("tcp:203.0.113.9:443"), ProbeTarget.parse("203.0.113.10")),
        Duration.ofSeconds(1), Duration.ofMillis(500), 3, 8, 2), p.probing(p.uplinks().get(1)));
    assertEquals(List.of("isp1", "isp2"), p.activeUplinks().stream().map(u -> u.name()).toList());
  }

  @Test
  void writesThemCanonicallyAndReadsBackEqual() {
    BalancingPolicy p = PolicyFile.parse("h.yaml", FILE);
    String written = PolicyFile.write(p);
    assertEquals("""
        uplinks:
          - name: isp1
            interface: eth1
            gateway: 198.51.100.1
            weight: 2
          - name: isp2
            interface: ppp1
            health:
              targets: [tcp:203.0.113.9:443, 203.0.113.10]
              timeout: 500ms
              reliability: 2
          - name: backup
            interface: ppp2
            tier: 2
            health:
              targets: [203.0.113.77]
        lan:
          interfaces: [eth0]
          prefixes: [192.0.2.0/24]
        health:
          interval: 1s
          timeout: 1s
          down: 3
          up: 8
        all-down: keep-last
        """, written);
    assertEquals(p, PolicyFile.parse("w.yaml", written));
  }

  @Test
  void ipv6TcpTargetsAreQuotedAndReadBack() {
    String yaml = """
        family: both
        uplinks:
          - name: isp1
            interface: eth1
            health:
              targets: ["tcp:[2001:db8::9]:443"]
        lan:
          interfaces: [eth0]
          prefixes: [192.0.2.0/24, 2001:db8:ff::/64]
        """;
    BalancingPolicy p = PolicyFile.parse("h.yaml", yaml);
    assertEquals(yaml, PolicyFile.write(p));
  }

  static String uplinkHealth(String line) {
    return """
        uplinks:
          - name: isp1
            interface: ppp0
            health:
        """ + "      " + line + "\n" + LAN;
  }

  @Test
  void badValuesAreNamedWithLineAndColumn() {
    assertEquals("p.yaml: line 5, column 17: uplinks[0].health.interval: expected a duration such as 1s or 500ms"
            + " (a whole number and ms, s, m or h), got \"1.5s\"\n"
            + "        interval: [*]1.5s",
        problems(uplinkHealth("interval: 1.5s")));
    assertEquals("p.yaml: line 5, column 17: uplinks[0].health.targets[0]: invalid probe target \"udp:203.0.113.9:53\";"
            + " expected a probe kind of tcp (the only one with a port); ICMP targets are a bare address\n"
            + "        targets: [[*]udp:203.0.113.9:53]",
        problems(uplinkHealth("targets: [udp:203.0.113.9:53]")));
    assertEquals("p.yaml: line 5, column 7: uplinks[0].health: unknown key \"intervall\" (did you mean \"interval\"?);"
            + " expected targets, interval, timeout, down, up or reliability\n"
            + "        [*]intervall: 1s",
        problems(uplinkHealth("intervall: 1s")));
    assertEquals("p.yaml: line 5, column 16: uplinks[0].health.targets: empty list; leave the key out to probe the"
            + " gateway\n        targets: [*][]",
        problems(uplinkHealth("targets: []")));
    assertEquals("p.yaml: line 3, column 11: all-down: expected main or keep-last, got \"unreachable\"\n"
            + "  all-down: [*]unreachable",
        problems("uplinks: [{name: isp1, interface: ppp0}]\n" + LAN + "all-down: unreachable\n"));
  }

  @Test
  void validationPointsAtTheKeyThatWasGiven() {
    assertEquals("p.yaml: line 5, column 13: uplinks[0].health.down: 0 is out of range; expected 1 to 100 failed"
            + " rounds in a row\n        down: [*]0",
        problems(uplinkHealth("down: 0")));
    assertEquals("p.yaml: line 3, column 20: health.interval: 4s is longer than isp1's probe interval 1s; expected"
            + " at most the interval (a round ends before the next starts)\n"
            + "  health: {interval: [*]1s}",
        problems("uplinks: [{name: isp1, interface: ppp0}]\n" + LAN + "health: {interval: 1s}\n"));
    assertEquals("p.yaml: line 1, column 47: uplinks[0].tier: 0 is out of range; expected 1 (the best) to 100\n"
            + "  uplinks: [{name: isp1, interface: ppp0, tier: [*]0}]",
        problems("uplinks: [{name: isp1, interface: ppp0, tier: 0}]\n" + LAN));
  }
}
