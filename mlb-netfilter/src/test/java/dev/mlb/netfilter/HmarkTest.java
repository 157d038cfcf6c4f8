package dev.mlb.netfilter;

import static dev.mlb.netfilter.TargetTestSupport.findings;
import static dev.mlb.netfilter.TargetTestSupport.refusal;
import static dev.mlb.netfilter.TargetTestSupport.render;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mlb.api.IpFamily;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** {@code -j HMARK} built in code; the read forms are in hmark.cases. */
class HmarkTest {
  @Test
  void factoriesRenderAsIptablesSavePrints() {
    assertEquals(" -j HMARK --hmark-src-prefix 32 --hmark-dst-prefix 32 --hmark-rnd 0x0000cafe --hmark-mod 4"
        + " --hmark-offset 1", render(Hmark.of(4, 0xcafe).srcPrefix(32).dstPrefix(32).offset(1)));
    assertEquals(" -j HMARK --hmark-src-prefix 24 --hmark-rnd 0x00000001 --hmark-mod 8 --hmark-tuple ct",
        render(Hmark.of(8, 1).srcPrefix(24).withConntrack()));
    assertEquals(" -j HMARK --hmark-sport-mask 0x0003 --hmark-dport-mask 0xffff --hmark-proto-mask 0x05 --hmark-rnd"
        + " 0x00000000 --hmark-mod 2", render(Hmark.of(2, 0).portMasks(3, 0xffff).protoMask(5)));
    assertEquals(List.of(), findings(IpFamily.V6, TableName.FILTER, "INPUT", Hmark.of(2, 0).srcPrefix(128)));
  }

  @Test
  void findingsNameTheRefusals() {
    assertEquals(List.of("error [hmark-fields] table filter, chain INPUT, rule 1: -j HMARK hashes no field; iptables"
        + " wants --hmark-tuple or a field option"), findings(IpFamily.V4, TableName.FILTER, "INPUT", Hmark.of(2, 0)));
    assertEquals(List.of("error [hmark-value] table filter, chain INPUT, rule 1: -j HMARK prefix length 64 is outside 0"
        + " to 32"), findings(IpFamily.V4, TableName.FILTER, "INPUT", Hmark.of(2, 0).srcPrefix(64)));
    Hmark spiAndPort = new Hmark(OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(),
        OptionalLong.empty(), OptionalInt.of(1), OptionalInt.empty(), OptionalLong.of(5), OptionalInt.empty(), 7, 2,
        OptionalLong.empty(), false);
    assertEquals(List.of("error [hmark-fields] table filter, chain INPUT, rule 1: -j HMARK: --hmark-spi cannot be given"
        + " with --hmark-sport or --hmark-dport; the kernel refuses it"),
        findings(IpFamily.V4, TableName.FILTER, "INPUT", spiAndPort));
    assertEquals(List.of("error [hmark-value] table filter, chain INPUT, rule 1: -j HMARK --hmark-mod 0 is outside 1 to"
        + " 4294967295"), findings(IpFamily.V4, TableName.FILTER, "INPUT", Hmark.of(0, 1).srcPrefix(8)));
  }

  @Test
  void badInputIsRefusedWithWhatWasExpected() {
    assertEquals("-j HMARK needs --hmark-mod N", refusal(IpFamily.V4, "filter", "INPUT", "-j HMARK"));
    assertEquals("--hmark-tuple: bad type \"xyz\"; expected ct, src, dst, sport, dport, proto or spi (or a prefix of"
        + " one)", refusal(IpFamily.V4, "filter", "INPUT", "-j HMARK --hmark-tuple xyz --hmark-mod 2 --hmark-rnd 7"));
    assertEquals("-j HMARK: option \"--hmark-src-prefix\" can only be given once, and --hmark-tuple gave it",
        refusal(IpFamily.V4, "filter", "INPUT", "-j HMARK --hmark-tuple src --hmark-src-prefix 16 --hmark-mod 2"
            + " --hmark-rnd 7"));
  }
}
