package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code -j REJECT}: its canonical forms and refusals, as iptables-nft 1.8.9 has them. */
class RejectTest {

  /**
   * Each row: the family, table and chain; the rule after {@code -A CHAIN}; what
   * {@code iptables-save} (or {@code ip6tables-save}) printed after the restore tool loaded it (or
   * "refused:" and what it said); what mlb reads it as ("same" when it is the saved text, else the
   * start of mlb's refusal, at reading or validation).
   *
   * <p>Made with iptables v1.8.9 (nf_tables) on Linux 6.18, in a network namespace made for it
   * ({@code ip netns add NS; ip netns exec NS iptables-restore < rules; ip netns exec NS
   * iptables-save}, then {@code ip netns del NS}), and read against the type tables and
   * {@code REJECT_parse} of iptables' {@code extensions/libipt_REJECT.c} and
   * {@code libip6t_REJECT.c} (a prefix of a name or alias, any case, first in the kernel's order).
   * The kernel's refusals (tcp-reset without {@code -p tcp}; another table or hook) print only
   * "iptables-restore v1.8.9 (nf_tables):" and the failing line. ModulesKernelTest (mlb-testkit)
   * checks these forms against the running kernel.
   */
  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
    "4 | filter INPUT | -j REJECT | -j REJECT --reject-with icmp-port-unreachable | same",
    "4 | filter INPUT | -j REJECT --reject-with icmp-port-unreachable | -j REJECT --reject-with icmp-port-unreachable | same",
    "4 | filter INPUT | -j REJECT --reject-with icmp-net-unreachable | -j REJECT --reject-with icmp-net-unreachable | same",
    "4 | filter INPUT | -j REJECT --reject-with icmp-host-unreachable | -j REJECT --reject-with icmp-host-unreachable | same",
    "4 | filter INPUT | -j REJECT --reject-with icmp-proto-unreachable | -j REJECT --reject-with icmp-proto-unreachable | same",
    "4 | filter INPUT | -j REJECT --reject-with icmp-net-prohibited | -j REJECT --reject-with icmp-net-prohibited | same",
    "4 | filter INPUT | -j REJECT --reject-with icmp-host-prohibited | -j REJECT --reject-with icmp-host-prohibited | same",
    "4 | filter INPUT | -j REJECT --reject-with icmp-admin-prohibited | -j REJECT --reject-with icmp-admin-prohibited | same",
    "4 | filter INPUT | -j REJECT --reject-with net-unreach | -j REJECT --reject-with icmp-net-unreachable | same",
    "4 | filter INPUT | -j REJECT --reject-with host-unreach | -j REJECT --reject-with icmp-host-unreachable | same",
    "4 | filter INPUT | -j REJECT --reject-with proto-unreach | -j REJECT --reject-with icmp-proto-unreachable | same",
    "4 | filter INPUT | -j REJECT --reject-with port-unreach | -j REJECT --reject-with icmp-port-unreachable | same",
    "4 | filter INPUT | -j REJECT --reject-with net-prohib | -j REJECT --reject-with icmp-net-prohibited | same",
    "4 | filter INPUT | -j REJECT --reject-with host-prohib | -j REJECT --reject-with icmp-host-prohibited | same",
    "4 | filter INPUT | -j REJECT --reject-with admin-prohib | -j REJECT --reject-with icmp-admin-prohibited | same",
    "4 | filter INPUT | -j REJECT --reject-with ICMP-HOST-PROHIBITED | -j REJECT --reject-with icmp-host-prohibited | same",
    "4 | filter INPUT | -j REJECT --reject-with icmp | -j REJECT --reject-with icmp-net-unreachable | same",
    "4 | filter INPUT | -j REJECT --reject-with icmp-h | -j REJECT --reject-with icmp-host-unreachable | same",
    "4 | filter INPUT | `-j REJECT --reject-with \"\"` | -j REJECT --reject-with icmp-net-unreachable | same",
    "4 | filter INPUT | -j REJECT --reject-with port | -j REJECT --reject-with icmp-port-unreachable | same",
    "4 | filter INPUT | -p tcp -j REJECT --reject-with tcp-reset | -p tcp -j REJECT --reject-with tcp-reset | same",
    "4 | filter INPUT | -p tcp -j REJECT --reject-with tcp-rst | -p tcp -j REJECT --reject-with tcp-reset | same",
    "4 | filter INPUT | -p 6 -j REJECT --reject-with t | -p tcp -j REJECT --reject-with tcp-reset | same",
    "4 | filter FORWARD | -j REJECT | -j REJECT --reject-with icmp-port-unreachable | same",
    "4 | filter OUTPUT | -j REJECT | -j REJECT --reject-with icmp-port-unreachable | same",
    "4 | filter X | -j REJECT | -j REJECT --reject-with icmp-port-unreachable | same",
    "4 | filter INPUT | -j REJECT --reject-with tcp-reset | `refused: iptables-restore v1.8.9 (nf_tables):` "
        + "| `error [reject-tcp-reset] table filter, chain INPUT, rule 1: REJECT --reject-with tcp-reset needs -p tcp`",
    "4 | filter INPUT | ! -p tcp -j REJECT --reject-with tcp-reset | `refused: iptables-restore v1.8.9 (nf_tables):` "
        + "| `error [reject-tcp-reset]`",
    "4 | filter INPUT | -p udp -j REJECT --reject-with tcp-reset | `refused: iptables-restore v1.8.9 (nf_tables):` "
        + "| `error [reject-tcp-reset]`",
    "4 | filter INPUT | -j REJECT --reject-with icmp-port-unreachablex "
        + "| `refused: unknown reject type \"icmp-port-unreachablex\"` "
        + "| `unknown reject type \"icmp-port-unreachablex\"; expected one of icmp-net-unreachable,`",
    "4 | filter INPUT | -j REJECT --reject-with echo-reply | `refused: --reject-with echo-reply no longer supported` "
        + "| `unknown reject type \"echo-reply\"`",
    "4 | filter INPUT | -j REJECT --reject-with icmp6-port-unreachable "
        + "| `refused: unknown reject type \"icmp6-port-unreachable\"` | `unknown reject type \"icmp6-port-unreachable\"`",
    "4 | filter INPUT | -j REJECT --reject-with icmp-port-unreachable --reject-with icmp-port-unreachable "
        + "| `refused: REJECT: option \"--reject-with\" can only be used once.` "
        + "| `-j REJECT: option \"--reject-with\" can only be given once`",
    "4 | filter INPUT | -j REJECT --reject-with | `refused: option \"--reject-with\" requires an argument` "
        + "| `option \"--reject-with\" requires an argument`",
    "4 | mangle INPUT | -j REJECT | `refused: iptables-restore v1.8.9 (nf_tables):` "
        + "| `error [target-table] table mangle, chain INPUT, rule 1: REJECT is only valid in the filter table, not in"
        + " mangle`",
    "4 | security INPUT | -j REJECT | `refused: iptables-restore v1.8.9 (nf_tables):` | `error [target-table]`",
    "4 | raw OUTPUT | -j REJECT | `refused: iptables-restore v1.8.9 (nf_tables):` | `error [target-table]`",
    "6 | filter INPUT | -j REJECT | -j REJECT --reject-with icmp6-port-unreachable | same",
    "6 | filter INPUT | -j REJECT --reject-with icmp6-no-route | -j REJECT --reject-with icmp6-no-route | same",
    "6 | filter INPUT | -j REJECT --reject-with icmp6-adm-prohibited | -j REJECT --reject-with icmp6-adm-prohibited | same",
    "6 | filter INPUT | -j REJECT --reject-with icmp6-addr-unreachable | -j REJECT --reject-with icmp6-addr-unreachable"
        + " | same",
    "6 | filter INPUT | -j REJECT --reject-with icmp6-port-unreachable | -j REJECT --reject-with icmp6-port-unreachable"
        + " | same",
    "6 | filter INPUT | -j REJECT --reject-with icmp6-policy-fail | -j REJECT --reject-with icmp6-policy-fail | same",
    "6 | filter INPUT | -j REJECT --reject-with icmp6-reject-route | -j REJECT --reject-with icmp6-reject-route | same",
    "6 | filter INPUT | -j REJECT --reject-with no-route | -j REJECT --reject-with icmp6-no-route | same",
    "6 | filter INPUT | -j REJECT --reject-with adm-prohibited | -j REJECT --reject-with icmp6-adm-prohibited | same",
    "6 | filter INPUT | -j REJECT --reject-with addr-unreach | -j REJECT --reject-with icmp6-addr-unreachable | same",
    "6 | filter INPUT | -j REJECT --reject-with port-unreach | -j REJECT --reject-with icmp6-port-unreachable | same",
    "6 | filter INPUT | -j REJECT --reject-with policy-fail | -j REJECT --reject-with icmp6-policy-fail | same",
    "6 | filter INPUT | -j REJECT --reject-with reject-route | -j REJECT --reject-with icmp6-reject-route | same",
    "6 | filter INPUT | -j REJECT --reject-with icmp6 | -j REJECT --reject-with icmp6-no-route | same",
    "6 | filter INPUT | `-j REJECT --reject-with \"\"` | -j REJECT --reject-with icmp6-no-route | same",
    "6 | filter INPUT | -j REJECT --reject-with a | -j REJECT --reject-with icmp6-adm-prohibited | same",
    "6 | filter INPUT | -j REJECT --reject-with p | -j REJECT --reject-with icmp6-port-unreachable | same",
    "6 | filter INPUT | -p tcp -j REJECT --reject-with tcp-reset | -p tcp -j REJECT --reject-with tcp-reset | same",
    "6 | filter INPUT | -p tcp -j REJECT --reject-with t | -p tcp -j REJECT --reject-with tcp-reset | same",
    "6 | filter INPUT | -j REJECT --reject-with tcp-reset | `refused: ip6tables-restore v1.8.9 (nf_tables):` "
        + "| `error [reject-tcp-reset]`",
    "6 | filter INPUT | -j REJECT --reject-with icmp6-not-neighbor "
        + "| `refused: unknown reject type \"icmp6-not-neighbor\"` | `unknown reject type \"icmp6-not-neighbor\"`",
    "6 | filter INPUT | -j REJECT --reject-with icmp-port-unreachable "
        + "| `refused: unknown reject type \"icmp-port-unreachable\"` | `unknown reject type \"icmp-port-unreachable\"`",
  })
  void canonicalFormsAndRefusals(int family, String where, String rule, String iptablesSave, String mlb) {
    IpFamily f = family == 4 ? IpFamily.V4 : IpFamily.V6;
    String[] tc = where.split(" ");
    if (mlb.startsWith("error [")) {
      // Read, and refused by validation (as the kernel refuses it on loading).
      Rule read = ModuleForms.read(f, tc[0], tc[1], rule);
      List<String> found = ModuleForms.findings(f, TableName.fromId(tc[0]).orElseThrow(), tc[1], read);
      assertEquals(true, found.stream().anyMatch(e -> e.startsWith(mlb)), () -> found + " has no " + mlb);
      return;
    }
    ModuleForms.check(f, tc[0], tc[1], rule, iptablesSave, mlb);
  }

  @Test
  void factoriesAndFindings() {
    assertEquals(new Reject(Reject.With.ICMP_PORT_UNREACHABLE), Reject.of(IpFamily.V4));
    assertEquals(new Reject(Reject.With.ICMP6_PORT_UNREACHABLE), Reject.of(IpFamily.V6));
    assertEquals(true, Reject.With.TCP_RESET.isOf(IpFamily.V6));
    assertEquals(false, Reject.With.ICMP_NET_PROHIBITED.isOf(IpFamily.V6));
    assertThrows(IllegalArgumentException.class, () -> new Reject(null));
    assertEquals(List.of("error [reject-family] table filter, chain INPUT, rule 1: REJECT --reject-with"
        + " icmp-host-prohibited is an IPv4 answer; the IPv6 REJECT does not have it"),
        ModuleForms.findings(IpFamily.V6, TableName.FILTER, "INPUT",
            Rule.builder().target(new Reject(Reject.With.ICMP_HOST_PROHIBITED)).build()));
    assertEquals(List.of(), ModuleForms.findings(IpFamily.V6, TableName.FILTER, "INPUT",
        Rule.builder().protocol(Protocol.TCP).target(new Reject(Reject.With.TCP_RESET)).build()));
  }
}
