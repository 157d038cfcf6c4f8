package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code -m addrtype}: its canonical forms and refusals, as iptables-nft 1.8.9 has them. */
class AddrtypeMatchTest {

  /**
   * Each row: the family and the filter chain; the rule after {@code -A CHAIN}; what the save tool
   * printed after the restore tool loaded it (or "refused:" and what it said); what mlb reads it as
   * ("same", the start of mlb's refusal, or for "error [" a finding of validation).
   *
   * <p>Made with iptables v1.8.9 (nf_tables) on Linux 6.18, in a network namespace made for it
   * ({@code ip netns add NS; ip netns exec NS iptables-restore < rules; ip netns exec NS
   * iptables-save}, then {@code ip netns del NS}), and read against {@code parse_types} and
   * {@code addrtype_save_v1} of iptables' {@code extensions/libxt_addrtype.c}. The kernel's
   * refusals (interface limits at the wrong hook, IPv6 types) print only "iptables-restore v1.8.9
   * (nf_tables):". ModulesKernelTest (mlb-testkit) checks these forms against the running kernel.
   */
  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
    "4 | INPUT | -m addrtype --dst-type LOCAL | -m addrtype --dst-type LOCAL | same",
    "4 | INPUT | -m addrtype --src-type LOCAL | -m addrtype --src-type LOCAL | same",
    "4 | INPUT | -m addrtype ! --dst-type LOCAL | -m addrtype ! --dst-type LOCAL | same",
    "4 | INPUT | -m addrtype --dst-type local | -m addrtype --dst-type LOCAL | same",
    "4 | INPUT | -m addrtype --dst-type LOC | -m addrtype --dst-type LOCAL | same",
    "4 | INPUT | -m addrtype --dst-type U | -m addrtype --dst-type UNSPEC | same",
    "4 | INPUT | -m addrtype --dst-type UNI | -m addrtype --dst-type UNICAST | same",
    "4 | INPUT | -m addrtype --dst-type LOCAL,UNICAST | -m addrtype --dst-type UNICAST,LOCAL | same",
    "4 | INPUT | -m addrtype --dst-type UNICAST,LOCAL,BROADCAST,MULTICAST "
        + "| -m addrtype --dst-type UNICAST,LOCAL,BROADCAST,MULTICAST | same",
    "4 | INPUT | -m addrtype --dst-type UNSPEC,UNICAST,LOCAL,BROADCAST,ANYCAST,MULTICAST,BLACKHOLE,UNREACHABLE,PROHIBIT,"
        + "THROW,NAT,XRESOLVE | -m addrtype --dst-type UNSPEC,UNICAST,LOCAL,BROADCAST,ANYCAST,MULTICAST,BLACKHOLE,"
        + "UNREACHABLE,PROHIBIT,THROW,NAT,XRESOLVE | same",
    "4 | INPUT | -m addrtype --dst-type LOCAL,LOCAL | -m addrtype --dst-type LOCAL | same",
    "4 | INPUT | -m addrtype --src-type LOCAL --dst-type UNICAST | -m addrtype --src-type LOCAL --dst-type UNICAST | same",
    "4 | INPUT | -m addrtype --dst-type UNICAST --src-type LOCAL | -m addrtype --src-type LOCAL --dst-type UNICAST | same",
    "4 | INPUT | -m addrtype ! --src-type LOCAL ! --dst-type LOCAL | -m addrtype ! --src-type LOCAL ! --dst-type LOCAL"
        + " | same",
    "4 | INPUT | -m addrtype --dst-type LOCAL --limit-iface-in | -m addrtype --dst-type LOCAL --limit-iface-in | same",
    "4 | OUTPUT | -m addrtype --dst-type LOCAL --limit-iface-out | -m addrtype --dst-type LOCAL --limit-iface-out | same",
    "4 | FORWARD | -m addrtype --dst-type LOCAL --limit-iface-out | -m addrtype --dst-type LOCAL --limit-iface-out"
        + " | same",
    "4 | FORWARD | -m addrtype --dst-type LOCAL --limit-iface-in | -m addrtype --dst-type LOCAL --limit-iface-in | same",
    "4 | INPUT | -m addrtype --dst-type LOCAL --limit-iface-out | `refused: iptables-restore v1.8.9 (nf_tables):` "
        + "| `error [addrtype-limit] table filter, chain INPUT, rule 1: -m addrtype --limit-iface-out in chain INPUT`",
    "4 | OUTPUT | -m addrtype --dst-type LOCAL --limit-iface-in | `refused: iptables-restore v1.8.9 (nf_tables):` "
        + "| `error [addrtype-limit] table filter, chain OUTPUT, rule 1: -m addrtype --limit-iface-in in chain OUTPUT`",
    "4 | INPUT | -m addrtype --dst-type LOCAL --limit-iface-in --limit-iface-out "
        + "| `refused: addrtype: option \"--limit-iface-in\" cannot be used together with \"--limit-iface-out\".` "
        + "| `-m addrtype: --limit-iface-out cannot be given with --limit-iface-in`",
    "4 | INPUT | -m addrtype --limit-iface-in | `refused: addrtype: you must specify --src-type or --dst-type` "
        + "| `-m addrtype needs --src-type or --dst-type`",
    "4 | INPUT | -m addrtype | `refused: addrtype: you must specify --src-type or --dst-type` "
        + "| `-m addrtype needs --src-type or --dst-type`",
    "4 | INPUT | -m addrtype --dst-type | `refused: option \"--dst-type\" requires an argument` "
        + "| `option \"--dst-type\" requires an argument`",
    "4 | INPUT | -m addrtype --dst-type FOO | `refused: addrtype: bad type \"FOO\"` | `-m addrtype: bad type \"FOO\"`",
    "4 | INPUT | `-m addrtype --dst-type \"\"` | `refused: addrtype: bad type \"\"` | `-m addrtype: bad type \"\"`",
    "4 | INPUT | -m addrtype --dst-type LOCAL, | `refused: addrtype: bad type \"\"` | `-m addrtype: bad type \"\"`",
    "4 | INPUT | -m addrtype --dst-type ,LOCAL | `refused: addrtype: bad type `,LOCAL'` | `-m addrtype: bad type \"\"`",
    "4 | INPUT | -m addrtype --dst-type LOCAL --dst-type UNICAST "
        + "| `refused: addrtype: option \"--dst-type\" can only be used once.` "
        + "| `-m addrtype: option \"--dst-type\" can only be given once`",
    "4 | INPUT | -m addrtype --dst-type LOCAL ! --limit-iface-in "
        + "| `refused: addrtype: option \"--limit-iface-in\" cannot be inverted.` "
        + "| `-m addrtype: option \"--limit-iface-in\" cannot be negated`",
    "6 | INPUT | -m addrtype --dst-type LOCAL | -m addrtype --dst-type LOCAL | same",
    "6 | INPUT | -m addrtype --dst-type UNREACHABLE | -m addrtype --dst-type UNREACHABLE | same",
    "6 | INPUT | -m addrtype --dst-type UNSPEC,UNICAST,LOCAL,ANYCAST,MULTICAST "
        + "| -m addrtype --dst-type UNSPEC,UNICAST,LOCAL,ANYCAST,MULTICAST | same",
    "6 | INPUT | -m addrtype --dst-type UNREACHABLE,LOCAL | -m addrtype --dst-type LOCAL,UNREACHABLE | same",
    "6 | INPUT | -m addrtype --dst-type BROADCAST | `refused: ip6tables-restore v1.8.9 (nf_tables):` "
        + "| `error [addrtype-family] table filter, chain INPUT, rule 1: -m addrtype [BROADCAST] in an IPv6 ruleset`",
    "6 | INPUT | -m addrtype --dst-type BLACKHOLE | `refused: ip6tables-restore v1.8.9 (nf_tables):` "
        + "| `error [addrtype-family]`",
    "6 | INPUT | -m addrtype --dst-type PROHIBIT | `refused: ip6tables-restore v1.8.9 (nf_tables):` "
        + "| `error [addrtype-family]`",
    "6 | INPUT | -m addrtype --src-type THROW | `refused: ip6tables-restore v1.8.9 (nf_tables):` "
        + "| `error [addrtype-family]`",
    "6 | INPUT | -m addrtype --dst-type NAT | `refused: ip6tables-restore v1.8.9 (nf_tables):` "
        + "| `error [addrtype-family]`",
    "6 | INPUT | -m addrtype --dst-type XRESOLVE | `refused: ip6tables-restore v1.8.9 (nf_tables):` "
        + "| `error [addrtype-family]`",
  })
  void canonicalFormsAndRefusals(int family, String chain, String rule, String iptablesSave, String mlb) {
    IpFamily f = family == 4 ? IpFamily.V4 : IpFamily.V6;
    if (mlb.startsWith("error [")) {
      Rule read = ModuleForms.read(f, "filter", chain, rule);
      List<String> found = ModuleForms.findings(f, TableName.FILTER, chain, read);
      assertTrue(found.stream().anyMatch(e -> e.startsWith(mlb)), () -> found + " has no " + mlb);
      // The rule's screen sends it to these checks (validation skips rules whose screen finds nothing).
      assertTrue(Ruleset.builder().family(f).addTables(Table.builder().name(TableName.FILTER)
          .addChains(Chain.builder().name(chain).addRules(read).build()).build()).build().validate().stream()
          .anyMatch(e -> e.toString().startsWith(mlb)));
      return;
    }
    ModuleForms.check(f, "filter", chain, rule, iptablesSave, mlb);
  }

  @Test
  void factoriesAndWriting() {
    assertEquals(new AddrtypeMatch(Set.of(), false, Set.of(AddrtypeMatch.Type.LOCAL), true, false, false),
        AddrtypeMatch.destination(AddrtypeMatch.Type.LOCAL).negated());
    assertEquals(" -m addrtype --src-type UNICAST,LOCAL --limit-iface-out", RestoreWriter.renderRule(Rule.builder()
        .addMatches(AddrtypeMatch.source(AddrtypeMatch.Type.LOCAL, AddrtypeMatch.Type.UNICAST).withLimitIfaceOut())
        .build()));
    assertEquals("addrtype", AddrtypeMatch.source(AddrtypeMatch.Type.LOCAL).module());
    assertThrows(IllegalArgumentException.class,
        () -> new AddrtypeMatch(Set.of(), true, Set.of(AddrtypeMatch.Type.LOCAL), false, false, false));
    assertEquals(List.of("error [addrtype-empty] table filter, chain INPUT, rule 1: -m addrtype needs --src-type or"
        + " --dst-type; iptables refuses it without"), ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT",
            Rule.builder().addMatches(new AddrtypeMatch(Set.of(), false, Set.of(), false, false, false)).build()));
  }
}
