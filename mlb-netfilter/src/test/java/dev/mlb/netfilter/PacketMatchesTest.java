package dev.mlb.netfilter;

import static dev.mlb.netfilter.MatchTestSupport.render;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The API of {@link LengthMatch}, {@link TcpmssMatch}, {@link PkttypeMatch} and {@link EcnMatch}:
 * values built in code render as iptables-save printed the same rules (recorded in
 * {@code length.cases}, {@code tcpmss-match.cases}, {@code pkttype.cases}, {@code ecn.cases}), bad
 * input gets mlb's messages, and the protocol findings.
 */
class PacketMatchesTest {

  @Test
  void lengthRendersOneLengthOrARange() {
    assertEquals(" -m length --length 1280", render(LengthMatch.of(1280)));
    assertEquals(" -m length --length 4", render(LengthMatch.between(4, 4)));
    assertEquals(" -m length ! --length 0:65535", render(LengthMatch.between(0, 65535).negate()));
    // iptables-nft 1.8.9 keeps a reversed range.
    assertEquals(" -m length --length 4:3", render(LengthMatch.between(4, 3)));
    assertEquals("-m length: 65536 is outside 0 to 65535",
        assertThrows(IllegalArgumentException.class, () -> LengthMatch.of(65536)).getMessage());
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-m length --length 1:2:3", "",
        "too many parts in --length 1:2:3; expected N, FIRST:LAST, FIRST:, :LAST or :");
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-m length --length 0:65536", "",
        "bad value \"65536\" in --length 0:65536; expected a number from 0 to 65535 (decimal, 0x hex or 0 octal)");
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-m length", "", "-m length needs --length");
  }

  @Test
  void tcpmssNeedsAnOrderedRangeAndTcp() {
    assertEquals(" -m tcpmss --mss 1400:1536", render(TcpmssMatch.between(1400, 1536)));
    assertEquals(" -m tcpmss ! --mss 42", render(TcpmssMatch.of(42).negate()));
    assertEquals("-m tcpmss: 65535:1000 is not a range within 0 to 65535",
        assertThrows(IllegalArgumentException.class, () -> TcpmssMatch.between(65535, 1000)).getMessage());
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-p tcp -m tcpmss --mss 65535:1000", "",
        "--mss 65535:1000 is an empty range; expected MIN:MAX with MIN not above MAX");
    assertEquals(List.of("error [tcpmss-protocol] table filter, chain INPUT, rule 1: -m tcpmss needs -p tcp (not"
        + " negated) in the rule; the kernel refuses it otherwise"),
        ModuleForms.findings(IpFamily.V6, TableName.FILTER, "INPUT",
            Rule.builder().protocol(Protocol.UDP).addMatches(TcpmssMatch.of(42)).build()));
    assertEquals(List.of(), ModuleForms.findings(IpFamily.V6, TableName.FILTER, "INPUT",
        Rule.builder().protocol(Protocol.TCP).addMatches(TcpmssMatch.of(42)).build()));
  }

  @Test
  void pkttypePrintsTheFullName() {
    assertEquals(" -m pkttype --pkt-type broadcast", render(PkttypeMatch.of(PkttypeMatch.Type.BROADCAST)));
    assertEquals(" -m pkttype ! --pkt-type otherhost",
        render(PkttypeMatch.of(PkttypeMatch.Type.OTHERHOST).negate()));
    assertEquals(PkttypeMatch.of(PkttypeMatch.Type.UNICAST),
        ModuleForms.read(IpFamily.V4, "filter", "INPUT", "-m pkttype --pkt-type HOST").matches().get(0));
    // iptables-nft 1.8.9 has no "outgoing".
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-m pkttype --pkt-type outgoing", "",
        "bad packet type \"outgoing\" for --pkt-type; expected unicast, broadcast, multicast or otherhost");
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-m pkttype", "", "-m pkttype needs --pkt-type");
  }

  @Test
  void ecnPrintsEceCwrThenTheCodePoint() {
    assertEquals(" -m ecn --ecn-tcp-ece ! --ecn-tcp-cwr --ecn-ip-ect 2",
        render(EcnMatch.ipEct(2).withCwr(true).withEce(false)));
    assertEquals(" -m ecn ! --ecn-ip-ect 3", render(EcnMatch.NONE.withIpEct(3, true)));
    assertEquals("-m ecn --ecn-ip-ect 4 is outside 0 to 3",
        assertThrows(IllegalArgumentException.class, () -> EcnMatch.ipEct(4)).getMessage());
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-p tcp -m ecn", "",
        "-m ecn needs an option: --ecn-tcp-cwr, --ecn-tcp-ece or --ecn-ip-ect");
    assertEquals(List.of("error [ecn-protocol] table filter, chain INPUT, rule 1: -m ecn --ecn-tcp-ece/--ecn-tcp-cwr"
        + " need -p tcp (not negated) in the rule; the kernel refuses them otherwise"),
        ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT",
            Rule.builder().addMatches(EcnMatch.NONE.withEce(false)).build()));
    assertEquals(List.of(), ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT",
        Rule.builder().protocol(Protocol.UDP).addMatches(EcnMatch.ipEct(1)).build()));
    assertEquals(List.of("error [ecn-empty] table filter, chain INPUT, rule 1: -m ecn tests nothing; iptables"
        + " refuses it without an option"),
        ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT", Rule.builder().addMatches(EcnMatch.NONE).build()));
  }
}
