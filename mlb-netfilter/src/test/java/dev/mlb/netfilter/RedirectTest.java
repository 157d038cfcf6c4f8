package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code -j REDIRECT}: its canonical forms and refusals, as iptables-nft 1.8.9 has them. */
class RedirectTest {

  /**
   * Each row as in DnatTest: family, nat chain, rule, what the save tool printed (or "refused:"),
   * what mlb reads it as. Made the same way (iptables v1.8.9 (nf_tables), Linux 6.18, a network
   * namespace made for it) and read against {@code parse_ports} of iptables'
   * {@code extensions/libxt_NAT.c}. Service names ({@code --to-ports ftp-data}) are in nat.cases.
   */
  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
    "4 | PREROUTING | -j REDIRECT | -j REDIRECT | same",
    "4 | PREROUTING | -p tcp -j REDIRECT --to-ports 8080 | -p tcp -j REDIRECT --to-ports 8080 | same",
    "4 | PREROUTING | -p tcp -j REDIRECT --to-ports 8080-8090 | -p tcp -j REDIRECT --to-ports 8080-8090 | same",
    "4 | PREROUTING | -p udp -j REDIRECT --to-ports 0 | -p udp -j REDIRECT --to-ports 0 | same",
    "4 | PREROUTING | -p tcp -j REDIRECT --to-ports 8080 --random | -p tcp -j REDIRECT --to-ports 8080 --random | same",
    "4 | PREROUTING | -p tcp -j REDIRECT --random --to-ports 8080 | -p tcp -j REDIRECT --to-ports 8080 --random | same",
    "4 | PREROUTING | -j REDIRECT --random | -j REDIRECT --random | same",
    "4 | PREROUTING | -p icmp -j REDIRECT --to-ports 8080 | -p icmp -j REDIRECT --to-ports 8080 | same",
    "4 | PREROUTING | ! -p tcp -j REDIRECT --to-ports 8080 | ! -p tcp -j REDIRECT --to-ports 8080 | same",
    "4 | PREROUTING | -p tcp -j REDIRECT --to-ports 0x50 | -p tcp -j REDIRECT --to-ports 80 | same",
    "4 | OUTPUT | -j REDIRECT | -j REDIRECT | same",
    "6 | OUTPUT | -p tcp -j REDIRECT --to-ports 8080 | -p tcp -j REDIRECT --to-ports 8080 | same",
    "6 | PREROUTING | -j REDIRECT | -j REDIRECT | same",
    "4 | PREROUTING | -j REDIRECT --random-fully | `refused: unknown option \"--random-fully\"` "
        + "| `unknown option \"--random-fully\" for -j REDIRECT`",
    "4 | PREROUTING | -j REDIRECT --to-ports 8080 | `refused: Need TCP, UDP, SCTP or DCCP with port specification` "
        + "| `--to-ports 8080: ports need -p tcp, udp, sctp, dccp or icmp`",
    "4 | PREROUTING | -p tcp -j REDIRECT --to-ports 8090-8080 | `refused: Port range `8080' funky` "
        + "| `port range 8090-8080 in --to-ports is empty`",
    "4 | PREROUTING | -p tcp -j REDIRECT --to-ports 8080:8090 | `refused: Invalid port:port syntax - use dash` "
        + "| `--to-ports 8080:8090: invalid port:port syntax`",
    "4 | PREROUTING | -p tcp -j REDIRECT --to-ports 8080-8090/8085 "
        + "| `refused: Shifted portmap ranges not supported with this kernel` "
        + "| `--to-ports 8080-8090/8085: shifted port maps are not supported`",
    "4 | PREROUTING | -p tcp -j REDIRECT --to-ports :80 | `refused: Port `:80' not valid` "
        + "| `--to-ports :80: invalid port:port syntax`",
    "4 | PREROUTING | -p tcp -j REDIRECT --to-ports 65536 | `refused: Port `65536' not valid` | `bad port \"65536\"`",
    "4 | PREROUTING | -p tcp -j REDIRECT --to-ports 80 --to-ports 81 "
        + "| `refused: REDIRECT: option \"--to-ports\" can only be used once.` "
        + "| `-j REDIRECT: option \"--to-ports\" can only be given once`",
    "4 | POSTROUTING | -j REDIRECT | `refused: iptables-restore v1.8.9 (nf_tables):` "
        + "| `error [target-hook] table nat, chain POSTROUTING, rule 1: REDIRECT is only valid in [PREROUTING, OUTPUT]`",
  })
  void canonicalFormsAndRefusals(int family, String chain, String rule, String iptablesSave, String mlb) {
    IpFamily f = family == 4 ? IpFamily.V4 : IpFamily.V6;
    if (mlb.startsWith("error [")) {
      Rule read = ModuleForms.read(f, "nat", chain, rule);
      List<String> found = ModuleForms.findings(f, TableName.NAT, chain, read);
      assertTrue(found.stream().anyMatch(e -> e.startsWith(mlb)), () -> found + " has no " + mlb);
      return;
    }
    ModuleForms.check(f, "nat", chain, rule, iptablesSave, mlb);
  }

  @Test
  void factoriesAndFindings() {
    assertEquals(new Redirect(Optional.of(PortRange.of(3128)), true), Redirect.toPorts(PortRange.of(3128))
        .withRandom(true));
    assertEquals(" -p tcp -j REDIRECT --to-ports 80-90 --random", RestoreWriter.renderRule(Rule.builder()
        .protocol(Protocol.TCP).target(Redirect.toPorts(PortRange.of(80, 90)).withRandom(true)).build()));
    assertThrows(IllegalArgumentException.class, () -> new Redirect(null, false));
    assertEquals(List.of("error [nat-ports-protocol] table nat, chain OUTPUT, rule 1: REDIRECT --to-ports needs -p tcp,"
        + " udp, sctp, dccp or icmp"), ModuleForms.findings(IpFamily.V4, TableName.NAT, "OUTPUT",
            Rule.builder().target(Redirect.toPorts(PortRange.of(80))).build()));
    assertEquals(List.of(), ModuleForms.findings(IpFamily.V6, TableName.NAT, "OUTPUT",
        Rule.builder().target(Redirect.plain()).build()));
  }
}
