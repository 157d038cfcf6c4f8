package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.base.Strings;
import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import dev.mlb.api.ValidationException;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Every check of {@link Ruleset#validate()}, with the exact text a user reads. */
class ValidationTest {

  private static Ruleset ruleset(IpFamily family, Table... tables) {
    return Ruleset.builder().family(family).addTables(tables).build();
  }

  private static Table table(TableName name, Chain... chains) {
    return Table.builder().name(name).addChains(chains).build();
  }

  private static Chain chain(String name, Rule... rules) {
    return Chain.builder().name(name).addRules(rules).build();
  }

  private static Rule jump(String chain) {
    return Rule.builder().target(new Jump(chain)).build();
  }

  private static List<String> errors(Ruleset r) {
    return r.validate().stream().filter(Finding::isError).map(Finding::toString).collect(Collectors.toList());
  }

  private static List<String> warnings(Ruleset r) {
    return r.validate().stream().filter(f -> !f.isError()).map(Finding::toString).collect(Collectors.toList());
  }

  @Test
  void chainNameOver28Characters() {
    String name = Strings.repeat("x", 29);
    Ruleset r = ruleset(IpFamily.V4, table(TableName.FILTER, chain("INPUT", jump(name)), chain(name)));
    assertEquals(
        List.of("error [chain-name-length] table filter, chain " + name + ": chain name \"" + name
            + "\" is 29 characters; iptables allows at most 28"),
        errors(r));
  }

  @Test
  void chainNameStartingWithDashOrBang() {
    Ruleset r = ruleset(IpFamily.V4,
        table(TableName.FILTER, chain("INPUT", jump("-x"), jump("!y")), chain("-x"), chain("!y")));
    assertEquals(
        List.of(
            "error [chain-name-start] table filter, chain !y: chain name \"!y\" starts with '!';"
                + " iptables does not allow a chain name to start with '-' or '!'",
            "error [chain-name-start] table filter, chain -x: chain name \"-x\" starts with '-';"
                + " iptables does not allow a chain name to start with '-' or '!'"),
        errors(r));
  }

  @Test
  void chainNamedLikeATargetOrWithBlanks() {
    Ruleset r = ruleset(IpFamily.V4,
        table(TableName.MANGLE, chain("INPUT", jump("MARK"), jump("a b")), chain("MARK"), chain("a b")));
    assertEquals(
        List.of(
            "error [chain-name-target] table mangle, chain MARK: chain name \"MARK\" is the name of a target;"
                + " iptables does not allow a chain to be called so",
            "error [chain-name-character] table mangle, chain a b: chain name \"a b\" contains a space at"
                + " position 2; expected printable ASCII without blanks, quotes or backslashes"),
        errors(r));
  }

  @Test
  void jumpsToUndefinedAndBuiltinChains() {
    Ruleset r = ruleset(IpFamily.V4,
        table(TableName.FILTER, chain("INPUT", jump("nowhere"), Rule.builder().target(new Goto("OUTPUT")).build())));
    assertEquals(
        List.of(
            "error [jump-undefined] table filter, chain INPUT, rule 1: -j nowhere: table filter has no chain \"nowhere\"",
            "error [jump-builtin] table filter, chain INPUT, rule 2: -g OUTPUT: OUTPUT is a built-in chain;"
                + " only user chains can be jumped to"),
        errors(r));
  }

  @Test
  void jumpLoops() {
    Ruleset r = ruleset(IpFamily.V4,
        table(TableName.FILTER, chain("INPUT", jump("a")), chain("a", jump("b")), chain("b", jump("c")),
            chain("c", jump("a"))));
    assertEquals(
        List.of("error [jump-loop] table filter, chain a: chains jump in a loop: a -> b -> c -> a;"
            + " the kernel refuses loops"),
        errors(r));
  }

  @Test
  void masqueradeOutsideNatPostrouting() {
    Rule masq = Rule.builder().target(Masquerade.plain()).build();
    Ruleset r = ruleset(IpFamily.V4,
        table(TableName.MANGLE, chain("POSTROUTING", masq)),
        table(TableName.NAT, chain("PREROUTING", masq, jump("sub")), chain("POSTROUTING", jump("sub")),
            chain("sub", masq)));
    assertEquals(
        List.of(
            "error [target-table] table mangle, chain POSTROUTING, rule 1: MASQUERADE is only valid in the"
                + " nat table, not in mangle",
            "error [target-hook] table nat, chain PREROUTING, rule 1: MASQUERADE is only valid in [POSTROUTING]"
                + " of the nat table, but chain PREROUTING is reached from [PREROUTING]",
            "error [target-hook] table nat, chain sub, rule 1: MASQUERADE is only valid in [POSTROUTING]"
                + " of the nat table, but chain sub is reached from [PREROUTING]"),
        errors(r));
  }

  @Test
  void statisticNumbers() {
    Ruleset r = ruleset(IpFamily.V4, table(TableName.MANGLE, chain("PREROUTING",
        Rule.builder().addMatches(StatisticMatch.nth(0, 0)).build(),
        Rule.builder().addMatches(StatisticMatch.nth(2, 2)).build(),
        Rule.builder().addMatches(StatisticMatch.random(1.5)).build(),
        Rule.builder().addMatches(StatisticMatch.random(-0.25)).build())));
    assertEquals(
        List.of(
            "error [statistic-every] table mangle, chain PREROUTING, rule 1: -m statistic --every 0 is outside"
                + " 1..4294967295; --every 0 would never start a period",
            "error [statistic-packet] table mangle, chain PREROUTING, rule 2: -m statistic --packet 2 with"
                + " --every 2: --packet must be 0 to 1",
            "error [statistic-probability] table mangle, chain PREROUTING, rule 3: -m statistic --probability 1.5"
                + " is outside [0, 1]",
            "error [statistic-probability] table mangle, chain PREROUTING, rule 4: -m statistic --probability"
                + " -0.25 is outside [0, 1]"),
        errors(r));
  }

  @Test
  void markValuesOver32Bits() {
    Ruleset r = ruleset(IpFamily.V4, table(TableName.MANGLE, chain("PREROUTING",
        Rule.builder().target(new SetMark(0x1_0000_0000L, 0xffff_ffffL)).build(),
        Rule.builder().target(new SaveConnmark(0xff, -1)).build())));
    assertEquals(
        List.of(
            "error [mark-range] table mangle, chain PREROUTING, rule 1: MARK --set-xmark value 4294967296"
                + " (0x100000000) does not fit in 32 bits; marks are 0 to 0xffffffff",
            "error [mark-range] table mangle, chain PREROUTING, rule 2: CONNMARK --save-mark --ctmask -1"
                + " (0xffffffffffffffff) does not fit in 32 bits; marks are 0 to 0xffffffff"),
        errors(r));
  }

  @Test
  void ipv4AddressesInAnIpv6Ruleset() {
    Ruleset r = ruleset(IpFamily.V6, table(TableName.FILTER, chain("INPUT",
        Rule.builder().source(IpPrefix.parse("192.0.2.0/24")).build(),
        Rule.builder().destination(IpPrefix.parse("2001:db8::/32")).build())));
    assertEquals(
        List.of("error [address-family] table filter, chain INPUT, rule 1: -s 192.0.2.0/24 is an IPv4 address"
            + " in an IPv6 ruleset"),
        errors(r));
  }

  @Test
  void interfacesWhereThePacketHasNone() {
    Ruleset r = ruleset(IpFamily.V4, table(TableName.MANGLE,
        chain("PREROUTING", Rule.builder().out(InterfaceName.of("ppp0")).build()),
        chain("POSTROUTING", Rule.builder().in(InterfaceName.of("eth0")).build(), jump("late")),
        chain("late", Rule.builder().in(InterfaceName.of("eth1")).build())));
    assertEquals(
        List.of(
            "error [interface-direction] table mangle, chain PREROUTING, rule 1: -o ppp0 in chain PREROUTING:"
                + " packets at PREROUTING have no output interface; iptables refuses -o there",
            "error [interface-direction] table mangle, chain POSTROUTING, rule 1: -i eth0 in chain POSTROUTING:"
                + " packets at POSTROUTING have no input interface; iptables refuses -i there"),
        errors(r));
    assertEquals(
        List.of("warning [interface-direction] table mangle, chain late, rule 1: -i eth1 in chain late, which is"
            + " only reached from [POSTROUTING], where packets have no input interface"),
        warnings(r));
  }

  @Test
  void portMatchesNeedTheirProtocol() {
    Ruleset r = ruleset(IpFamily.V4, table(TableName.FILTER, chain("INPUT",
        Rule.builder().addMatches(PortMatch.tcpDestination(PortRange.of(80))).build(),
        Rule.builder().notProtocol(Protocol.UDP).addMatches(PortMatch.udpDestination(PortRange.of(53))).build(),
        Rule.builder().protocol(Protocol.ICMP)
            .addMatches(MultiportMatch.destination(PortRange.of(1), PortRange.of(2))).build())));
    assertEquals(
        List.of(
            "error [port-match-protocol] table filter, chain INPUT, rule 1: -m tcp needs -p tcp in the same rule"
                + " (without !); the kernel refuses it otherwise",
            "error [port-match-protocol] table filter, chain INPUT, rule 2: -m udp needs -p udp in the same rule"
                + " (without !); the kernel refuses it otherwise",
            "error [multiport-protocol] table filter, chain INPUT, rule 3: -m multiport needs -p tcp, udp,"
                + " udplite, sctp or dccp in the same rule (without !)"),
        errors(r));
  }

  @Test
  void multiportHoldsFifteenSlots() {
    PortRange[] ports = new PortRange[8];
    for (int i = 0; i < 8; i++) {
      ports[i] = PortRange.of(10 * i, 10 * i + 1);
    }
    Ruleset r = ruleset(IpFamily.V4, table(TableName.FILTER, chain("INPUT",
        Rule.builder().protocol(Protocol.TCP).addMatches(MultiportMatch.destination(ports)).build())));
    assertEquals(
        List.of("error [multiport-too-many] table filter, chain INPUT, rule 1: -m multiport --dports lists 16"
            + " ports (a range counts as two); the kernel allows at most 15"),
        errors(r));
  }

  @Test
  void commentsThatCannotComeBack() {
    Ruleset r = ruleset(IpFamily.V4, table(TableName.FILTER, chain("INPUT",
        Rule.builder().addMatches(new CommentMatch("one\n-A INPUT -j DROP")).build(),
        Rule.builder().addMatches(new CommentMatch(Strings.repeat("é", 128))).build(),
        Rule.builder().addMatches(new CommentMatch("quotes \" ' \\ and # are fine")).build())));
    assertEquals(
        List.of(
            "error [text-control-character] table filter, chain INPUT, rule 1: comment \"one\\n-A INPUT -j DROP\""
                + " contains a line break at position 4; a restore file has one rule per line and cannot carry it",
            "error [comment-length] table filter, chain INPUT, rule 2: comment is 256 bytes; the kernel keeps at"
                + " most 255"),
        errors(r));
  }

  @Test
  void snatNeedsItsFamilyAndPortsNeedAProtocol() {
    Snat snat = new Snat(dev.mlb.api.IpAddress.parse("192.0.2.1"), dev.mlb.api.IpAddress.parse("192.0.2.1"),
        Optional.of(PortRange.of(1024, 2000)), false, false, false);
    Ruleset r = ruleset(IpFamily.V6, table(TableName.NAT, chain("POSTROUTING", Rule.builder().target(snat).build())));
    assertEquals(
        List.of(
            "error [address-family] table nat, chain POSTROUTING, rule 1: SNAT --to-source 192.0.2.1 is not an"
                + " IPv6 address",
            "error [nat-ports-protocol] table nat, chain POSTROUTING, rule 1: SNAT with ports needs -p tcp, udp,"
                + " sctp or dccp"),
        errors(r));
  }

  @Test
  void unusedChainsAreWarnings() {
    Ruleset r = ruleset(IpFamily.V4, table(TableName.FILTER, chain("orphan")));
    assertEquals(List.of(), errors(r));
    assertEquals(
        List.of("warning [chain-unused] table filter, chain orphan: user chain \"orphan\" is never jumped to from"
            + " a built-in chain; its rules never run"),
        warnings(r));
  }

  @Test
  void writerRefusesInvalidRulesetsWithEveryError() {
    Ruleset r = ruleset(IpFamily.V4, table(TableName.FILTER, chain("INPUT", jump("a"), jump("b"))));
    ValidationException e = assertThrows(ValidationException.class, () -> RestoreWriter.render(r));
    assertEquals(2, e.findings().size());
    assertTrue(e.getMessage().startsWith("2 errors:\n"));
  }

  @Test
  void builderMisuseIsIllegalState() {
    assertEquals(
        "sourceNegated is set but there is no source to negate",
        assertThrows(IllegalStateException.class, () -> Rule.builder().sourceNegated(true).build()).getMessage());
    assertEquals(
        "table filter has two chains called \"a\"",
        assertThrows(IllegalStateException.class,
            () -> table(TableName.FILTER, chain("a"), chain("a"))).getMessage());
    assertEquals(
        "chain \"a\" in table filter is a user chain and cannot have a policy; only built-in chains"
            + " [INPUT, FORWARD, OUTPUT] have one",
        assertThrows(IllegalStateException.class,
            () -> table(TableName.FILTER, Chain.builder().name("a").policy(Policy.DROP).build())).getMessage());
  }

  /** An argument of the unmodelled -m u32. */
  private static final String U32 = "0x0>>0x16&0x3c@0x0>>0x10=0x50";

  @Test
  void opaqueArgumentsCannotCarryRuleStructure() {
    Ruleset r = ruleset(IpFamily.V4, table(TableName.FILTER, chain("INPUT",
        Rule.builder().addMatches(OpaqueMatch.of("u32", "--u32", U32, "-j", "DROP")).build())));
    assertEquals(
        List.of("error [opaque-argument-structure] table filter, chain INPUT, rule 1: -m u32 argument \"-j\" is an"
            + " option of the rule itself; iptables would read it so, quoted or not"),
        errors(r));
  }

  @Test
  void opaqueArgumentsThatAModelledModuleWouldTake() {
    // Read from "-j LED --led-trigger-id x --state -m state --state NEW": written back, every match comes
    // before the target, and iptables (and mlb's parser) give "--state" to -m state.
    Ruleset r = ruleset(IpFamily.V4, table(TableName.FILTER, chain("INPUT",
        Rule.builder().addMatches(StateMatch.of(ConnState.NEW))
            .target(OpaqueTarget.of("LED", "--led-trigger-id", "x", "--state")).build(),
        Rule.builder().protocol(Protocol.TCP).addMatches(PortMatch.tcpDestination(PortRange.of(22)),
            OpaqueMatch.of("u32", "--u32", U32, "--dport")).build(),
        Rule.builder().addMatches(OpaqueMatch.of("u32", "--u32", U32, "--mark"), MarkMatch.of(Mark.of(1)))
            .build())));
    assertEquals(
        List.of(
            "error [opaque-argument-claimed] table filter, chain INPUT, rule 1: -j LED argument \"--state\" is an"
                + " option of -m state in the same rule; iptables would give it to -m state",
            "error [opaque-argument-claimed] table filter, chain INPUT, rule 2: -m u32 argument \"--dport\" is an"
                + " option of -m tcp in the same rule; iptables would give it to -m tcp"),
        errors(r));
  }

  @Test
  void opaqueItemsWithModelledNamesMustReadBackAsThemselves() {
    Ruleset r = ruleset(IpFamily.V4, table(TableName.MANGLE, chain("PREROUTING",
        Rule.builder().addMatches(OpaqueMatch.of("state", "--state", "NEW")).build(),
        Rule.builder().target(OpaqueTarget.of("MARK", "--set-mark", "1")).build(),
        Rule.builder().addMatches(OpaqueMatch.of("conntrack", "--ctdir", "ORIGINAL")).build())));
    assertEquals(
        List.of(
            "error [opaque-not-verbatim] table mangle, chain PREROUTING, rule 1: -m state kept verbatim as"
                + " \"-m state --state NEW\" reads back as -m state --state NEW; build the modelled match or"
                + " target instead",
            "error [opaque-not-verbatim] table mangle, chain PREROUTING, rule 2: -j MARK kept verbatim as"
                + " \"-j MARK --set-mark 1\" reads back as -j MARK --set-xmark 0x1/0xffffffff; build the modelled"
                + " match or target instead",
            // Since -m conntrack models --ctdir, its words read back as the modelled match.
            "error [opaque-not-verbatim] table mangle, chain PREROUTING, rule 3: -m conntrack kept verbatim as"
                + " \"-m conntrack --ctdir ORIGINAL\" reads back as -m conntrack --ctdir ORIGINAL; build the"
                + " modelled match or target instead"),
        errors(r));
  }

  /** A match type of another library, which no module of mlb reads, writes or checks. */
  private record ForeignMatch(String module) implements Match {}

  /** A target type of another library. */
  private record ForeignTarget(String name) implements Target {
    @Override
    public boolean isTerminating() {
      return false;
    }
  }

  @Test
  void typesWithoutAModuleAreRefused() {
    Rule rule = Rule.builder().addMatches(new ForeignMatch("geoip")).target(new ForeignTarget("TARPIT")).build();
    Ruleset r = ruleset(IpFamily.V4, table(TableName.FILTER, chain("INPUT", rule)));
    String match = "-m geoip: no module of mlb writes the match type " + ForeignMatch.class.getName()
        + "; add one to dev.mlb.netfilter.Modules or use OpaqueMatch";
    String target = "-j TARPIT: no module of mlb writes the target type " + ForeignTarget.class.getName()
        + "; add one to dev.mlb.netfilter.Modules or use OpaqueTarget";
    assertEquals(
        List.of("error [match-type] table filter, chain INPUT, rule 1: " + match,
            "error [target-type] table filter, chain INPUT, rule 1: " + target),
        errors(r));
    assertThrows(ValidationException.class, () -> RestoreWriter.render(r));
    assertEquals(match, assertThrows(IllegalArgumentException.class, () -> RestoreWriter.renderRule(rule)).getMessage());
    assertEquals(target, assertThrows(IllegalArgumentException.class,
        () -> RestoreWriter.renderRule(Rule.builder().target(new ForeignTarget("TARPIT")).build())).getMessage());
  }
}
