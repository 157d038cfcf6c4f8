package dev.mlb.netfilter;

import static dev.mlb.netfilter.TargetTestSupport.findings;
import static dev.mlb.netfilter.TargetTestSupport.refusal;
import static dev.mlb.netfilter.TargetTestSupport.render;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code -j TEE} built in code; the read forms are in tee.cases. */
class TeeTest {
  @Test
  void factoriesFindingsAndMessages() {
    assertEquals(" -j TEE --gateway 192.0.2.1", render(Tee.via(IpAddress.parse("192.0.2.1"))));
    assertEquals(" -j TEE --gateway 2001:db8::1 --oif eth1", render(Tee.via(IpAddress.parse("2001:db8::1")).oif("eth1")));
    assertEquals(List.of(), findings(IpFamily.V6, TableName.MANGLE, "PREROUTING", Tee.via(IpAddress.parse("2001:db8::1"))));
    assertEquals(List.of("error [tee-gateway] table filter, chain INPUT, rule 1: -j TEE --gateway 0.0.0.0 is the"
        + " unspecified address; the kernel refuses it"),
        findings(IpFamily.V4, TableName.FILTER, "INPUT", Tee.via(IpAddress.parse("0.0.0.0"))));
    assertEquals(List.of("error [tee-gateway] table filter, chain INPUT, rule 1: -j TEE --gateway 192.0.2.1 is an IPv4"
        + " address in an IPv6 ruleset"), findings(IpFamily.V6, TableName.FILTER, "INPUT",
            Tee.via(IpAddress.parse("192.0.2.1"))));
    assertEquals(List.of("error [name-character] table filter, chain INPUT, rule 1: -j TEE --oif \"a b\" contains a"
        + " space at position 2; expected printable ASCII without blanks or quotes"),
        findings(IpFamily.V4, TableName.FILTER, "INPUT", Tee.via(IpAddress.parse("192.0.2.1")).oif("a b")));
    assertEquals("-j TEE needs --gateway ADDRESS", refusal(IpFamily.V4, "filter", "INPUT", "-j TEE --oif eth0"));
  }
}
