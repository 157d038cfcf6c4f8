package dev.mlb.testkit.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ProcessRunnerTest {

  @Test
  void missingProgramsAreNamedWithTheirDebianPackage() {
    assertEquals("iptables", ProcessRunner.packageOf("ip6tables-legacy-save"));
    assertEquals("iproute2", ProcessRunner.packageOf("ip"));
    assertEquals("procps", ProcessRunner.packageOf("sysctl"));
    assertEquals("conntrack", ProcessRunner.packageOf("conntrack"));
    assertEquals("wireguard-tools", ProcessRunner.packageOf("wg"));
    assertEquals("nftables", ProcessRunner.packageOf("nft"));
  }

  @Test
  void onlyTheRoutersToolsRun() {
    assertEquals("mlb does not run rm on a router",
        assertThrows(IllegalArgumentException.class, () -> ProcessRunner.local().run("rm", "-rf", "/")).getMessage());
    assertEquals("network namespace name \"../etc\": expected 1 to 64 of A-Z a-z 0-9 _ . -",
        assertThrows(IllegalArgumentException.class, () -> ProcessRunner.inNamespace("../etc")).getMessage());
  }
}
