package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import dev.mlb.iproute.IpBatchParser;
import dev.mlb.iproute.RoutingPlan;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * mlb's checks mirror the kernel and iproute2: each batch here is refused by mlb before anything
 * is applied, and the real {@code ip -batch} indeed fails on it (after applying the lines before).
 */
class IprouteInvalidKernelTest {

  private static final String LAB = "#mlb: connected mlb0 192.0.2.2/26\n#mlb: connected mlb1 192.0.2.66/26\n";

  /** A batch, and the finding code mlb reports for it (or "parse" for a ParseException). */
  private record Case(String code, String batch) {}

  private static final List<Case> CASES = List.of(
      new Case("parse", "rule add priority 5 fwmrk 1 lookup 101\n"),
      new Case("parse", "rule add priority 5 lookup 4294967296\n"),
      new Case("parse", "route replace default table 101 nexthop via 192.0.2.1 dev mlb0 weight 257\n"),
      new Case("parse", "rule add priority 5 \"lookup#\" 7\n"),
      new Case("parse", "route replace 198.51.100.0/24 dev mlb0 metrc 5\n"),
      new Case("parse", "rule add priority 5 from 192.0.2.0/33 lookup 7\n"),
      new Case("rule-duplicate", "rule add priority 5 fwmark 1 lookup 7\nrule add priority 5 fwmark 1 lookup 7\n"),
      new Case("gateway-unreachable", LAB + "route replace default via 198.51.100.1 dev mlb0 table 101\n"),
      new Case("gateway-unreachable", LAB + "route replace default table 101 nexthop via 192.0.2.1 dev mlb0"
          + " nexthop via 192.0.2.65 dev mlb0\n"),
      new Case("family-mismatch", "route replace 2001:db8::/32 dev mlb0\n"),
      new Case("goto-backward", "rule add priority 500 goto 100\n"),
      new Case("reject-route-with-path", "route replace unreachable 198.51.100.0/24 dev mlb0 table 7\n"),
      new Case("destination-host-bits", "route replace 198.51.100.7/24 dev mlb0 table 7\n"),
      new Case("multipath-and-single-path", "route replace default via 192.0.2.1 dev mlb0 table 7 nexthop via 192.0.2.65 dev mlb1\n"),
      new Case("gateway-scope", "route replace 198.51.100.0/24 via 192.0.2.1 dev mlb0 table 7 scope link\n"),
      new Case("rule-port-range", "rule add priority 5 ipproto tcp dport 1024-65535 lookup 7\n"),
      new Case("route-without-path", "route replace 198.51.100.0/24 table 7\n"),
      new Case("onlink-without-gateway", "route replace 198.51.100.0/24 dev mlb0 table 7 onlink\n"),
      new Case("src-not-local", LAB + "route replace 198.51.100.0/24 via 192.0.2.1 dev mlb0 table 7 src 192.0.2.9\n"),
      new Case("gateway-shadowed", "route replace broadcast 192.0.2.0/26 dev mlb0 table 7\n"
          + "route replace 198.51.100.0/24 via 192.0.2.1 dev mlb0 table 7\n"));

  private static String mlbVerdict(String batch) {
    try {
      RoutingPlan plan = IpBatchParser.parse("case", batch, IpFamily.V4);
      List<String> codes = plan.validate().stream().filter(Finding::isError).map(Finding::code).collect(Collectors.toList());
      return codes.isEmpty() ? "accepted" : codes.get(0);
    } catch (ParseException e) {
      return "parse";
    }
  }

  @Test
  void mlbRefusesWhatIpRefuses() {
    KernelTests.requireKernel();
    for (Case c : CASES) {
      assertEquals(c.code(), mlbVerdict(c.batch()), c.batch());
      try (IprouteLab lab = IprouteLab.create("iprbad")) {
        Netns.Result r = lab.batch(IpFamily.V4, c.batch());
        assertNotEquals(0, r.exitCode(), "ip -batch accepted what mlb refuses (" + c.code() + "):\n" + c.batch());
      }
    }
  }

  /**
   * A rule without the owner's tag loads once, but the second run fails (File exists) because
   * {@code rule flush protocol} does not remove it: mlb reports it before the first run.
   */
  @Test
  void ruleWithoutOwnerTagFailsOnTheSecondRun() {
    KernelTests.requireKernel();
    String batch = "rule flush protocol 180\nrule add priority 5 lookup 7\n";
    assertEquals("rule-not-owned", mlbVerdict(batch));
    try (IprouteLab lab = IprouteLab.create("iprbad")) {
      assertEquals(0, lab.batch(IpFamily.V4, batch).exitCode());
      Netns.Result second = lab.batch(IpFamily.V4, batch);
      assertNotEquals(0, second.exitCode());
      assertTrue(second.stderr().contains("File exists"), second.stderr());
    }
  }

  /** ip stops at a continuation line without a next line but exits 0, dropping the command; mlb refuses it. */
  @Test
  void missingContinuationLineIsDroppedByIpButRefusedByMlb() {
    KernelTests.requireKernel();
    String batch = "rule add priority 5 lookup 7 \\\n";
    assertEquals("parse", mlbVerdict(batch));
    try (IprouteLab lab = IprouteLab.create("iprbad")) {
      Netns.Result r = lab.batch(IpFamily.V4, batch);
      assertTrue(r.stderr().contains("Missing continuation line"), r.toString());
      assertTrue(!lab.rulesJson(IpFamily.V4).contains("\"priority\":5,"), "ip added the rule after all");
    }
  }
}
