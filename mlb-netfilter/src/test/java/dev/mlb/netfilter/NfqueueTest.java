package dev.mlb.netfilter;

import static dev.mlb.netfilter.TargetTestSupport.render;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code -j NFQUEUE} built in code: factories, rendering, findings and messages. The forms
 * iptables reads and prints are in {@code extension-cases/nfqueue.cases} (recorded from
 * iptables-nft 1.8.9 on Linux 6.18).
 */
class NfqueueTest {

  private static List<String> findings(Target t) {
    return ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT", Rule.builder().target(t).build());
  }

  @Test
  void factoriesRenderAsIptablesSavePrints() {
    assertEquals(" -j NFQUEUE --queue-num 3", render(Nfqueue.queue(3)));
    assertEquals(" -j NFQUEUE --queue-num 0 --queue-bypass", render(Nfqueue.queue(0).withBypass()));
    assertEquals(" -j NFQUEUE --queue-balance 2:5 --queue-bypass --queue-cpu-fanout",
        render(Nfqueue.balance(2, 5).withCpuFanout().withBypass()));
    assertEquals(new Nfqueue(7, 7, false, false), Nfqueue.queue(7));
    assertEquals(Nfqueue.queue(4), Nfqueue.balance(4, 4));
    assertEquals(List.of(), findings(Nfqueue.balance(1, 65535).withBypass()));
  }

  @Test
  void findingsNameTheKernelsRefusals() {
    assertEquals(List.of("error [nfqueue-range] table filter, chain INPUT, rule 1: -j NFQUEUE --queue-balance 0:65535"
        + " is 65536 queues; the kernel keeps the count in 16 bits and refuses it"), findings(Nfqueue.balance(0, 65535)));
    assertEquals(List.of("error [nfqueue-range] table filter, chain INPUT, rule 1: -j NFQUEUE queue 65536 is outside 0"
        + " to 65535"), findings(Nfqueue.queue(65536)));
    assertEquals(List.of("error [nfqueue-range] table filter, chain INPUT, rule 1: -j NFQUEUE --queue-balance 5:2 is"
        + " empty; expected FIRST below LAST"), findings(Nfqueue.balance(5, 2)));
    assertEquals(List.of("error [nfqueue-fanout] table filter, chain INPUT, rule 1: -j NFQUEUE --queue-cpu-fanout"
        + " needs a balance over several queues; iptables refuses it with --queue-num"),
        findings(Nfqueue.queue(3).withCpuFanout()));
  }

  @Test
  void badInputIsRefusedWithLineAndColumn() {
    ParseException e = assertThrows(ParseException.class, () -> ModuleForms.read(IpFamily.V4, "filter", "INPUT",
        "-j NFQUEUE --queue-balance 4:3"));
    assertEquals("line 2, column 37: --queue-balance 4:3: 4 should be less than 3; expected FIRST:LAST with FIRST"
        + " below LAST", e.getMessage().lines().findFirst().orElseThrow().replaceFirst("^t: ", ""));
    e = assertThrows(ParseException.class, () -> ModuleForms.read(IpFamily.V4, "filter", "INPUT",
        "-j NFQUEUE --queue-num 65536"));
    assertEquals("bad value \"65536\" for --queue-num; expected a queue number from 0 to 65535", e.problem());
    e = assertThrows(ParseException.class, () -> ModuleForms.read(IpFamily.V4, "filter", "INPUT",
        "-j NFQUEUE --queue-balance 4"));
    assertEquals("bad range \"4\" for --queue-balance; expected FIRST:LAST", e.problem());
    e = assertThrows(ParseException.class, () -> ModuleForms.read(IpFamily.V4, "filter", "INPUT",
        "-j NFQUEUE --fail-open"));
    assertEquals("unknown option \"--fail-open\" for -j NFQUEUE; expected --queue-num, --queue-balance,"
        + " --queue-bypass or --queue-cpu-fanout", e.problem());
    e = assertThrows(ParseException.class, () -> ModuleForms.read(IpFamily.V4, "filter", "INPUT",
        "-j NFQUEUE --queue-cpu-fanout"));
    assertEquals("-j NFQUEUE --queue-cpu-fanout needs --queue-balance FIRST:LAST", e.problem());
  }
}
