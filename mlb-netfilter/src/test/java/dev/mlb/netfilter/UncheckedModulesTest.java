package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableMap;
import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Modules mlb keeps verbatim: counted once per module, and refused by the strict parser. */
class UncheckedModulesTest {
  private static final String TEXT = "*mangle\n"
      + ":PREROUTING ACCEPT [0:0]\n"
      + "-A PREROUTING -j LED --led-trigger-id a\n"
      + "-A PREROUTING -p tcp -m bpf --bytecode 100 -m u32 --u32 \"0x0>>0x16&0x3c@0x0>>0x10=0x50\" -j ACCEPT\n"
      + "-A PREROUTING -p tcp -m tcp --dport 80 -j LED --led-trigger-id b\n"
      + "-A PREROUTING -m bpf --bytecode 200 -j ACCEPT\n"
      + "-A PREROUTING -m bpf --bytecode 300 -m conntrack --ctstate NEW\n"
      + "COMMIT\n";

  @Test
  void eachModuleOnceWithItsCountInTheOrderOfFirstUse() {
    UncheckedModules u = UncheckedModules.of(RestoreParser.parse("t", TEXT, IpFamily.V4));
    assertEquals(ImmutableMap.of("LED", 2, "bpf", 3, "u32", 1), u.counts());
    assertEquals("LED \u00d72, bpf \u00d73, u32 \u00d71", u.toString());
    assertEquals("table mangle, chain PREROUTING, rule 2", u.first().get("bpf"));
  }

  @Test
  void validationWarnsOncePerModuleAtItsFirstRule() {
    List<Finding> findings = RestoreParser.parse("t", TEXT, IpFamily.V4).validate();
    assertEquals(List.of(
            "warning [not-checked] table mangle, chain PREROUTING, rule 1: -j LED is kept verbatim in 2 rules"
                + " (this is the first); mlb does not check or simulate it",
            "warning [not-checked] table mangle, chain PREROUTING, rule 2: -m bpf is kept verbatim in 3 rules"
                + " (this is the first); mlb does not check or simulate it",
            "warning [not-checked] table mangle, chain PREROUTING, rule 2: -m u32 is kept verbatim in 1 rule;"
                + " mlb does not check or simulate it"),
        findings.stream().map(Finding::toString).toList());
  }

  @Test
  void aRulesetOfModelledModulesHasNone() {
    String text = "*filter\n-A INPUT -p tcp --syn -m conntrack --ctstate NEW --ctproto tcp -m limit -j ACCEPT\nCOMMIT\n";
    Ruleset r = RestoreParser.parse("t", text, IpFamily.V4);
    assertTrue(UncheckedModules.of(r).isEmpty());
    assertEquals(List.of(), r.validate());
    assertEquals(r, RestoreParser.parseStrict("t", text, IpFamily.V4).ruleset());
  }

  @Test
  void theStrictParserRefusesTheFirstWithLineAndColumn() {
    ParseException e = assertThrows(ParseException.class, () -> RestoreParser.parseStrict("t", TEXT, IpFamily.V4));
    assertEquals("line 3, column 15: -j LED is not modelled by mlb, so it would pass unchecked; --strict refuses"
        + " it (without --strict it is kept verbatim and reported)\n"
        + "  -A PREROUTING [*]-j LED --led-trigger-id a", e.getMessage());
    String many = "*filter\n" + "-A INPUT -j ACCEPT\n".repeat(5000) + "-A INPUT -p tcp -m bpf --bytecode 1\nCOMMIT\n";
    ParseException late = assertThrows(ParseException.class, () -> RestoreParser.parseStrict("t", many, IpFamily.V4));
    assertTrue(late.getMessage().startsWith("line 5002, column 17: -m bpf is not modelled by mlb"), late.getMessage());
  }
}
