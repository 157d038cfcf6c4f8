package dev.mlb.testkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mlb compile} and {@code mlb demo} in-process (the working directory is mlb-testkit). The
 * expected rules follow from the seed policy by hand: uplink isp1 (ppp0) has mark 0x100 and table
 * 100, isp2 (ppp1) 0x200 and 101, both point-to-point and masqueraded, one nth slot each.
 */
class PolicyCommandsTest {
  private static final Path SEED = Path.of("examples/seed-policy.yaml");

  private static MlbRun mlb(String... args) {
    return MlbRun.of(args);
  }

  // ------------------------------------------------------------------ compile

  @Test
  void compileWritesTheSeedsFilesAndNamesThem(@TempDir Path tmp) throws IOException {
    Path out = tmp.resolve("etc/mlb");
    MlbRun r = mlb("compile", "--policy", SEED.toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals("wrote " + out.resolve("rules.v4") + "\nwrote " + out.resolve("routes.v4.batch") + "\nwrote "
        + out.resolve("routes.undo.batch") + "\nwrote " + out.resolve("sysctl.conf") + "\n", r.out());
    try (Stream<Path> files = Files.list(out)) {
      assertEquals(List.of("routes.undo.batch", "routes.v4.batch", "rules.v4", "sysctl.conf"),
          files.map(p -> p.getFileName().toString()).sorted().toList());
    }
    String rules = Files.readString(out.resolve("rules.v4"));
    // The default mark mask 0x0f000000: isp1 0x1000000, isp2 0x2000000.
    assertTrue(rules.contains("-A mlb-balance -m statistic --mode nth --every 2 --packet 0 -j CONNMARK"
        + " --set-xmark 0x1000000/0xf000000\n-A mlb-balance -m statistic --mode nth --every 2 --packet 1 -j CONNMARK"
        + " --set-xmark 0x2000000/0xf000000\n"), rules);
    // Marks are restored only onto packets of connections that carry one of mlb's values.
    assertTrue(rules.contains("-A mlb-prerouting -m connmark --mark 0x1000000/0xf000000 -j MARK --set-xmark"
        + " 0x1000000/0xf000000\n"), rules);
    assertTrue(rules.contains("-A mlb-postrouting -o ppp0 -j MASQUERADE\n-A mlb-postrouting -o ppp1 -j MASQUERADE\n"));
    String routes = Files.readString(out.resolve("routes.v4.batch"));
    assertTrue(routes.contains("route replace default dev ppp1 table 101 proto 109\n"), routes);
    assertTrue(routes.contains("rule add priority 1000 from all to 192.0.2.0/24 lookup main proto 109\n"), routes);
    assertTrue(Files.readString(out.resolve("routes.undo.batch"))
        .contains("rule del priority 1010 from all fwmark 0x1000000/0xf000000 lookup 100 proto 109\n"));
    assertTrue(Files.readString(out.resolve("sysctl.conf")).contains("net.ipv4.conf.ppp1.rp_filter = 2\n"));
    // The findings go to standard error, each naming the file.
    assertTrue(r.err().startsWith(SEED + ": info [uplink-table] uplinks[0]: table 100 (mlb-isp1)"), r.err());
    assertTrue(r.err().lines().allMatch(l -> l.startsWith(SEED + ": ")), r.err());
  }

  @Test
  void compileOfBothFamiliesWritesAnUndoPerFamily(@TempDir Path tmp) throws IOException {
    Path policy = tmp.resolve("dual.yaml");
    Files.writeString(policy, """
        family: both
        uplinks:
          - {name: isp1, interface: eth1, gateway: 198.51.100.1, gateway6: "2001:db8:ff::1"}
          - {name: isp2, interface: eth2, gateway: 198.51.100.17, gateway6: "2001:db8:ff:1::1", weight: 2}
        lan:
          interfaces: [eth0]
          prefixes: [192.0.2.0/24, "2001:db8:1::/64"]
        """);
    MlbRun r = mlb("compile", "--policy", policy.toString(), "--out", tmp.resolve("out").toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(List.of("rules.v4", "rules.v6", "routes.v4.batch", "routes.v6.batch", "routes.undo.batch",
        "routes.v6.undo.batch", "sysctl.conf"),
        r.out().lines().map(l -> l.substring(l.lastIndexOf('/') + 1)).toList());
    assertTrue(Files.readString(tmp.resolve("out/routes.undo.batch")).contains("load with: ip -4 -batch FILE"));
    assertTrue(Files.readString(tmp.resolve("out/routes.v6.undo.batch")).contains("load with: ip -6 -batch FILE"));
    assertTrue(Files.readString(tmp.resolve("out/routes.v6.batch"))
        .contains("route replace default via 2001:db8:ff:1::1 dev eth2 table 101 proto 109\n"));
  }

  @Test
  void compileRefusesAnInvalidPolicyNamingTheLineColumnFieldAndValue(@TempDir Path tmp) throws IOException {
    Path policy = tmp.resolve("bad.yaml");
    Files.writeString(policy, """
        uplinks:
          - name: isp1
            interface: ppp0
          - name: isp2
            interface: ppp1
            weight: 300
        lan:
          interfaces: [eth0]
          prefixes: [192.0.2.0/24]
        """);
    Path out = tmp.resolve("out");
    MlbRun r = mlb("compile", "--policy", policy.toString(), "--out", out.toString());
    assertEquals(2, r.code(), r.err());
    assertEquals("mlb compile: " + policy + ": line 6, column 13: uplinks[1].weight: 300 is out of range; expected"
        + " 1 to 256\n      weight: [*]300\n", r.err());
    assertEquals("", r.out());
    assertFalse(Files.exists(out), "nothing is written for an invalid policy");

    Files.writeString(policy, "uplinks:\n  - name: isp1\n    interface: ppp0\n    gatway: 198.51.100.2\n"
        + "lan: {interfaces: [eth0], prefixes: [192.0.2.0/24]}\n");
    MlbRun unknown = mlb("compile", "--policy", policy.toString(), "--out", out.toString());
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().startsWith("mlb compile: " + policy + ": line 4, column 5: uplinks[0]: unknown key"
        + " \"gatway\" (did you mean \"gateway\"?)"), unknown.err());
    assertTrue(unknown.err().endsWith("\n      [*]gatway: 198.51.100.2\n"), unknown.err());
  }

  @Test
  void compileRefusesAPolicyTheKernelCannotRealise(@TempDir Path tmp) throws IOException {
    // The kernel has no device-only IPv6 multipath routes: isp2 lacks gateway6. The policy's validation
    // says so, at the uplink (the key is absent, so its mapping is where).
    Path policy = tmp.resolve("mp6.yaml");
    Files.writeString(policy, """
        family: both
        strategy: multipath
        uplinks:
          - {name: isp1, interface: eth1, gateway: 198.51.100.1, gateway6: "2001:db8:ff::1"}
          - {name: isp2, interface: eth2, gateway: 198.51.100.17}
        lan:
          interfaces: [eth0]
          prefixes: [192.0.2.0/24, "2001:db8:1::/64"]
        """);
    Path out = tmp.resolve("out");
    MlbRun r = mlb("compile", "--policy", policy.toString(), "--out", out.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().startsWith("mlb compile: " + policy + ": "), r.err());
    assertEquals("mlb compile: " + policy + ": line 5, column 5: uplinks[1].gateway6: none, but IPv6 multipath"
        + " routes need a next hop for every uplink (the kernel refuses device-only IPv6 nexthops in a multipath"
        + " route); expected the uplink's IPv6 gateway", r.err().lines().findFirst().orElseThrow());
    assertFalse(Files.exists(out));
  }

  @Test
  void compileReportsEveryProblemOfAStage(@TempDir Path tmp) throws IOException {
    Path policy = tmp.resolve("two.yaml");
    Files.writeString(policy, "uplinks:\n  - {name: isp1, interface: ppp0, weight: 0}\n"
        + "  - {name: isp2, interface: ppp1, weight: 257}\nlan: {interfaces: [eth0], prefixes: [192.0.2.0/24]}\n");
    MlbRun r = mlb("compile", "--policy", policy.toString(), "--out", tmp.resolve("out").toString());
    assertEquals(2, r.code());
    List<String> problems = r.err().lines().filter(l -> l.startsWith("mlb compile: ")).toList();
    assertEquals(2, problems.size(), r.err());
    assertTrue(problems.get(0).contains("line 2, column 43: uplinks[0].weight: 0 is out of range"), r.err());
    assertTrue(problems.get(1).contains("line 3, column 43: uplinks[1].weight: 257 is out of range"), r.err());
  }

  @Test
  void compileExitCodesForFilesAndUsage(@TempDir Path tmp) throws IOException {
    MlbRun missing = mlb("compile", "--policy", tmp.resolve("none.yaml").toString(), "--out", tmp.toString());
    assertEquals(2, missing.code());
    assertEquals("mlb compile: --policy " + tmp.resolve("none.yaml") + ": no such file\n", missing.err());

    Path latin1 = tmp.resolve("latin1.yaml");
    Files.write(latin1, new byte[] {'#', ' ', (byte) 0xe9, '\n'});
    MlbRun notUtf8 = mlb("compile", "--policy", latin1.toString(), "--out", tmp.toString());
    assertEquals(2, notUtf8.code());
    assertEquals("mlb compile: " + latin1 + ": line 1, column 3: byte 0xe9 is not UTF-8; expected UTF-8 text\n",
        notUtf8.err());

    MlbRun directory = mlb("compile", "--policy", tmp.toString(), "--out", tmp.resolve("x").toString());
    assertEquals(1, directory.code());
    assertTrue(directory.err().startsWith("mlb compile: --policy " + tmp + ": cannot read it: "), directory.err());

    Path file = tmp.resolve("a-file");
    Files.writeString(file, "");
    MlbRun unwritable = mlb("compile", "--policy", SEED.toString(), "--out", file.toString());
    assertEquals(1, unwritable.code());
    assertTrue(unwritable.err().contains("mlb compile: --out " + file + ": cannot write: "), unwritable.err());

    assertEquals(2, mlb("compile", "--policy", SEED.toString()).code());
  }

  // ------------------------------------------------------------------ demo

  @Test
  void theBuiltInSeedPolicyIsTheExampleFile() throws IOException {
    assertEquals(Files.readString(SEED), DemoCommand.seedPolicyText());
  }

  @Test
  void demoPrintsThePolicyTheFilesTheSplitAndEveryProperty() throws IOException {
    MlbRun r = mlb("demo");
    assertEquals(0, r.code(), r.out() + r.err());
    assertEquals("", r.err());
    String out = r.out();
    assertTrue(out.startsWith("==> seed-policy.yaml <==\n" + Files.readString(SEED) + "\n==> rules.v4 <==\n*mangle\n"),
        out);
    int rules = out.indexOf("\n==> rules.v4 <==\n");
    int routes = out.indexOf("\n==> routes.v4.batch <==\n");
    int undo = out.indexOf("\n==> routes.undo.batch <==\n");
    int sysctl = out.indexOf("\n==> sysctl.conf <==\n");
    assertTrue(rules > 0 && routes > rules && undo > routes && sysctl > undo, out);
    assertTrue(out.contains("\nsimulated: 12 balanced LAN flows and 4 balanced router flows, with 4 inbound flows"
        + " and 3 of unbalanced traffic (seed 1)\n"
        + "uplink    flows   share  expected\n"
        + "ppp0          8   50.0%     50.0%\n"
        + "ppp1          8   50.0%     50.0%\n"
        + "PASS property 1 (every balanced flow leaves with exactly one uplink mark)\n"
        + "PASS property 2 (marks split by weight)\n"
        + "PASS property 3 (every packet of a flow, both directions, keeps the flow's uplink)\n"
        + "PASS property 4 (a flow leaves through the uplink its mark designates, with that uplink's address)\n"
        + "PASS property 5 (replies to LAN hosts are delivered to the LAN)\n"
        + "PASS property 6 (a connection arriving on an uplink is answered through it)\n"
        + "PASS property 7 (excluded traffic is never balanced)\n"
        + "PASS property 12 (traffic that mlb does not balance keeps its marks and its route)\n"
        + "all 8 properties hold\n"), out);
    assertTrue(out.endsWith("all 8 properties hold\n"));
  }

  @Test
  void demoFlowCountsAreOptions() {
    MlbRun r = mlb("demo", "--lan-flows", "5", "--router-flows", "0");
    assertEquals(0, r.code(), r.out());
    // Five flows alternate from ppp0: three and two.
    assertTrue(r.out().contains("ppp0          3   60.0%     50.0%\nppp1          2   40.0%     50.0%\n"), r.out());
    MlbRun bad = mlb("demo", "--lan-flows", "-1");
    assertEquals(2, bad.code());
    assertEquals("mlb demo: flow count -1: expected 0..25000\n", bad.err());
  }
}
