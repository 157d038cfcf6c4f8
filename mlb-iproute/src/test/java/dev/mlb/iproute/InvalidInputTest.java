package dev.mlb.iproute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import dev.mlb.api.ValidationException;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Invalid batch files and plans: mlb reports each before anything is applied, naming the line or
 * the rule/route, with the exact message.
 */
class InvalidInputTest {

  private static String parseError(String text) {
    ParseException e = assertThrows(ParseException.class, () -> IpBatchParser.parse("bad.batch", text, IpFamily.V4));
    return e.getMessage();
  }

  /** The findings of a batch that parses, one per line; and render() must refuse it if any is an error. */
  private static List<String> findings(String text) {
    RoutingPlan plan = IpBatchParser.parse("bad.batch", text, IpFamily.V4);
    List<Finding> findings = plan.validate();
    if (findings.stream().anyMatch(Finding::isError)) {
      assertThrows(ValidationException.class, () -> IpBatchWriter.render(plan));
    }
    // Most snippets have no owner; that warning has its own test below.
    return findings.stream().filter(f -> !f.code().equals("no-owner")).map(Finding::toString)
        .collect(Collectors.toList());
  }

  private static final String CONNECTED = "#mlb: connected mlb0 192.0.2.2/26\n";

  // ---- batch files that ip itself would refuse (ParseException) ----

  @Test
  void misspelledRuleKeyword() {
    assertEquals("line 1, column 21: unknown word \"fwmrk\" in rule add; expected not, from, to, priority, fwmark, iif,"
        + " oif, ipproto, sport, dport, lookup, goto, nop, unreachable, blackhole, prohibit, suppress_prefixlength,"
        + " suppress_ifgroup or protocol\n  rule add priority 5 [*]fwmrk 1 lookup 101",
        parseError("rule add priority 5 fwmrk 1 lookup 101\n"));
  }

  @Test
  void ruleTableOutOfRange() {
    assertEquals("line 2, column 28: lookup: \"4294967296\" is not a routing table; expected main, local, default or"
        + " a number 1 to 4294967295\n  rule add priority 5 lookup [*]4294967296",
        parseError("# tables\nrule add priority 5 lookup 4294967296\n"));
  }

  @Test
  void routeTableZero() {
    assertEquals("line 1, column 38: table: \"0\" is not a routing table; expected main, local, default or a number"
        + " 1 to 4294967295\n  route replace default dev mlb0 table [*]0",
        parseError("route replace default dev mlb0 table 0\n"));
  }

  @Test
  void nexthopWeightAbove256() {
    assertEquals("line 1, column 61: weight: \"257\" is not a nexthop weight; expected 1 to 256\n"
        + "  route replace default nexthop via 192.0.2.1 dev mlb0 weight [*]257",
        parseError("route replace default nexthop via 192.0.2.1 dev mlb0 weight 257\n"));
  }

  @Test
  void nexthopWeightZero() {
    assertEquals("line 1, column 61: weight: \"0\" is not a nexthop weight; expected 1 to 256\n"
        + "  route replace default nexthop via 192.0.2.1 dev mlb0 weight [*]0",
        parseError("route replace default nexthop via 192.0.2.1 dev mlb0 weight 0\n"));
  }

  @Test
  void hashInsideQuotesLeavesAnUnterminatedQuote() {
    assertEquals("line 1, column 21: unterminated quoted string; expected a closing \" on the same command line\n"
        + "  rule add priority 5 [*]\"lookup#\" 7",
        parseError("rule add priority 5 \"lookup#\" 7\n"));
  }

  @Test
  void continuationAtTheEnd() {
    // ip prints "Missing continuation line", drops the command and still exits 0; mlb refuses.
    assertEquals("line 1, column 21: the line ends in a backslash but no line follows; expected a continuation"
        + " line\n  rule add priority 5 [*]\\",
        parseError("rule add priority 5 \\\n"));
  }

  @Test
  void aWordOnAContinuationLineIsPlacedOnItsOwnLine() {
    // "bogus" starts in column 3 of the third physical line, after two continued lines; the excerpt is that line.
    assertEquals("line 3, column 3: unknown word \"bogus\" in rule add; expected not, from, to, priority, fwmark,"
        + " iif, oif, ipproto, sport, dport, lookup, goto, nop, unreachable, blackhole, prohibit,"
        + " suppress_prefixlength, suppress_ifgroup or protocol\n    [*]bogus 1",
        parseError("rule add priority 5 \\\n  lookup 7 \\\n  bogus 1\n"));
  }

  @Test
  void keywordWithoutValue() {
    assertEquals("line 1, column 18: the command ends after \"priority\"; expected a priority 0 to 4294967295\n"
        + "  rule add priority[*]",
        parseError("rule add priority\n"));
  }

  @Test
  void unknownObject() {
    assertEquals("line 1, column 1: unknown object \"iproute\"; expected rule or route (or another ip object such as"
        + " link or address)\n  [*]iproute add default dev mlb0",
        parseError("iproute add default dev mlb0\n"));
  }

  @Test
  void prefixLengthTooLong() {
    assertEquals("line 1, column 26: from: \"192.0.2.0/33\": prefix length 33 is outside 0..32\n"
        + "  rule add priority 5 from [*]192.0.2.0/33 lookup 7",
        parseError("rule add priority 5 from 192.0.2.0/33 lookup 7\n"));
  }

  @Test
  void markMaskWiderThan32Bits() {
    assertEquals("line 1, column 28: fwmark: mark \"0x1/0x1ffffffff\": mask \"0x1ffffffff\" is not an unsigned 32-bit"
        + " number; expected 0 to 4294967295 in decimal, 0x hex or 0 octal\n"
        + "  rule add priority 5 fwmark [*]0x1/0x1ffffffff lookup 7",
        parseError("rule add priority 5 fwmark 0x1/0x1ffffffff lookup 7\n"));
  }

  @Test
  void unknownMlbComment() {
    assertEquals("line 1, column 1: unknown #mlb: comment \"tabel 101 isp1\"; expected \"#mlb: table ID NAME\" or"
        + " \"#mlb: connected DEVICE PREFIX\"\n  [*]#mlb: tabel 101 isp1",
        parseError("#mlb: tabel 101 isp1\n"));
  }

  @Test
  void reservedTableNamed() {
    assertEquals("line 1, column 1: table 254 is reserved as \"main\"; it cannot be named \"isp\"\n"
        + "  [*]#mlb: table 254 isp",
        parseError("#mlb: table 254 isp\n"));
  }

  @Test
  void tableNamedTwice() {
    ParseException e = assertThrows(ParseException.class,
        () -> IpBatchParser.parse("bad.batch", "#mlb: table 101 isp1\n#mlb: table 102 isp1\n", IpFamily.V4));
    assertEquals("bad.batch: line 2, column 1: table name \"isp1\" is already used; expected one table per name\n"
        + "  [*]#mlb: table 102 isp1", e.describe());
  }

  @Test
  void routeWithoutDestination() {
    assertEquals("line 1, column 37: route replace has no destination; expected a prefix or default\n"
        + "  route replace via 192.0.2.1 dev mlb0[*]",
        parseError("route replace via 192.0.2.1 dev mlb0\n"));
  }

  @Test
  void nexthopWithoutGatewayOrDevice() {
    assertEquals("line 1, column 23: nexthop has neither via nor dev; expected a gateway, a device or both\n"
        + "  route replace default [*]nexthop weight 2",
        parseError("route replace default nexthop weight 2\n"));
  }

  @Test
  void garbageAfterTheDestination() {
    assertEquals("line 1, column 40: unknown word \"metrc\" after the destination in route replace; expected via,"
        + " dev, table, metric, proto, scope, src, onlink or nexthop\n"
        + "  route replace 198.51.100.0/24 dev mlb0 [*]metrc 5",
        parseError("route replace 198.51.100.0/24 dev mlb0 metrc 5\n"));
  }

  @Test
  void interfaceNameTooLong() {
    assertEquals("line 1, column 25: iif: interface name \"averyveryverylongname\" is 21 characters; the kernel allows"
        + " at most 15\n  rule add priority 5 iif [*]averyveryverylongname lookup 7",
        parseError("rule add priority 5 iif averyveryverylongname lookup 7\n"));
  }

  @Test
  void aContinuedCommandNamesThePhysicalLine() {
    assertEquals("line 3, column 3: unknown word \"lokup\" in rule add; expected not, from, to, priority, fwmark, iif,"
        + " oif, ipproto, sport, dport, lookup, goto, nop, unreachable, blackhole, prohibit, suppress_prefixlength,"
        + " suppress_ifgroup or protocol\n    [*]lokup 7",
        parseError("rule add \\\n  priority 5 \\\n  lokup 7\n"));
  }

  // ---- plans that parse but would fail halfway, or not do what they say (findings) ----

  @Test
  void duplicateRule() {
    assertEquals(List.of("error [rule-duplicate] line 2, rule 2 (priority 5): the rule repeats line 1, rule 1"
            + " (priority 5); the kernel refuses the second one (File exists) and the batch stops there"),
        findings("rule add priority 5 fwmark 1 lookup 7\nrule add priority 5 fwmark 1 lookup 7\n"));
  }

  @Test
  void duplicateRuleAfterAnotherWithTheSamePriority() {
    assertEquals(List.of("error [rule-duplicate] line 3, rule 3 (priority 5): the rule repeats line 2, rule 2"
            + " (priority 5); the kernel refuses the second one (File exists) and the batch stops there",
            "warning [priority-duplicate] line 2, rule 2 (priority 5): priority 5 is also used by line 1, rule 1"
                + " (priority 5) with a different meaning; the kernel evaluates them in the order added. Give each"
                + " rule its own priority"),
        findings("rule add priority 5 fwmark 1 lookup 8\nrule add priority 5 fwmark 2 lookup 7\n"
            + "rule add priority 5 fwmark 2 lookup 7\n"));
  }

  /**
   * iproute2 6.1's batch reader cuts a line at its first '#', inside a word too (checked with
   * {@code ip link add 'y#x' type veth ...; echo 'link show dev y#x' | ip -batch -}: Device "y" does
   * not exist), so a route through "wan#2" would go through "wan" instead.
   */
  @Test
  void interfaceWithAHashCannotBeWrittenIntoABatch() {
    dev.mlb.api.InterfaceName wan = dev.mlb.api.InterfaceName.of("wan#2");
    RoutingPlan plan = RoutingPlan.builder().family(IpFamily.V4)
        .addRoutes(Route.builder().destination(dev.mlb.api.IpPrefix.any(IpFamily.V4)).table(RoutingTable.of(7))
            .dev(wan).build())
        .addRules(IpRule.builder().priority(5).iif(wan).action(RuleAction.lookup(RoutingTable.of(7))).build())
        .build();
    List<String> expected = List.of(
        "error [interface-comment] route 1 (default table 7): interface \"wan#2\" contains '#', which ip -batch takes"
            + " as the start of a comment anywhere in a line: the line would end at \"wan\". Rename the interface",
        "error [interface-comment] rule 1 (priority 5): interface \"wan#2\" contains '#', which ip -batch takes"
            + " as the start of a comment anywhere in a line: the line would end at \"wan\". Rename the interface",
        "warning [no-owner] plan: the plan has rules but no owner, so the batch cannot flush them first; applying it"
            + " a second time fails with \"File exists\". Set an owner protocol and tag every rule with it");
    assertEquals(expected, plan.validate().stream().map(Finding::toString).collect(Collectors.toList()));
    assertThrows(ValidationException.class, () -> IpBatchWriter.render(plan));
  }

  /** Rules that share a priority and do the same thing give the same result in either order. */
  @Test
  void samePriorityWithTheSameActionIsFine() {
    assertEquals(List.of(),
        findings("rule add priority 5 to 192.0.2.0/25 lookup main\nrule add priority 5 to 198.51.100.0/24 lookup main\n"
            + "rule add priority 6 iif eth0 lookup 7 suppress_prefixlength 0\n"
            + "rule add priority 6 iif eth1 lookup 7 suppress_prefixlength 0\n"));
    assertEquals(List.of("warning [priority-duplicate] line 2, rule 2 (priority 6): priority 6 is also used by line 1,"
            + " rule 1 (priority 6) with a different meaning; the kernel evaluates them in the order added. Give each"
            + " rule its own priority"),
        findings("rule add priority 6 iif eth0 lookup 7 suppress_prefixlength 0\n"
            + "rule add priority 6 iif eth1 lookup 7\n"));
  }

  @Test
  void duplicatePriorityWithDifferentMeaning() {
    assertEquals(List.of("warning [priority-duplicate] line 2, rule 2 (priority 5): priority 5 is also used by line 1,"
            + " rule 1 (priority 5) with a different meaning; the kernel evaluates them in the order added. Give each"
            + " rule its own priority"),
        findings("rule add priority 5 fwmark 1 lookup 7\nrule add priority 5 fwmark 2 lookup 8\n"));
  }

  @Test
  void fwmarkWithoutMaskWhereMarksAreMasked() {
    assertEquals(List.of("warning [fwmark-unmasked] line 2, rule 2 (priority 6): fwmark 0x2 compares all 32 bits, but"
            + " line 1, rule 1 (priority 5) uses fwmark 0x1/0xff; other bits of the mark make this rule miss. Give it"
            + " the same mask"),
        findings("rule add priority 5 fwmark 0x1/0xff lookup 7\nrule add priority 6 fwmark 2 lookup 8\n"));
  }

  @Test
  void gatewayNotReachableThroughItsDevice() {
    assertEquals(List.of("error [gateway-unreachable] line 2, route 1 (default table 101): gateway 198.51.100.1 is not"
            + " inside a prefix of dev mlb0 (192.0.2.2/26); the kernel refuses it (Nexthop has invalid gateway) unless"
            + " the route is onlink"),
        findings(CONNECTED + "route replace default via 198.51.100.1 dev mlb0 table 101\n"));
    assertEquals(List.of(),
        findings(CONNECTED + "route replace default via 198.51.100.1 dev mlb0 table 101 onlink\n"));
  }

  @Test
  void nexthopGatewayNotReachable() {
    assertEquals(List.of("error [gateway-unreachable] line 2, route 1 (default table 101): nexthop gateway 192.0.2.65"
            + " is not inside a prefix of dev mlb0 (192.0.2.2/26); the kernel refuses it (Nexthop has invalid gateway)"
            + " unless the route is onlink"),
        findings(CONNECTED + "route replace default table 101 nexthop via 192.0.2.1 dev mlb0 nexthop via 192.0.2.65"
            + " dev mlb0 weight 2\n"));
  }

  @Test
  void familyMismatch() {
    assertEquals(List.of("error [family-mismatch] line 1, route 1 (2001:db8::/32 table main): destination"
            + " 2001:db8::/32 is IPv6 but the plan is IPv4",
            "error [family-mismatch] line 2, rule 1 (priority 5): from 2001:db8::/32 is IPv6 but the plan is IPv4"),
        findings("route replace 2001:db8::/32 dev mlb0\nrule add priority 5 from 2001:db8::/32 lookup 7\n"));
  }

  @Test
  void backwardGoto() {
    assertEquals(List.of("error [goto-backward] line 1, rule 1 (priority 500): goto 100 does not jump forward from"
            + " priority 500; the kernel refuses it (Backward goto not supported)"),
        findings("rule add priority 500 goto 100\nrule add priority 100 lookup 7\n"));
  }

  @Test
  void suppressWithoutLookup() {
    assertEquals(List.of("error [suppress-without-lookup] line 1, rule 1 (priority 5): suppress_prefixlength and"
            + " suppress_ifgroup only apply to a lookup, but the action is \"blackhole\""),
        findings("rule add priority 5 blackhole suppress_prefixlength 0\n"));
  }

  @Test
  void ruleWithoutTheOwnersTag() {
    assertEquals(List.of("error [rule-not-owned] line 2, rule 1 (priority 5): the rule has no protocol but the plan's"
            + " owner is 180; rule flush protocol 180 would not remove it, and applying the batch again fails with"
            + " \"File exists\""),
        findings("rule flush protocol 180\nrule add priority 5 lookup 7\n"));
  }

  @Test
  void rejectRouteWithDevice() {
    assertEquals(List.of("error [reject-route-with-path] line 1, route 1 (198.51.100.0/24 table 7): a route of type"
            + " unreachable takes no via, dev or nexthop; the kernel refuses it (Gateway, device and multipath can not be"
            + " specified for this route type)"),
        findings("route replace unreachable 198.51.100.0/24 dev mlb0 table 7\n"));
  }

  @Test
  void destinationWithHostBits() {
    assertEquals(List.of("error [destination-host-bits] line 1, route 1 (198.51.100.7/24 table main): destination"
            + " 198.51.100.7/24 has bits set after the prefix length; write 198.51.100.0/24 (ip refuses: Invalid prefix"
            + " for given prefix length)"),
        findings("route replace 198.51.100.7/24 dev mlb0\n"));
  }

  @Test
  void routeReplacedByALaterOne() {
    assertEquals(List.of("error [route-duplicate] line 2, route 2 (198.51.100.0/24 table 7): the route has the same"
            + " table, destination and metric as line 1, route 1 (198.51.100.0/24 table 7); route replace keeps only the"
            + " last one. Give them different metrics or merge them"),
        findings("route replace 198.51.100.0/24 dev mlb0 table 7\nroute replace 198.51.100.0/24 dev mlb1 table 7\n"));
  }

  @Test
  void singlePathAndNexthopsTogether() {
    assertEquals(List.of("error [multipath-and-single-path] line 1, route 1 (default table 7): the route has both"
            + " via/dev and nexthop clauses; the kernel refuses them unless they name the same path (Nexthop device index"
            + " does not match RTA_OIF) and keeps only the nexthops. Give the paths only as nexthops"),
        findings("route replace default dev mlb0 table 7 nexthop dev mlb1\n"));
  }

  @Test
  void gatewayWithLinkScope() {
    assertEquals(List.of("error [gateway-scope] line 1, route 1 (198.51.100.0/24 table 7): a route through gateway"
            + " 192.0.2.1 cannot have scope link (Nexthop has invalid gateway); leave the scope out or use global"),
        findings("route replace 198.51.100.0/24 via 192.0.2.1 dev mlb0 table 7 scope link\n"));
  }

  @Test
  void rulePortOutOfKernelRange() {
    assertEquals(List.of("error [rule-port-range] line 1, rule 1 (priority 5): dport 1024-65535 includes port 65535;"
            + " ip rule takes ports 1 to 65534 (the kernel refuses: Invalid port range)"),
        findings("rule add priority 5 ipproto tcp dport 1024-65535 lookup 7\n"));
  }

  @Test
  void gatewayShadowedInItsOwnTable() {
    assertEquals(List.of("error [gateway-shadowed] line 2, route 2 (198.51.100.0/24 table 7): gateway 192.0.2.1 lies"
            + " in line 1, route 1 (192.0.2.0/26 table 7), a broadcast route of scope link in the same table, where the"
            + " kernel looks the gateway up first (Nexthop has invalid gateway)"),
        findings("route replace broadcast 192.0.2.0/26 dev mlb0 table 7\n"
            + "route replace 198.51.100.0/24 via 192.0.2.1 dev mlb0 table 7\n"));
  }

  @Test
  void rulesWithoutOwner() {
    RoutingPlan plan = IpBatchParser.parse("bad.batch", "rule add priority 5 lookup 7\n", IpFamily.V4);
    assertEquals(List.of(Finding.warning("no-owner", "plan", "the plan has rules but no owner, so the batch cannot"
        + " flush them first; applying it a second time fails with \"File exists\". Set an owner protocol and tag"
        + " every rule with it")), plan.validate());
  }

  @Test
  void deviceNotAmongThePlansInterfaces() {
    assertEquals(List.of("warning [device-unknown] line 2, route 1 (198.51.100.0/24 table 7): dev ppp9 is not among"
            + " the plan's interfaces (mlb0); ip -batch stops with \"Cannot find device\" if it does not exist"),
        findings(CONNECTED + "route replace 198.51.100.0/24 dev ppp9 table 7\n"));
  }

  @Test
  void sourceAddressNotOnAnyInterface() {
    assertEquals(List.of("error [src-not-local] line 2, route 1 (198.51.100.0/24 table 7): src 192.0.2.9 is not an"
            + " address of any interface in the plan (192.0.2.2); the kernel refuses it (Invalid prefsrc address)"),
        findings(CONNECTED + "route replace 198.51.100.0/24 via 192.0.2.1 dev mlb0 table 7 src 192.0.2.9\n"));
  }

  @Test
  void errorsComeFirstAndRenderingIsRefused() {
    RoutingPlan plan = IpBatchParser.parse("bad.batch",
        "rule add priority 5 fwmark 0x1/0xff lookup 7\nrule add priority 6 fwmark 2 lookup 8\nrule add priority 9 goto 8\n",
        IpFamily.V4);
    ValidationException e = assertThrows(ValidationException.class, () -> IpBatchWriter.render(plan));
    assertEquals("1 error:\nerror [goto-backward] line 3, rule 3 (priority 9): goto 8 does not jump forward from"
        + " priority 9; the kernel refuses it (Backward goto not supported)", e.getMessage());
    assertEquals(List.of("goto-backward", "fwmark-unmasked", "no-owner"),
        e.findings().stream().map(Finding::code).collect(Collectors.toList()));
  }
}
