package dev.mlb.iproute;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import java.util.List;
import org.junit.jupiter.api.Test;

class IpBatchParserTest {

  private static RoutingPlan v4(String text) {
    return IpBatchParser.parse("test.batch", text, IpFamily.V4);
  }

  private static IpRule onlyRule(String text) {
    RoutingPlan p = v4(text);
    assertEquals(1, p.rules().size(), p.toString());
    return p.rules().get(0);
  }

  @Test
  void readsTheGoldenBatches() {
    assertEquals(UplinkPlans.v4(), IpBatchParser.parse("uplinks.v4.batch", Golden.read("uplinks.v4.batch"), IpFamily.V4));
    assertEquals(UplinkPlans.v6(), IpBatchParser.parse("uplinks.v6.batch", Golden.read("uplinks.v6.batch"), IpFamily.V6));
  }

  @Test
  void keepsTheLineOfEachRuleAndRoute() {
    RoutingPlan p = v4("\n# comment\nrule add priority 5 lookup 7\n\nroute replace 198.51.100.0/24 dev mlb0\n");
    assertEquals(3, p.rules().get(0).line().getAsInt());
    assertEquals(5, p.routes().get(0).line().getAsInt());
  }

  @Test
  void aCommentStartsAtAnyHashEvenInsideQuotes() {
    assertEquals(
        onlyRule("rule add priority 5 lookup 7\n"),
        onlyRule("rule add priority 5 lookup 7 # \"dport 80\n"));
    // The hash even cuts a quoted word short; ip then reports the unterminated quote, and so does mlb
    // (see InvalidInputTest).
  }

  @Test
  void aBackslashBeforeTheLineBreakContinuesTheCommand() {
    RoutingPlan p = v4("rule add priority 5 \\\n  fwmark 0x1/0xff \\\n  lookup 7\nrule add priority 6 lookup 8\n");
    assertEquals(2, p.rules().size());
    assertEquals(Mark.of(1, 0xff), p.rules().get(0).fwmark().get());
    assertEquals(RuleAction.lookup(RoutingTable.of(7)), p.rules().get(0).action());
  }

  @Test
  void aCommentedLineDoesNotContinue() {
    // The comment removes the line break, so the backslash no longer precedes it.
    RoutingPlan p = v4("rule add priority 5 lookup 7 # note \\\nrule add priority 6 lookup 8\n");
    assertEquals(2, p.rules().size());
  }

  @Test
  void quotesGroupWordsAndEndThem() {
    RoutingPlan p = v4("link set dev \"mlb0\" alias 'uplink one \"A\"'\n");
    assertEquals(ImmutableList.of("link", "set", "dev", "mlb0", "alias", "uplink one \"A\""), p.verbatim().get(0).args());
    // A closing quote ends the word: "mlb"0 is two words, as makeargs splits it.
    RoutingPlan q = v4("link set dev \"mlb\"0 up\n");
    assertEquals(ImmutableList.of("link", "set", "dev", "mlb", "0", "up"), q.verbatim().get(0).args());
    // Quotes inside a word are ordinary characters.
    RoutingPlan r = v4("link set dev ab\"c up\n");
    assertEquals(ImmutableList.of("link", "set", "dev", "ab\"c", "up"), r.verbatim().get(0).args());
  }

  @Test
  void verbatimCommandsRenderBackExactly() {
    String text = "rule add priority 5 tos 0x10 lookup 7\n"
        + "route replace 198.51.100.0/24 dev mlb0 mtu 1400\n"
        + "link set dev mlb0 alias 'uplink one \"A\"'\n"
        + "rule del priority 9\n";
    RoutingPlan p = v4(text);
    assertEquals(List.of(), p.rules());
    assertEquals(List.of(), p.routes());
    assertEquals(4, p.verbatim().size());
    assertEquals("# ip -batch file written by mlb; load with: ip -4 -batch FILE\n" + text, p.toString());
  }

  @Test
  void readsTheFormsPeopleWrite() {
    IpRule canonical = onlyRule("rule add priority 100 from all fwmark 0x1/0xff lookup 101 proto 4\n");
    assertEquals(canonical, onlyRule("rule add pref 100 fwmark 1/255 table 101 protocol static\n"));
    assertEquals(canonical, onlyRule("ru a prio 0144 fwmark 0x1/0xff lookup 0x65 proto static\n"));
    assertEquals(canonical, onlyRule("rule add order 100 from 0.0.0.0/0 fwmark 1/0xff lookup 101 proto 4\n"));
    Route r = v4("route replace default via 192.0.2.1 dev mlb0 table 101\n").routes().get(0);
    assertEquals(r, v4("ro add to default via 192.0.2.1 oif mlb0 table 101 proto boot metric 0\n").routes().get(0));
    assertEquals(r, v4("route add 0.0.0.0/0 via 192.0.2.1 dev mlb0 table 101 scope global\n").routes().get(0));
  }

  @Test
  void fwmarkZeroWithoutMaskIsNoMarkTest() {
    // ip sends no mask; the kernel compares all bits only for a mark other than 0.
    assertEquals(onlyRule("rule add priority 5 lookup 7\n"), onlyRule("rule add priority 5 fwmark 0 lookup 7\n"));
    assertEquals(Mark.of(0), onlyRule("rule add priority 5 fwmark 0/0xffffffff lookup 7\n").fwmark().get());
    assertEquals(Mark.of(5), onlyRule("rule add priority 5 fwmark 5 lookup 7\n").fwmark().get());
  }

  @Test
  void aRuleWithoutActionLooksUpMain() {
    assertEquals(RuleAction.MAIN, onlyRule("rule add priority 5 from 192.0.2.0/24\n").action());
  }

  @Test
  void tableNamesFromMlbComments() {
    RoutingPlan p = v4("#mlb: table 101 isp1\nrule add priority 5 lookup isp1\nroute replace default dev mlb0 table isp1\n");
    assertEquals(RoutingTable.of(101), p.tableNamed("isp1").get());
    assertEquals(RuleAction.lookup(RoutingTable.of(101)), p.rules().get(0).action());
    assertEquals(RoutingTable.of(101), p.routes().get(0).table());
    assertEquals("rule add priority 5 from all lookup 101", p.toString().split("\n")[3]);
  }

  @Test
  void connectedPrefixesFromMlbComments() {
    RoutingPlan p = v4("#mlb: connected mlb0 192.0.2.2/26\n");
    assertEquals(List.of(IpPrefix.parse("192.0.2.2/26")), List.copyOf(p.connected().get(InterfaceName.of("mlb0"))));
  }

  @Test
  void ruleFlushProtocolSetsTheOwner() {
    assertEquals(RouteProtocol.of(180), v4("rule flush protocol 180\n").owner().get());
    // Other flushes are kept as they are.
    assertEquals(1, v4("rule flush\n").verbatim().size());
  }

  @Test
  void normalFormMatchesWhatTheKernelReports() {
    Route v6 = IpBatchParser.parse("t", "route replace 2001:db8:1::/48 dev mlb0 metric 1024 proto boot\n", IpFamily.V6)
        .routes().get(0);
    assertEquals("2001:db8:1::/48 dev mlb0", v6.toString());
    Route devOnly = v4("route replace 198.51.100.0/24 dev mlb0 scope link\n").routes().get(0);
    assertEquals("198.51.100.0/24 dev mlb0", devOnly.toString());
    Route global = v4("route replace 198.51.100.0/24 dev mlb0 scope global\n").routes().get(0);
    assertEquals("198.51.100.0/24 dev mlb0 scope global", global.toString());
  }

  @Test
  void canonicalTextRendersBackByteForByte() {
    for (String name : List.of("uplinks.v4.batch", "uplinks.v6.batch")) {
      String text = Golden.read(name);
      IpFamily f = name.contains("v4") ? IpFamily.V4 : IpFamily.V6;
      assertEquals(text, IpBatchWriter.render(IpBatchParser.parse(name, text, f)));
    }
  }
}
