package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.common.collect.ImmutableSet;
import dev.mlb.api.Compilation;
import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The structure of the compiled rules: each expected text is written by hand from the recipe in
 * BalancingRules' class comment, not taken from its output.
 */
class BalancingRulesTest {

  /** The seed recipe's intent as a policy: two PPP uplinks, LAN eth0, tcp 22/25/80/443, router tcp 80. */
  static BalancingPolicy seed() {
    return BalancingPolicy.builder()
        .addUplinks(Uplink.builder().name("isp1").iface(InterfaceName.of("ppp0")).build())
        .addUplinks(Uplink.builder().name("isp2").iface(InterfaceName.of("ppp1")).build())
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(IpPrefix.parse("192.0.2.0/24"))
        .addBalanced(TrafficSelector.of(Protocol.TCP, 22, 25, 80, 443))
        .addRouter(TrafficSelector.of(Protocol.TCP, 80))
        .build();
  }

  static String render(BalancingPolicy policy, IpFamily family) {
    Compilation<Ruleset> c = BalancingRules.compile(policy, family);
    assertEquals(List.of(), c.output().validate(), "the compiled ruleset validates cleanly");
    return RestoreWriter.render(c.output());
  }

  @Test
  void seedPolicy() {
    String expected = """
        *mangle
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        :mlb-balance - [0:0]
        :mlb-lan - [0:0]
        :mlb-output - [0:0]
        :mlb-prerouting - [0:0]
        :mlb-router - [0:0]
        -A PREROUTING -j mlb-prerouting
        -A OUTPUT -j mlb-output
        -A mlb-balance -m connmark ! --mark 0x0/0xff00 -j RETURN
        -A mlb-balance -m statistic --mode nth --every 2 --packet 0 -j CONNMARK --set-xmark 0x100/0xff00
        -A mlb-balance -m statistic --mode nth --every 2 --packet 1 -j CONNMARK --set-xmark 0x200/0xff00
        -A mlb-lan -d 192.0.2.0/24 -j RETURN
        -A mlb-lan -p tcp -m multiport --dports 22,25,80,443 -j mlb-balance
        -A mlb-output -m conntrack --ctstate NEW -j mlb-router
        -A mlb-output -j CONNMARK --restore-mark --nfmask 0xff00 --ctmask 0xff00
        -A mlb-prerouting -i ppp0 -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x100/0xff00
        -A mlb-prerouting -i ppp1 -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x200/0xff00
        -A mlb-prerouting -i eth0 -m conntrack --ctstate NEW -j mlb-lan
        -A mlb-prerouting -j CONNMARK --restore-mark --nfmask 0xff00 --ctmask 0xff00
        -A mlb-router -d 127.0.0.0/8 -j RETURN
        -A mlb-router -d 192.0.2.0/24 -j RETURN
        -A mlb-router -p tcp -m tcp --dport 80 -j mlb-balance
        COMMIT
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        :mlb-postrouting - [0:0]
        -A POSTROUTING -j mlb-postrouting
        -A mlb-postrouting -o ppp0 -j MASQUERADE
        -A mlb-postrouting -o ppp1 -j MASQUERADE
        COMMIT
        """;
    Compilation<Ruleset> c = BalancingRules.compile(seed(), IpFamily.V4);
    assertEquals(expected.lines().toList(), RestoreWriter.render(c.output()).lines().toList());
    assertEquals(List.of(), c.findings());
    assertEquals(List.of(), c.output().validate());
  }

  @Test
  void familyNotInThePolicy() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> BalancingRules.compile(seed(), IpFamily.V6));
    assertEquals("cannot compile IPv6 rules: the policy's families are [V4]; add V6 to families() to"
        + " compile them", e.getMessage());
  }

  static BalancingPolicy.Builder dualStack() {
    return BalancingPolicy.builder().families(ImmutableSet.of(IpFamily.V4, IpFamily.V6));
  }

  static List<String> findings(Compilation<?> c) {
    return c.findings().stream().map(Finding::toString).toList();
  }
}
