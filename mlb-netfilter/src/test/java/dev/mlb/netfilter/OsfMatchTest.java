package dev.mlb.netfilter;

import static dev.mlb.netfilter.TargetTestSupport.refusal;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code -m osf} built in code; the read forms are in osf.cases. */
class OsfMatchTest {
  private static Rule rule(Protocol p, Match m) {
    return Rule.builder().protocol(p).addMatches(m).target(Verdict.DROP).build();
  }

  @Test
  void factoriesFindingsAndMessages() {
    assertEquals(" -p tcp -m osf ! --genre Windows --ttl 2 --log 1 -j DROP",
        RestoreWriter.renderRule(rule(Protocol.TCP, OsfMatch.genre("Windows").withTtl(2).withLog(1).inverted())));
    assertEquals(List.of(), ModuleForms.findings(IpFamily.V4, TableName.MANGLE, "PREROUTING",
        rule(Protocol.TCP, OsfMatch.genre("Linux"))));
    assertEquals(List.of("error [osf-protocol] table filter, chain INPUT, rule 1: -m osf needs -p tcp (not negated) in"
        + " the rule; the kernel refuses it otherwise"), ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT",
            rule(Protocol.UDP, OsfMatch.genre("Linux"))));
    assertEquals(List.of("error [match-hook] table filter, chain OUTPUT, rule 1: -m osf in chain OUTPUT, which is reached"
        + " from [OUTPUT]; the kernel takes it only in [PREROUTING, INPUT, FORWARD]"),
        ModuleForms.findings(IpFamily.V4, TableName.FILTER, "OUTPUT", rule(Protocol.TCP, OsfMatch.genre("Linux"))));
    assertEquals(List.of("error [name-character] table filter, chain INPUT, rule 1: -m osf --genre (printed bare by"
        + " iptables-save) \"a b\" contains a space at position 2; expected printable ASCII without blanks or quotes"),
        ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT", rule(Protocol.TCP, OsfMatch.genre("a b"))));
    assertEquals("bad value \"3\" for --ttl; expected 0, 1 or 2",
        refusal(IpFamily.V4, "filter", "INPUT", "-p tcp -m osf --genre linux --ttl 3"));
    assertEquals("-m osf exists in IPv4 only; ip6tables has no such match",
        refusal(IpFamily.V6, "filter", "INPUT", "-p tcp -m osf --genre linux"));
  }
}
