package dev.mlb.netfilter;

import static dev.mlb.netfilter.MatchTestSupport.render;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code -m ttl} and {@code -m hl} as values (kernel facts: ttl.cases). */
class TtlMatchTest {

  @Test
  void factoriesRenderAsIptablesSave() {
    assertEquals(" -m ttl --ttl-eq 64", render(TtlMatch.ttl(TtlMatch.Mode.EQ, 64)));
    assertEquals(" -m ttl ! --ttl-eq 64", render(TtlMatch.ttl(TtlMatch.Mode.NE, 64)));
    assertEquals(" -m ttl --ttl-gt 0", render(TtlMatch.ttl(TtlMatch.Mode.GT, 0)));
    assertEquals(" -m hl --hl-lt 2", render(TtlMatch.hopLimit(TtlMatch.Mode.LT, 2)));
    assertEquals(" -m hl ! --hl-eq 255", render(TtlMatch.hopLimit(TtlMatch.Mode.NE, 255)));
  }

  @Test
  void badValuesAreRefusedWithTheirWords() {
    assertThrows(IllegalArgumentException.class, () -> TtlMatch.ttl(TtlMatch.Mode.EQ, 256));
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-m ttl", "",
        "-m ttl needs one of --ttl-eq, --ttl-lt or --ttl-gt");
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-m ttl --ttl-eq 1 --ttl-gt 2", "",
        "-m ttl: option \"--ttl-gt\" cannot be given with \"--ttl-eq\"; expected one comparison");
    ModuleForms.check(IpFamily.V6, "filter", "INPUT", "-m hl ! --hl-lt 4", "",
        "-m hl: option \"--hl-lt\" cannot be negated");
    ModuleForms.check(IpFamily.V6, "filter", "INPUT", "-m hl --hl-eq -1", "",
        "bad value \"-1\" for --hl-eq; expected a number from 0 to 255");
  }

  @Test
  void eachExistsInOneFamily() {
    Rule ttl = Rule.builder().addMatches(TtlMatch.ttl(TtlMatch.Mode.EQ, 1)).build();
    assertEquals(List.of(), ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT", ttl));
    assertEquals(List.of("error [ttl-family] table filter, chain INPUT, rule 1: -m ttl is IPv4's; ip6tables has -m hl"
        + " instead"), ModuleForms.findings(IpFamily.V6, TableName.FILTER, "INPUT", ttl));
    Rule hl = Rule.builder().addMatches(TtlMatch.hopLimit(TtlMatch.Mode.EQ, 1)).build();
    assertEquals(List.of("error [hl-family] table filter, chain INPUT, rule 1: -m hl is IPv6's; iptables has -m ttl"
        + " instead"), ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT", hl));
  }
}
