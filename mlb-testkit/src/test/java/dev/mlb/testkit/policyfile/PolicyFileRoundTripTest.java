package dev.mlb.testkit.policyfile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@code parse(write(p)).equals(p)}: hand-written policies with their canonical text, and generated ones. */
class PolicyFileRoundTripTest {

  static Uplink.Builder uplink(String name, String iface) {
    return Uplink.builder().name(name).iface(InterfaceName.of(iface));
  }

  static IpAddress ip(String text) {
    return IpAddress.parse(text);
  }

  static IpPrefix net(String text) {
    return IpPrefix.parse(text);
  }

  static BalancingPolicy.Builder lan(BalancingPolicy.Builder b) {
    return b.addLanInterfaces(InterfaceName.of("eth0")).addLanPrefixes(net("192.0.2.0/24"));
  }

  /** Writes {@code p}, checks the text, reads it back and checks that it is {@code p} again. */
  static void assertRoundTrip(String expectedText, BalancingPolicy p) {
    String text = PolicyFile.write(p);
    assertEquals(expectedText, text);
    assertEquals(p, PolicyFile.parse("written.yaml", text));
  }

  @Test
  void oneUplink() {
    assertRoundTrip("""
        uplinks:
          - name: only
            interface: eth1
        lan:
          interfaces: [eth0]
          prefixes: [192.0.2.0/24]
        """, lan(BalancingPolicy.builder().addUplinks(uplink("only", "eth1").build())).build());
  }

  @Test
  void everyUplinkField() {
    assertRoundTrip("""
        family: both
        uplinks:
          - name: fibre
            interface: eth1
            gateway: 198.51.100.1
            gateway6: 2001:db8:100::1
            snat: 198.51.100.2
            snat6: "2001:db8:100::"
            weight: 256
            mark: 0x4000000
            table: 4000000
          - name: lte
            interface: wwan0
            gateway: 203.0.113.1
            gateway6: fe80::1
        lan:
          interfaces: [eth0]
          prefixes: [192.0.2.0/24, 2001:db8:1::/64]
        """, BalancingPolicy.builder()
        .addUplinks(uplink("fibre", "eth1").gateway(ip("198.51.100.1")).gateway6(ip("2001:db8:100::1"))
            .snat(ip("198.51.100.2")).snat6(ip("2001:db8:100::")).weight(256).mark(0x4000000).table(4_000_000)
            .build())
        .addUplinks(uplink("lte", "wwan0").gateway(ip("203.0.113.1")).gateway6(ip("fe80::1")).build())
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(net("192.0.2.0/24"), net("2001:db8:1::/64"))
        .addFamilies(IpFamily.V4, IpFamily.V6)
        .build());
  }

  @Test
  void everySetting() {
    assertRoundTrip("""
        strategy: multipath
        uplinks:
          - name: a
            interface: ppp0
          - name: b
            interface: ppp1
        lan:
          interfaces: [eth0, wlan0]
          prefixes: [192.0.2.0/25, 192.0.2.128/25]
        sticky-inbound: false
        mark-mask: 0xf0000
        foreign-mark-bits: 0xff
        table-base: 200
        priority-base: 32000
        chain-prefix: LB_1-x
        rule-protocol: 5
        """, BalancingPolicy.builder()
        .addUplinks(uplink("a", "ppp0").build(), uplink("b", "ppp1").build())
        .addLanInterfaces(InterfaceName.of("eth0"), InterfaceName.of("wlan0"))
        .addLanPrefixes(net("192.0.2.0/25"), net("192.0.2.128/25"))
        .strategy(Strategy.MULTIPATH)
        .stickyInbound(false)
        .markMask(0xf0000)
        .foreignMarkBits(0xff)
        .tableBase(200)
        .priorityBase(32000)
        .chainPrefix("LB_1-x")
        .ruleProtocol(5)
        .build());
  }

  @Test
  void anAutomaticMarkMask() {
    assertRoundTrip("""
        uplinks:
          - name: a
            interface: ppp0
        lan:
          interfaces: [eth0]
          prefixes: [192.0.2.0/24]
        mark-mask: auto
        """, BalancingPolicy.builder()
        .addUplinks(uplink("a", "ppp0").build())
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(net("192.0.2.0/24"))
        .autoMarkMask(true)
        .build());
  }

  @Test
  void ipv6Only() {
    assertRoundTrip("""
        family: ipv6
        strategy: random
        uplinks:
          - name: he
            interface: sit1
          - name: isp
            interface: eth1
            gateway6: fe80::1
            weight: 3
        lan:
          interfaces: [br-lan]
          prefixes: [2001:db8:1::/64, 2001:db8:2::/64]
        """, BalancingPolicy.builder()
        .addUplinks(uplink("he", "sit1").build(), uplink("isp", "eth1").gateway6(ip("fe80::1")).weight(3).build())
        .addLanInterfaces(InterfaceName.of("br-lan"))
        .addLanPrefixes(net("2001:db8:1::/64"), net("2001:db8:2::/64"))
        .families(List.of(IpFamily.V6))
        .strategy(Strategy.RANDOM)
        .build());
  }

  @Test
  void selectorsOfEveryShape() {
    assertRoundTrip("""
        uplinks:
          - name: isp1
            interface: ppp0
        lan:
          interfaces: [eth0]
          prefixes: [192.0.2.0/24]
        balance:
          - protocol: tcp
            ports: [22, "8000-8080", 0, "1024-65535"]
            sources: [192.0.2.0/25]
            destinations: [203.0.113.0/24, 198.51.100.0/24]
          - protocol: gre
          - sources: [192.0.2.128/25]
          - destinations: [203.0.113.7/32]
        router:
          - protocol: udp
            ports: [53]
          - protocol: 200
        exclude:
          - destinations: [203.0.113.128/25]
          - {}
        """, lan(BalancingPolicy.builder().addUplinks(uplink("isp1", "ppp0").build()))
        .addBalanced(new TrafficSelector(Optional.of(Protocol.TCP),
            ImmutableList.of(PortRange.of(22), PortRange.of(8000, 8080), PortRange.of(0),
                PortRange.of(1024, 65535)),
            ImmutableList.of(net("192.0.2.0/25")),
            ImmutableList.of(net("203.0.113.0/24"), net("198.51.100.0/24"))))
        .addBalanced(new TrafficSelector(Optional.of(Protocol.of(47)), ImmutableList.of(),
            ImmutableList.of(), ImmutableList.of()))
        .addBalanced(TrafficSelector.all().withSources(List.of(net("192.0.2.128/25"))))
        .addBalanced(TrafficSelector.toDestinations(net("203.0.113.7/32")))
        .addRouter(TrafficSelector.of(Protocol.UDP, 53))
        .addRouter(new TrafficSelector(Optional.of(Protocol.of(200)), ImmutableList.of(), ImmutableList.of(),
            ImmutableList.of()))
        .addExclusions(TrafficSelector.toDestinations(net("203.0.113.128/25")))
        .addExclusions(TrafficSelector.all())
        .build());
  }

  @Test
  void mixedFamilySelectorsAndHostBits() {
    assertRoundTrip("""
        family: both
        uplinks:
          - name: isp1
            interface: ppp0
        lan:
          interfaces: [eth0]
          prefixes: [192.0.2.1/24, 2001:db8:1::1/64]
        exclude:
          - destinations: [203.0.113.0/24, 2001:db8:ff::/48, "::ffff:198.51.100.0/120", "::/0"]
        """, BalancingPolicy.builder().addUplinks(uplink("isp1", "ppp0").build())
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(net("192.0.2.1/24"), net("2001:db8:1::1/64"))
        .addExclusions(TrafficSelector.toDestinations(net("203.0.113.0/24"), net("2001:db8:ff::/48"),
            net("::ffff:198.51.100.0/120"), net("::/0")))
        .addFamilies(IpFamily.V4, IpFamily.V6)
        .build());
  }

  @Test
  void interfaceNamesThatYamlWouldReadOtherwiseAreQuoted() {
    List<String> names = List.of("1.5", "true", "null", "~", "1", "0x1f", "0o7", "1e3", ".inf", "#x", "a#b", "a,b",
        "x]", "{a}", "&x", "!x", "%x", "@x", "`x", "|x", ">x", "-x", "-", "a{b", "x,", "yes", "on");
    BalancingPolicy.Builder b = BalancingPolicy.builder()
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(net("192.0.2.0/24"))
        .markMask(0xffff00);
    for (int i = 0; i < names.size(); i++) {
      b.addUplinks(uplink("u" + i, names.get(i)).build());
    }
    // [ * ? cannot name an uplink (its rp_filter key would be a glob), but can name a LAN interface
    b.addLanInterfaces(InterfaceName.of("lan+"), InterfaceName.of("eth0.100"), InterfaceName.of("%%+"),
        InterfaceName.of("[x"), InterfaceName.of("*x"), InterfaceName.of("?x"));
    BalancingPolicy p = b.build();
    String text = PolicyFile.write(p);
    assertEquals(p, PolicyFile.parse("names.yaml", text));
    // spot checks of the quoting decision
    List<String> lines = text.lines().toList();
    assertEquals("    interface: \"1.5\"", lines.get(2));
    assertEquals("    interface: \"true\"", lines.get(4));
    assertEquals("    interface: \"#x\"", lines.get(20));
    assertEquals("  interfaces: [eth0, lan+, eth0.100, \"%%+\", \"[x\", \"*x\", \"?x\"]",
        lines.get(2 * names.size() + 2));
  }

  // ---- generated --------------------------------------------------------------------------

  // Uplink interfaces become sysctl keys, so names with = * ? [ are refused there (LAN interfaces take them).
  static final List<String> IFACES = List.of("ppp0", "eth1", "wwan0", "1.5", "true", "null", "#x", "a,b", "x]",
      "{a}", "&x", "-x", "0x1f", "eth0.100", "~", "yes", "ens3f0np0");

  /** A valid policy using every field, from a seeded random source (a plain factory). */
  static BalancingPolicy policy(SplittableRandom r) {
    int family = r.nextInt(3);
    boolean v4 = family != 1;
    boolean v6 = family != 0;
    int shift = r.nextBoolean() ? 8 : 16;
    Strategy strategy = Strategy.values()[r.nextInt(3)];
    BalancingPolicy.Builder b = BalancingPolicy.builder().markMask(0xffL << shift);
    b.families(v4 && v6 ? List.of(IpFamily.V4, IpFamily.V6) : List.of(v4 ? IpFamily.V4 : IpFamily.V6));
    int n = 1 + r.nextInt(6);
    List<String> ifaces = new ArrayList<>(IFACES);
    for (int i = 0; i < n; i++) {
      Uplink.Builder u = uplink("u" + i + (r.nextBoolean() ? "_x" : ""), ifaces.remove(r.nextInt(ifaces.size())));
      if (r.nextBoolean()) {
        u.gateway(ip("198.51.100." + (1 + i)));
      }
      if (r.nextBoolean() || (strategy == Strategy.MULTIPATH && v6)) { // IPv6 multipath needs every next hop
        u.gateway6(ip("2001:db8:100::" + Integer.toHexString(1 + i)));
      }
      if (r.nextInt(3) == 0) {
        u.snat(ip("203.0.113." + (1 + i)));
      }
      if (r.nextInt(3) == 0) {
        u.snat6(ip(r.nextBoolean() ? "2001:db8:200::" : "2001:db8:200::" + (i + 1)));
      }
      u.weight(1 + r.nextInt(256));
      if (r.nextInt(3) == 0) {
        u.mark((0xf0L + i) << shift); // never one of the assigned 1..6
      }
      if (r.nextInt(3) == 0) {
        u.table(1000 + i);
      }
      b.addUplinks(u.build());
    }
    b.addLanInterfaces(InterfaceName.of("lan0"));
    if (r.nextBoolean() && strategy != Strategy.MULTIPATH) { // multipath's ip rule iif takes no wildcard
      b.addLanInterfaces(InterfaceName.of("lan+"));
    }
    if (v4 || r.nextBoolean()) {
      b.addLanPrefixes(net("192.0.2.0/24"));
    }
    if (v6 || r.nextBoolean()) {
      b.addLanPrefixes(net("2001:db8:1::/64"));
    }
    b.balanced(selectors(r));
    b.router(selectors(r));
    b.exclusions(selectors(r));
    b.strategy(strategy);
    b.stickyInbound(r.nextBoolean());
    b.foreignMarkBits(r.nextBoolean() ? 0 : r.nextInt(256));
    b.tableBase(r.nextBoolean() ? 100 : 1 + r.nextInt(200));
    b.priorityBase(1 + r.nextInt(32000));
    b.chainPrefix(List.of("mlb", "LB", "a-b_c", "9lives").get(r.nextInt(4)));
    b.ruleProtocol(5 + r.nextInt(251));
    return b.build();
  }

  static List<TrafficSelector> selectors(SplittableRandom r) {
    List<TrafficSelector> out = new ArrayList<>();
    List<Protocol> protocols = List.of(Protocol.TCP, Protocol.UDP, Protocol.SCTP, Protocol.ICMP, Protocol.of(47),
        Protocol.of(200));
    for (int k = r.nextInt(4); k > 0; k--) {
      Optional<Protocol> protocol = r.nextInt(4) == 0
          ? Optional.empty() : Optional.of(protocols.get(r.nextInt(protocols.size())));
      List<PortRange> ports = new ArrayList<>();
      if (protocol.isPresent() && protocol.get().hasPorts()) {
        for (int i = r.nextInt(4); i > 0; i--) {
          int first = r.nextInt(65536);
          ports.add(r.nextBoolean() ? PortRange.of(first) : PortRange.of(first, first + r.nextInt(65536 - first)));
        }
      }
      List<IpPrefix> sources = new ArrayList<>();
      for (int i = r.nextInt(3); i > 0; i--) {
        sources.add(r.nextBoolean() ? net("192.0.2." + r.nextInt(256) + "/" + (24 + r.nextInt(9)))
            : net("2001:db8:1::" + Integer.toHexString(r.nextInt(65536)) + "/" + (64 + r.nextInt(65))));
      }
      List<IpPrefix> destinations = new ArrayList<>();
      for (int i = r.nextInt(3); i > 0; i--) {
        destinations.add(r.nextBoolean() ? net("203.0.113." + r.nextInt(256) + "/" + r.nextInt(33))
            : net("2001:db8:" + Integer.toHexString(r.nextInt(65536)) + "::/" + r.nextInt(129)));
      }
      out.add(new TrafficSelector(protocol, ImmutableList.copyOf(ports),
          ImmutableList.copyOf(sources),
          ImmutableList.copyOf(destinations)));
    }
    return out;
  }

  @Test
  void generatedPoliciesRoundTripAndTheirTextIsAFixedPoint() {
    SplittableRandom r = new SplittableRandom(20261126L);
    int count = 300;
    int lines = 0;
    for (int i = 0; i < count; i++) {
      BalancingPolicy p = policy(r);
      String text = PolicyFile.write(p);
      BalancingPolicy back = PolicyFile.parse("generated-" + i + ".yaml", text);
      assertEquals(p, back, text);
      assertEquals(text, PolicyFile.write(back));
      lines += (int) text.lines().count();
    }
    System.out.println("PolicyFile round trip: " + count + " generated policies (" + lines
        + " lines of YAML) read back equal, canonical text a fixed point");
  }
}
