package dev.mlb.netfilter;

import static dev.mlb.netfilter.TargetTestSupport.findings;
import static dev.mlb.netfilter.TargetTestSupport.refusal;
import static dev.mlb.netfilter.TargetTestSupport.render;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mlb.api.IpFamily;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code -j IDLETIMER} built in code; the read forms are in idletimer.cases. */
class IdletimerTest {
  @Test
  void factoriesFindingsAndMessages() {
    assertEquals(" -j IDLETIMER --timeout 60 --label wan-idle", render(Idletimer.of(60, "wan-idle")));
    assertEquals(" -j IDLETIMER --timeout 60 --label wan-idle --alarm", render(Idletimer.of(60, "wan-idle").withAlarm()));
    assertEquals(List.of(), findings(IpFamily.V4, TableName.MANGLE, "POSTROUTING", Idletimer.of(2_147_482, "x")));
    assertEquals(List.of("error [idletimer-timeout] table filter, chain INPUT, rule 1: -j IDLETIMER --timeout 2147483 is"
        + " outside 1 to 2147482 seconds; the kernel refuses it"),
        findings(IpFamily.V4, TableName.FILTER, "INPUT", Idletimer.of(2_147_483, "x")));
    assertEquals(List.of("error [idletimer-label] table filter, chain INPUT, rule 1: -j IDLETIMER --label \"a/b\" holds a"
        + " '/'; the kernel names a sysfs file after the label and refuses it"),
        findings(IpFamily.V4, TableName.FILTER, "INPUT", Idletimer.of(5, "a/b")));
    assertEquals(List.of("error [idletimer-label] table filter, chain INPUT, rule 1: -j IDLETIMER --label \"\" is 0"
        + " bytes; the kernel takes 1 to 27"), findings(IpFamily.V4, TableName.FILTER, "INPUT", Idletimer.of(5, "")));
    assertEquals(List.of("error [name-character] table filter, chain INPUT, rule 1: -j IDLETIMER --label (printed bare"
        + " by iptables-save) \"a b\" contains a space at position 2; expected printable ASCII without blanks or quotes"),
        findings(IpFamily.V4, TableName.FILTER, "INPUT", Idletimer.of(5, "a b")));
    assertEquals("-j IDLETIMER needs --label NAME", refusal(IpFamily.V4, "filter", "INPUT", "-j IDLETIMER --timeout 42"));
    assertEquals("unknown option \"--send_nl_msg\" for -j IDLETIMER; expected --timeout, --label or --alarm",
        refusal(IpFamily.V4, "filter", "INPUT", "-j IDLETIMER --timeout 4 --label a --send_nl_msg"));
  }
}
