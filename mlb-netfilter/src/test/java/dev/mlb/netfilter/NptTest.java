package dev.mlb.netfilter;

import static dev.mlb.netfilter.TargetTestSupport.findings;
import static dev.mlb.netfilter.TargetTestSupport.refusal;
import static dev.mlb.netfilter.TargetTestSupport.render;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code -j SNPT}, {@code -j DNPT} and {@code -j NETMAP} built in code; the read forms are in npt.cases and netmap.cases. */
class NptTest {
  private static final IpPrefix A = IpPrefix.parse("2001:db8:1::/48");
  private static final IpPrefix B = IpPrefix.parse("2001:db8:2::/48");

  @Test
  void npt() {
    assertEquals(" -j SNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/48", render(Npt.snpt(A, B)));
    assertEquals(" -j DNPT --src-pfx 2001:db8:2::/48 --dst-pfx 2001:db8:1::/48", render(Npt.dnpt(B, A)));
    assertEquals(List.of(), findings(IpFamily.V6, TableName.MANGLE, "POSTROUTING", Npt.snpt(A, B)));
    assertEquals(List.of(), findings(IpFamily.V6, TableName.MANGLE, "OUTPUT", Npt.dnpt(A, B)));
    assertEquals(List.of("error [target-hook] table mangle, chain PREROUTING, rule 1: SNPT is only valid in [INPUT,"
        + " POSTROUTING] of the mangle table, but chain PREROUTING is reached from [PREROUTING]"),
        findings(IpFamily.V6, TableName.MANGLE, "PREROUTING", Npt.snpt(A, B)));
    assertEquals(List.of("error [npt-prefix] table mangle, chain POSTROUTING, rule 1: SNPT prefix 2001:db8:1::5/48 has"
        + " host bits set; expected 2001:db8:1::/48"), findings(IpFamily.V6, TableName.MANGLE, "POSTROUTING",
            Npt.snpt(IpPrefix.parse("2001:db8:1::5/48"), B)));
    assertEquals(List.of("error [npt-prefix] table mangle, chain POSTROUTING, rule 1: SNPT prefix 2001:db8::/80 is longer"
        + " than 64 bits; the kernel refuses it"), findings(IpFamily.V6, TableName.MANGLE, "POSTROUTING",
            Npt.snpt(A, IpPrefix.parse("2001:db8::/80"))));
    assertEquals("-j DNPT needs --src-pfx PREFIX and --dst-pfx PREFIX",
        refusal(IpFamily.V6, "mangle", "PREROUTING", "-j DNPT --src-pfx dead::/64"));
  }

  @Test
  void netmap() {
    assertEquals(" -j NETMAP --to 198.51.100.0/24", render(Netmap.to(IpPrefix.parse("198.51.100.7/24"))));
    assertEquals(" -j NETMAP --to 2001:db8::1/128", render(Netmap.to(IpPrefix.parse("2001:db8::1"))));
    assertEquals(List.of(), findings(IpFamily.V4, TableName.NAT, "INPUT", Netmap.to(IpPrefix.parse("198.51.100.0/24"))));
    assertEquals(List.of("error [target-table] table filter, chain INPUT, rule 1: NETMAP is only valid in the nat table,"
        + " not in filter"), findings(IpFamily.V4, TableName.FILTER, "INPUT", Netmap.to(IpPrefix.parse("192.0.2.0/24"))));
    assertEquals("--to 198.51.100.0/255.0.255.0: the netmask 255.0.255.0 is not contiguous; expected a prefix length or"
        + " a netmask such as 255.255.255.0", refusal(IpFamily.V4, "nat", "INPUT", "-j NETMAP --to 198.51.100.0/255.0.255.0"));
  }
}
