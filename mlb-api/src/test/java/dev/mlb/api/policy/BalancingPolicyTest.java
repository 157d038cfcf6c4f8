package dev.mlb.api.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.Protocol;
import dev.mlb.api.ValidationException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The derived values of the model (marks, tables, prefixes), computed by hand. */
class BalancingPolicyTest {

  static Uplink uplink(String name, String iface) {
    return Uplink.builder().name(name).iface(InterfaceName.of(iface)).build();
  }

  static List<Uplink> uplinks(int n) {
    List<Uplink> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(uplink("u" + i, "eth" + (i + 1)));
    }
    return list;
  }

  static BalancingPolicy.Builder lan(BalancingPolicy.Builder b) {
    return b.addLanInterfaces(InterfaceName.of("eth0")).addLanPrefixes(IpPrefix.parse("192.0.2.0/24"));
  }

  static List<String> marks(BalancingPolicy p) {
    return p.uplinks().stream().map(u -> p.mark(u).toString()).toList();
  }

  @Test
  void depositPlacesTheBitsOfTheValueIntoTheMaskLowestFirst() {
    // mask 0xf0f0 has bits 4-7 and 12-15: value bits 0-3 go to 4-7, bits 4-7 to 12-15.
    assertEquals(0x10L, BalancingPolicy.deposit(1, 0xf0f0L));
    assertEquals(0x30L, BalancingPolicy.deposit(3, 0xf0f0L));
    assertEquals(0xf0L, BalancingPolicy.deposit(15, 0xf0f0L));
    assertEquals(0x1000L, BalancingPolicy.deposit(16, 0xf0f0L));
    assertEquals(0x1010L, BalancingPolicy.deposit(17, 0xf0f0L));
    assertEquals(0xf0f0L, BalancingPolicy.deposit(255, 0xf0f0L));
    assertEquals(0L, BalancingPolicy.deposit(256, 0xf0f0L)); // needs a ninth bit
    // mask 0x5: bits 0 and 2.
    assertEquals(0x1L, BalancingPolicy.deposit(1, 0x5L));
    assertEquals(0x4L, BalancingPolicy.deposit(2, 0x5L));
    assertEquals(0x5L, BalancingPolicy.deposit(3, 0x5L));
    assertEquals(0L, BalancingPolicy.deposit(4, 0x5L));
    // the top bit of 32
    assertEquals(0x8000_0000L, BalancingPolicy.deposit(1, 0x8000_0000L));
    assertEquals(0L, BalancingPolicy.deposit(2, 0x8000_0000L));
    assertEquals(0xffff_ffffL, BalancingPolicy.deposit(0xffff_ffffL, 0xffff_ffffL));
  }

  @Test
  void marksUnderTheDefaultMaskAreConsecutiveMultiplesOf0x1000000() {
    BalancingPolicy p = lan(BalancingPolicy.builder().addAllUplinks(uplinks(3))).build();
    assertEquals(List.of("0x1000000/0xf000000", "0x2000000/0xf000000", "0x3000000/0xf000000"), marks(p));
    assertEquals(Mark.of(0x2000000, 0xf000000), p.mark(p.uplinks().get(1)));
  }

  @Test
  void theDefaultMaskTakesFifteenUplinks() {
    lan(BalancingPolicy.builder().addAllUplinks(uplinks(15))).build();
    ValidationException e = assertThrows(ValidationException.class,
        () -> lan(BalancingPolicy.builder().addAllUplinks(uplinks(16))).build());
    assertTrue(e.getMessage().contains("16 uplinks need 16 distinct non-zero marks, but the mark mask 0xf000000"
        + " (4 bits) encodes at most 15"), e.getMessage());
  }

  @Test
  void marksUnderASplitMaskSkipTheGap() {
    BalancingPolicy p =
        lan(BalancingPolicy.builder().addAllUplinks(uplinks(17)).markMask(0xf0f0)).build();
    assertEquals(
        List.of("0x10/0xf0f0", "0x20/0xf0f0", "0x30/0xf0f0", "0x40/0xf0f0", "0x50/0xf0f0",
            "0x60/0xf0f0", "0x70/0xf0f0", "0x80/0xf0f0", "0x90/0xf0f0", "0xa0/0xf0f0",
            "0xb0/0xf0f0", "0xc0/0xf0f0", "0xd0/0xf0f0", "0xe0/0xf0f0", "0xf0/0xf0f0",
            "0x1000/0xf0f0", "0x1010/0xf0f0"),
        marks(p));
  }

  @Test
  void aMaskOfTwoBitsTakesExactlyThreeUplinks() {
    BalancingPolicy p = lan(BalancingPolicy.builder().addAllUplinks(uplinks(3)).markMask(0x3)).build();
    assertEquals(List.of("0x1/0x3", "0x2/0x3", "0x3/0x3"), marks(p));
  }

  @Test
  void anExplicitMarkIsKeptAndTheOthersStillCountByIndex() {
    BalancingPolicy p = lan(BalancingPolicy.builder()
            .markMask(0xff00)
            .addUplinks(uplink("a", "ppp0"))
            .addUplinks(Uplink.builder().name("b").iface(InterfaceName.of("ppp1")).mark(0x4000).build())
            .addUplinks(uplink("c", "ppp2")))
        .build();
    // uplink 2 gets 3 deposited (0x300), not the second free value.
    assertEquals(List.of("0x100/0xff00", "0x4000/0xff00", "0x300/0xff00"), marks(p));
  }

  @Test
  void tablesCountFromTheBaseByIndexAndTheMultipathTableFollows() {
    BalancingPolicy p = lan(BalancingPolicy.builder()
            .addUplinks(Uplink.builder().name("a").iface(InterfaceName.of("ppp0")).table(7).build())
            .addUplinks(uplink("b", "ppp1"), uplink("c", "ppp2")))
        .build();
    assertEquals(7, p.table(p.uplinks().get(0)));
    assertEquals(101, p.table(p.uplinks().get(1)));
    assertEquals(102, p.table(p.uplinks().get(2)));
    assertEquals(103, p.multipathTable());
    BalancingPolicy based = lan(BalancingPolicy.builder().addAllUplinks(uplinks(2)).tableBase(2000)).build();
    assertEquals(List.of(2000, 2001), based.uplinks().stream().map(based::table).toList());
    assertEquals(2002, based.multipathTable());
  }

  @Test
  void defaults() {
    BalancingPolicy p = lan(BalancingPolicy.builder().addAllUplinks(uplinks(2))).build();
    assertEquals(0x0f000000L, p.markMask());
    assertEquals(0L, p.foreignMarkBits());
    assertEquals(100, p.tableBase());
    assertEquals(1000, p.priorityBase());
    assertEquals("mlb", p.chainPrefix());
    assertEquals(109, p.ruleProtocol());
    assertEquals(java.util.Set.of(IpFamily.V4), p.families());
    assertEquals(Strategy.NTH, p.strategy());
    assertTrue(p.stickyInbound());
    assertEquals(1, p.uplinks().get(0).weight());
    assertEquals(List.of(), p.validate());
  }

  @Test
  void weightSumAndLanPrefixesByFamily() {
    BalancingPolicy p = BalancingPolicy.builder()
        .addUplinks(Uplink.builder().name("a").iface(InterfaceName.of("ppp0")).weight(3).build())
        .addUplinks(Uplink.builder().name("b").iface(InterfaceName.of("ppp1")).weight(256).build())
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(IpPrefix.parse("192.0.2.0/24"), IpPrefix.parse("2001:db8::/64"),
            IpPrefix.parse("198.51.100.0/25"))
        .addFamilies(IpFamily.V4, IpFamily.V6)
        .build();
    assertEquals(259, p.weightSum());
    assertEquals(List.of(IpPrefix.parse("192.0.2.0/24"), IpPrefix.parse("198.51.100.0/25")),
        p.lanPrefixes(IpFamily.V4));
    assertEquals(List.of(IpPrefix.parse("2001:db8::/64")), p.lanPrefixes(IpFamily.V6));
  }

  @Test
  void aForeignUplinkHasNoMarkOrTable() {
    BalancingPolicy p = lan(BalancingPolicy.builder().addAllUplinks(uplinks(2))).build();
    Uplink stranger = uplink("x", "ppp9");
    assertEquals("uplink x is not one of this policy's",
        assertThrows(IllegalArgumentException.class, () -> p.mark(stranger)).getMessage());
    assertEquals("uplink x is not one of this policy's",
        assertThrows(IllegalArgumentException.class, () -> p.table(stranger)).getMessage());
  }

  @Test
  void selectorsKeepTheirFamilysPrefixesAndNeverWidenToAll() {
    TrafficSelector mixed = TrafficSelector.of(Protocol.TCP, 80)
        .withSources(List.of(IpPrefix.parse("192.0.2.0/25"), IpPrefix.parse("2001:db8::/48")));
    assertEquals("tcp dports 80 from 192.0.2.0/25", mixed.forFamily(IpFamily.V4).orElseThrow().toString());
    assertEquals("tcp dports 80 from 2001:db8::/48", mixed.forFamily(IpFamily.V6).orElseThrow().toString());
    TrafficSelector v6Only = TrafficSelector.toDestinations(IpPrefix.parse("2001:db8::/32"));
    assertFalse(v6Only.appliesTo(IpFamily.V4));
    assertEquals(Optional.empty(), v6Only.forFamily(IpFamily.V4));
    assertTrue(TrafficSelector.all().appliesTo(IpFamily.V6));
    assertEquals(Optional.of(TrafficSelector.all()), TrafficSelector.all().forFamily(IpFamily.V4));
  }
}
