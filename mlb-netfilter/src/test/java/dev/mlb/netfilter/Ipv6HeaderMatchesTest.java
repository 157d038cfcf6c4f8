package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Protocol;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** {@code -m frag}, {@code -m rt}, {@code -m mh}, {@code -m eui64} as values (kernel facts: ipv6headers.cases). */
class Ipv6HeaderMatchesTest {

  private static String render(Protocol p, Match m) {
    Rule.Builder b = Rule.builder().addMatches(m);
    if (p != null) {
      b.protocol(p);
    }
    return RestoreWriter.renderRule(b.build());
  }

  @Test
  void factoriesRenderAsIp6tablesSave() {
    assertEquals(" -m frag --fragfirst", render(null, FragMatch.any().withFirst()));
    assertEquals(" -m frag --fragid 1:42 --fragmore", render(null, FragMatch.ids(IdRange.of(1, 42), false).withMore()));
    assertEquals(" -m frag ! --fragid 7 ! --fraglen 0 --fragres --fraglast",
        render(null, new FragMatch(IdRange.of(7), true, OptionalLong.of(0), true, true, false, false, true)));
    assertEquals(" -m frag", render(null, FragMatch.ids(IdRange.all(IdRange.U32), true)));
    assertEquals(" -m rt --rt-type 0 ! --rt-segsleft 1:23 --rt-len 42 --rt-0-res", render(null,
        RtMatch.any().withType(0, false).withSegmentsLeft(IdRange.of(1, 23), true).withLength(42, false).withReserved()));
    assertEquals(" -m rt ! --rt-type 256", render(null, RtMatch.any().withType(256, true)));
    assertEquals(" -p mobility-header -m mh --mh-type 5", render(Protocol.of(135), MhMatch.of(IdRange.of(5), false)));
    assertEquals(" -p mobility-header -m mh ! --mh-type 0:5", render(Protocol.of(135), MhMatch.of(IdRange.of(0, 5), true)));
    assertEquals(" -p mobility-header -m mh", render(Protocol.of(135), MhMatch.of(IdRange.all(255), true)));
    assertEquals(" -m eui64", render(null, Eui64Match.INSTANCE));
  }

  @Test
  void badValuesAreRefusedWithTheirWords() {
    assertThrows(IllegalArgumentException.class, () -> FragMatch.any().withMore().withLast());
    assertThrows(IllegalArgumentException.class, () -> RtMatch.any().withType(1, false).withReserved());
    assertThrows(IllegalArgumentException.class, () -> MhMatch.of(IdRange.of(4, 256), false));
    ModuleForms.check(IpFamily.V6, "filter", "INPUT", "-m frag --fraglast --fragmore", "",
        "-m frag: --fragmore cannot be given with --fraglast");
    ModuleForms.check(IpFamily.V6, "filter", "INPUT", "-m rt --rt-type 2 --rt-0-res", "",
        "-m rt: --rt-0-res needs --rt-type 0 before it");
    ModuleForms.check(IpFamily.V6, "filter", "INPUT", "-m rt --rt-0-not-strict", "",
        "-m rt: --rt-0-not-strict needs --rt-0-addrs before it");
    ModuleForms.check(IpFamily.V6, "filter", "INPUT", "-p mh -m mh --mh-type 4:3", "",
        "Mobility Header type range 4:3 is reversed");
    ModuleForms.check(IpFamily.V6, "filter", "INPUT", "-p mh -m mh --mh-type 256", "",
        "bad Mobility Header type \"256\" in --mh-type 256; expected a number from 0 to 255 or a name");
  }

  @Test
  void mobilityHeaderNamesAsIp6tablesReadsThem() {
    // A prefix names the first type it starts; the exact name wins (name_to_type of libip6t_mh.c).
    ModuleForms.check(IpFamily.V6, "filter", "INPUT", "-p mh -m mh --mh-type home-test", "-p mobility-header -m mh"
        + " --mh-type 3", "same");
    ModuleForms.check(IpFamily.V6, "filter", "INPUT", "-p mh -m mh --mh-type b", "-p mobility-header -m mh"
        + " --mh-type 0", "same");
    ModuleForms.check(IpFamily.V6, "filter", "INPUT", "-p mh -m mh --mh-type BU:ba", "-p mobility-header -m mh"
        + " --mh-type 5:6", "same");
  }

  @Test
  void findingsOfFamilyHooksAndProtocol() {
    Rule frag = Rule.builder().addMatches(FragMatch.any()).build();
    assertEquals(List.of("error [frag-family] table filter, chain INPUT, rule 1: -m frag exists in IPv6 only; iptables"
        + " cannot load it"), ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT", frag));
    Rule eui = Rule.builder().addMatches(Eui64Match.INSTANCE).build();
    assertEquals(List.of(), ModuleForms.findings(IpFamily.V6, TableName.RAW, "PREROUTING", eui));
    assertEquals(List.of("error [eui64-hook] table filter, chain OUTPUT, rule 1: -m eui64 in chain OUTPUT, which is"
        + " reached from [OUTPUT], where packets have no MAC header; the kernel refuses it (only PREROUTING, INPUT and"
        + " FORWARD)"), ModuleForms.findings(IpFamily.V6, TableName.FILTER, "OUTPUT", eui));
    Rule mh = Rule.builder().protocol(Protocol.TCP).addMatches(MhMatch.of(IdRange.of(1), false)).build();
    assertEquals(List.of("error [mh-protocol] table filter, chain INPUT, rule 1: -m mh needs -p mobility-header in the"
        + " same rule (without !); the kernel refuses it otherwise"),
        ModuleForms.findings(IpFamily.V6, TableName.FILTER, "INPUT", mh));
  }
}
