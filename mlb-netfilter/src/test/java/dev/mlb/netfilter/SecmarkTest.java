package dev.mlb.netfilter;

import static dev.mlb.netfilter.TargetTestSupport.findings;
import static dev.mlb.netfilter.TargetTestSupport.refusal;
import static dev.mlb.netfilter.TargetTestSupport.render;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mlb.api.IpFamily;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code -j SECMARK} built in code; the refusals recorded from the kernel are in secmark.cases. */
class SecmarkTest {
  @Test
  void factoriesFindingsAndMessages() {
    Secmark s = Secmark.of("system_u:object_r:ssh_server_packet_t:s0");
    assertEquals(" -j SECMARK --selctx system_u:object_r:ssh_server_packet_t:s0", render(s));
    assertEquals(List.of(), findings(IpFamily.V4, TableName.SECURITY, "INPUT", s));
    assertEquals(List.of("error [target-table] table filter, chain INPUT, rule 1: SECMARK is only valid in the mangle"
        + " and security tables, not in filter"), findings(IpFamily.V4, TableName.FILTER, "INPUT", s));
    assertEquals(List.of("error [name-character] table mangle, chain INPUT, rule 1: -j SECMARK --selctx (printed bare by"
        + " iptables-save) \"a b\" contains a space at position 2; expected printable ASCII without blanks or quotes"),
        findings(IpFamily.V4, TableName.MANGLE, "INPUT", Secmark.of("a b")));
    assertEquals("-j SECMARK needs --selctx CONTEXT", refusal(IpFamily.V4, "mangle", "INPUT", "-j SECMARK"));
  }
}
