package dev.mlb.testkit;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;

/** The seed scenario as a policy: two PPP uplinks, tcp 22/25/80/443 from eth0 balanced, the router's tcp 80 too. */
public final class SeedPolicy {
  private SeedPolicy() {}

  public static BalancingPolicy policy() {
    return BalancingPolicy.builder()
        .addUplinks(Uplink.builder().name("isp1").iface(InterfaceName.of("ppp0")).build())
        .addUplinks(Uplink.builder().name("isp2").iface(InterfaceName.of("ppp1")).build())
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(IpPrefix.parse("192.0.2.0/24"))
        .addBalanced(TrafficSelector.of(Protocol.TCP, 22, 25, 80, 443))
        .addRouter(TrafficSelector.of(Protocol.TCP, 80))
        .build();
  }
}
