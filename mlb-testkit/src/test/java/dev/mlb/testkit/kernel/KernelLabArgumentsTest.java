package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpPrefix;
import dev.mlb.testkit.sim.Topology;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the kernel lab refuses before it makes any namespace (no root needed). */
class KernelLabArgumentsTest {

  @Test
  void theServerMayNotSitInTheProviderLinks() {
    Topology t = Topology.builder().from(Topology.standard(2)).server(IpAddress.parse("203.0.113.130")).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> KernelLab.start(t, "", ""));
    assertEquals("the server address 203.0.113.130 lies in 203.0.113.128/25, which the lab uses for its provider links",
        e.getMessage());
  }

  @Test
  void noUplinkMayOverlapTheProviderLinks() {
    Topology t = Topology.builder()
        .addUplinks(new Topology.Uplink(InterfaceName.of("ppp0"), IpPrefix.parse("203.0.113.200/29"), Optional.empty()))
        .build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KernelLab.start(t, "", ""));
    assertEquals("uplink ppp0 (203.0.113.200/29) overlaps 203.0.113.128/25, which the lab uses for its provider links",
        e.getMessage());
  }

  @Test
  void stepTimeoutsAreBounded() {
    assertEquals(Duration.ofMillis(800), KernelLab.Options.defaults().stepTimeout());
    assertThrows(IllegalArgumentException.class, () -> new KernelLab.Options(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> new KernelLab.Options(Duration.ofSeconds(31)));
  }

  @Test
  void routerSysctlsAreOptional() {
    assertEquals(Optional.empty(), KernelLab.Options.defaults().routerSysctl());
    KernelLab.Options o = KernelLab.Options.defaults().withRouterSysctl("net.ipv4.ip_forward = 1\n");
    assertEquals(Optional.of("net.ipv4.ip_forward = 1\n"), o.routerSysctl());
    assertEquals(Duration.ofMillis(800), o.stepTimeout());
    assertEquals("sysctlConf is null", assertThrows(IllegalArgumentException.class,
        () -> KernelLab.Options.defaults().withRouterSysctl(null)).getMessage());
  }
}
