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
        .markMask(0xff00)
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
        -A mlb-output -m mark --mark 0x0 -m conntrack --ctstate NEW -j mlb-router
        -A mlb-output -m connmark --mark 0x100/0xff00 -j MARK --set-xmark 0x100/0xff00
        -A mlb-output -m connmark --mark 0x200/0xff00 -j MARK --set-xmark 0x200/0xff00
        -A mlb-prerouting -i ppp0 -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x100/0xff00
        -A mlb-prerouting -i ppp1 -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x200/0xff00
        -A mlb-prerouting -i eth0 -m mark --mark 0x0 -m conntrack --ctstate NEW -j mlb-lan
        -A mlb-prerouting -m connmark --mark 0x100/0xff00 -j MARK --set-xmark 0x100/0xff00
        -A mlb-prerouting -m connmark --mark 0x200/0xff00 -j MARK --set-xmark 0x200/0xff00
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

  private static final String MANGLE_HEAD = """
      *mangle
      :PREROUTING ACCEPT [0:0]
      :INPUT ACCEPT [0:0]
      :FORWARD ACCEPT [0:0]
      :OUTPUT ACCEPT [0:0]
      :POSTROUTING ACCEPT [0:0]
      """;
  private static final String NAT_HEAD = """
      *nat
      :PREROUTING ACCEPT [0:0]
      :INPUT ACCEPT [0:0]
      :OUTPUT ACCEPT [0:0]
      :POSTROUTING ACCEPT [0:0]
      :mlb-postrouting - [0:0]
      -A POSTROUTING -j mlb-postrouting
      """;

  /** Two uplinks 2:1 (one with fixed source addresses), both families, all LAN traffic balanced. */
  static BalancingPolicy dualStackPolicy() {
    return dualStack()
        .addUplinks(Uplink.builder().name("isp1").iface(InterfaceName.of("eth1"))
            .gateway(dev.mlb.api.IpAddress.parse("198.51.100.1"))
            .snat(dev.mlb.api.IpAddress.parse("198.51.100.2"))
            .gateway6(dev.mlb.api.IpAddress.parse("2001:db8:1::1"))
            .snat6(dev.mlb.api.IpAddress.parse("2001:db8:1::2"))
            .weight(2).build())
        .addUplinks(Uplink.builder().name("isp2").iface(InterfaceName.of("ppp0")).build())
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(IpPrefix.parse("192.0.2.0/24"), IpPrefix.parse("2001:db8:100::/64"))
        .addRouter(TrafficSelector.all())
        .addExclusions(TrafficSelector.toDestinations(IpPrefix.parse("203.0.113.0/24")))
        .addExclusions(TrafficSelector.of(Protocol.UDP, 53))
        .build();
  }

  @Test
  void dualStackV6() {
    // weights 2:1, smooth round robin: isp1 isp2 isp1
    String expected = MANGLE_HEAD + """
        :mlb-balance - [0:0]
        :mlb-lan - [0:0]
        :mlb-output - [0:0]
        :mlb-prerouting - [0:0]
        :mlb-router - [0:0]
        -A PREROUTING -j mlb-prerouting
        -A OUTPUT -j mlb-output
        -A mlb-balance -m connmark ! --mark 0x0/0xff00 -j RETURN
        -A mlb-balance -m statistic --mode nth --every 3 --packet 0 -j CONNMARK --set-xmark 0x100/0xff00
        -A mlb-balance -m statistic --mode nth --every 3 --packet 1 -j CONNMARK --set-xmark 0x200/0xff00
        -A mlb-balance -m statistic --mode nth --every 3 --packet 2 -j CONNMARK --set-xmark 0x100/0xff00
        -A mlb-lan -d 2001:db8:100::/64 -j RETURN
        -A mlb-lan -p udp -m udp --dport 53 -j RETURN
        -A mlb-lan -j mlb-balance
        -A mlb-output -m mark --mark 0x0 -m conntrack --ctstate NEW -j mlb-router
        -A mlb-output -m connmark --mark 0x100/0xff00 -j MARK --set-xmark 0x100/0xff00
        -A mlb-output -m connmark --mark 0x200/0xff00 -j MARK --set-xmark 0x200/0xff00
        -A mlb-prerouting -i eth1 -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x100/0xff00
        -A mlb-prerouting -i ppp0 -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x200/0xff00
        -A mlb-prerouting -i eth0 -m mark --mark 0x0 -m conntrack --ctstate NEW -j mlb-lan
        -A mlb-prerouting -m connmark --mark 0x100/0xff00 -j MARK --set-xmark 0x100/0xff00
        -A mlb-prerouting -m connmark --mark 0x200/0xff00 -j MARK --set-xmark 0x200/0xff00
        -A mlb-router -d ::1/128 -j RETURN
        -A mlb-router -d 2001:db8:100::/64 -j RETURN
        -A mlb-router -p udp -m udp --dport 53 -j RETURN
        -A mlb-router -j mlb-balance
        COMMIT
        """ + NAT_HEAD + """
        -A mlb-postrouting -o eth1 -j SNAT --to-source 2001:db8:1::2
        -A mlb-postrouting -o ppp0 -j MASQUERADE
        COMMIT
        """;
    Compilation<Ruleset> c = BalancingRules.compile(dualStackPolicy(), IpFamily.V6);
    assertEquals(expected.lines().toList(), render(dualStackPolicy(), IpFamily.V6).lines().toList());
    assertEquals(List.of("info [selector-family] exclusions[0]: exclusions[0] \"to 203.0.113.0/24\" has only"
        + " IPv4 destinations; it cannot match IPv6 traffic and is left out of the IPv6 rules"), findings(c));
  }

  @Test
  void dualStackV4() {
    String expected = MANGLE_HEAD + """
        :mlb-balance - [0:0]
        :mlb-lan - [0:0]
        :mlb-output - [0:0]
        :mlb-prerouting - [0:0]
        :mlb-router - [0:0]
        -A PREROUTING -j mlb-prerouting
        -A OUTPUT -j mlb-output
        -A mlb-balance -m connmark ! --mark 0x0/0xff00 -j RETURN
        -A mlb-balance -m statistic --mode nth --every 3 --packet 0 -j CONNMARK --set-xmark 0x100/0xff00
        -A mlb-balance -m statistic --mode nth --every 3 --packet 1 -j CONNMARK --set-xmark 0x200/0xff00
        -A mlb-balance -m statistic --mode nth --every 3 --packet 2 -j CONNMARK --set-xmark 0x100/0xff00
        -A mlb-lan -d 192.0.2.0/24 -j RETURN
        -A mlb-lan -d 203.0.113.0/24 -j RETURN
        -A mlb-lan -p udp -m udp --dport 53 -j RETURN
        -A mlb-lan -j mlb-balance
        -A mlb-output -m mark --mark 0x0 -m conntrack --ctstate NEW -j mlb-router
        -A mlb-output -m connmark --mark 0x100/0xff00 -j MARK --set-xmark 0x100/0xff00
        -A mlb-output -m connmark --mark 0x200/0xff00 -j MARK --set-xmark 0x200/0xff00
        -A mlb-prerouting -i eth1 -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x100/0xff00
        -A mlb-prerouting -i ppp0 -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x200/0xff00
        -A mlb-prerouting -i eth0 -m mark --mark 0x0 -m conntrack --ctstate NEW -j mlb-lan
        -A mlb-prerouting -m connmark --mark 0x100/0xff00 -j MARK --set-xmark 0x100/0xff00
        -A mlb-prerouting -m connmark --mark 0x200/0xff00 -j MARK --set-xmark 0x200/0xff00
        -A mlb-router -d 127.0.0.0/8 -j RETURN
        -A mlb-router -d 192.0.2.0/24 -j RETURN
        -A mlb-router -d 203.0.113.0/24 -j RETURN
        -A mlb-router -p udp -m udp --dport 53 -j RETURN
        -A mlb-router -j mlb-balance
        COMMIT
        """ + NAT_HEAD + """
        -A mlb-postrouting -o eth1 -j SNAT --to-source 198.51.100.2
        -A mlb-postrouting -o ppp0 -j MASQUERADE
        COMMIT
        """;
    assertEquals(expected.lines().toList(), render(dualStackPolicy(), IpFamily.V4).lines().toList());
    assertEquals(List.of(), BalancingRules.compile(dualStackPolicy(), IpFamily.V4).findings());
  }

  @Test
  void randomSeed() {
    BalancingPolicy random = BalancingPolicy.builder().from(seed())
        .strategy(dev.mlb.api.policy.Strategy.RANDOM).build();
    List<String> balance = render(random, IpFamily.V4).lines()
        .filter(l -> l.startsWith("-A mlb-balance ")).toList();
    assertEquals(List.of(
        "-A mlb-balance -m connmark ! --mark 0x0/0xff00 -j RETURN",
        "-A mlb-balance -m connmark --mark 0x0/0xff00 -m statistic --mode random --probability 0.50000000000"
            + " -j CONNMARK --set-xmark 0x100/0xff00",
        "-A mlb-balance -m connmark --mark 0x0/0xff00 -j CONNMARK --set-xmark 0x200/0xff00"), balance);
    // 1:1 is exact in 31 bits: no random-inexact warning.
    assertEquals(List.of(), BalancingRules.compile(random, IpFamily.V4).findings());
  }

  @Test
  void multipathHasOnlyStickinessAndRestore() {
    BalancingPolicy multipath = BalancingPolicy.builder().from(seed())
        .strategy(dev.mlb.api.policy.Strategy.MULTIPATH).build();
    String expected = MANGLE_HEAD + """
        :mlb-output - [0:0]
        :mlb-prerouting - [0:0]
        -A PREROUTING -j mlb-prerouting
        -A OUTPUT -j mlb-output
        -A mlb-output -m connmark --mark 0x100/0xff00 -j MARK --set-xmark 0x100/0xff00
        -A mlb-output -m connmark --mark 0x200/0xff00 -j MARK --set-xmark 0x200/0xff00
        -A mlb-prerouting -i ppp0 -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x100/0xff00
        -A mlb-prerouting -i ppp1 -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x200/0xff00
        -A mlb-prerouting -m connmark --mark 0x100/0xff00 -j MARK --set-xmark 0x100/0xff00
        -A mlb-prerouting -m connmark --mark 0x200/0xff00 -j MARK --set-xmark 0x200/0xff00
        COMMIT
        """ + NAT_HEAD + """
        -A mlb-postrouting -o ppp0 -j MASQUERADE
        -A mlb-postrouting -o ppp1 -j MASQUERADE
        COMMIT
        """;
    assertEquals(expected.lines().toList(), render(multipath, IpFamily.V4).lines().toList());
    assertEquals(List.of("info [multipath-selectors] strategy: strategy multipath: the routing plan's multipath"
        + " route spreads the connections, not netfilter; the balanced (1), router (1) and exclusions (0)"
        + " selectors compile into no rules here (the mangle rules only mark inbound connections and restore"
        + " marks)"), findings(BalancingRules.compile(multipath, IpFamily.V4)));
  }

  @Test
  void prefixMaskAndNoStickiness() {
    BalancingPolicy p = BalancingPolicy.builder().from(seed())
        .chainPrefix("lb4").markMask(0xf0000L).stickyInbound(false).router(List.of())
        .addLanInterfaces(InterfaceName.of("eth2"))
        .build();
    String expected = MANGLE_HEAD + """
        :lb4-balance - [0:0]
        :lb4-lan - [0:0]
        :lb4-output - [0:0]
        :lb4-prerouting - [0:0]
        -A PREROUTING -j lb4-prerouting
        -A OUTPUT -j lb4-output
        -A lb4-balance -m connmark ! --mark 0x0/0xf0000 -j RETURN
        -A lb4-balance -m statistic --mode nth --every 2 --packet 0 -j CONNMARK --set-xmark 0x10000/0xf0000
        -A lb4-balance -m statistic --mode nth --every 2 --packet 1 -j CONNMARK --set-xmark 0x20000/0xf0000
        -A lb4-lan -d 192.0.2.0/24 -j RETURN
        -A lb4-lan -p tcp -m multiport --dports 22,25,80,443 -j lb4-balance
        -A lb4-output -m connmark --mark 0x10000/0xf0000 -j MARK --set-xmark 0x10000/0xf0000
        -A lb4-output -m connmark --mark 0x20000/0xf0000 -j MARK --set-xmark 0x20000/0xf0000
        -A lb4-prerouting -i eth0 -m mark --mark 0x0 -m conntrack --ctstate NEW -j lb4-lan
        -A lb4-prerouting -i eth2 -m mark --mark 0x0 -m conntrack --ctstate NEW -j lb4-lan
        -A lb4-prerouting -m connmark --mark 0x10000/0xf0000 -j MARK --set-xmark 0x10000/0xf0000
        -A lb4-prerouting -m connmark --mark 0x20000/0xf0000 -j MARK --set-xmark 0x20000/0xf0000
        COMMIT
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        :lb4-postrouting - [0:0]
        -A POSTROUTING -j lb4-postrouting
        -A lb4-postrouting -o ppp0 -j MASQUERADE
        -A lb4-postrouting -o ppp1 -j MASQUERADE
        COMMIT
        """;
    assertEquals(expected.lines().toList(), render(p, IpFamily.V4).lines().toList());
  }

  @Test
  void selectorsExpandIntoRules() {
    java.util.function.Function<String, dev.mlb.api.PortRange> port = dev.mlb.api.PortRange::parse;
    TrafficSelector sixteen = new TrafficSelector(java.util.Optional.of(Protocol.TCP),
        java.util.stream.IntStream.rangeClosed(1, 16).mapToObj(dev.mlb.api.PortRange::of)
            .collect(com.google.common.collect.ImmutableList.toImmutableList()),
        com.google.common.collect.ImmutableList.of(), com.google.common.collect.ImmutableList.of());
    TrafficSelector ranges = new TrafficSelector(java.util.Optional.of(Protocol.TCP),
        com.google.common.collect.ImmutableList.of(port.apply("80"), port.apply("443"),
            port.apply("1000:1001"), port.apply("2000:2001"), port.apply("3000:3001"), port.apply("4000:4001"),
            port.apply("5000:5001"), port.apply("6000:6001"), port.apply("7000:7001")),
        com.google.common.collect.ImmutableList.of(), com.google.common.collect.ImmutableList.of());
    TrafficSelector udpRange = new TrafficSelector(java.util.Optional.of(Protocol.UDP),
        com.google.common.collect.ImmutableList.of(port.apply("1000:2000")),
        com.google.common.collect.ImmutableList.of(), com.google.common.collect.ImmutableList.of());
    TrafficSelector sctp = TrafficSelector.of(Protocol.SCTP, 5000)
        .withSources(List.of(IpPrefix.parse("192.0.2.0/25"), IpPrefix.parse("2001:db8:100::/64"),
            IpPrefix.parse("192.0.2.128/25")))
        .withDestinations(List.of(IpPrefix.parse("198.51.100.0/24"), IpPrefix.parse("203.0.113.0/24")));
    TrafficSelector icmp = new TrafficSelector(java.util.Optional.of(Protocol.ICMP),
        com.google.common.collect.ImmutableList.of(), com.google.common.collect.ImmutableList.of(),
        com.google.common.collect.ImmutableList.of());
    TrafficSelector v6only = TrafficSelector.of(Protocol.TCP, 80)
        .withSources(List.of(IpPrefix.parse("2001:db8:100::/64")));
    BalancingPolicy p = dualStack()
        .addUplinks(Uplink.builder().name("isp1").iface(InterfaceName.of("ppp0")).build())
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(IpPrefix.parse("192.0.2.0/24"), IpPrefix.parse("2001:db8:100::/64"))
        .addBalanced(sixteen, ranges, udpRange, sctp, icmp, v6only)
        .addExclusions(TrafficSelector.toDestinations(IpPrefix.parse("198.51.100.7/24")))
        .build();
    List<String> lan = render(p, IpFamily.V4).lines().filter(l -> l.startsWith("-A mlb-lan ")).toList();
    assertEquals(List.of(
        "-A mlb-lan -d 192.0.2.0/24 -j RETURN",
        "-A mlb-lan -d 198.51.100.0/24 -j RETURN",
        "-A mlb-lan -p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 -j mlb-balance",
        "-A mlb-lan -p tcp -m multiport --dports 16 -j mlb-balance",
        "-A mlb-lan -p tcp -m multiport --dports 80,443,1000:1001,2000:2001,3000:3001,4000:4001,5000:5001,"
            + "6000:6001 -j mlb-balance",
        "-A mlb-lan -p tcp -m multiport --dports 7000:7001 -j mlb-balance",
        "-A mlb-lan -p udp -m udp --dport 1000:2000 -j mlb-balance",
        "-A mlb-lan -s 192.0.2.0/25 -d 198.51.100.0/24 -p sctp -m multiport --dports 5000 -j mlb-balance",
        "-A mlb-lan -s 192.0.2.0/25 -d 203.0.113.0/24 -p sctp -m multiport --dports 5000 -j mlb-balance",
        "-A mlb-lan -s 192.0.2.128/25 -d 198.51.100.0/24 -p sctp -m multiport --dports 5000 -j mlb-balance",
        "-A mlb-lan -s 192.0.2.128/25 -d 203.0.113.0/24 -p sctp -m multiport --dports 5000 -j mlb-balance",
        "-A mlb-lan -p icmp -j mlb-balance"), lan);
    assertEquals(List.of(
        "info [selector-family] balanced[5]: balanced[5] \"tcp dports 80 from 2001:db8:100::/64\" has only"
            + " IPv6 sources; it cannot match IPv4 traffic and is left out of the IPv4 rules"),
        findings(BalancingRules.compile(p, IpFamily.V4)));

    List<String> lan6 = render(p, IpFamily.V6).lines().filter(l -> l.startsWith("-A mlb-lan ")).toList();
    assertEquals(List.of(
        "-A mlb-lan -d 2001:db8:100::/64 -j RETURN",
        "-A mlb-lan -p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 -j mlb-balance",
        "-A mlb-lan -p tcp -m multiport --dports 16 -j mlb-balance",
        "-A mlb-lan -p tcp -m multiport --dports 80,443,1000:1001,2000:2001,3000:3001,4000:4001,5000:5001,"
            + "6000:6001 -j mlb-balance",
        "-A mlb-lan -p tcp -m multiport --dports 7000:7001 -j mlb-balance",
        "-A mlb-lan -p udp -m udp --dport 1000:2000 -j mlb-balance",
        "-A mlb-lan -s 2001:db8:100::/64 -p tcp -m tcp --dport 80 -j mlb-balance"), lan6);
    assertEquals(List.of(
        "info [selector-family] exclusions[0]: exclusions[0] \"to 198.51.100.7/24\" has only IPv4"
            + " destinations; it cannot match IPv6 traffic and is left out of the IPv6 rules",
        "info [selector-family] balanced[3]: balanced[3] \"sctp dports 5000 from 192.0.2.0/25,2001:db8:100::/64,"
            + "192.0.2.128/25 to 198.51.100.0/24,203.0.113.0/24\" has only IPv4 destinations; it cannot match"
            + " IPv6 traffic and is left out of the IPv6 rules",
        "info [selector-family] balanced[4]: balanced[4] \"icmp\" is protocol icmp, which IPv6 packets never"
            + " carry; it cannot match IPv6 traffic and is left out of the IPv6 rules"),
        findings(BalancingRules.compile(p, IpFamily.V6)));
  }

  @Test
  void singleUplinkNeedsNoStatistic() {
    BalancingPolicy one = BalancingPolicy.builder()
        .addUplinks(Uplink.builder().name("isp1").iface(InterfaceName.of("ppp0")).weight(5).build())
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(IpPrefix.parse("192.0.2.0/24"))
        .build();
    for (dev.mlb.api.policy.Strategy s : List.of(dev.mlb.api.policy.Strategy.NTH, dev.mlb.api.policy.Strategy.RANDOM)) {
      List<String> balance = render(BalancingPolicy.builder().from(one).strategy(s).build(), IpFamily.V4)
          .lines().filter(l -> l.startsWith("-A mlb-balance ")).toList();
      assertEquals(List.of(
          // The default mask, 0x0f000000: the first uplink's value is 0x1000000.
          "-A mlb-balance -m connmark ! --mark 0x0/0xf000000 -j RETURN",
          s == dev.mlb.api.policy.Strategy.NTH
              ? "-A mlb-balance -j CONNMARK --set-xmark 0x1000000/0xf000000"
              : "-A mlb-balance -m connmark --mark 0x0/0xf000000 -j CONNMARK --set-xmark 0x1000000/0xf000000"),
          balance, s.toString());
    }
  }

  static BalancingPolicy.Builder dualStack() {
    return BalancingPolicy.builder().markMask(0xff00).families(ImmutableSet.of(IpFamily.V4, IpFamily.V6));
  }

  static List<String> findings(Compilation<?> c) {
    return c.findings().stream().map(Finding::toString).toList();
  }
}
