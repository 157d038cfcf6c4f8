package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@code -m dccp} as a value: factories, rendering, messages and findings (kernel facts: dccp.cases). */
class DccpMatchTest {

  private static String render(Protocol p, Match m) {
    return RestoreWriter.renderRule(Rule.builder().protocol(p).addMatches(m).build());
  }

  @Test
  void factoriesRenderAsIptablesSave() {
    assertEquals(" -p dccp -m dccp --dport 5004", render(Protocol.of(33), DccpMatch.destination(PortRange.of(5004))));
    assertEquals(" -p dccp -m dccp --sport 1:1023", render(Protocol.of(33), DccpMatch.source(PortRange.of(1, 1023))));
    assertEquals(" -p dccp -m dccp --dccp-types REQUEST,SYNC --dccp-option 9", render(Protocol.of(33),
        DccpMatch.any().withTypes(EnumSet.of(DccpMatch.Type.SYNC, DccpMatch.Type.REQUEST)).withOption(9)));
    assertEquals(" -p dccp -m dccp ! --sport 0:65535 ! --dccp-types INVALID ! --dccp-option 255",
        render(Protocol.of(33), new DccpMatch(Optional.of(PortCriterion.not(PortRange.of(0, 65535))), Optional.empty(),
            Set.of(DccpMatch.Type.INVALID), true, 255, true)));
    assertEquals(" -p dccp -m dccp", render(Protocol.of(33), DccpMatch.any()));
  }

  @Test
  void badValuesAreRefusedWithTheirWords() {
    assertThrows(IllegalArgumentException.class, () -> DccpMatch.any().withOption(256));
    assertThrows(IllegalArgumentException.class,
        () -> new DccpMatch(Optional.empty(), Optional.empty(), Set.of(), true, 0, false));
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-p dccp -m dccp --dccp-types REQUEST,FOO", "",
        "unknown DCCP type \"FOO\" in --dccp-types REQUEST,FOO; expected a comma-separated list of REQUEST,");
    // iptables-nft keeps "--dccp-types ," as an empty list (saved "--dccp-types "), which matches no packet.
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-p dccp -m dccp --dccp-types ,", "",
        "--dccp-types \",\" names no type");
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-p dccp -m dccp --dport 000080", "-p dccp -m dccp --dport 80",
        "same");
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-p dccp -m dccp --dport 0x10", "",
        "bad port \"0x10\" in --dport 0x10; expected a decimal number from 0 to 65535");
    ModuleForms.check(IpFamily.V6, "filter", "INPUT", "-p dccp -m dccp --sport 9:8", "",
        "port range 9:8 for --sport is empty");
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-p dccp -m dccp --dccp-option 0", "",
        "bad value \"0\" for --dccp-option; expected a number from 1 to 255");
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-p dccp -m dccp --sport 1 --source-port 2", "",
        "-m dccp: option \"--sport\" can only be given once");
  }

  @Test
  void theKernelNeedsDashPDccp() {
    Rule noProtocol = Rule.builder().addMatches(DccpMatch.destination(PortRange.of(9))).build();
    List<String> found = ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT", noProtocol);
    assertEquals(List.of("error [dccp-protocol] table filter, chain INPUT, rule 1: -m dccp needs -p dccp in the same"
        + " rule (without !); the kernel refuses it otherwise"), found);
    Rule ok = Rule.builder().protocol(Protocol.parse("dccp")).addMatches(DccpMatch.any()).build();
    assertTrue(ModuleForms.findings(IpFamily.V6, TableName.FILTER, "INPUT", ok).isEmpty());
  }
}
