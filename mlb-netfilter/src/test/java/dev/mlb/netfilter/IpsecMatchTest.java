package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code -m ah}, {@code -m esp}, {@code -m ipcomp} as values (kernel facts: ipsec.cases). */
class IpsecMatchTest {

  private static String render(Protocol p, Match m) {
    Rule.Builder b = Rule.builder().addMatches(m);
    if (p != null) {
      b.protocol(p);
    }
    return RestoreWriter.renderRule(b.build());
  }

  @Test
  void factoriesRenderAsIptablesSave() {
    assertEquals(" -p esp -m esp --espspi 256", render(Protocol.parse("esp"), IpsecMatch.esp(IdRange.of(0x100))));
    assertEquals(" -p ah -m ah ! --ahspi 1:9", render(Protocol.parse("ah"), IpsecMatch.ah(IdRange.of(1, 9)).negated()));
    assertEquals(" -p ipcomp -m ipcomp", render(Protocol.parse("ipcomp"), IpsecMatch.ipcomp(IdRange.all(IdRange.U32))));
    assertEquals(" -p ipcomp -m ipcomp --ipcompspi 0 --compres",
        render(Protocol.parse("ipcomp"), IpsecMatch.ipcomp(IdRange.of(0)).withReserved()));
    assertEquals(" -m ah ! --ahspi 4:5 --ahlen 3 --ahres",
        render(null, IpsecMatch.ah(IdRange.of(4, 5)).negated().withLength(3, false).withReserved()));
    assertEquals(" -m ah ! --ahlen 0", render(null, IpsecMatch.ah(IdRange.all(IdRange.U32)).withLength(0, true)));
    // The whole range is left out with its !, as iptables-save does.
    IpsecMatch all = IpsecMatch.esp(IdRange.all(IdRange.U32)).negated();
    assertFalse(all.spiNegated());
    assertEquals("0:32", IdRange.of(0, 32).toString());
    assertEquals("7", IdRange.of(7).toString());
  }

  @Test
  void badValuesAreRefusedWithTheirWords() {
    assertThrows(IllegalArgumentException.class, () -> IdRange.of(0, 1L << 32));
    assertThrows(IllegalArgumentException.class, () -> IpsecMatch.esp(IdRange.of(1)).withLength(4, false));
    assertThrows(IllegalArgumentException.class, () -> IpsecMatch.esp(IdRange.of(1)).withReserved());
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-p esp -m esp --espspi 0:invalid", "",
        "bad value \"invalid\" in --espspi 0:invalid; expected a number from 0 to 4294967295");
    ModuleForms.check(IpFamily.V6, "filter", "INPUT", "-p esp -m esp --espspi 1:2:3", "",
        "too many parts in --espspi 1:2:3");
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-p ah -m ah --ahlen 4", "",
        "unknown option \"--ahlen\" for -m ah in IPv4; expected --ahspi");
    ModuleForms.check(IpFamily.V6, "filter", "INPUT", "-m ah --ahlen 4294967296", "",
        "bad value \"4294967296\" for --ahlen; expected a number from 0 to 4294967295");
    ModuleForms.check(IpFamily.V6, "filter", "INPUT", "-p ipcomp -m ipcomp ! --compres", "",
        "-m ipcomp: option \"--compres\" cannot be negated");
  }

  @Test
  void protocolsAsTheKernelNeedsThem() {
    Rule ah = Rule.builder().addMatches(IpsecMatch.ah(IdRange.of(1))).build();
    assertEquals(List.of("error [ah-protocol] table filter, chain INPUT, rule 1: -m ah needs -p ah in the same rule"
        + " (without !) in IPv4; the kernel refuses it otherwise"),
        ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT", ah));
    assertEquals(List.of(), ModuleForms.findings(IpFamily.V6, TableName.FILTER, "INPUT", ah));
    Rule esp = Rule.builder().protocol(Protocol.TCP).addMatches(IpsecMatch.esp(IdRange.of(1))).build();
    assertEquals(List.of("error [esp-protocol] table filter, chain INPUT, rule 1: -m esp needs -p esp in the same rule"
        + " (without !); the kernel refuses it otherwise"),
        ModuleForms.findings(IpFamily.V6, TableName.FILTER, "INPUT", esp));
    Rule v6only = Rule.builder().protocol(Protocol.parse("ah"))
        .addMatches(IpsecMatch.ah(IdRange.of(1)).withReserved()).build();
    assertEquals(List.of("error [ah-family] table filter, chain INPUT, rule 1: -m ah --ahlen and --ahres are IPv6's;"
        + " iptables refuses them in IPv4"), ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT", v6only));
  }
}
