package dev.mlb.netfilter;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Mark;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;

/** The seed recipe (shared/examples/seed-rules.v4), written with mlb's builders, rule for rule. */
final class SeedRuleset {
  private SeedRuleset() {}

  static Ruleset build() {
    StateMatch established = StateMatch.of(ConnState.ESTABLISHED, ConnState.RELATED);
    StateMatch fresh = StateMatch.of(ConnState.NEW);
    Chain.Builder balance = Chain.builder().name("balance1")
        .addRules(Rule.builder().addMatches(ConnmarkMatch.not(Mark.of(0))).target(Verdict.RETURN).build())
        .addRules(Rule.builder().addMatches(established).target(Verdict.RETURN).build())
        .addRules(Rule.builder().addMatches(StatisticMatch.nth(2, 0)).target(SetConnmark.set(1)).build())
        .addRules(Rule.builder().addMatches(StatisticMatch.nth(2, 1)).target(SetConnmark.set(2)).build());
    Chain.Builder prerouting = Chain.builder().name("PREROUTING")
        .addRules(Rule.builder().addMatches(established).target(RestoreConnmark.all()).build())
        .addRules(Rule.builder().in(InterfaceName.of("ppp0")).addMatches(fresh).target(SetConnmark.set(1)).build())
        .addRules(Rule.builder().in(InterfaceName.of("ppp1")).addMatches(fresh).target(SetConnmark.set(2)).build());
    for (int port : new int[] {22, 25, 80, 443}) {
      prerouting.addRules(Rule.builder()
          .in(InterfaceName.of("eth0"))
          .protocol(Protocol.TCP)
          .addMatches(PortMatch.tcpDestination(PortRange.of(port)), fresh)
          .target(new Jump("balance1"))
          .build());
    }
    prerouting
        .addRules(Rule.builder().addMatches(ConnmarkMatch.of(Mark.of(1))).target(SetMark.set(1)).build())
        .addRules(Rule.builder().addMatches(ConnmarkMatch.of(Mark.of(2))).target(SetMark.set(2)).build())
        .addRules(Rule.builder().addMatches(fresh, ConnmarkMatch.not(Mark.of(0))).target(SaveConnmark.all()).build());
    Chain.Builder output = Chain.builder().name("OUTPUT")
        .addRules(Rule.builder().addMatches(established).target(RestoreConnmark.all()).build())
        .addRules(Rule.builder()
            .protocol(Protocol.TCP)
            .addMatches(PortMatch.tcpDestination(PortRange.of(80)), fresh)
            .target(new Jump("balance1"))
            .build());
    Table mangle = Table.builder().name(TableName.MANGLE)
        .addChains(prerouting.build(), output.build(), balance.build())
        .build();
    Table nat = Table.builder().name(TableName.NAT)
        .addChains(Chain.builder().name("POSTROUTING")
            .addRules(Rule.builder().out(InterfaceName.of("ppp0")).target(Masquerade.plain()).build())
            .addRules(Rule.builder().out(InterfaceName.of("ppp1")).target(Masquerade.plain()).build())
            .build())
        .build();
    return Ruleset.builder().family(IpFamily.V4).addTables(nat, mangle).build();
  }
}
