package dev.mlb.iproute;

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
import java.util.List;
import java.util.Optional;

/** The policies the BalancingRoutes tests compile, built by hand. */
final class BalancingPolicies {
  private BalancingPolicies() {}

  static IpPrefix prefix(String text) {
    return IpPrefix.parse(text);
  }

  static IpAddress ip(String text) {
    return IpAddress.parse(text);
  }

  /**
   * The seed recipe as a policy: isp1 on ppp0 and isp2 on ppp1 without gateways, the LAN on eth0
   * (192.0.2.0/24), tcp 22, 25, 80 and 443 balanced from the LAN and tcp 80 from the router, all
   * the mark mask 0xff00, all else default (nth, tables from 100, priorities from 1000, protocol 109, IPv4).
   */
  static BalancingPolicy seed() {
    return BalancingPolicy.builder()
        .markMask(0xff00)
        .addUplinks(Uplink.builder().name("isp1").iface(InterfaceName.of("ppp0")).build())
        .addUplinks(Uplink.builder().name("isp2").iface(InterfaceName.of("ppp1")).build())
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(prefix("192.0.2.0/24"))
        .addBalanced(TrafficSelector.of(Protocol.TCP, 22, 25, 80, 443))
        .addRouter(TrafficSelector.of(Protocol.TCP, 80))
        .build();
  }

  /**
   * Three uplinks with IPv4 and IPv6 gateways (the third on a VLAN interface, eth3.100), weights
   * 3, 1 and 256, an explicit mark and table for the second, mask 0xf0f0, tables from 50,
   * priorities from 2000, chain prefix lb, protocol 200; two LAN interfaces; multipath with web
   * traffic and high UDP ports from half the LAN balanced, router web traffic balanced, and two
   * exclusions (one IPv4-only, one for both families with a port).
   */
  static BalancingPolicy threeUplinks(Strategy strategy) {
    return BalancingPolicy.builder()
        .markMask(0xff00)
        .addUplinks(Uplink.builder().name("fibre").iface(InterfaceName.of("eth1"))
            .gateway(ip("198.51.100.1")).gateway6(ip("2001:db8:1::1")).weight(3).build())
        .addUplinks(Uplink.builder().name("cable").iface(InterfaceName.of("eth2"))
            .gateway(ip("198.51.100.17")).gateway6(ip("2001:db8:2::1")).mark(0x8000).table(200).build())
        .addUplinks(Uplink.builder().name("lte").iface(InterfaceName.of("eth3.100"))
            .gateway(ip("198.51.100.33")).gateway6(ip("2001:db8:3::1")).weight(256).build())
        .addLanInterfaces(InterfaceName.of("eth0"), InterfaceName.of("eth4"))
        .addLanPrefixes(prefix("192.0.2.0/24"), prefix("2001:db8:ff::/64"))
        .addBalanced(TrafficSelector.of(Protocol.TCP, 80, 443))
        .addBalanced(new TrafficSelector(Optional.of(Protocol.UDP), ImmutableList.of(PortRange.of(1024, 65535)),
            ImmutableList.of(prefix("192.0.2.0/25"), prefix("2001:db8:ff::/64")), ImmutableList.of()))
        .addRouter(TrafficSelector.of(Protocol.TCP, 80))
        .addExclusions(TrafficSelector.toDestinations(prefix("203.0.113.128/25")))
        .addExclusions(TrafficSelector.of(Protocol.TCP, 25)
            .withDestinations(List.of(prefix("203.0.113.0/24"), prefix("2001:db8:bad::/48"))))
        .strategy(strategy)
        .markMask(0xf0f0)
        .tableBase(50)
        .priorityBase(2000)
        .chainPrefix("lb")
        .ruleProtocol(200)
        .families(List.of(IpFamily.V4, IpFamily.V6))
        .build();
  }
}
