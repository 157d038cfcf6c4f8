package dev.mlb.api.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Protocol;
import dev.mlb.api.ValidationException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every check of {@link PolicyValidator}, each with its whole message. */
class PolicyValidatorTest {

  static Uplink.Builder uplink(String name, String iface) {
    return Uplink.builder().name(name).iface(InterfaceName.of(iface));
  }

  /** The seed: two PPP uplinks, LAN eth0 192.0.2.0/24. Valid. */
  /** Two uplinks under the mask 0xff00 (the marks and masks of the messages below). */
  static BalancingPolicy.Builder seed() {
    return BalancingPolicy.builder()
        .markMask(0xff00)
        .addUplinks(uplink("isp1", "ppp0").build(), uplink("isp2", "ppp1").build())
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(IpPrefix.parse("192.0.2.0/24"));
  }

  /** The seed with its second uplink changed. */
  static BalancingPolicy.Builder secondUplink(UnaryOperator<Uplink.Builder> change) {
    return seed().uplinks(List.of(
        uplink("isp1", "ppp0").build(), change.apply(uplink("isp2", "ppp1")).build()));
  }

  /** The error findings that {@code build()} throws, as text. */
  static List<String> errors(BalancingPolicy.Builder b) {
    ValidationException e = assertThrows(ValidationException.class, b::build);
    return e.findings().stream().map(Finding::toString).toList();
  }

  /** The one error that {@code build()} throws, as text. */
  static String error(BalancingPolicy.Builder b) {
    List<String> errors = errors(b);
    assertEquals(1, errors.size(), () -> "expected one error: " + errors);
    return errors.get(0);
  }

  /** The findings (warnings) of a valid policy, as text. */
  static List<String> warnings(BalancingPolicy.Builder b) {
    return b.build().validate().stream().map(Finding::toString).toList();
  }

  static IpAddress ip(String text) {
    return IpAddress.parse(text);
  }

  static IpPrefix net(String text) {
    return IpPrefix.parse(text);
  }

  @Test
  void theSeedIsValidWithoutWarnings() {
    assertEquals(List.of(), warnings(seed()));
  }

  @Test
  void theExceptionMessageCountsAndListsTheErrors() {
    ValidationException e = assertThrows(ValidationException.class,
        () -> BalancingPolicy.builder().build());
    assertEquals("3 errors:\n"
            + "error [no-uplinks] uplinks: no uplinks; expected at least one\n"
            + "error [no-lan-interface] lanInterfaces: no LAN interface; expected at least one\n"
            + "error [no-lan-prefix] lanPrefixes: no IPv4 LAN prefix, but IPv4 is compiled"
            + " (families: IPv4); expected at least one",
        e.getMessage());
  }

  @Test
  void oneErrorIsSingular() {
    ValidationException e = assertThrows(ValidationException.class,
        () -> secondUplink(u -> u.weight(300)).build());
    assertEquals("1 error:\n"
            + "error [weight-range] uplinks[1].weight: 300 is out of range; expected 1 to 256",
        e.getMessage());
  }

  // ---- uplinks ------------------------------------------------------------------------------

  @Test
  void noUplinks() {
    assertEquals("error [no-uplinks] uplinks: no uplinks; expected at least one",
        error(seed().uplinks(List.of())));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
    "isp 1            | \"isp 1\" contains ' ' at position 4",
    "isp.1            | \"isp.1\" contains '.' at position 4",
    "isp/1            | \"isp/1\" contains '/' at position 4",
    "abcdefghijklmnop | \"abcdefghijklmnop\" is 16 characters",
    "isp\"1           | \"isp\\\"1\" contains '\"' at position 4",
  })
  void uplinkNames(String name, String problem) {
    assertEquals("error [uplink-name] uplinks[1].name: " + problem
            + "; expected 1 to 15 letters, digits, '_' or '-'",
        error(secondUplink(u -> u.name(name))));
  }

  @Test
  void uplinkNameEmptyOrWithControlCharacters() {
    assertEquals("error [uplink-name] uplinks[1].name: \"\" is empty;"
            + " expected 1 to 15 letters, digits, '_' or '-'",
        error(secondUplink(u -> u.name(""))));
    assertEquals("error [uplink-name] uplinks[1].name: \"a\\u000ab\" contains '\\u000a' at position 2;"
            + " expected 1 to 15 letters, digits, '_' or '-'",
        error(secondUplink(u -> u.name("a\nb"))));
    // the longest, and every allowed character
    secondUplink(u -> u.name("Az09_-abcdefghi")).build();
  }

  @Test
  void duplicateUplinkNames() {
    assertEquals("error [duplicate-uplink-name] uplinks[1].name: \"isp1\" is also the name of uplinks[0];"
            + " expected unique names",
        error(secondUplink(u -> u.name("isp1"))));
  }

  @Test
  void uplinkInterfaces() {
    assertEquals("error [duplicate-uplink-interface] uplinks[1].iface: ppp0 is also the interface of"
            + " uplink isp1 (uplinks[0]); expected an interface per uplink",
        error(secondUplink(u -> u.iface(InterfaceName.of("ppp0")))));
    assertEquals("error [uplink-interface-wildcard] uplinks[1].iface: ppp+ is a wildcard;"
            + " expected the one interface the uplink's routes go through",
        error(secondUplink(u -> u.iface(InterfaceName.of("ppp+")))));
    assertEquals("error [uplink-interface-on-lan] uplinks[1].iface: eth0 is also a LAN interface;"
            + " expected an interface that is not on the LAN",
        error(secondUplink(u -> u.iface(InterfaceName.of("eth0")))));
    assertEquals("error [uplink-interface-on-lan] uplinks[0].iface: ppp0 is also a LAN interface"
            + " (LAN interface ppp+ matches it); expected an interface that is not on the LAN",
        errors(seed().addLanInterfaces(InterfaceName.of("ppp+"))).get(0));
  }

  @ParameterizedTest
  @CsvSource({"0", "257", "300", "-1"})
  void weightsOutOfRange(int weight) {
    assertEquals("error [weight-range] uplinks[1].weight: " + weight + " is out of range; expected 1 to 256",
        error(secondUplink(u -> u.weight(weight))));
  }

  @Test
  void weightsAtTheEdges() {
    secondUplink(u -> u.weight(1)).build();
    secondUplink(u -> u.weight(256)).build();
  }

  @Test
  void addressesOfTheWrongFamily() {
    assertEquals("error [gateway-family] uplinks[1].gateway: 2001:db8::1 is an IPv6 address;"
            + " expected an IPv4 address (IPv6 next hops go in gateway6)",
        error(secondUplink(u -> u.gateway(ip("2001:db8::1")))));
    assertEquals("error [gateway-family] uplinks[1].gateway6: 198.51.100.1 is an IPv4 address;"
            + " expected an IPv6 address (IPv4 next hops go in gateway)",
        error(secondUplink(u -> u.gateway6(ip("198.51.100.1")))));
    assertEquals("error [snat-family] uplinks[1].snat: 2001:db8::2 is an IPv6 address;"
            + " expected an IPv4 address (IPv6 source addresses go in snat6)",
        error(secondUplink(u -> u.snat(ip("2001:db8::2")))));
    assertEquals("error [snat-family] uplinks[1].snat6: 198.51.100.2 is an IPv4 address;"
            + " expected an IPv6 address (IPv4 source addresses go in snat)",
        error(secondUplink(u -> u.snat6(ip("198.51.100.2")))));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "0.0.0.0         | the unspecified address",
    "255.255.255.255 | the broadcast address",
    "127.0.0.1       | a loopback address",
    "224.0.0.1       | a multicast address",
    "239.255.255.255 | a multicast address",
  })
  void gatewaysMustBeUnicast(String address, String kind) {
    assertEquals("error [address-not-unicast] uplinks[1].gateway: " + address + " is " + kind
            + "; expected the next hop's unicast address",
        error(secondUplink(u -> u.gateway(ip(address)))));
  }

  @Test
  void snatAddressesMustBeUnicastToo() {
    BalancingPolicy.Builder both = secondUplink(u -> u.snat6(ip("ff02::1")).gateway6(ip("::1")))
        .addFamilies(IpFamily.V4, IpFamily.V6).addLanPrefixes(net("2001:db8:1::/64"));
    assertEquals(List.of(
            "error [address-not-unicast] uplinks[1].gateway6: ::1 is the loopback address;"
                + " expected the next hop's unicast address",
            "error [address-not-unicast] uplinks[1].snat6: ff02::1 is a multicast address;"
                + " expected the uplink's own unicast address"),
        errors(both));
    assertEquals("error [address-not-unicast] uplinks[1].snat: 0.0.0.0 is the unspecified address;"
            + " expected the uplink's own unicast address",
        error(secondUplink(u -> u.snat(ip("0.0.0.0")))));
    assertEquals("error [address-not-unicast] uplinks[1].gateway6: :: is the unspecified address;"
            + " expected the next hop's unicast address",
        error(secondUplink(u -> u.gateway6(ip("::")))));
  }

  @Test
  void addressesInsideTheLan() {
    assertEquals("error [address-on-lan] uplinks[1].gateway: 192.0.2.1 lies inside the LAN prefix"
            + " 192.0.2.0/24; expected a next hop outside the LAN",
        error(secondUplink(u -> u.gateway(ip("192.0.2.1")))));
    assertEquals("error [address-on-lan] uplinks[1].snat: 192.0.2.200 lies inside the LAN prefix"
            + " 192.0.2.0/24; expected the uplink's own address outside the LAN",
        error(secondUplink(u -> u.snat(ip("192.0.2.200")))));
    secondUplink(u -> u.gateway(ip("192.0.3.1")).snat(ip("198.51.100.7"))).build();
  }

  @Test
  void snatToTheNextHop() {
    assertEquals("error [snat-is-gateway] uplinks[1].snat: 198.51.100.1 is also the uplink's next hop;"
            + " expected the uplink's own address",
        error(secondUplink(u -> u.gateway(ip("198.51.100.1")).snat(ip("198.51.100.1")))));
    secondUplink(u -> u.gateway(ip("198.51.100.1")).snat(ip("198.51.100.2"))).build();
  }

  @Test
  void aNextHopInOnlyOneOfTwoFamiliesTheOtherWayRound() {
    assertEquals(List.of(
            "warning [missing-gateway] uplinks[1].gateway: none, while the uplink has the IPv6 next hop"
                + " fe80::1; IPv4 routes go dev ppp1 without a next hop, which is right only for a"
                + " point-to-point link"),
        warnings(secondUplink(u -> u.gateway6(ip("fe80::1")))
            .addFamilies(IpFamily.V4, IpFamily.V6).addLanPrefixes(net("2001:db8:1::/64"))));
  }

  // ---- marks --------------------------------------------------------------------------------

  @Test
  void explicitMarks() {
    String expected = "; expected a non-zero value inside the mark mask 0xff00";
    assertEquals("error [mark-zero] uplinks[1].mark: 0x0 is no mark (0 means unmarked)" + expected,
        error(secondUplink(u -> u.mark(0))));
    assertEquals("error [mark-outside-mask] uplinks[1].mark: 0x1ff has bits outside the mark mask 0xff00"
            + " (0xff)" + expected,
        error(secondUplink(u -> u.mark(0x1ff))));
    assertEquals("error [mark-range] uplinks[1].mark: 0x100000000 is not a 32-bit value" + expected,
        error(secondUplink(u -> u.mark(0x1_0000_0000L))));
    assertEquals("error [mark-range] uplinks[1].mark: -256 is not a 32-bit value" + expected,
        error(secondUplink(u -> u.mark(-256))));
    secondUplink(u -> u.mark(0xff00)).build();
  }

  @Test
  void anAutomaticMaskTakesNoExplicitMarks() {
    assertEquals("error [mark-auto] uplinks[1].mark: 0x2000000 is an explicit mark, but the mark mask is auto (chosen"
            + " on the router); expected no explicit marks, or an explicit mark mask",
        error(BalancingPolicy.builder().from(secondUplink(u -> u.mark(0x2000000)).markMask(0x0f000000).build())
            .autoMarkMask(true)));
    BalancingPolicy.builder().from(seed().build()).markMask(0x0f000000).autoMarkMask(true).build();
  }

  @Test
  void duplicateMarksBlameTheExplicitOne() {
    // isp2's explicit 0x100 is isp1's assigned mark.
    assertEquals("error [duplicate-mark] uplinks[1].mark: 0x100 is also the mark assigned to uplink isp1"
            + " (uplinks[0]); expected a mark of its own",
        error(secondUplink(u -> u.mark(0x100))));
    // isp1's explicit 0x200 is isp2's assigned mark: isp1 is to blame although it comes first.
    assertEquals("error [duplicate-mark] uplinks[0].mark: 0x200 is also the mark assigned to uplink isp2"
            + " (uplinks[1]); expected a mark of its own",
        error(seed().uplinks(List.of(uplink("isp1", "ppp0").mark(0x200).build(),
            uplink("isp2", "ppp1").build()))));
    // two explicit ones: the later.
    assertEquals("error [duplicate-mark] uplinks[1].mark: 0x4000 is also the mark of uplink isp1"
            + " (uplinks[0]); expected a mark of its own",
        error(seed().uplinks(List.of(uplink("isp1", "ppp0").mark(0x4000).build(),
            uplink("isp2", "ppp1").mark(0x4000).build()))));
    // swapped assigned marks are fine
    seed().uplinks(List.of(uplink("isp1", "ppp0").mark(0x200).build(),
        uplink("isp2", "ppp1").mark(0x100).build())).build();
  }

  @Test
  void moreUplinksThanTheMaskEncodes() {
    List<Uplink> four = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      four.add(uplink("u" + i, "ppp" + i).build());
    }
    assertEquals("error [mark-capacity] uplinks: 4 uplinks need 4 distinct non-zero marks, but the mark"
            + " mask 0x3 (2 bits) encodes at most 3; widen the mark mask or remove uplinks",
        error(seed().uplinks(four).markMask(0x3)));
    assertEquals("error [mark-capacity] uplinks: 2 uplinks need 2 distinct non-zero marks, but the mark"
            + " mask 0x80 (1 bit) encodes at most 1; widen the mark mask or remove uplinks",
        error(seed().markMask(0x80)));
    seed().uplinks(four.subList(0, 3)).markMask(0x3).build();
  }

  @Test
  void theMaskItself() {
    String expected = "; expected a non-zero 32-bit mask such as 0xff00";
    assertEquals("error [mark-mask] markMask: 0x0 has no bits" + expected, error(seed().markMask(0)));
    assertEquals("error [mark-mask] markMask: 0x1ff0000ff00 is wider than 32 bits" + expected,
        error(seed().markMask(0x1ff0000ff00L)));
    assertEquals("error [mark-mask] markMask: -1 is wider than 32 bits" + expected, error(seed().markMask(-1)));
    seed().markMask(0xffff_ffffL).build();
  }

  @Test
  void foreignMarkBits() {
    assertEquals("error [foreign-mark-bits] foreignMarkBits: 0x1ff overlaps the mark mask 0xff00 in 0x100;"
            + " expected bits outside the mask",
        error(seed().foreignMarkBits(0x1ff)));
    assertEquals("error [foreign-mark-bits] foreignMarkBits: 0x100000000 is wider than 32 bits;"
            + " expected 32-bit mark bits outside the mark mask",
        error(seed().foreignMarkBits(0x1_0000_0000L)));
    seed().foreignMarkBits(0xffff_00ffL).build();
  }

  // ---- tables -------------------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "0   | 0 is the unspec table",
    "-7  | -7 is out of range",
    "253 | 253 is the default table",
    "254 | 254 is the main table",
    "255 | 255 is the local table",
  })
  void reservedTables(int table, String problem) {
    assertEquals("error [table-range] uplinks[1].table: " + problem + "; expected a table 1 to 2147483647"
            + " other than 253 (default), 254 (main) and 255 (local)",
        error(secondUplink(u -> u.table(table))));
  }

  @Test
  void duplicateTables() {
    assertEquals("error [duplicate-table] uplinks[1].table: 100 is also the table assigned to uplink isp1"
            + " (uplinks[0]); expected a table of its own",
        error(secondUplink(u -> u.table(100))));
    assertEquals("error [duplicate-table] uplinks[0].table: 101 is also the table assigned to uplink isp2"
            + " (uplinks[1]); expected a table of its own",
        error(seed().uplinks(List.of(uplink("isp1", "ppp0").table(101).build(),
            uplink("isp2", "ppp1").build()))));
    assertEquals("error [duplicate-table] uplinks[1].table: 7 is also the table of uplink isp1 (uplinks[0]);"
            + " expected a table of its own",
        error(seed().uplinks(List.of(uplink("isp1", "ppp0").table(7).build(),
            uplink("isp2", "ppp1").table(7).build()))));
    assertEquals("error [duplicate-table] uplinks[1].table: 102 is also the multipath table (the table base"
            + " 100 plus 2 uplinks); expected a table of its own",
        error(secondUplink(u -> u.table(102)).strategy(Strategy.MULTIPATH)));
    // only MULTIPATH has a multipath table
    secondUplink(u -> u.table(102)).build();
    secondUplink(u -> u.table(4_000_000)).build();
  }

  @Test
  void tableBase() {
    assertEquals("error [table-base] tableBase: 0 is out of range; expected 1 to 2147483647",
        error(seed().tableBase(0)));
    assertEquals("error [table-base] tableBase: 252 gives uplink isp2 (uplinks[1]) table 253, which is"
            + " reserved (default); expected a table base whose tables avoid 253 to 255",
        error(seed().tableBase(252)));
    assertEquals("error [table-base] tableBase: 251 gives the multipath table 253, which is"
            + " reserved (default); expected a table base whose tables avoid 253 to 255",
        error(seed().tableBase(251).strategy(Strategy.MULTIPATH)));
    assertEquals("error [table-base] tableBase: 2147483647 gives uplink isp2 (uplinks[1]) table 2147483648,"
            + " beyond 2147483647; expected a lower table base",
        error(seed().tableBase(Integer.MAX_VALUE)));
    // an explicit table moves an uplink out of the reserved range
    secondUplink(u -> u.table(300)).tableBase(252).build();
    seed().tableBase(256).strategy(Strategy.MULTIPATH).build();
  }

  // ---- LAN ----------------------------------------------------------------------------------

  @Test
  void lanInterfaces() {
    assertEquals("error [no-lan-interface] lanInterfaces: no LAN interface; expected at least one",
        error(seed().lanInterfaces(List.of())));
    assertEquals("error [duplicate-lan-interface] lanInterfaces[2]: eth0 is listed twice;"
            + " expected each LAN interface once",
        error(seed().addLanInterfaces(InterfaceName.of("eth1"), InterfaceName.of("eth0"))));
  }

  @Test
  void lanPrefixes() {
    assertEquals("error [no-lan-prefix] lanPrefixes: no IPv4 LAN prefix, but IPv4 is compiled"
            + " (families: IPv4); expected at least one",
        error(seed().lanPrefixes(List.of())));
    assertEquals("error [no-lan-prefix] lanPrefixes: no IPv6 LAN prefix, but IPv6 is compiled"
            + " (families: IPv4 and IPv6); expected at least one",
        error(seed().addFamilies(IpFamily.V4, IpFamily.V6)));
    assertEquals("error [lan-prefix-everything] lanPrefixes[1]: 0.0.0.0/0 covers every address;"
            + " expected the LAN's own network",
        error(seed().addLanPrefixes(net("0.0.0.0/0"))));
    assertEquals("error [duplicate-lan-prefix] lanPrefixes[1]: 192.0.2.0/24 is listed twice;"
            + " expected each LAN prefix once",
        error(seed().addLanPrefixes(net("192.0.2.0/24"))));
  }

  @Test
  void lanWarnings() {
    assertEquals(List.of(
            "warning [host-bits] lanPrefixes[0]: 192.0.2.1/24 has host bits set; it means 192.0.2.0/24",
            "warning [overlapping-lan-prefix] lanPrefixes[1]: 192.0.2.128/25 lies inside the LAN prefix"
                + " 192.0.2.1/24; it adds nothing",
            "warning [unused-prefix] lanPrefixes[2]: 2001:db8::/64 is not used: IPv6 is not compiled"
                + " (families: IPv4)"),
        warnings(seed().lanPrefixes(List.of(net("192.0.2.1/24"), net("192.0.2.128/25"), net("2001:db8::/64")))));
  }

  // ---- families and unused addresses ------------------------------------------------------

  @Test
  void families() {
    assertEquals("error [no-family] families: no family; expected IPv4, IPv6 or both",
        errors(seed().families(List.of())).get(0));
    BalancingPolicy v6 = BalancingPolicy.builder()
        .addUplinks(uplink("isp1", "ppp0").build())
        .addLanInterfaces(InterfaceName.of("eth0"))
        .addLanPrefixes(net("2001:db8:1::/64"))
        .families(List.of(IpFamily.V6))
        .build();
    assertEquals(List.of(), v6.validate());
  }

  @Test
  void addressesOfAFamilyNotCompiledAreUnused() {
    assertEquals(List.of(
            "warning [unused-address] uplinks[1].gateway6: 2001:db8::1 is not used: IPv6 is not compiled"
                + " (families: IPv4)",
            "warning [unused-address] uplinks[1].snat6: 2001:db8::2 is not used: IPv6 is not compiled"
                + " (families: IPv4)"),
        warnings(secondUplink(u -> u.gateway6(ip("2001:db8::1")).snat6(ip("2001:db8::2")))));
  }

  @Test
  void aNextHopInOnlyOneOfTwoFamilies() {
    assertEquals(List.of(
            "warning [missing-gateway] uplinks[1].gateway6: none, while the uplink has the IPv4 next hop"
                + " 198.51.100.1; IPv6 routes go dev ppp1 without a next hop, which is right only for a"
                + " point-to-point link"),
        warnings(secondUplink(u -> u.gateway(ip("198.51.100.1")))
            .addFamilies(IpFamily.V4, IpFamily.V6).addLanPrefixes(net("2001:db8:1::/64"))));
  }

  // ---- selectors ----------------------------------------------------------------------------

  @Test
  void selectorWarnings() {
    TrafficSelector v6Web = TrafficSelector.of(Protocol.TCP, 80).withDestinations(List.of(net("2001:db8::/32")));
    assertEquals(List.of(
            "warning [unused-prefix] balanced[0].destinations[0]: 2001:db8::/32 is IPv6, which is not"
                + " compiled (families: IPv4); it is ignored",
            "warning [selector-never-matches] balanced[0]: tcp dports 80 to 2001:db8::/32 matches no"
                + " connection of a compiled family (families: IPv4); it has no effect",
            "warning [source-outside-lan] balanced[1].sources[0]: 198.51.100.0/24 lies outside every LAN"
                + " prefix; no balanced LAN connection comes from it",
            "warning [host-bits] router[0].sources[0]: 198.51.100.9/24 has host bits set; it means"
                + " 198.51.100.0/24",
            "warning [exclude-everything] exclusions[0]: all excludes every connection; nothing is balanced"),
        warnings(seed()
            .addBalanced(v6Web)
            .addBalanced(TrafficSelector.all().withSources(List.of(net("198.51.100.0/24"))))
            .addRouter(TrafficSelector.all().withSources(List.of(net("198.51.100.9/24"))))
            .addExclusions(TrafficSelector.all())));
  }

  @Test
  void selectorsWithPortsNeedAPortProtocol() {
    assertEquals("ports 80 need a protocol with ports (tcp, udp, sctp, udplite, dccp), not icmp",
        assertThrows(IllegalArgumentException.class, () -> TrafficSelector.of(Protocol.ICMP, 80)).getMessage());
  }

  // ---- settings -----------------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource({"0", "-1", "32001", "32766"})
  void priorityBase(int base) {
    assertEquals("error [priority-base] priorityBase: " + base + " is out of range; expected 1 to 32000"
            + " (mlb's rules must come after the local table's rule at 0 and before the main table's at 32766)",
        error(seed().priorityBase(base)));
  }

  @Test
  void priorityBaseAtTheEdges() {
    seed().priorityBase(1).build();
    seed().priorityBase(32000).build();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
    "``                | \"\" is empty",
    "abcdefghijklmnopq | \"abcdefghijklmnopq\" is 17 characters",
    "-mlb              | \"-mlb\" starts with '-'",
    "_mlb              | \"_mlb\" starts with '_'",
    "m b               | \"m b\" contains ' ' at position 2",
    "mlb.1             | \"mlb.1\" contains '.' at position 4",
  })
  void chainPrefix(String prefix, String problem) {
    assertEquals("error [chain-prefix] chainPrefix: " + problem + "; expected 1 to 16 letters, digits,"
            + " '_' or '-', starting with a letter or digit",
        error(seed().chainPrefix(prefix)));
  }

  @Test
  void chainPrefixAtTheEdge() {
    seed().chainPrefix("A-b_c0123456789x").build();
    seed().chainPrefix("9").build();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "-1  | -1 is out of range",
    "256 | 256 is out of range",
    "0   | 0 is iproute2's unspec",
    "1   | 1 is iproute2's redirect",
    "2   | 2 is iproute2's kernel",
    "3   | 3 is iproute2's boot",
    "4   | 4 is iproute2's static",
  })
  void ruleProtocol(int protocol, String problem) {
    assertEquals("error [rule-protocol] ruleProtocol: " + problem + "; expected 5 to 255 (0 to 4 are"
            + " iproute2's unspec, redirect, kernel, boot and static)",
        error(seed().ruleProtocol(protocol)));
  }

  @Test
  void ruleProtocolOfARoutingDaemon() {
    assertEquals(List.of("warning [rule-protocol-shared] ruleProtocol: 16 is dhcp's in iproute2's rt_protos;"
            + " mlb removes every rule and route tagged with it, so pick a number no routing daemon uses"),
        warnings(seed().ruleProtocol(16)));
    assertEquals(List.of(), warnings(seed().ruleProtocol(5)));
    assertEquals(List.of(), warnings(seed().ruleProtocol(255)));
  }

  @Test
  void everyErrorIsReportedInOneException() {
    assertEquals(List.of(
            "error [duplicate-uplink-name] uplinks[1].name: \"isp1\" is also the name of uplinks[0];"
                + " expected unique names",
            "error [weight-range] uplinks[1].weight: 0 is out of range; expected 1 to 256",
            "error [chain-prefix] chainPrefix: \"\" is empty; expected 1 to 16 letters, digits, '_' or '-',"
                + " starting with a letter or digit"),
        errors(secondUplink(u -> u.name("isp1").weight(0)).chainPrefix("")));
  }

  @Test
  void multipathIsAReservedUplinkName() {
    assertEquals(
        "error [uplink-name] uplinks[1].name: \"multipath\" is reserved (the multipath routing table is named"
            + " PREFIX-multipath); expected another name",
        error(secondUplink(u -> u.name("multipath"))));
  }

  @Test
  void ipv6MultipathNeedsAGatewayPerUplink() {
    assertEquals(
        List.of(
            "error [multipath-gateway6] uplinks[1].gateway6: none, but IPv6 multipath routes need a next hop for"
                + " every uplink (the kernel refuses device-only IPv6 nexthops in a multipath route); expected the"
                + " uplink's IPv6 gateway"),
        errors(BalancingPolicy.builder()
            .addUplinks(uplink("isp1", "eth1").gateway6(ip("2001:db8:1::1")).build(),
                uplink("isp2", "eth2").build())
            .addLanInterfaces(InterfaceName.of("eth0"))
            .addLanPrefixes(IpPrefix.parse("2001:db8:ff::/64"))
            .families(java.util.Set.of(IpFamily.V6))
            .strategy(Strategy.MULTIPATH)));
  }

  @Test
  void priorityBaseMustLeaveRoomForEveryRule() {
    // nth, 756 uplinks at base 32000: fwmark rules at 32010 to 32765 fit below main's 32766.
    // One more uplink, or multipath's selector rules after the fwmark rules, would reach 32766.
    seed().uplinks(manyUplinks(756)).markMask(0xffff00).tableBase(1000).priorityBase(32000).build();
    assertEquals(
        "error [priority-range] priorityBase: 32000 leaves no room for 757 uplinks: mlb's rules would reach"
            + " priority 32766; expected them below the main table's rule at 32766",
        error(seed().uplinks(manyUplinks(757)).markMask(0xffff00).tableBase(1000).priorityBase(32000)));
    assertEquals(
        "error [priority-range] priorityBase: 32000 leaves no room for 756 uplinks: mlb's rules would reach"
            + " priority 32766; expected them below the main table's rule at 32766",
        error(seed().uplinks(manyUplinks(756)).markMask(0xffff00).tableBase(1000).priorityBase(32000)
            .strategy(Strategy.MULTIPATH)));
  }

  static List<Uplink> manyUplinks(int n) {
    List<Uplink> list = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(uplink("u" + i, "ppp" + i).build());
    }
    return list;
  }

  @Test
  void uplinkInterfacesMustMakeSysctlKeys() {
    assertEquals("error [uplink-interface-sysctl] uplinks[1].iface: a=b has '=' at position 2, which sysctl -p reads"
        + " as the end of the key in the uplink's rp_filter setting; expected an interface name without = * ? [",
        error(secondUplink(u -> u.iface(InterfaceName.of("a=b")))));
    assertEquals("error [uplink-interface-sysctl] uplinks[1].iface: w?n has '?' at position 2, which sysctl -p reads"
        + " as a glob pattern in the uplink's rp_filter setting; expected an interface name without = * ? [",
        error(secondUplink(u -> u.iface(InterfaceName.of("w?n")))));
    assertEquals("error [uplink-interface-sysctl] uplinks[1].iface: default is the name of a sysctl directory"
        + " (net.ipv4.conf.default), not of one interface; expected another interface name",
        error(secondUplink(u -> u.iface(InterfaceName.of("default")))));
  }

  @Test
  void multipathNeedsLiteralLanInterfaces() {
    seed().addLanInterfaces(InterfaceName.of("wlan+")).build();
    assertEquals("error [lan-interface-wildcard] lanInterfaces[1]: wlan+ is a wildcard, but strategy multipath selects"
        + " LAN traffic with ip rule iif, which takes one interface; expected an interface name without '+'",
        error(seed().addLanInterfaces(InterfaceName.of("wlan+")).strategy(Strategy.MULTIPATH)));
  }
}
