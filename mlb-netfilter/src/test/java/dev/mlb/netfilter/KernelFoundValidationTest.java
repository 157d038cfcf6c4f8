package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Mark;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The validation rules that the kernel tests (mlb-testkit, RestoreKernelTest and CommentKernelTest)
 * found missing: each is something the real iptables-restore 1.8.9 refuses or cannot carry.
 *
 * <pre>{@code
 * Rule.builder().target(Verdict.DROP).build()   // in *nat: error [nat-drop]
 * }</pre>
 */
class KernelFoundValidationTest {

  private static List<String> errors(TableName table, Chain... chains) {
    Ruleset r = Ruleset.builder().family(IpFamily.V4)
        .addTables(Table.builder().name(table).addChains(chains).build())
        .build();
    return r.validate().stream().filter(Finding::isError).map(Finding::toString).collect(Collectors.toList());
  }

  private static Chain chain(String name, Rule... rules) {
    return Chain.builder().name(name).addRules(rules).build();
  }

  private static Rule matching(Match... matches) {
    return Rule.builder().addMatches(matches).target(Verdict.ACCEPT).build();
  }

  @Test
  void dropInTheNatTable() {
    Rule drop = Rule.builder().target(Verdict.DROP).build();
    assertEquals(
        List.of("error [nat-drop] table nat, chain PREROUTING, rule 1: -j DROP in the nat table: iptables"
                + " refuses it (\"The nat table is not intended for filtering\"); drop the packets in the filter"
                + " table instead",
            "error [nat-drop] table nat, chain x, rule 1: -j DROP in the nat table: iptables refuses it (\"The"
                + " nat table is not intended for filtering\"); drop the packets in the filter table instead"),
        errors(TableName.NAT, chain("PREROUTING", drop, Rule.builder().target(new Jump("x")).build()),
            chain("x", drop)));
    assertEquals(List.of(), errors(TableName.FILTER, chain("INPUT", drop)));
    // A DROP policy in nat is another matter: iptables-restore takes it.
    assertEquals(List.of(), errors(TableName.NAT,
        Chain.builder().name("PREROUTING").policy(Policy.DROP).build()));
  }

  @Test
  void interfaceDirectionGoesByTheChainNameEvenForUserChains() {
    Rule out = Rule.builder().out(InterfaceName.of("eth0")).build();
    Rule in = Rule.builder().in(InterfaceName.of("eth0")).build();
    // raw has no INPUT or POSTROUTING of its own, so these are user chains; iptables refuses them anyway.
    assertEquals(
        List.of("error [interface-direction] table raw, chain INPUT, rule 1: -o eth0 in chain INPUT: packets"
                + " at INPUT have no output interface; iptables refuses -o there",
            "error [interface-direction] table raw, chain POSTROUTING, rule 1: -i eth0 in chain POSTROUTING:"
                + " packets at POSTROUTING have no input interface; iptables refuses -i there"),
        errors(TableName.RAW, chain("INPUT", out), chain("POSTROUTING", in)));
    assertEquals(List.of(), errors(TableName.RAW, chain("FORWARD", in, out), chain("input", in, out)));
  }

  @Test
  void markAgainAfterMarkAndConnmark() {
    MarkMatch mark = MarkMatch.of(Mark.of(1));
    ConnmarkMatch connmark = ConnmarkMatch.of(Mark.of(2));
    assertEquals(
        List.of("error [match-option-clash] table mangle, chain PREROUTING, rule 1: -m mark after -m connmark:"
            + " iptables gives its --mark to -m connmark and refuses the rule (\"connmark: option --mark can only"
            + " be used once\"); put every -m mark before the first -m connmark"),
        errors(TableName.MANGLE, chain("PREROUTING", matching(mark, connmark, mark))));
    assertEquals(
        List.of("error [match-option-clash] table mangle, chain PREROUTING, rule 1: -m connmark after -m mark:"
            + " iptables gives its --mark to -m mark and refuses the rule (\"mark: option --mark can only"
            + " be used once\"); put every -m connmark before the first -m mark"),
        errors(TableName.MANGLE, chain("PREROUTING", matching(connmark, StateMatch.of(ConnState.NEW), mark,
            connmark))));
    // These load (checked against iptables-restore 1.8.9).
    assertEquals(List.of(), errors(TableName.MANGLE, chain("PREROUTING",
        matching(mark, mark), matching(mark, connmark, connmark), matching(connmark, mark, mark),
        matching(connmark, connmark))));
  }

  @Test
  void unpairedSurrogateInAComment() {
    assertEquals(
        List.of("error [text-unpaired-surrogate] table filter, chain INPUT, rule 1: comment \"a\uD800b\""
            + " contains an unpaired surrogate U+D800 at position 2; it has no UTF-8 form and would be written"
            + " as '?'"),
        errors(TableName.FILTER, chain("INPUT", matching(new CommentMatch("a\uD800b")))));
    assertEquals(1, errors(TableName.FILTER, chain("INPUT", matching(new CommentMatch("\uDC00x")))).size());
    assertEquals(1, errors(TableName.FILTER, chain("INPUT", matching(new CommentMatch("x\uD83D")))).size());
    assertEquals(List.of(), errors(TableName.FILTER, chain("INPUT", matching(new CommentMatch("ok 🙂 \uD83D\uDE42")))));
  }
}
