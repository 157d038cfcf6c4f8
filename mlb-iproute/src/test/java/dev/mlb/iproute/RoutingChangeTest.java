package dev.mlb.iproute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoutingChangeTest {
  private static final RouteProtocol MLB = RouteProtocol.of(109);

  /** A plan from batch lines (owner 109). */
  private static RoutingPlan plan(String... lines) {
    RoutingPlan p = IpBatchParser.parse("test", String.join("\n", lines) + "\n", IpFamily.V4);
    return RoutingPlan.builder().from(p).owner(MLB).build();
  }

  private static final String[] DESIRED = {
      "route replace default dev ppp0 table 100 proto 109",
      "route replace default dev ppp1 table 101 proto 109",
      "rule add priority 1000 from all to 192.0.2.0/24 lookup main proto 109",
      "rule add priority 1010 from all fwmark 0x100/0xff00 lookup 100 proto 109",
      "rule add priority 1011 from all fwmark 0x200/0xff00 lookup 101 proto 109"};

  /** What a router holds besides mlb: a VPN's rule and table, the admin's default route. */
  private static final String[] FOREIGN = {
      "route replace default via 198.51.100.1 dev eth1",
      "route replace default dev wg0 table 51820 proto static",
      "rule add priority 5000 not from all fwmark 0xca6c lookup 51820"};

  private static String[] concat(String[] a, String[] b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void fromNothingAddsRoutesThenRules() {
    RoutingChange c = RoutingChange.between(plan(FOREIGN), plan(DESIRED));
    assertEquals(List.of(), c.conflicts());
    assertEquals("""
        route replace default dev ppp0 table 100 proto 109
        route replace default dev ppp1 table 101 proto 109
        rule add priority 1000 from all to 192.0.2.0/24 lookup main proto 109
        rule add priority 1010 from all fwmark 0x100/0xff00 lookup 100 proto 109
        rule add priority 1011 from all fwmark 0x200/0xff00 lookup 101 proto 109
        """, c.batch());
  }

  /**
   * rule del removes the first rule at its priority that has every attribute it names (checked on
   * Linux 6.18: "rule del priority 5 ipproto tcp lookup 7" takes "priority 5 ipproto tcp dport 80
   * lookup 7" if that is listed first), so the rules naming more go first; else the second line
   * fails with "No such file or directory".
   */
  @Test
  void staleRulesNamingMoreAreDeletedFirst() {
    RoutingPlan live = plan(
        "rule add priority 763 from all iif lan0 ipproto tcp dport 18324-18422 lookup 108 proto 109",
        "rule add priority 763 from all iif lan0 ipproto tcp lookup 108 proto 109",
        "rule add priority 763 from all to 203.0.113.16/28 iif lan0 lookup 108 proto 109",
        "rule add priority 764 from all lookup 109 proto 109");
    assertEquals("""
        rule del priority 764 from all lookup 109 proto 109
        rule del priority 763 from all iif lan0 ipproto tcp dport 18324-18422 lookup 108 proto 109
        rule del priority 763 from all to 203.0.113.16/28 iif lan0 lookup 108 proto 109
        rule del priority 763 from all iif lan0 ipproto tcp lookup 108 proto 109
        """, RoutingChange.removal(live, MLB).batch());
  }

  /**
   * The kernel refuses "rule add ... iif eth0 ipproto tcp dport 443" beside a kept rule with a source
   * and equal otherwise, and "rule del ... ipproto tcp" takes a kept "ipproto tcp dport 443" listed
   * before it (both checked on Linux 6.18): the kept rule is deleted just before and added again
   * just after.
   */
  @Test
  void liveRulesTheKernelMatchesLooselyAreMovedOutOfTheWay() {
    String narrow = "rule add priority 1012 from 192.0.2.128/27 iif eth0 ipproto tcp dport 443 lookup 102 proto 109";
    String https = "rule add priority 1012 from all iif eth0 ipproto tcp dport 443 lookup 102 proto 109";
    String tcp = "rule add priority 1012 from all iif eth0 ipproto tcp lookup 102 proto 109";
    assertEquals(narrow.replace("rule add", "rule del") + "\n" + https + "\n" + narrow + "\n",
        RoutingChange.between(plan(narrow), plan(https, narrow)).batch());
    assertEquals(https.replace("rule add", "rule del") + "\n" + tcp.replace("rule add", "rule del") + "\n"
            + https + "\n", RoutingChange.between(plan(https, tcp), plan(https)).batch());
  }

  @Test
  void anUnchangedPlanIsAnEmptyChange() {
    RoutingChange c = RoutingChange.between(plan(concat(FOREIGN, DESIRED)), plan(DESIRED));
    assertTrue(c.isEmpty(), c.toString());
    assertEquals("", c.batch());
  }

  @Test
  void onlyTheStalePartsChange() {
    RoutingPlan live = plan(concat(FOREIGN, new String[] {
        "route replace default via 198.51.100.17 dev ppp0 table 100 proto 109",
        "route replace default dev ppp1 table 101 proto 109",
        "route replace default dev ppp2 table 102 proto 109",
        "rule add priority 1000 from all to 192.0.2.0/24 lookup main proto 109",
        "rule add priority 1010 from all fwmark 0x100/0xff00 lookup 100 proto 109",
        "rule add priority 1012 from all fwmark 0x300/0xff00 lookup 102 proto 109"}));
    RoutingChange c = RoutingChange.between(live, plan(DESIRED));
    // The route of table 100 is replaced in place (same table, destination, metric), not deleted.
    assertEquals("""
        route replace default dev ppp0 table 100 proto 109
        rule add priority 1011 from all fwmark 0x200/0xff00 lookup 101 proto 109
        rule del priority 1012 from all fwmark 0x300/0xff00 lookup 102 proto 109
        route del default dev ppp2 table 102 proto 109
        """, c.batch());
    assertEquals("V4 routing change: +1 routes, +1 rules, -1 rules, -1 routes", c.toString());
  }

  @Test
  void removalTakesOnlyWhatTheOwnerTagged() {
    RoutingChange c = RoutingChange.removal(plan(concat(FOREIGN, DESIRED)), MLB);
    assertEquals("""
        rule del priority 1011 from all fwmark 0x200/0xff00 lookup 101 proto 109
        rule del priority 1010 from all fwmark 0x100/0xff00 lookup 100 proto 109
        rule del priority 1000 from all to 192.0.2.0/24 lookup main proto 109
        route del default dev ppp1 table 101 proto 109
        route del default dev ppp0 table 100 proto 109
        """, c.batch());
  }

  @Test
  void foreignRulesAtNeededPrioritiesAndForeignRoutesInNeededTablesConflict() {
    RoutingPlan live = plan(concat(FOREIGN, new String[] {
        "rule add priority 1010 from all fwmark 0x1 lookup 200",
        "route replace 10.0.0.0/8 via 198.51.100.1 dev eth1 table 101"}));
    RoutingChange c = RoutingChange.between(live, plan(DESIRED));
    assertEquals(List.of(
        "ip rule priority 1010 is taken by a rule of another program (\"priority 1010 from all fwmark 0x1 lookup"
            + " 200\"); mlb needs it for \"priority 1010 from all fwmark 0x100/0xff00 lookup 100 proto 109\"",
        "routing table 101 is in use by another program (route \"10.0.0.0/8 via 198.51.100.1 dev eth1 table"
            + " 101\"); mlb needs it for \"default dev ppp1 table 101 proto 109\""), c.conflicts());
  }

  @Test
  void refusesAPlanWithoutOwnerOrWithUntaggedEntries() {
    RoutingPlan untagged = IpBatchParser.parse("t", "route replace default dev ppp0 table 100\n", IpFamily.V4);
    assertEquals("the desired plan has no owner protocol; without one, mlb's rules and routes cannot be told"
            + " from other software's",
        assertThrows(IllegalArgumentException.class, () -> RoutingChange.between(plan(), untagged)).getMessage());
    RoutingPlan owned = RoutingPlan.builder().from(untagged).owner(MLB).build();
    assertEquals("route \"default dev ppp0 table 100\" of the plan is not tagged with the owner protocol 109",
        assertThrows(IllegalArgumentException.class, () -> RoutingChange.between(plan(), owned)).getMessage());
  }
}
