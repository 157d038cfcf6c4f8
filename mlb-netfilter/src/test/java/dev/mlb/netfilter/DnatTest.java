package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code -j DNAT}: its canonical forms and refusals, as iptables-nft 1.8.9 has them. */
class DnatTest {

  /**
   * Each row: the family and chain of the nat table; the rule after {@code -A CHAIN}; what
   * {@code iptables-save} (or {@code ip6tables-save}) printed after the restore tool loaded it (or
   * "refused:" and what it said); what mlb reads it as ("same" when it is the saved text, else the
   * start of mlb's refusal, at reading or, for "error [", at validation).
   *
   * <p>Made with iptables v1.8.9 (nf_tables) on Linux 6.18, in a network namespace made for it
   * ({@code ip netns add NS; ip netns exec NS iptables-restore < rules; ip netns exec NS
   * iptables-save}, then {@code ip netns del NS}), and read against {@code parse_to},
   * {@code parse_ports} and {@code sprint_range} of iptables' {@code extensions/libxt_NAT.c}. Service
   * names ({@code :http}) are in nat.cases (they depend on /etc/services). ModulesKernelTest (mlb-testkit)
   * checks these forms against the running kernel.
   */
  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
    "4 | PREROUTING | -j DNAT --to-destination 192.0.2.1 | -j DNAT --to-destination 192.0.2.1 | same",
    "4 | PREROUTING | -j DNAT --to-destination 192.0.2.1-192.0.2.9 | -j DNAT --to-destination 192.0.2.1-192.0.2.9 | same",
    "4 | PREROUTING | -p tcp -j DNAT --to-destination 192.0.2.1:80 | -p tcp -j DNAT --to-destination 192.0.2.1:80 | same",
    "4 | PREROUTING | -p tcp -j DNAT --to-destination 192.0.2.1:80-90 | -p tcp -j DNAT --to-destination 192.0.2.1:80-90"
        + " | same",
    "4 | PREROUTING | -p tcp -j DNAT --to-destination 192.0.2.1-192.0.2.9:80-90 "
        + "| -p tcp -j DNAT --to-destination 192.0.2.1-192.0.2.9:80-90 | same",
    "4 | PREROUTING | -p tcp -j DNAT --to-destination :80 | -p tcp -j DNAT --to-destination :80 | same",
    "4 | PREROUTING | -p tcp -j DNAT --to-destination :80-90 | -p tcp -j DNAT --to-destination :80-90 | same",
    "4 | PREROUTING | -p udp -j DNAT --to-destination 192.0.2.1:0 | -p udp -j DNAT --to-destination 192.0.2.1:0 | same",
    "4 | PREROUTING | -p sctp -j DNAT --to-destination 192.0.2.1:53 | -p sctp -j DNAT --to-destination 192.0.2.1:53"
        + " | same",
    "4 | PREROUTING | -p dccp -j DNAT --to-destination 192.0.2.1:53 | -p dccp -j DNAT --to-destination 192.0.2.1:53"
        + " | same",
    "4 | PREROUTING | -p icmp -j DNAT --to-destination 192.0.2.1:53 | -p icmp -j DNAT --to-destination 192.0.2.1:53"
        + " | same",
    "4 | PREROUTING | -p tcp -j DNAT --to-destination 192.0.2.1:80-90/100 "
        + "| -p tcp -j DNAT --to-destination 192.0.2.1:80-90/100 | same",
    "4 | PREROUTING | -p tcp -j DNAT --to-destination 192.0.2.1:0x50 | -p tcp -j DNAT --to-destination 192.0.2.1:80"
        + " | same",
    "4 | PREROUTING | ! -p tcp -j DNAT --to-destination 192.0.2.1:80 | ! -p tcp -j DNAT --to-destination 192.0.2.1:80"
        + " | same",
    "4 | PREROUTING | -j DNAT --to-destination 192.0.2.9-192.0.2.1 | -j DNAT --to-destination 192.0.2.9-192.0.2.1 | same",
    "4 | PREROUTING | -j DNAT --to-destination 192.0.2.1 --random | -j DNAT --to-destination 192.0.2.1 --random | same",
    "4 | PREROUTING | -j DNAT --to-destination 192.0.2.1 --persistent | -j DNAT --to-destination 192.0.2.1 --persistent"
        + " | same",
    "4 | PREROUTING | -j DNAT --persistent --random --to-destination 192.0.2.1 "
        + "| -j DNAT --to-destination 192.0.2.1 --random --persistent | same",
    "4 | OUTPUT | -j DNAT --to-destination 192.0.2.1 | -j DNAT --to-destination 192.0.2.1 | same",
    "4 | PREROUTING | -p tcp -j DNAT --to-destination 192.0.2.1:90-80 | `refused: Port range `80' funky` "
        + "| `port range 90-80 in --to-destination is empty`",
    "4 | PREROUTING | -p tcp -j DNAT --to-destination 192.0.2.1:80:90 | `refused: Bad IP address \"192.0.2.1:80:90\"` "
        + "| `bad IP address \"192.0.2.1:80:90\"`",
    "4 | PREROUTING | -p tcp -j DNAT --to-destination 192.0.2.1:65536 | `refused: Port `65536' not valid` "
        + "| `bad port \"65536\"`",
    "4 | PREROUTING | -j DNAT --to-destination 192.0.2.1:80 "
        + "| `refused: Need TCP, UDP, SCTP or DCCP with port specification` "
        + "| `--to-destination 192.0.2.1:80: ports need -p tcp, udp, sctp, dccp or icmp`",
    "4 | PREROUTING | -j DNAT --to-destination 192.0.2.1 --random-fully | `refused: unknown option \"--random-fully\"` "
        + "| `unknown option \"--random-fully\" for -j DNAT`",
    "4 | PREROUTING | -j DNAT | `refused: DNAT: option \"--to-destination\" must be specified` "
        + "| `-j DNAT needs --to-destination`",
    "4 | PREROUTING | -j DNAT --random | `refused: DNAT: option \"--to-destination\" must be specified` "
        + "| `-j DNAT needs --to-destination`",
    "4 | PREROUTING | -j DNAT --to-destination 192.0.2.1 --to-destination 192.0.2.2 "
        + "| `refused: DNAT: option \"--to-destination\" can only be used once.` "
        + "| `-j DNAT: option \"--to-destination\" can only be given once`",
    "4 | PREROUTING | -j DNAT --to-destination 2001:db8::1 | `refused: Bad IP address \"2001:db8::1\"` "
        + "| `bad IP address \"2001:db8::1\"`",
    "4 | PREROUTING | -j DNAT --to-destination [192.0.2.1] | `refused: Invalid address format` "
        + "| `--to-destination [192.0.2.1]: invalid address format`",
    "4 | PREROUTING | -j DNAT --to-destination 192.0.2 | `refused: Bad IP address \"192.0.2\"` "
        + "| `bad IP address \"192.0.2\"`",
    "4 | PREROUTING | -j DNAT --to-destination 192.0.2.1/24 | `refused: Bad IP address \"192.0.2.1/24\"` "
        + "| `bad IP address \"192.0.2.1/24\"`",
    "4 | PREROUTING | `-j DNAT --to-destination \"\"` | `refused: Bad IP address \"\"` | `bad IP address \"\"`",
    "4 | PREROUTING | -j DNAT --to-destination 192.0.2.1- | `refused: Bad IP address \"\"` | `bad IP address \"\"`",
    "4 | POSTROUTING | -j DNAT --to-destination 192.0.2.1 | `refused: iptables-restore v1.8.9 (nf_tables):` "
        + "| `error [target-hook] table nat, chain POSTROUTING, rule 1: DNAT is only valid in [PREROUTING, OUTPUT]`",
    "4 | INPUT | -j DNAT --to-destination 192.0.2.1 | `refused: iptables-restore v1.8.9 (nf_tables):` "
        + "| `error [target-hook]`",
    "6 | PREROUTING | -j DNAT --to-destination 2001:db8::1 | -j DNAT --to-destination 2001:db8::1 | same",
    "6 | PREROUTING | -j DNAT --to-destination 2001:db8::1-2001:db8::9 | -j DNAT --to-destination 2001:db8::1-2001:db8::9"
        + " | same",
    "6 | PREROUTING | -j DNAT --to-destination [2001:db8::1] | -j DNAT --to-destination 2001:db8::1 | same",
    "6 | PREROUTING | -p tcp -j DNAT --to-destination [2001:db8::1]:80 | -p tcp -j DNAT --to-destination [2001:db8::1]:80"
        + " | same",
    "6 | PREROUTING | -p tcp -j DNAT --to-destination [2001:db8::1-2001:db8::9]:80-90 "
        + "| -p tcp -j DNAT --to-destination [2001:db8::1-2001:db8::9]:80-90 | same",
    "6 | PREROUTING | -p tcp -j DNAT --to-destination [2001:db8::1]:80-90/85 "
        + "| -p tcp -j DNAT --to-destination [2001:db8::1]:80-90/85 | same",
    "6 | PREROUTING | -p tcp -j DNAT --to-destination :80 | -p tcp -j DNAT --to-destination :80 | same",
    "6 | PREROUTING | -p tcp -j DNAT --to-destination []:80 | -p tcp -j DNAT --to-destination :80 | same",
    "6 | PREROUTING | -p udp -j DNAT --to-destination [2001:DB8:0::1]:53 | -p udp -j DNAT --to-destination"
        + " [2001:db8::1]:53 | same",
    "6 | PREROUTING | -p icmp -j DNAT --to-destination [2001:db8::1]:53 | -p icmp -j DNAT --to-destination"
        + " [2001:db8::1]:53 | same",
    "6 | PREROUTING | -j DNAT --to-destination 2001:db8::1 --random --persistent "
        + "| -j DNAT --to-destination 2001:db8::1 --random --persistent | same",
    "6 | PREROUTING | -j DNAT --to-destination ::ffff:192.0.2.1 | -j DNAT --to-destination ::ffff:192.0.2.1 | same",
    "6 | PREROUTING | -j DNAT --to-destination 2001:db8::1:80 | -j DNAT --to-destination 2001:db8::1:80 | same",
    "6 | PREROUTING | -p icmpv6 -j DNAT --to-destination [2001:db8::1]:53 "
        + "| `refused: Need TCP, UDP, SCTP or DCCP with port specification` | `--to-destination [2001:db8::1]:53: ports"
        + " need`",
    "6 | PREROUTING | -j DNAT --to-destination 192.0.2.1 | `refused: Bad IP address \"192.0.2.1\"` "
        + "| `bad IP address \"192.0.2.1\"`",
    "6 | PREROUTING | -j DNAT --to-destination [2001:db8::1 | `refused: Invalid address format` "
        + "| `--to-destination [2001:db8::1: invalid address format`",
    "6 | POSTROUTING | -j DNAT --to-destination 2001:db8::1 | `refused: ip6tables-restore v1.8.9 (nf_tables):` "
        + "| `error [target-hook]`",
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
    IpAddress a = IpAddress.parse("192.0.2.10");
    assertEquals(new Dnat(Optional.of(a), Optional.of(a), Optional.of(PortRange.of(8080)), 0, true, false),
        Dnat.to(a, PortRange.of(8080)).withRandom(true));
    assertEquals(" -p tcp -j DNAT --to-destination [2001:db8::a-2001:db8::b]:80-90/85 --random --persistent",
        RestoreWriter.renderRule(Rule.builder().protocol(Protocol.TCP).target(
            new Dnat(Optional.of(IpAddress.parse("2001:db8::a")), Optional.of(IpAddress.parse("2001:db8::b")),
                Optional.of(PortRange.of(80, 90)), 85, true, true)).build()));
    assertEquals(" -p udp -j DNAT --to-destination :53",
        RestoreWriter.renderRule(Rule.builder().protocol(Protocol.UDP).target(Dnat.toPorts(PortRange.of(53))).build()));
    assertThrows(IllegalArgumentException.class,
        () -> new Dnat(Optional.empty(), Optional.empty(), Optional.empty(), 0, false, false));
    assertThrows(IllegalArgumentException.class,
        () -> new Dnat(Optional.of(a), Optional.empty(), Optional.empty(), 0, false, false));
    assertEquals(List.of("error [nat-ports-protocol] table nat, chain PREROUTING, rule 1: DNAT with ports needs -p tcp,"
        + " udp, sctp, dccp or icmp"), ModuleForms.findings(IpFamily.V4, TableName.NAT, "PREROUTING",
            Rule.builder().target(Dnat.to(a, PortRange.of(80))).build()));
    assertEquals(List.of("error [nat-port-base] table nat, chain PREROUTING, rule 1: DNAT port base /85 needs a port"
        + " range (P-Q/BASE)"), ModuleForms.findings(IpFamily.V4, TableName.NAT, "PREROUTING",
            Rule.builder().protocol(Protocol.TCP).target(Dnat.to(a, PortRange.of(80)).withPortBase(85)).build()));
    assertEquals(List.of("error [address-family] table nat, chain OUTPUT, rule 1: DNAT --to-destination 192.0.2.10 is"
        + " not an IPv6 address"), ModuleForms.findings(IpFamily.V6, TableName.NAT, "OUTPUT",
            Rule.builder().target(Dnat.to(a)).build()));
    assertEquals(List.of("error [target-table] table filter, chain INPUT, rule 1: DNAT is only valid in the nat table,"
        + " not in filter"), ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT",
            Rule.builder().target(Dnat.to(a)).build()));
  }
}
