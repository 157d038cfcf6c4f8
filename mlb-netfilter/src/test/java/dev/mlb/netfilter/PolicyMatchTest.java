package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.ParseException;
import dev.mlb.netfilter.PolicyMatch.Direction;
import dev.mlb.netfilter.PolicyMatch.Element;
import dev.mlb.netfilter.PolicyMatch.Mode;
import dev.mlb.netfilter.PolicyMatch.Proto;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * PolicyMatch built in code: factories, its text (as iptables-nft-save printed the same rules in
 * policy.cases), the refusals of values iptables cannot express, and mlb's messages for bad input.
 */
class PolicyMatchTest {

  private static String text(Match m) {
    return RestoreWriter.renderRule(Rule.builder().addMatches(m).build());
  }

  @Test
  void factoriesWriteWhatIptablesSavePrints() {
    assertEquals(" -m policy --dir out --pol none", text(PolicyMatch.none(Direction.OUT)));
    assertEquals(" -m policy --dir in --pol ipsec", text(PolicyMatch.ipsec(Direction.IN)));
    assertEquals(" -m policy --dir in --pol ipsec --proto esp",
        text(PolicyMatch.ipsec(Direction.IN, Element.ANY.proto(Proto.ESP))));
    // policy.cases: "--reqid 1 --spi 2 --proto esp --mode tunnel --tunnel-src 192.0.2.1 --tunnel-dst 192.0.2.2 --strict"
    assertEquals(" -m policy --dir in --pol ipsec --strict --reqid 1 --spi 0x2 --proto esp --mode tunnel"
            + " --tunnel-dst 192.0.2.2 --tunnel-src 192.0.2.1",
        text(PolicyMatch.strict(Direction.IN, Element.tunnel("192.0.2.1", "192.0.2.2").proto(Proto.ESP).spi(2)
            .reqid(1))));
    // policy.cases: "--strict --mode tunnel --tunnel-src 192.0.2.1 --next ! --spi 7 --tunnel-dst 192.0.2.2 ! --mode transport"
    assertEquals(" -m policy --dir in --pol ipsec --strict --mode tunnel --tunnel-src 192.0.2.1 --next ! --spi 0x7"
            + " ! --mode transport --tunnel-dst 192.0.2.2",
        text(PolicyMatch.strict(Direction.IN, Element.ANY.mode(Mode.TUNNEL).tunnelSource("192.0.2.1"),
            Element.ANY.notSpi(7).notMode(Mode.TRANSPORT).tunnelDestination("192.0.2.2"))));
    assertEquals(" -m policy --dir in --pol ipsec --mode tunnel ! --tunnel-dst 198.51.100.0/24 ! --tunnel-src 203.0.113.9",
        text(PolicyMatch.ipsec(Direction.IN, Element.ANY.mode(Mode.TUNNEL).notTunnelDestination("198.51.100.0/24")
            .notTunnelSource("203.0.113.9"))));
    assertEquals(" -m policy --dir in --pol ipsec ! --reqid 5 ! --proto ah",
        text(PolicyMatch.ipsec(Direction.IN, Element.ANY.notReqid(5).notProto(Proto.AH))));
    // The address keeps its host bits, as iptables stores it.
    assertEquals(" -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 2001:db8::1/64",
        text(PolicyMatch.ipsec(Direction.IN, Element.ANY.mode(Mode.TUNNEL).tunnelSource("2001:DB8::1/64"))));
    assertEquals("policy", PolicyMatch.none(Direction.IN).module());
    assertEquals(Optional.of(IpFamily.V6),
        PolicyMatch.ipsec(Direction.IN, Element.tunnel("2001:db8::1", "2001:db8::2")).family());
  }

  @Test
  void anEmptyElementWithoutStrictIsNoElement() {
    assertEquals(PolicyMatch.ipsec(Direction.IN), PolicyMatch.ipsec(Direction.IN, Element.ANY));
    assertEquals(List.of(), PolicyMatch.ipsec(Direction.IN, Element.ANY).elements());
  }

  @Test
  void valuesIptablesCannotExpressAreRefused() {
    assertEquals("-m policy: --pol none cannot be --strict", assertThrows(IllegalArgumentException.class,
        () -> new PolicyMatch(Direction.IN, false, true, List.of())).getMessage());
    assertEquals("-m policy: --pol none has no policy elements", assertThrows(IllegalArgumentException.class,
        () -> new PolicyMatch(Direction.IN, false, false, List.of(Element.ANY.reqid(1)))).getMessage());
    assertEquals("-m policy: 2 elements need --strict", assertThrows(IllegalArgumentException.class,
        () -> new PolicyMatch(Direction.IN, true, false, List.of(Element.ANY.reqid(1), Element.ANY.reqid(2))))
        .getMessage());
    assertEquals("-m policy --strict needs 1 to 4 elements, not 5", assertThrows(IllegalArgumentException.class,
        () -> PolicyMatch.strict(Direction.IN, Element.ANY.reqid(1), Element.ANY.reqid(2), Element.ANY.reqid(3),
            Element.ANY.reqid(4), Element.ANY.reqid(5))).getMessage());
    assertEquals("-m policy --strict: element 2 tests nothing", assertThrows(IllegalArgumentException.class,
        () -> PolicyMatch.strict(Direction.IN, Element.ANY.reqid(1), Element.ANY)).getMessage());
    assertEquals("-m policy: --tunnel-src/--tunnel-dst need --mode tunnel (or ! --mode transport) in their element",
        assertThrows(IllegalArgumentException.class, () -> Element.ANY.tunnelSource("192.0.2.1")).getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Element.ANY.notMode(Mode.TUNNEL).tunnelSource("192.0.2.1"));
    assertEquals("-m policy: --tunnel-src 192.0.2.1/32 and --tunnel-dst 2001:db8::1/128 mix IPv4 and IPv6",
        assertThrows(IllegalArgumentException.class, () -> Element.tunnel("192.0.2.1", "2001:db8::1")).getMessage());
    assertEquals("-m policy: tunnel ends mix IPv4 and IPv6", assertThrows(IllegalArgumentException.class,
        () -> PolicyMatch.strict(Direction.IN, Element.ANY.mode(Mode.TUNNEL).tunnelSource("192.0.2.1"),
            Element.ANY.mode(Mode.TUNNEL).tunnelSource("2001:db8::1"))).getMessage());
    assertEquals("-m policy: --spi 4294967296 is outside 0..4294967295",
        assertThrows(IllegalArgumentException.class, () -> Element.ANY.spi(1L << 32)).getMessage());
    assertEquals("-m policy needs a direction (--dir in or --dir out)",
        assertThrows(IllegalArgumentException.class, () -> PolicyMatch.ipsec(null)).getMessage());
    // Negation needs the test it negates.
    assertThrows(IllegalArgumentException.class, () -> new Element(Element.ANY.reqid(), true, Element.ANY.spi(),
        false, Optional.empty(), false, Optional.empty(), false, Optional.empty(), false, Optional.empty(), false));
  }

  @Test
  void readsTunnelEndsAsGetaddrinfoDoes() {
    // Each expectation is a line of policy.cases (what iptables-nft-save printed).
    assertEquals(0xc0000002L, PolicyMatch.Tunnels.inetAton("192.0.2"));
    assertEquals(0xc0000201L, PolicyMatch.Tunnels.inetAton("0xc0000201"));
    assertEquals(0xc0000208L, PolicyMatch.Tunnels.inetAton("192.0.2.010"));
    assertEquals(-1, PolicyMatch.Tunnels.inetAton("192.0.2.256"));
    assertEquals(-1, PolicyMatch.Tunnels.inetAton("192.0.2.1."));
    assertEquals(-1, PolicyMatch.Tunnels.inetAton("1.2.3.4.5"));
    assertEquals(-1, PolicyMatch.Tunnels.inetAton(""));
    assertEquals(24, PolicyMatch.Tunnels.prefixLength(PolicyMatch.Tunnels.address(IpFamily.V4, "255.255.255.0")));
    assertEquals(0, PolicyMatch.Tunnels.prefixLength(PolicyMatch.Tunnels.address(IpFamily.V4, "0.0.0.0")));
    assertEquals(32, PolicyMatch.Tunnels.prefixLength(PolicyMatch.Tunnels.address(IpFamily.V4, "255.0.255.0")));
    assertEquals(32, PolicyMatch.Tunnels.prefixLength(PolicyMatch.Tunnels.address(IpFamily.V6, "ffff:ffff::")));
    assertEquals(64, PolicyMatch.Tunnels.prefixLength(PolicyMatch.Tunnels.address(IpFamily.V6, "ffff:ffff:ffff:ffff::")));
    assertEquals(96, PolicyMatch.Tunnels.prefixLength(
        PolicyMatch.Tunnels.address(IpFamily.V6, "ffff:ffff:ffff:ffff:ffff:ffff::")));
    assertEquals(128, PolicyMatch.Tunnels.prefixLength(PolicyMatch.Tunnels.address(IpFamily.V6, "ffff::ffff")));
    assertEquals(IpPrefix.parse("2001:db8::1/128"), PolicyMatch.Tunnels.address(IpFamily.V6, "2001:db8::1") == null
        ? null : IpPrefix.host(PolicyMatch.Tunnels.address(IpFamily.V6, "2001:db8::1")));
  }

  /**
   * Each row: the family, the rule after {@code -A INPUT}, and mlb's refusal (the first line of the
   * message). iptables-nft 1.8.9 refused each of these rules too (policy.cases has them with what
   * it said in its recording notes); the columns count from 1 at the {@code -A}.
   */
  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
    "4 | -m policy --pol ipsec | line 2, column 10: -m policy needs --dir in or --dir out",
    "4 | -m policy --dir up --pol ipsec | line 2, column 26: -m policy: bad direction \"up\" for --dir; expected in or out",
    "4 | -m policy --dir in --pol maybe | line 2, column 35: -m policy: bad policy \"maybe\" for --pol; expected none or"
        + " ipsec",
    "4 | -m policy --dir in --dir in | line 2, column 29: -m policy: option \"--dir\" can only be given once",
    "4 | -m policy ! --dir in | line 2, column 20: -m policy: option \"--dir\" cannot be negated",
    "4 | -m policy --dir in --pol ipsec ! --strict --reqid 1 | line 2, column 41: -m policy: option \"--strict\""
        + " cannot be negated",
    "4 | -m policy --dir in --pol ipsec --strict --reqid 1 ! --next --reqid 2 | line 2, column 60: -m policy: option"
        + " \"--next\" cannot be negated",
    "4 | -m policy --dir in --pol ipsec --strict | line 2, column 10: -m policy --strict: policy element 1 is empty;"
        + " expected at least one of --reqid, --spi, --proto, --mode, --tunnel-src or --tunnel-dst",
    "4 | -m policy --dir in --pol ipsec --strict --reqid 1 --next | line 2, column 60: -m policy --strict: policy"
        + " element 2 is empty; expected at least one of --reqid, --spi, --proto, --mode, --tunnel-src or --tunnel-dst",
    "4 | -m policy --dir in --pol ipsec --reqid 1 --next --reqid 2 | line 2, column 51: -m policy: --next needs"
        + " --strict (several elements match only as a whole policy)",
    "4 | -m policy --dir in --pol ipsec --strict --reqid 1 --next --reqid 2 --next --reqid 3 --next --reqid 4 --next"
        + " | line 2, column 111: -m policy: a policy has at most 4 elements (3 --next)",
    "4 | -m policy --dir in --pol none --strict --reqid 1 | line 2, column 40: -m policy: --strict with --pol none,"
        + " which has no policy to match exactly; iptables refuses it",
    "4 | -m policy --dir in --pol none --reqid 1 --next --reqid 2 | line 2, column 50: -m policy: --next with --pol"
        + " none, which has no policy elements",
    "4 | -m policy --dir in --pol ipsec --reqid 1 --reqid 2 | line 2, column 51: -m policy: --reqid given twice in"
        + " policy element 1; each element takes it once (--next starts the next element)",
    "4 | -m policy --dir in --pol ipsec --reqid -1 | line 2, column 49: bad value \"-1\" for --reqid; expected an"
        + " unsigned 32-bit number (0 to 4294967295, 0x hex or 0 octal)",
    "4 | -m policy --dir in --pol ipsec --spi 4294967296 | line 2, column 47: bad value \"4294967296\" for --spi;"
        + " expected an unsigned 32-bit number (0 to 4294967295, 0x hex or 0 octal)",
    "4 | -m policy --dir in --pol ipsec --proto tcp | line 2, column 49: -m policy: protocol \"tcp\" for --proto;"
        + " expected ah, esp or ipcomp (or 51, 50, 108)",
    "4 | -m policy --dir in --pol ipsec --proto ESP | line 2, column 49: -m policy: unknown protocol \"ESP\" for"
        + " --proto; expected ah, esp or ipcomp (or 51, 50, 108)",
    "4 | -m policy --dir in --pol ipsec --mode bogus | line 2, column 48: -m policy: bad mode \"bogus\" for --mode;"
        + " expected tunnel or transport",
    "4 | -m policy --dir in --pol ipsec --tunnel-src 192.0.2.1 | line 2, column 54: -m policy: --tunnel-src needs"
        + " --mode tunnel (or ! --mode transport) in its element; expected --mode tunnel",
    "4 | -m policy --dir in --pol ipsec ! --mode tunnel --tunnel-dst 192.0.2.1 | line 2, column 70: -m policy:"
        + " --tunnel-dst needs --mode tunnel (or ! --mode transport) in its element; expected --mode tunnel",
    "4 | -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 2001:db8::1 | line 2, column 68: -m policy: bad"
        + " address \"2001:db8::1\" for --tunnel-src; expected an IPv4 address such as 192.0.2.1 (this ruleset is IPv4)",
    "6 | -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 192.0.2.1 | line 2, column 68: -m policy: bad"
        + " address \"192.0.2.1\" for --tunnel-src; expected an IPv6 address such as 2001:db8::1 (this ruleset is IPv6)",
    "4 | -m policy --dir in --pol ipsec --mode tunnel --tunnel-src localhost | line 2, column 68: -m policy: bad"
        + " address \"localhost\" for --tunnel-src; expected an IPv4 address such as 192.0.2.1 (mlb reads no host"
        + " names or scope ids)",
    "4 | -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 192.0.2.1/-1 | line 2, column 68: -m policy: bad"
        + " mask \"-1\" for --tunnel-src; expected a prefix length 0 to 32 or a netmask such as 255.255.255.0",
    "6 | -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 2001:db8::1/129 | line 2, column 68: -m policy:"
        + " bad mask \"129\" for --tunnel-src; expected a prefix length 0 to 128 or a netmask such as ffff:ffff::",
  })
  void badInputNamesLineColumnAndWhatWasExpected(int family, String rule, String message) {
    ParseException e = assertThrows(ParseException.class, () -> RestoreParser.parse("t",
        "*filter\n-A INPUT " + rule + "\nCOMMIT\n", family == 4 ? IpFamily.V4 : IpFamily.V6));
    assertEquals(message, e.getMessage().split("\n")[0]);
  }

  private static List<String> findings(IpFamily family, String table, String builtin, Match m) {
    // The match in a user chain that the built-in chain jumps to: the hooks reach it through the jump.
    Ruleset r = Ruleset.builder().family(family)
        .addTables(Table.builder().name(TableName.fromId(table).orElseThrow())
            .addChains(Chain.builder().name(builtin).addRules(Rule.builder().target(new Jump("ipsec")).build()).build())
            .addChains(Chain.builder().name("ipsec").addRules(Rule.builder().addMatches(m).build()).build())
            .build())
        .build();
    return r.validate().stream().filter(Finding::isError).map(Finding::toString).collect(Collectors.toList());
  }

  @Test
  void theKernelsHookChecksAreFindings() {
    assertEquals(List.of(), findings(IpFamily.V4, "filter", "FORWARD", PolicyMatch.none(Direction.OUT)));
    assertEquals(List.of(), findings(IpFamily.V4, "mangle", "PREROUTING", PolicyMatch.ipsec(Direction.IN)));
    assertEquals(List.of("error [match-hook] table filter, chain ipsec, rule 1: -m policy --dir out in chain ipsec,"
            + " which is reached from [INPUT], where packets have no encapsulation (output) policy; the kernel"
            + " refuses it"),
        findings(IpFamily.V4, "filter", "INPUT", PolicyMatch.ipsec(Direction.OUT)));
    assertEquals(List.of("error [match-hook] table nat, chain ipsec, rule 1: -m policy --dir in in chain ipsec,"
            + " which is reached from [POSTROUTING], where packets have no decapsulation (input) policy; the kernel"
            + " refuses it"),
        findings(IpFamily.V6, "nat", "POSTROUTING", PolicyMatch.none(Direction.IN)));
  }

  @Test
  void tunnelEndsOfTheOtherFamilyAreAnError() {
    assertEquals(List.of("error [policy-family] table filter, chain ipsec, rule 1: -m policy with IPv4 tunnel ends"
            + " in an IPv6 ruleset"),
        findings(IpFamily.V6, "filter", "FORWARD",
            PolicyMatch.ipsec(Direction.IN, Element.tunnel("192.0.2.1", "192.0.2.2"))));
  }
}
