package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code -m sctp} as a value (kernel facts: sctp.cases). */
class SctpMatchTest {

  @Test
  void factoriesRenderAsIptablesSave() {
    assertEquals(" -p sctp -m sctp --dport 3868", RestoreWriter.renderRule(Rule.builder().protocol(Protocol.SCTP)
        .addMatches(SctpMatch.destination(PortRange.of(3868))).build()));
    assertEquals(" -p sctp -m sctp ! --sport 0:65535 --dport 4", RestoreWriter.renderRule(Rule.builder()
        .protocol(Protocol.SCTP).addMatches(new SctpMatch(Optional.of(PortCriterion.not(PortRange.of(0, 65535))),
            Optional.of(PortCriterion.is(PortRange.of(4))))).build()));
  }

  @Test
  void chunkTypesKeepTheMatchVerbatim() {
    Rule r = ModuleForms.read(IpFamily.V4, "filter", "INPUT", "-p sctp -m sctp --dport 80 --chunk-types any INIT,ABORT");
    assertTrue(r.matches().get(0) instanceof OpaqueMatch, () -> r.matches().toString());
    assertEquals(" -p sctp -m sctp --dport 80 --chunk-types any INIT,ABORT", RestoreWriter.renderRule(r));
  }

  @Test
  void badPortsAndMissingProtocol() {
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-p sctp -m sctp --sport 5:4", "",
        "port range 5:4 for --sport is empty");
    ModuleForms.check(IpFamily.V6, "filter", "INPUT", "-p sctp -m sctp --dport 65536", "", "bad port \"65536\"");
    Rule noProtocol = Rule.builder().addMatches(SctpMatch.source(PortRange.of(1))).build();
    assertEquals(List.of("error [sctp-protocol] table filter, chain INPUT, rule 1: -m sctp needs -p sctp in the same"
        + " rule (without !); the kernel refuses it otherwise"),
        ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT", noProtocol));
  }
}
