package dev.mlb.netfilter;

import static dev.mlb.netfilter.TargetTestSupport.refusal;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Mark;
import dev.mlb.api.Protocol;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** {@code -j TPROXY} and {@code -j SYNPROXY} built in code; the read forms are in tproxy.cases and synproxy.cases. */
class TproxyTest {
  private static Rule rule(Protocol p, Target t) {
    return Rule.builder().protocol(p).target(t).build();
  }

  @Test
  void tproxy() {
    Tproxy t = Tproxy.to(IpAddress.parse("192.0.2.1"), 3129).mark(Mark.of(1, 1));
    assertEquals(" -p tcp -j TPROXY --on-port 3129 --on-ip 192.0.2.1 --tproxy-mark 0x1/0x1",
        RestoreWriter.renderRule(rule(Protocol.TCP, t)));
    assertEquals(" -p udp -j TPROXY --on-port 0 --on-ip :: --tproxy-mark 0x0/0x0",
        RestoreWriter.renderRule(rule(Protocol.UDP, Tproxy.to(IpAddress.parse("::"), 0))));
    assertEquals(List.of(), ModuleForms.findings(IpFamily.V4, TableName.MANGLE, "PREROUTING", rule(Protocol.TCP, t)));
    assertEquals(List.of("error [tproxy-protocol] table mangle, chain PREROUTING, rule 1: TPROXY needs -p tcp or -p udp"
        + " (not negated) in the rule; the kernel refuses it otherwise"),
        ModuleForms.findings(IpFamily.V4, TableName.MANGLE, "PREROUTING", Rule.builder().target(t).build()));
    assertEquals(List.of("error [target-hook] table mangle, chain INPUT, rule 1: TPROXY is only valid in [PREROUTING] of"
        + " the mangle table, but chain INPUT is reached from [INPUT]"),
        ModuleForms.findings(IpFamily.V4, TableName.MANGLE, "INPUT", rule(Protocol.TCP, t)));
    assertEquals("-j TPROXY needs --on-port PORT",
        refusal(IpFamily.V4, "mangle", "PREROUTING", "-p tcp -j TPROXY --on-ip 192.0.2.1"));
  }

  @Test
  void synproxy() {
    Synproxy s = Synproxy.options(true, true, OptionalInt.of(7), OptionalInt.of(1460), false);
    assertEquals(" -p tcp -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460",
        RestoreWriter.renderRule(rule(Protocol.TCP, s)));
    assertEquals(List.of(), ModuleForms.findings(IpFamily.V6, TableName.FILTER, "FORWARD", rule(Protocol.TCP, s)));
    assertEquals(List.of("error [synproxy-protocol] table filter, chain INPUT, rule 1: SYNPROXY needs -p tcp (not"
        + " negated) in the rule; the kernel refuses it otherwise"),
        ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT", rule(Protocol.UDP, s)));
    assertEquals(List.of("error [target-hook] table filter, chain OUTPUT, rule 1: SYNPROXY is only valid in [INPUT,"
        + " FORWARD], but chain OUTPUT is reached from [OUTPUT]"),
        ModuleForms.findings(IpFamily.V4, TableName.FILTER, "OUTPUT", rule(Protocol.TCP, s)));
    assertEquals("bad value \"256\" for --wscale; expected a number from 0 to 255 (the kernel keeps no more; iptables"
        + " would cut it silently)", refusal(IpFamily.V4, "filter", "INPUT", "-p tcp -j SYNPROXY --wscale 256"));
  }
}
