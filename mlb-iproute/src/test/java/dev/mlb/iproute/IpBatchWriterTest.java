package dev.mlb.iproute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Mark;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IpBatchWriterTest {

  @Test
  void rendersTheGoldenBatchIpv4() {
    assertEquals(Golden.read("uplinks.v4.batch"), IpBatchWriter.render(UplinkPlans.v4()));
  }

  @Test
  void rendersTheGoldenBatchIpv6() {
    assertEquals(Golden.read("uplinks.v6.batch"), IpBatchWriter.render(UplinkPlans.v6()));
  }

  @Test
  void rendersTheUndoBatch() {
    assertEquals(
        "# undoes the ip -batch file mlb writes for this plan; load with: ip -6 -batch FILE\n"
            + "rule del priority 1100 from all iif mlb2 lookup 103 proto 180\n"
            + "rule del priority 1020 from all to 2001:db8:113::/48 iif mlb2 ipproto tcp dport 25 unreachable proto 180\n"
            + "rule del priority 1010 from 2001:db8:0:1::2 lookup 101 proto 180\n"
            + "rule del priority 1002 from all fwmark 0x2/0xff lookup 102 proto 180\n"
            + "rule del priority 1001 from all fwmark 0x1/0xff lookup 101 proto 180\n"
            + "rule del priority 1000 from all lookup main suppress_prefixlength 0 proto 180\n"
            + "route del blackhole 2001:db8:100::/48 table 103 proto 180 metric 5\n"
            + "route del default table 103 proto 180 nexthop via 2001:db8:0:1::1 dev mlb0 weight 3 nexthop via 2001:db8:0:2::1 dev mlb1 weight 1\n"
            + "route del unreachable 2001:db8:113::/48 table 101 proto 180\n"
            + "route del default via 2001:db8:0:2::1 dev mlb1 table 102 proto 180\n"
            + "route del default via 2001:db8:0:1::1 dev mlb0 table 101 proto 180\n",
        IpBatchWriter.renderUndo(UplinkPlans.v6()));
  }

  /**
   * Each {@code rule add} line is what {@code ip rule show} printed for the loaded rule (golden
   * file from iproute2 6.1), with {@code priority N} in place of {@code N:}. The one difference is
   * deliberate: ip prints {@code fwmark 0} for mark 0 with the full mask, but {@code fwmark 0} in a
   * batch means "no mark test", so the writer spells out {@code 0x0/0xffffffff}.
   */
  @Test
  void ruleLinesAreWhatIpRuleShowPrints() {
    List<String> shown = new ArrayList<>();
    for (String line : Golden.read("uplinks.v4.rules.show").split("\n")) {
      String[] parts = line.split(":\t", 2);
      if (!parts[1].contains("proto 180")) {
        continue; // the kernel's default rules
      }
      shown.add("priority " + parts[0] + " " + parts[1].strip().replace("fwmark 0 ", "fwmark 0x0/0xffffffff "));
    }
    List<String> written = new ArrayList<>();
    for (IpRule r : UplinkPlans.v4().rules()) {
      written.add(r.toString());
    }
    assertEquals(shown, written);
  }

  /**
   * Each {@code route replace} line is what {@code ip route show table all} printed for it (golden
   * file), the nexthop lines joined. The one difference is deliberate: ip leaves out
   * {@code scope global}, but for a route without gateway {@code ip route} would pick scope link,
   * so the writer keeps it.
   */
  @Test
  void routeLinesAreWhatIpRouteShowPrints() {
    String show = Golden.read("uplinks.v4.routes.show").replace(" \n\tnexthop", " nexthop");
    List<String> shown = new ArrayList<>();
    for (String line : show.split("\n")) {
      if (line.contains("proto 180")) {
        shown.add(line.strip());
      }
    }
    List<String> written = new ArrayList<>();
    for (Route r : UplinkPlans.v4().routes()) {
      written.add(r.toString().replace(" scope global", ""));
    }
    shown.sort(null);
    written.sort(null);
    assertEquals(shown, written);
  }

  @Test
  void smallValuesPrintCanonically() {
    assertEquals("openr", RouteProtocol.of(99).toString());
    assertEquals("180", RouteProtocol.of(180).toString());
    assertEquals("main", RoutingTable.MAIN.toString());
    assertEquals("4294967295", RoutingTable.of(4294967295L).toString());
    assertEquals("lookup 101", RuleAction.lookup(RoutingTable.of(101)).toString());
    assertEquals("goto 32000", RuleAction.goTo(32000).toString());
    assertEquals("prohibit", RuleAction.PROHIBIT.toString());
    assertEquals("link", RouteScope.LINK.toString());
    assertEquals("nexthop via 192.0.2.1 dev mlb0 weight 256 onlink",
        Nexthop.via(UplinkPlans.ip("192.0.2.1"), UplinkPlans.MLB0).withWeight(256).withOnlink(true).toString());
  }

  @Test
  void markZeroWithFullMaskIsSpelledOut() {
    assertEquals("0x0/0xffffffff", IpBatchWriter.mark(Mark.of(0)));
    assertEquals("0x10/0xf0", IpBatchWriter.mark(Mark.of(0x10, 0xf0)));
  }

  @Test
  void renderRefusesAPlanWithErrors() {
    RoutingPlan bad = RoutingPlan.builder().family(IpFamily.V4)
        .addRules(IpRule.builder().priority(10).action(RuleAction.goTo(5)).build())
        .build();
    dev.mlb.api.ValidationException e = assertThrows(dev.mlb.api.ValidationException.class, () -> IpBatchWriter.render(bad));
    assertEquals("1 error:\nerror [goto-backward] rule 1 (priority 10): goto 5 does not jump forward from priority 10;"
        + " the kernel refuses it (Backward goto not supported)", e.getMessage());
    assertThrows(dev.mlb.api.ValidationException.class, () -> IpBatchWriter.renderUndo(bad));
  }
}
