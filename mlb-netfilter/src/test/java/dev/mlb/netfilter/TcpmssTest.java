package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code -j TCPMSS}: its canonical forms and refusals, as iptables-nft 1.8.9 has them. */
class TcpmssTest {

  /**
   * Each row: family, table and chain; the rule after {@code -A CHAIN}; what the save tool printed
   * after the restore tool loaded it (or "refused:" and what it said); what mlb reads it as
   * ("same", the start of mlb's refusal, or for "error [" a finding of validation).
   *
   * <p>Made with iptables v1.8.9 (nf_tables) on Linux 6.18, in a network namespace made for it
   * ({@code ip netns add NS; ip netns exec NS iptables-restore < rules; ip netns exec NS
   * iptables-save}, then {@code ip netns del NS}), and read against the option table of iptables'
   * {@code extensions/libxt_TCPMSS.c}. The kernel's refusals print only "iptables-restore v1.8.9
   * (nf_tables):". ModulesKernelTest (mlb-testkit) checks these forms against the running kernel.
   */
  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
    "4 | mangle FORWARD | -p tcp -j TCPMSS --clamp-mss-to-pmtu | -p tcp -j TCPMSS --clamp-mss-to-pmtu | same",
    "4 | mangle FORWARD | -p tcp -j TCPMSS --set-mss 1400 | -p tcp -j TCPMSS --set-mss 1400 | same",
    "4 | mangle FORWARD | -p tcp -j TCPMSS --set-mss 0x10 | -p tcp -j TCPMSS --set-mss 16 | same",
    "4 | mangle FORWARD | -p tcp -j TCPMSS --set-mss 0 | -p tcp -j TCPMSS --set-mss 0 | same",
    "4 | filter OUTPUT | -p tcp -j TCPMSS --set-mss 65515 | -p tcp -j TCPMSS --set-mss 65515 | same",
    "4 | mangle FORWARD | -p tcp -j TCPMSS --set-mss 1400 --clamp-mss-to-pmtu | -p tcp -j TCPMSS --clamp-mss-to-pmtu"
        + " | same",
    "4 | filter OUTPUT | -p tcp -j TCPMSS --clamp-mss-to-pmtu --set-mss 1400 | -p tcp -j TCPMSS --set-mss 1400 | same",
    "4 | nat POSTROUTING | -p tcp -j TCPMSS --clamp-mss-to-pmtu | -p tcp -j TCPMSS --clamp-mss-to-pmtu | same",
    "4 | mangle PREROUTING | -p tcp -j TCPMSS --set-mss 1220 | -p tcp -j TCPMSS --set-mss 1220 | same",
    "6 | mangle FORWARD | -p tcp -j TCPMSS --set-mss 65495 | -p tcp -j TCPMSS --set-mss 65495 | same",
    "6 | filter FORWARD | -p tcp -j TCPMSS --clamp-mss-to-pmtu | -p tcp -j TCPMSS --clamp-mss-to-pmtu | same",
    "6 | mangle FORWARD | -p tcp -j TCPMSS --set-mss 1400 --clamp-mss-to-pmtu | -p tcp -j TCPMSS --clamp-mss-to-pmtu"
        + " | same",
    "4 | mangle FORWARD | -p tcp -j TCPMSS --set-mss 65516 "
        + "| `refused: TCPMSS: bad value for option \"--set-mss\", or out of range (0-65515).` "
        + "| `bad value \"65516\" for --set-mss; expected a number from 0 to 65515`",
    "4 | mangle FORWARD | -p tcp -j TCPMSS --set-mss x "
        + "| `refused: TCPMSS: bad value for option \"--set-mss\", or out of range (0-65515).` "
        + "| `bad value \"x\" for --set-mss`",
    "6 | mangle FORWARD | -p tcp -j TCPMSS --set-mss 65496 "
        + "| `refused: TCPMSS: bad value for option \"--set-mss\", or out of range (0-65495).` "
        + "| `bad value \"65496\" for --set-mss; expected a number from 0 to 65495`",
    "4 | mangle FORWARD | -p tcp -j TCPMSS | `refused: TCPMSS target: At least one parameter is required` "
        + "| `-j TCPMSS needs --set-mss N or --clamp-mss-to-pmtu`",
    "4 | mangle FORWARD | -p tcp -j TCPMSS --set-mss 1400 --set-mss 1300 "
        + "| `refused: TCPMSS: option \"--set-mss\" can only be used once.` "
        + "| `-j TCPMSS: option \"--set-mss\" can only be given once`",
    "4 | mangle FORWARD | -j TCPMSS --clamp-mss-to-pmtu | `refused: iptables-restore v1.8.9 (nf_tables):` "
        + "| `error [tcpmss-protocol] table mangle, chain FORWARD, rule 1: TCPMSS needs -p tcp`",
    "6 | mangle FORWARD | ! -p tcp -j TCPMSS --set-mss 1400 | `refused: ip6tables-restore v1.8.9 (nf_tables):` "
        + "| `error [tcpmss-protocol]`",
    "6 | mangle FORWARD | -p udp -j TCPMSS --set-mss 1400 | `refused: ip6tables-restore v1.8.9 (nf_tables):` "
        + "| `error [tcpmss-protocol]`",
    "4 | mangle INPUT | -p tcp -j TCPMSS --clamp-mss-to-pmtu | `refused: iptables-restore v1.8.9 (nf_tables):` "
        + "| `error [target-hook] table mangle, chain INPUT, rule 1: TCPMSS --clamp-mss-to-pmtu is only valid in"
        + " [FORWARD, OUTPUT, POSTROUTING]`",
    "4 | mangle PREROUTING | -p tcp -j TCPMSS --clamp-mss-to-pmtu | `refused: iptables-restore v1.8.9 (nf_tables):` "
        + "| `error [target-hook]`",
  })
  void canonicalFormsAndRefusals(int family, String where, String rule, String iptablesSave, String mlb) {
    IpFamily f = family == 4 ? IpFamily.V4 : IpFamily.V6;
    String[] tc = where.split(" ");
    if (mlb.startsWith("error [")) {
      Rule read = ModuleForms.read(f, tc[0], tc[1], rule);
      List<String> found = ModuleForms.findings(f, TableName.fromId(tc[0]).orElseThrow(), tc[1], read);
      assertTrue(found.stream().anyMatch(e -> e.startsWith(mlb)), () -> found + " has no " + mlb);
      return;
    }
    ModuleForms.check(f, tc[0], tc[1], rule, iptablesSave, mlb);
  }

  @Test
  void factoriesAndFindings() {
    assertEquals(new Tcpmss(65535), Tcpmss.clampToPmtu());
    assertTrue(Tcpmss.clampToPmtu().clamps());
    assertEquals(" -p tcp -j TCPMSS --set-mss 1400",
        RestoreWriter.renderRule(Rule.builder().protocol(Protocol.TCP).target(Tcpmss.set(1400)).build()));
    assertEquals(List.of("error [tcpmss-mss] table mangle, chain FORWARD, rule 1: TCPMSS --set-mss 65500 is outside 0"
        + " to 65495"), ModuleForms.findings(IpFamily.V6, TableName.MANGLE, "FORWARD",
            Rule.builder().protocol(Protocol.TCP).target(Tcpmss.set(65_500)).build()));
    assertEquals(List.of(), ModuleForms.findings(IpFamily.V4, TableName.MANGLE, "FORWARD",
        Rule.builder().protocol(Protocol.TCP).target(Tcpmss.set(65_500)).build()));
  }
}
