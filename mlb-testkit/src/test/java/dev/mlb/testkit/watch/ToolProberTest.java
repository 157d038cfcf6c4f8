package dev.mlb.testkit.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.ProbeTarget;
import dev.mlb.api.policy.Uplink;
import dev.mlb.testkit.live.ProbeLog;
import dev.mlb.testkit.live.ToolRunner;
import dev.mlb.testkit.policyfile.PolicyFile;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The probe commands, and how the prober reads what the tools answer, including garbage. */
class ToolProberTest {
  static final BalancingPolicy POLICY = PolicyFile.parse("p.yaml", """
      uplinks:
        - {name: isp1, interface: ppp0, gateway: 198.51.100.1}
        - name: isp2
          interface: ppp1
          gateway: 198.51.100.17
          health:
            targets: [198.51.100.17, "tcp:203.0.113.10:443", "2001:db8:2::1", "tcp:[2001:db8::10]:80"]
            reliability: 2
      lan:
        interfaces: [eth0]
        prefixes: [192.0.2.0/24, "2001:db8:ff::/64"]
      family: both
      health: {interval: 1s, timeout: 500ms}
      """);
  static final Uplink ISP2 = POLICY.uplinks().get(1);
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-04T10:00:00Z"), ZoneOffset.UTC);

  static ToolRunner answering(Function<List<String>, ToolRunner.Result> answer) {
    return (cmd, stdin) -> answer.apply(cmd);
  }

  static ToolRunner.Result result(List<String> cmd, int exit, String out, String err) {
    return new ToolRunner.Result(ImmutableList.copyOf(cmd), exit, out, err);
  }

  @Test
  void commandsBindToTheInterfaceAndCarryTheUplinksMark() {
    ToolProber p = new ToolProber(answering(c -> null), CLOCK);
    // isp2's mark under the default mask 0x0f000000 is 0x2000000 = 33554432.
    assertEquals(List.of("ping", "-4", "-n", "-q", "-c", "1", "-W", "0.5", "-I", "ppp1", "-m", "33554432",
        "198.51.100.17"), p.command(POLICY, ISP2, ProbeTarget.parse("198.51.100.17")));
    assertEquals(List.of("ping", "-6", "-n", "-q", "-c", "1", "-W", "0.5", "-I", "ppp1", "-m", "33554432",
        "2001:db8:2::1"), p.command(POLICY, ISP2, ProbeTarget.parse("2001:db8:2::1")));
    assertEquals(List.of("socat", "-T", "0.5", "-u", "OPEN:/dev/null",
        "TCP4:203.0.113.10:443,connect-timeout=0.5,so-bindtodevice=ppp1,setsockopt-int=1:36:33554432"),
        p.command(POLICY, ISP2, ProbeTarget.parse("tcp:203.0.113.10:443")));
    assertEquals(List.of("socat", "-T", "0.5", "-u", "OPEN:/dev/null",
        "TCP6:[2001:db8::10]:80,connect-timeout=0.5,so-bindtodevice=ppp1,setsockopt-int=1:36:33554432"),
        p.command(POLICY, ISP2, ProbeTarget.parse("tcp:[2001:db8::10]:80")));
    assertEquals("1", ToolProber.seconds(java.time.Duration.ofSeconds(1)));
    assertEquals("0.25", ToolProber.seconds(java.time.Duration.ofMillis(250)));
  }

  @Test
  void readsAnswersFailuresAndGarbage() {
    ToolRunner router = answering(c -> switch (c.get(c.size() - 1)) {
      case "198.51.100.17" -> result(c, 0, "PING 198.51.100.17 (198.51.100.17) 56(84) bytes of data.\n\n--- 198.51.100.17"
          + " ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\nrtt min/avg/max/mdev ="
          + " 0.045/0.045/0.045/0.000 ms\n", "");
      case "2001:db8:2::1" -> result(c, 1, "1 packets transmitted, 0 received, 100% packet loss\n", "");
      default -> c.get(0).equals("socat") && c.get(c.size() - 1).startsWith("TCP4")
          ? result(c, 1, "", "2026/12/04 10:00:00 socat[4242] E connect(5, AF=2 203.0.113.10:443, 16): Connection"
              + " refused\n")
          : result(c, 0, "\u0000\u00ff garbage", "");
    });
    ProbeLog.Round r = new ToolProber(router, CLOCK).probe(POLICY, ISP2);
    assertEquals(Instant.parse("2026-12-04T10:00:00Z"), r.at());
    assertTrue(r.ok(), "2 of 4 answered, reliability 2: " + r);
    String[] parts = r.detail().split("; ");
    assertEquals("198.51.100.17: answered in 0.045 ms", parts[0]);
    assertEquals("tcp:203.0.113.10:443: connect(5, AF=2 203.0.113.10:443, 16): Connection refused (socat exited 1)",
        parts[1]);
    assertEquals("2001:db8:2::1: no answer within 0.5s", parts[2]);
    assertTrue(parts[3].matches("tcp:\\[2001:db8::10\\]:80: connected in [0-9.]+ ms"), parts[3]);

    // A ping that exits 0 but prints garbage answered; one that prints garbage and fails did not.
    ToolRunner garbage = answering(c -> result(c, c.get(c.size() - 1).equals("198.51.100.1") ? 0 : 2, "\u0007??",
        "ping: SO_BINDTODEVICE ppp1: No such device\n"));
    Uplink isp1 = POLICY.uplinks().get(0);
    ProbeLog.Round one = new ToolProber(garbage, CLOCK).probe(POLICY, isp1);
    assertEquals(new ProbeLog.Round(CLOCK.instant(), true, "198.51.100.1: answered"), one);
    ProbeLog.Round two = new ToolProber(garbage, CLOCK).probe(POLICY, ISP2);
    assertFalse(two.ok(), two.toString());
    assertTrue(two.detail().contains("2001:db8:2::1: ping: SO_BINDTODEVICE ppp1: No such device (ping exited 2)"),
        two.detail());
  }

  @Test
  void aMissingToolOrAToolThatNeverEndsIsAFailedTargetNotAFailedWatcher() {
    Map<String, Boolean> started = new ConcurrentHashMap<>();
    ToolRunner router = (cmd, stdin) -> {
      if (cmd.get(0).equals("socat")) {
        throw new ToolRunner.ToolMissingException("socat is not installed (apt-get install socat)");
      }
      started.put(cmd.get(cmd.size() - 1), true);
      if (cmd.get(cmd.size() - 1).equals("2001:db8:2::1")) {
        try {
          Thread.sleep(60_000);   // never ends within the prober's wait (0.5 s timeout + 2 s)
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return result(cmd, 0, "", "");
    };
    ProbeLog.Round r = new ToolProber(router, CLOCK).probe(POLICY, ISP2);
    assertFalse(r.ok(), "1 of 4 answered, reliability 2");
    String[] parts = r.detail().split("; ");
    assertEquals("198.51.100.17: answered", parts[0]);
    assertEquals("tcp:203.0.113.10:443: cannot probe: socat is not installed (apt-get install socat)", parts[1]);
    assertEquals("2001:db8:2::1: the probe did not end within 2500 ms", parts[2]);
    assertEquals(Map.of("198.51.100.17", true, "2001:db8:2::1", true), started);
  }
}
