package dev.mlb.netfilter;

import static dev.mlb.netfilter.TargetTestSupport.findings;
import static dev.mlb.netfilter.TargetTestSupport.refusal;
import static dev.mlb.netfilter.TargetTestSupport.render;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code -j AUDIT} and {@code -j CONNSECMARK} built in code; their read forms are in audit.cases and connsecmark.cases. */
class AuditTest {
  @Test
  void audit() {
    assertEquals(" -j AUDIT --type drop", render(Audit.of(Audit.Type.DROP)));
    assertEquals(" -j AUDIT --type accept", render(new Audit(Audit.Type.ACCEPT)));
    assertEquals(List.of(), findings(IpFamily.V6, TableName.NAT, "POSTROUTING", Audit.of(Audit.Type.REJECT)));
    assertThrows(IllegalArgumentException.class, () -> Audit.of(null));
    assertEquals("bad action type \"wrong\" for -j AUDIT --type; expected accept, drop or reject",
        refusal(IpFamily.V4, "filter", "INPUT", "-j AUDIT --type wrong"));
    assertEquals("-j AUDIT needs --type accept, drop or reject", refusal(IpFamily.V4, "filter", "INPUT", "-j AUDIT"));
  }

  @Test
  void connsecmark() {
    assertEquals(" -j CONNSECMARK --save", render(Connsecmark.SAVE));
    assertEquals(" -j CONNSECMARK --restore", render(Connsecmark.RESTORE));
    assertEquals(List.of(), findings(IpFamily.V4, TableName.SECURITY, "INPUT", Connsecmark.SAVE));
    assertEquals(List.of("error [target-table] table filter, chain INPUT, rule 1: CONNSECMARK is only valid in the"
        + " mangle and security tables, not in filter"), findings(IpFamily.V4, TableName.FILTER, "INPUT",
            Connsecmark.RESTORE));
    assertEquals("-j CONNSECMARK: --save and --restore cannot be given together",
        refusal(IpFamily.V4, "mangle", "INPUT", "-j CONNSECMARK --save --restore"));
    assertEquals("-j CONNSECMARK needs --save or --restore", refusal(IpFamily.V4, "mangle", "INPUT", "-j CONNSECMARK"));
  }
}
