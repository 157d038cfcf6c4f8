package dev.mlb.netfilter;

import static dev.mlb.netfilter.TargetTestSupport.render;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The API of {@link Ttl}, {@link HopLimit}, {@link TcpOptStrip}, {@link Ecn}, {@link Classify} and
 * {@link Checksum}: values built in code render as iptables-save printed the same rules (recorded
 * in {@code ttl-hl.cases}, {@code tcpoptstrip.cases}, {@code ecn.cases} and
 * {@code classify-checksum.cases}), bad input gets mlb's messages, and the kernel's refusals are findings.
 */
class HeaderTargetsTest {

  private static List<String> findings(IpFamily f, TableName table, String chain, Rule rule) {
    return ModuleForms.findings(f, table, chain, rule);
  }

  @Test
  void ttlAndHopLimit() {
    assertEquals(" -j TTL --ttl-set 64", render(Ttl.set(64)));
    assertEquals(" -j TTL --ttl-dec 1", render(Ttl.decrement(1)));
    assertEquals(" -j HL --hl-inc 255", render(HopLimit.increment(255)));
    assertEquals("-j TTL --ttl-inc 0 is outside 1 to 255",
        assertThrows(IllegalArgumentException.class, () -> Ttl.increment(0)).getMessage());
    assertEquals("-j HL --hl-set 256 is outside 0 to 255",
        assertThrows(IllegalArgumentException.class, () -> HopLimit.set(256)).getMessage());
    ModuleForms.check(IpFamily.V4, "mangle", "OUTPUT", "-j TTL --ttl-dec 0", "",
        "bad value \"0\" for --ttl-dec; expected a number from 1 to 255");
    ModuleForms.check(IpFamily.V4, "mangle", "OUTPUT", "-j TTL --ttl-dec 1 --ttl-inc 1", "",
        "-j TTL: option \"--ttl-inc\" cannot be used together with \"--ttl-dec\"");
    ModuleForms.check(IpFamily.V6, "mangle", "OUTPUT", "-j HL", "",
        "-j HL needs an action: --hl-set, --hl-dec or --hl-inc");
    ModuleForms.check(IpFamily.V6, "mangle", "OUTPUT", "-j TTL --ttl-set 1", "",
        "-j TTL is only for IPv4 (IPv6 has -j HL)");
    assertEquals(List.of("error [target-table] table filter, chain INPUT, rule 1: -j TTL is only valid in the mangle"
        + " table, not in filter; the kernel refuses it"),
        findings(IpFamily.V4, TableName.FILTER, "INPUT", Rule.builder().target(Ttl.set(1)).build()));
    assertEquals(List.of("error [target-family] table mangle, chain INPUT, rule 1: -j HL is only for IPv6"),
        findings(IpFamily.V4, TableName.MANGLE, "INPUT", Rule.builder().target(HopLimit.set(1)).build()));
  }

  @Test
  void tcpOptStripPrintsKindsAscending() {
    assertEquals(" -j TCPOPTSTRIP --strip-options 2,7", render(TcpOptStrip.of(7, 2)));
    assertEquals(" -j TCPOPTSTRIP --strip-options 2,3,4,5,8,19",
        render(TcpOptStrip.named("wscale", "mss", "sack-permitted", "sack", "timestamp", "md5")));
    assertEquals(" -j TCPOPTSTRIP", render(TcpOptStrip.of()));
    assertEquals("-j TCPOPTSTRIP: option kind 1 is outside 2 to 255",
        assertThrows(IllegalArgumentException.class, () -> TcpOptStrip.of(1)).getMessage());
    ModuleForms.check(IpFamily.V4, "mangle", "OUTPUT", "-p tcp -j TCPOPTSTRIP --strip-options mss,2", "",
        "TCP option \"2\" is given twice in --strip-options mss,2");
    ModuleForms.check(IpFamily.V4, "mangle", "OUTPUT", "-p tcp -j TCPOPTSTRIP --strip-options MSS", "",
        "bad TCP option \"MSS\" in --strip-options MSS; expected kinds from 2 to 255 or wscale, mss,");
    ModuleForms.check(IpFamily.V4, "mangle", "OUTPUT", "-p tcp -j TCPOPTSTRIP --strip-options 1,2", "",
        "TCP option \"1\" in --strip-options 1,2 cannot be stripped");
    assertEquals(List.of("error [target-protocol] table mangle, chain OUTPUT, rule 1: -j TCPOPTSTRIP needs -p tcp"
        + " (not negated) in the rule; the kernel refuses it otherwise"),
        findings(IpFamily.V6, TableName.MANGLE, "OUTPUT", Rule.builder().target(TcpOptStrip.of(2)).build()));
  }

  @Test
  void ecnRemovesTcpBitsOnIpv4WithTcp() {
    assertEquals(" -j ECN --ecn-tcp-remove", render(Ecn.removeTcp()));
    assertEquals(List.of(), findings(IpFamily.V4, TableName.MANGLE, "PREROUTING",
        Rule.builder().protocol(Protocol.TCP).target(Ecn.removeTcp()).build()));
    assertEquals(List.of("error [target-protocol] table mangle, chain PREROUTING, rule 1: -j ECN --ecn-tcp-remove"
        + " needs -p tcp (not negated) in the rule; the kernel refuses it otherwise"),
        findings(IpFamily.V4, TableName.MANGLE, "PREROUTING", Rule.builder().target(Ecn.removeTcp()).build()));
    ModuleForms.check(IpFamily.V6, "mangle", "OUTPUT", "-p tcp -j ECN --ecn-tcp-remove", "",
        "-j ECN is only for IPv4");
    ModuleForms.check(IpFamily.V4, "mangle", "OUTPUT", "-p tcp -j ECN", "", "-j ECN needs an operation");
    // The other options are kept verbatim.
    assertEquals(OpaqueTarget.of("ECN", "--ecn-ip-ect", "1"),
        ModuleForms.read(IpFamily.V4, "mangle", "OUTPUT", "-p tcp -j ECN --ecn-ip-ect 1").target().orElseThrow());
  }

  @Test
  void classifyAndChecksum() {
    assertEquals(" -j CLASSIFY --set-class 0001:0010", render(Classify.of(1, 0x10)));
    assertEquals(Classify.of(0, 1),
        ModuleForms.read(IpFamily.V4, "mangle", "OUTPUT", "-j CLASSIFY --set-class 10000:1").target().orElseThrow());
    assertEquals("-j CLASSIFY: 65536:0 is outside 0:0 to ffff:ffff",
        assertThrows(IllegalArgumentException.class, () -> Classify.of(65536, 0)).getMessage());
    ModuleForms.check(IpFamily.V4, "mangle", "OUTPUT", "-j CLASSIFY --set-class 1:", "",
        "bad class \"1:\" for --set-class; expected MAJOR:MINOR in hexadecimal");
    assertEquals(List.of("error [target-hook] table mangle, chain PREROUTING, rule 1: -j CLASSIFY is only valid in"
        + " [FORWARD, OUTPUT, POSTROUTING], but chain PREROUTING is reached from [PREROUTING]"),
        findings(IpFamily.V4, TableName.MANGLE, "PREROUTING", Rule.builder().target(Classify.of(1, 1)).build()));
    assertEquals(" -j CHECKSUM --checksum-fill", render(Checksum.fill()));
    ModuleForms.check(IpFamily.V6, "mangle", "OUTPUT", "-j CHECKSUM", "", "-j CHECKSUM needs --checksum-fill");
    assertEquals(List.of("error [target-table] table filter, chain INPUT, rule 1: -j CHECKSUM is only valid in the"
        + " mangle table, not in filter; the kernel refuses it"),
        findings(IpFamily.V4, TableName.FILTER, "INPUT", Rule.builder().target(Checksum.fill()).build()));
  }
}
