package dev.mlb.iproute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.collect.ImmutableMultiset;
import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.List;
import org.junit.jupiter.api.Test;

class IpJsonParserTest {

  private static void readsBackThePlan(IpFamily f, RoutingPlan plan) {
    String v = f == IpFamily.V4 ? "v4" : "v6";
    RoutingPlan live = IpJsonParser.parse(
        Golden.read("uplinks." + v + ".rules.json"), Golden.read("uplinks." + v + ".routes.json"), f);
    RoutingPlan added = live.withoutKernelEntries();
    assertEquals(plan.rules(), added.rules()); // the golden plans list rules by priority
    assertEquals(ImmutableMultiset.copyOf(plan.routes()), ImmutableMultiset.copyOf(added.routes()));
    assertEquals(List.of(), added.unmodelledJson());
    assertEquals(List.of(), added.verbatim());
  }

  @Test
  void readsWhatIpPrintedForTheGoldenPlans() {
    readsBackThePlan(IpFamily.V4, UplinkPlans.v4());
    readsBackThePlan(IpFamily.V6, UplinkPlans.v6());
  }

  @Test
  void kernelEntriesAreTheDefaultRulesAndProtoKernelRoutes() {
    RoutingPlan live = IpJsonParser.parse(
        Golden.read("uplinks.v4.rules.json"), Golden.read("uplinks.v4.routes.json"), IpFamily.V4);
    // 3 default rules; 3 connected routes, 3 local, 3 broadcast and 127/8 (local x2, broadcast).
    assertEquals(UplinkPlans.v4().rules().size() + 3, live.rules().size());
    assertEquals(UplinkPlans.v4().routes().size() + 12, live.routes().size());
  }

  @Test
  void aBatchFromIpJsonRecreatesTheSameRulesAndRoutes() {
    RoutingPlan live = IpJsonParser.parse(
        Golden.read("uplinks.v4.rules.json"), Golden.read("uplinks.v4.routes.json"), IpFamily.V4)
        .withoutKernelEntries();
    RoutingPlan owned = RoutingPlan.builder().from(live).owner(UplinkPlans.OWNER).build();
    String batch = IpBatchWriter.render(owned);
    assertEquals(owned, IpBatchParser.parse("from-json", batch, IpFamily.V4));
  }

  @Test
  void oneTextWithBothOutputsReadsLikeTwo() {
    String rules = Golden.read("uplinks.v4.rules.json");
    String routes = Golden.read("uplinks.v4.routes.json");
    assertEquals(IpJsonParser.parse(rules, routes, IpFamily.V4),
        IpJsonParser.parseOutput("live.json", rules + routes, IpFamily.V4));
  }

  @Test
  void oneTextNamesAnEntryThatIsNeitherRuleNorRoute() {
    ParseException e = assertThrows(ParseException.class,
        () -> IpJsonParser.parseOutput("live.json", "[{\"priority\":0,\"src\":\"all\",\"table\":\"local\"}]\n[{\"ifname\":\"lo\"}]\n", IpFamily.V4));
    assertEquals("live.json: line 2, column 2: entries[1]: neither a rule (no \"priority\") nor a route (no \"dst\")\n"
        + "  [[*]{\"ifname\":\"lo\"}]", e.describe());
  }

  @Test
  void keepsOnlyTheRequestedFamily() {
    String routes = "[{\"dst\":\"2001:db8::/32\",\"dev\":\"mlb0\",\"metric\":1024,\"flags\":[],\"pref\":\"medium\"},"
        + "{\"dst\":\"198.51.100.0/24\",\"dev\":\"mlb0\",\"scope\":\"link\",\"flags\":[]}]";
    assertEquals("198.51.100.0/24 dev mlb0",
        IpJsonParser.parse("[]", routes, IpFamily.V4).routes().get(0).toString());
    assertEquals("2001:db8::/32 dev mlb0",
        IpJsonParser.parse("[]", routes, IpFamily.V6).routes().get(0).toString());
  }

  @Test
  void unmodelledEntriesAreKeptAndReported() {
    String rules = "[{\"priority\":5,\"src\":\"all\",\"tos\":\"0x10\",\"table\":\"7\"}]";
    String routes = "[{\"dst\":\"198.51.100.0/24\",\"dev\":\"mlb0\",\"scope\":\"link\",\"flags\":[],\"metrics\":[{\"mtu\":1400}]}]";
    RoutingPlan p = IpJsonParser.parse(rules, routes, IpFamily.V4);
    assertEquals(List.of(
        "{\"priority\":5,\"src\":\"all\",\"tos\":\"0x10\",\"table\":\"7\"}",
        "{\"dst\":\"198.51.100.0/24\",\"dev\":\"mlb0\",\"scope\":\"link\",\"flags\":[],\"metrics\":[{\"mtu\":1400}]}"),
        p.unmodelledJson());
    assertEquals(
        Finding.warning("unmodelled-json", "ip -json entry",
            "{\"priority\":5,\"src\":\"all\",\"tos\":\"0x10\",\"table\":\"7\"} is not modelled by mlb; the batch does not recreate it"),
        p.validate().get(0));
    assertEquals("# ip -batch file written by mlb; load with: ip -4 -batch FILE\n"
        + "# not recreated (unmodelled ip -json entry): {\"priority\":5,\"src\":\"all\",\"tos\":\"0x10\",\"table\":\"7\"}\n"
        + "# not recreated (unmodelled ip -json entry): {\"dst\":\"198.51.100.0/24\",\"dev\":\"mlb0\",\"scope\":\"link\",\"flags\":[],\"metrics\":[{\"mtu\":1400}]}\n",
        IpBatchWriter.render(p));
  }

  @Test
  void badJsonNamesTheLineAndColumn() {
    ParseException e = assertThrows(ParseException.class,
        () -> IpJsonParser.parse("[{\"priority\":5,\n\"table\" 7}]", "", IpFamily.V4));
    assertEquals(2, e.line());
  }

  @Test
  void badValueNamesTheEntryAndKey() {
    ParseException e = assertThrows(ParseException.class,
        () -> IpJsonParser.parse("[{\"priority\":0,\"src\":\"all\",\"table\":\"local\"},\n {\"priority\":5,\"src\":\"all\",\"table\":\"0\"}]", "", IpFamily.V4));
    assertEquals("line 2, column 2: rules[1] key \"table\": \"0\" is not a routing table; expected main, local,"
        + " default or a number 1 to 4294967295\n   [*]{\"priority\":5,\"src\":\"all\",\"table\":\"0\"}]", e.getMessage());
  }
}
