package dev.mlb.testkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mlb simulate}, {@code check} and {@code trace} in-process on the seed example (the test's
 * working directory is mlb-testkit). Expected outcomes follow from the seed's rules by hand: balance1
 * alternates connmark 1 (ppp0) and 2 (ppp1) over the balanced flows, starting with 1.
 */
class ScenarioCommandsTest {
  private static final String SEED = "examples/seed-rules.v4";
  private static final String SEED_ROUTES = "examples/seed-routes.batch";
  private static final String FIXED = "examples/seed-fixed-rules.v4";
  private static final String FIXED_ROUTES = "examples/seed-fixed-routes.batch";
  private static final List<String> TOPOLOGY = List.of("--lan", "eth0=192.0.2.1/24",
      "--uplink", "ppp0=198.51.100.1/28,gw=198.51.100.2", "--uplink", "ppp1=198.51.100.17/28,gw=198.51.100.18");

  private static MlbRun mlb(String command, String rules, String routes, String... more) {
    List<String> args = new ArrayList<>(List.of(command, "--rules", rules));
    if (routes != null) {
      args.addAll(List.of("--routes", routes));
    }
    args.addAll(TOPOLOGY);
    args.addAll(List.of(more));
    return raw(args.toArray(new String[0]));
  }

  private static MlbRun raw(String... args) {
    return MlbRun.of(args);
  }

  // ------------------------------------------------------------------ check

  @Test
  void checkOnTheSeedAsPostedExitsOneExplainingTheDefects() {
    MlbRun r = mlb("check", SEED, SEED_ROUTES, "--proto", "tcp", "--ports", "22,25,80,443");
    assertEquals(1, r.code(), r.out() + r.err());
    String out = r.out();
    assertTrue(out.startsWith("uplink marks: ppp0 0x1 (ip rule 100 \"from all fwmark 0x1 lookup 1\", route \"default via"
        + " 198.51.100.2 dev ppp0 table 1\"), ppp1 0x2 (ip rule 101 \"from all fwmark 0x2 lookup 2\", route \"default via"
        + " 198.51.100.18 dev ppp1 table 2\")\nflows: 16 LAN, 16 router, 4 inbound (seed 1)\n"), out);
    assertTrue(out.contains("holds: property 1 (every balanced flow leaves with exactly one uplink mark)\n"
        + "VIOLATED: property 2 (marks split by weight) by 1 of 36 flows\n"
        + "VIOLATED: property 3 (every packet of a flow, both directions, keeps the flow's uplink) by 20 of 36 flows\n"
        + "holds: property 4 (a flow leaves through the uplink its mark designates, with that uplink's address)\n"), out);
    assertTrue(out.contains("VIOLATED: property 5 (replies to LAN hosts are delivered to the LAN) by 16 of 36 flows\n"
        + "holds: property 6 (a connection arriving on an uplink is answered through it)\n"
        + "holds: property 7 (excluded traffic is never balanced)\n"), out);
    // Property 5: the reply routed back into the uplink by the fwmark rule and its table.
    assertTrue(out.contains("lost at provider on ppp0: source 203.0.113.10 is not ppp0's address 198.51.100.1, so the"
        + " provider drops it (ingress filtering); the packet to 192.0.2."), out);
    assertTrue(out.contains(" went out ppp0 by ip rule 100 \"from all fwmark 0x1 lookup 1\", route \"default via"
        + " 198.51.100.2 dev ppp0 table 1\""), out);
    // Property 2: router flows given connmark 2 are killed and picked up again, walking balance1 a
    // second time, so ppp0 gets more than its share (16 LAN + 16 router flows share balance1).
    assertTrue(out.contains("why: after 17 balanced flows ppp0 has 10, expected 8.50 +- 1"), out);
    // The counterexample trace shows the kill: the router's ACK re-routed to ppp1 by its restored mark.
    assertTrue(out.contains("=> LOST at nat POSTROUTING: the connection was masqueraded on ppp0"), out);
    assertTrue(out.endsWith("3 of 7 properties violated\n"), out);
  }

  @Test
  void checkCanListEveryViolatingFlow() {
    MlbRun r = mlb("check", SEED, SEED_ROUTES, "--proto", "tcp", "--ports", "22,25,80,443", "--every-violation");
    assertEquals(1, r.code());
    // Property 5: the first of 16 in full, the other 15 one line each, all naming their fwmark rule.
    long also = r.out().lines().filter(l -> l.startsWith("  also: ") && l.contains("the reply did not reach the LAN host"))
        .count();
    assertEquals(15, also, r.out());
    assertTrue(r.out().lines().filter(l -> l.startsWith("  also: ") && l.contains("the reply did not reach"))
        .allMatch(l -> l.contains("by ip rule 100 \"from all fwmark 0x1 lookup 1\"")
            || l.contains("by ip rule 101 \"from all fwmark 0x2 lookup 2\"")));
  }

  @Test
  void checkOnTheFixedSeedExitsZero() {
    MlbRun r = mlb("check", FIXED, FIXED_ROUTES, "--proto", "tcp", "--ports", "22,25,80,443");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().endsWith("holds: property 7 (excluded traffic is never balanced)\nall 7 properties hold\n"), r.out());
    assertEquals("", r.err());
  }

  @Test
  void checkFindsABalancedExcludedDestinationAndAWrongWeight() {
    MlbRun excluded = mlb("check", FIXED, FIXED_ROUTES, "--ports", "443", "--exclude", "203.0.113.128/25");
    assertEquals(1, excluded.code(), excluded.out());
    assertTrue(excluded.out().contains("why: destination 203.0.113.128/25 is excluded, but the flow was balanced"),
        excluded.out());
    // The seed alternates 1:1; weight 3 on ppp1 expects 3 of every 4.
    MlbRun weighted = raw("check", "--rules", FIXED, "--routes", FIXED_ROUTES, "--lan", "eth0=192.0.2.1/24",
        "--uplink", "ppp0=198.51.100.1/28,gw=198.51.100.2", "--uplink", "ppp1=198.51.100.17/28,gw=198.51.100.18,weight=3",
        "--ports", "443");
    assertEquals(1, weighted.code(), weighted.out());
    assertTrue(weighted.out().contains("VIOLATED: property 2 (marks split by weight)"), weighted.out());
  }

  @Test
  void checkOptionsFlowsStrategyAndRouterBalanced() {
    MlbRun small = mlb("check", FIXED, FIXED_ROUTES, "--ports", "80", "--flows", "4", "--router-balanced", "--seed", "7");
    assertEquals(0, small.code(), small.out());
    assertTrue(small.out().contains("\nflows: 4 LAN, 4 router, 4 inbound (seed 7)\n"), small.out());
    // Under the random bound the exact alternation holds as well.
    MlbRun random = mlb("check", FIXED, FIXED_ROUTES, "--ports", "80", "--strategy", "random");
    assertEquals(0, random.code(), random.out());
    MlbRun bad = mlb("check", FIXED, FIXED_ROUTES, "--strategy", "roundrobin");
    assertEquals(2, bad.code());
    assertEquals("mlb check: --strategy roundrobin: expected nth or random\n", bad.err());
    MlbRun many = mlb("check", FIXED, FIXED_ROUTES, "--flows", "99999");
    assertEquals(2, many.code());
    assertEquals("mlb check: --flows 99999: expected 0..25000\n", many.err());
  }

  // ------------------------------------------------------------------ simulate

  @Test
  void simulatePrintsEachFlowAndTheTotals() {
    MlbRun r = mlb("simulate", FIXED, FIXED_ROUTES, "--flows", "4");
    assertEquals(0, r.code(), r.err());
    assertEquals("flow 1: tcp lan 192.0.2.100:40000 -> 203.0.113.10:80: via ppp0 mark 0x1\n"
        + "flow 2: tcp lan 192.0.2.101:40001 -> 203.0.113.10:443: via ppp1 mark 0x2\n"
        + "flow 3: tcp lan 192.0.2.102:40002 -> 203.0.113.10:80: via ppp0 mark 0x1\n"
        + "flow 4: tcp lan 192.0.2.103:40003 -> 203.0.113.10:443: via ppp1 mark 0x2\n"
        + "totals: ppp0 2, ppp1 2, failed 0\n", r.out());
  }

  @Test
  void simulatePrintsFailuresWithTheirReason() {
    MlbRun r = mlb("simulate", SEED, SEED_ROUTES, "--flows", "2", "--ports", "443");
    assertEquals(0, r.code(), r.err());
    String[] lines = r.out().split("\n");
    assertEquals(3, lines.length, r.out());
    assertTrue(lines[0].startsWith("flow 1: tcp lan 192.0.2.100:40000 -> 203.0.113.10:443: FAILED, packet 2 (SYN-ACK"
        + " 203.0.113.10:443 -> 198.51.100.1:40000) lost at provider on ppp0: "), lines[0]);
    assertTrue(lines[1].startsWith("flow 2: tcp lan 192.0.2.101:40001 -> 203.0.113.10:443: FAILED, packet 2 (SYN-ACK"
        + " 203.0.113.10:443 -> 198.51.100.17:40001) lost at provider on ppp1: "), lines[1]);
    assertEquals("totals: ppp0 0, ppp1 0, failed 2", lines[2]);
  }

  // Router flows of the seed: the first packet always leaves ppp0 (main's default); connmark 2
  // re-routes packet 3 to ppp1, the kernel drops it and deletes the connection, and the next packet
  // is picked up as a new connection that balance1 marks 1 (ppp0): every router flow ends on ppp0.
  @Test
  void simulateRouterFlowsAndUdp() {
    MlbRun router = mlb("simulate", SEED, SEED_ROUTES, "--from", "router", "--ports", "80", "--flows", "2");
    String[] lines = router.out().split("\n");
    assertEquals("flow 1: tcp router :40000 -> 203.0.113.10:80: via ppp0 mark 0x1", lines[0]);
    assertEquals("flow 2: tcp router :40001 -> 203.0.113.10:80: via ppp0 mark 0x1", lines[1]);
    // UDP is not balanced by the seed: connmark 0, main's default via ppp0.
    MlbRun udp = mlb("simulate", SEED, SEED_ROUTES, "--proto", "udp", "--ports", "53", "--flows", "1");
    assertEquals("flow 1: udp lan 192.0.2.100:40000 -> 203.0.113.10:53: via ppp0 mark 0x0\ntotals: ppp0 1, ppp1 0, failed 0\n",
        udp.out());
  }

  @Test
  void simulateJson() {
    MlbRun r = mlb("simulate", SEED, SEED_ROUTES, "--flows", "2", "--ports", "443", "--json");
    assertEquals(0, r.code(), r.err());
    JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
    JsonArray flows = o.getAsJsonArray("flows");
    assertEquals(2, flows.size());
    JsonObject second = flows.get(1).getAsJsonObject();
    assertEquals(2, second.get("index").getAsInt());
    assertEquals("lan", second.get("origin").getAsString());
    assertEquals("192.0.2.101", second.get("client").getAsString());
    assertEquals(40001, second.get("clientPort").getAsInt());
    assertEquals(false, second.get("completed").getAsBoolean());
    assertEquals("ppp1", second.get("uplink").getAsString());
    assertEquals(2, second.get("mark").getAsLong());
    JsonObject loss = second.getAsJsonObject("loss");
    assertEquals(2, loss.get("packet").getAsInt());
    assertEquals("provider on ppp1", loss.get("where").getAsString());
    assertTrue(loss.get("reason").getAsString().contains("ip rule 101 \"from all fwmark 0x2 lookup 2\""));
    assertTrue(second.get("inboundUplink").isJsonNull());
    JsonObject totals = o.getAsJsonObject("totals");
    assertEquals(List.of("ppp0", "ppp1", "failed"), List.copyOf(totals.keySet()));
    assertEquals(2, totals.get("failed").getAsInt());
  }

  @Test
  void withoutRoutesThePlanIsEmptyAndSaysSo() {
    MlbRun r = mlb("simulate", FIXED, null, "--flows", "1");
    assertEquals(0, r.code());
    assertEquals("mlb simulate: note: no --routes; the routing plan is empty (kernel default rules and connected"
        + " routes only, no default route)\n", r.err());
    assertTrue(r.out().startsWith("flow 1: tcp lan 192.0.2.100:40000 -> 203.0.113.10:80: FAILED, packet 1"), r.out());
    assertTrue(r.out().contains("no route to 203.0.113.10"), r.out());
  }

  // ------------------------------------------------------------------ trace

  @Test
  void traceShowsEveryPacketsPathAndExitsOneWhenLost() {
    MlbRun r = mlb("trace", SEED, SEED_ROUTES, "--flow", "lan:192.0.2.100:40000->203.0.113.10:443/tcp");
    assertEquals(1, r.code(), r.err());
    assertTrue(r.out().startsWith("tcp lan 192.0.2.100:40000 -> 203.0.113.10:443: FAILED, packet 2"), r.out());
    assertTrue(r.out().contains("packet 1: SYN 192.0.2.100:40000 -> 203.0.113.10:443 (sent by LAN client"
        + " 192.0.2.100:40000)\n"), r.out());
    assertTrue(r.out().contains("mangle balance1 rule 3 \"-m statistic --mode nth --every 2 --packet 0"
        + " -j CONNMARK --set-xmark 0x1/0xffffffff\": match -> ctmark 0x0 -> 0x1"), r.out());
    assertTrue(r.out().contains("  => LOST at provider on ppp0: "), r.out());
    // After one preceding balanced flow, the traced flow takes connmark 2 and ppp1.
    MlbRun second = mlb("trace", SEED, SEED_ROUTES, "--preceding", "1",
        "--flow", "lan:192.0.2.100:40000->203.0.113.10:443/tcp");
    assertTrue(second.out().contains("  => LOST at provider on ppp1: "), second.out());
  }

  @Test
  void traceOfRouterAndInboundFlows() {
    MlbRun router = mlb("trace", FIXED, FIXED_ROUTES, "--flow", "router:40000->203.0.113.10:80/tcp");
    assertEquals(0, router.code(), router.out());
    assertTrue(router.out().startsWith("tcp router :40000 -> 203.0.113.10:80: via ppp0 mark 0x1\n"), router.out());
    MlbRun inbound = mlb("trace", SEED, SEED_ROUTES, "--flow", "inbound:ppp1:203.0.113.10:33000->198.51.100.17:22/tcp");
    assertEquals(0, inbound.code(), inbound.out());
    assertTrue(inbound.out().startsWith("tcp inbound on ppp1 203.0.113.10:33000 -> 198.51.100.17:22: via ppp1 mark 0x2\n"),
        inbound.out());
  }

  // ------------------------------------------------------------------ invalid input

  @Test
  void invalidInputExitsTwoNamingTheInput(@TempDir Path dir) throws Exception {
    MlbRun missing = mlb("check", "nope.v4", SEED_ROUTES);
    assertEquals(2, missing.code());
    assertEquals("mlb check: --rules nope.v4: no such file\n", missing.err());

    Path bad = dir.resolve("bad.v4");
    Files.writeString(bad, "*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m statistic --mode nth --evry 2 -j RETURN\nCOMMIT\n");
    MlbRun parse = mlb("simulate", bad.toString(), SEED_ROUTES);
    assertEquals(2, parse.code());
    assertTrue(parse.err().startsWith("mlb simulate: " + bad + ": line 3, column "), parse.err());
    assertTrue(parse.err().contains("--evry"), parse.err());

    Path badRoutes = dir.resolve("bad.batch");
    Files.writeString(badRoutes, "rule add priority 100 fwmark 0x1 lookup\n");
    MlbRun routes = mlb("check", SEED, badRoutes.toString());
    assertEquals(2, routes.code());
    assertTrue(routes.err().startsWith("mlb check: " + badRoutes + ": line 1, column "), routes.err());

    MlbRun uplink = raw("check", "--rules", SEED, "--lan", "eth0=192.0.2.1/24", "--uplink", "ppp0=198.51.100.1,gw=198.51.100.2");
    assertEquals(2, uplink.code());
    assertEquals("mlb check: --uplink ppp0=198.51.100.1,gw=198.51.100.2: address \"198.51.100.1\" needs its prefix"
        + " length (ADDR/LEN)\n", uplink.err());

    MlbRun gateway = raw("check", "--rules", SEED, "--lan", "eth0=192.0.2.1/24", "--uplink", "ppp0=198.51.100.1/28,gw=10.0.0.1");
    assertEquals(2, gateway.code());
    assertTrue(gateway.err().startsWith("mlb check: --uplink ppp0=198.51.100.1/28,gw=10.0.0.1: gateway 10.0.0.1"), gateway.err());

    MlbRun ports = mlb("simulate", SEED, SEED_ROUTES, "--ports", "80,http");
    assertEquals(2, ports.code());
    assertEquals("mlb simulate: --proto tcp --ports 80,http: port \"http\" in \"80,http\" is not a number\n", ports.err());

    MlbRun flow = mlb("trace", SEED, SEED_ROUTES, "--flow", "lan:192.0.2.100->203.0.113.10:443/tcp");
    assertEquals(2, flow.code());
    assertTrue(flow.err().startsWith("mlb trace: --flow lan:192.0.2.100->203.0.113.10:443/tcp: expected "), flow.err());

    MlbRun from = mlb("simulate", SEED, SEED_ROUTES, "--from", "moon");
    assertEquals(2, from.code());
    assertTrue(from.err().contains("--from"), from.err());

    MlbRun noLan = raw("check", "--rules", SEED, "--uplink", "ppp0=198.51.100.1/28");
    assertEquals(2, noLan.code());
    assertTrue(noLan.err().contains("--lan"), noLan.err());
  }
}
