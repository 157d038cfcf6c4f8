package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import org.junit.jupiter.api.Test;

/** The README's code example, verbatim, and what it prints. */
class ReadmeExampleTest {

  @Test
  void readmeExampleRendersWhatIptablesSavePrints() {
    Rule balance = Rule.builder()
        .in(InterfaceName.of("eth0"))
        .protocol(Protocol.TCP)
        .addMatches(PortMatch.tcpDestination(PortRange.of(443)), StateMatch.of(ConnState.NEW))
        .target(new Jump("balance1"))
        .build();
    Chain prerouting = Chain.builder().name("PREROUTING").addRules(balance).build();
    Table mangle = Table.builder().name(TableName.MANGLE).addChains(prerouting, Chain.user("balance1")).build();
    Ruleset rules = Ruleset.builder().family(IpFamily.V4).addTables(mangle).build();

    // Expected: iptables-save 1.8.9 (nf_tables) after loading the same rule by hand into a namespace:
    // printf '*mangle\n:balance1 - [0:0]\n-A PREROUTING -i eth0 -p tcp --dport 443 -m state --state NEW
    // -j balance1\nCOMMIT\n' | ip netns exec NS iptables-restore; ip netns exec NS iptables-save
    assertEquals(
        "*mangle\n"
            + ":PREROUTING ACCEPT [0:0]\n"
            + ":INPUT ACCEPT [0:0]\n"
            + ":FORWARD ACCEPT [0:0]\n"
            + ":OUTPUT ACCEPT [0:0]\n"
            + ":POSTROUTING ACCEPT [0:0]\n"
            + ":balance1 - [0:0]\n"
            + "-A PREROUTING -i eth0 -p tcp -m tcp --dport 443 -m state --state NEW -j balance1\n"
            + "COMMIT\n",
        RestoreWriter.render(rules));
  }
}
