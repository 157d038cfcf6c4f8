package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.IpFamily;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.testkit.check.CompiledPolicy;
import dev.mlb.testkit.live.Backend;
import dev.mlb.testkit.live.ConflictException;
import dev.mlb.testkit.live.Deployment;
import dev.mlb.testkit.live.LiveChange;
import dev.mlb.testkit.live.LiveException;
import dev.mlb.testkit.live.Ownership;
import dev.mlb.testkit.live.StepFailedException;
import dev.mlb.testkit.live.ToolRunner;
import dev.mlb.testkit.policyfile.PolicyFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * {@code mlb apply} and {@code remove} with both iptables backends and both families, beside other
 * software's IPv4 and IPv6 rules, ip rules and routes; a real step the kernel refuses, rolled back;
 * and the conflicts that are refused before anything changes.
 */
class LiveBackendsKernelTest {

  static final String FOREIGN_V6 = """
      *filter
      :INPUT ACCEPT [0:0]
      :ip6-f2b - [0:0]
      -A INPUT -p tcp -m tcp --dport 22 -j ip6-f2b
      -A ip6-f2b -s 2001:db8:bad::/48 -j DROP
      COMMIT
      *nat
      :POSTROUTING ACCEPT [0:0]
      -A POSTROUTING -s fd00:17::/64 -o ppp0 -j MASQUERADE
      COMMIT
      """;

  static final String ROUTES_V4 = """
      route add default via 198.51.100.1 dev ppp0
      route add 10.99.0.0/16 dev wg0 table 51820
      rule add priority 5000 not fwmark 0xca6c lookup 51820
      """;

  static final String ROUTES_V6 = """
      route add default via 2001:db8:1::1 dev ppp0
      route add 2001:db8:99::/48 dev wg0 table 51820
      rule add priority 5000 not fwmark 0xca6c lookup 51820
      """;

  static final List<String> KEYS = List.of("net.ipv4.ip_forward", "net.ipv4.conf.all.src_valid_mark",
      "net.ipv4.conf.all.rp_filter", "net.ipv4.conf.ppp0.rp_filter", "net.ipv4.conf.ppp1.rp_filter",
      "net.ipv6.conf.all.forwarding");

  static BalancingPolicy dualStack() {
    return PolicyFile.parse("dual.yaml", """
        family: both
        uplinks:
          - {name: isp1, interface: ppp0, gateway: 198.51.100.1, gateway6: "2001:db8:1::1"}
          - {name: isp2, interface: ppp1, gateway: 198.51.100.17, gateway6: "2001:db8:2::1"}
        lan:
          interfaces: [eth0]
          prefixes: [192.0.2.0/24, "2001:db8:ff::/64"]
        balance:
          - {protocol: tcp, ports: [22, 25, 80, 443]}
        router:
          - {protocol: tcp, ports: [80]}
        mark-mask: 0x0f000000
        """);
  }

  /** Everything foreign tests compare: both families' rules of the backend, ip rules, routes, sysctl. */
  record Snapshot(String rules4, String rules6, String ipRules4, String ipRules6, String routes4, String routes6,
      Map<String, String> sysctl) {
    static Snapshot of(ToolRunner r, Backend b) {
      return of(r, b, KEYS);
    }

    static Snapshot of(ToolRunner r, Backend b, List<String> keys) {
      Map<String, String> sysctl = new TreeMap<>();
      for (String k : keys) {
        sysctl.put(k, r.run("sysctl", "-n", k).check().stdout().strip());
      }
      return new Snapshot(save(r, b.save(IpFamily.V4)), save(r, b.save(IpFamily.V6)),
          r.run("ip", "-4", "rule", "show").check().stdout(), r.run("ip", "-6", "rule", "show").check().stdout(),
          r.run("ip", "-4", "route", "show", "table", "all").check().stdout(),
          r.run("ip", "-6", "route", "show", "table", "all").check().stdout(), sysctl);
    }

    private static String save(ToolRunner r, String tool) {
      return r.run(tool).check().stdout().lines().filter(l -> !l.startsWith("#"))
          .map(l -> l.replaceAll(" \\[\\d+:\\d+\\]$", "")).reduce("", (a, c) -> a + c + "\n");
    }

    /** This snapshot with tables that hold nothing (built-in chains with policy ACCEPT only) left out. */
    Snapshot withoutEmptyTables() {
      return new Snapshot(dropEmpty(rules4), dropEmpty(rules6), ipRules4, ipRules6, routes4, routes6, sysctl);
    }

    private static String dropEmpty(String rules) {
      StringBuilder out = new StringBuilder();
      for (String table : rules.split("(?<=COMMIT\n)")) {
        boolean empty = table.lines().allMatch(l -> l.startsWith("*") || l.equals("COMMIT")
            || l.matches(":[A-Z]+ ACCEPT"));
        if (!empty) {
          out.append(table);
        }
      }
      return out.toString();
    }

    /**
     * The snapshot without mlb's chains, jumps, ip rules and routes (protocol 109), and without
     * the kernel's own routes (with IPv6 forwarding on, the kernel adds each link's anycast route).
     */
    Snapshot foreign() {
      return foreign("mlb-", 109);
    }

    /** {@link #foreign()} for a policy with another chain prefix and rule protocol. */
    Snapshot foreign(String prefix, int protocol) {
      String proto = "proto " + protocol;
      return filtered(l -> !l.contains(prefix) && !l.contains(proto + " ") && !l.endsWith(proto)
          && !l.contains("proto kernel")).withoutEmptyTables();
    }

    /** Every line of the rules, ip rules and routes that {@code keep} keeps; no sysctl values. */
    Snapshot filtered(java.util.function.Predicate<String> keep) {
      return new Snapshot(keepOnly(rules4, keep), keepOnly(rules6, keep), keepOnly(ipRules4, keep),
          keepOnly(ipRules6, keep), keepOnly(routes4, keep), keepOnly(routes6, keep), Map.of());
    }

    private static String keepOnly(String text, java.util.function.Predicate<String> keep) {
      // A multipath route's nexthops are continuation lines: they belong to the route's line.
      return text.replaceAll("\n(?=\\s)", " ").lines().filter(keep).reduce("", (a, c) -> a + c + "\n");
    }
  }

  static void loadForeign(ToolRunner r, Backend b) {
    r.run(List.of(b.restore(IpFamily.V4)), LiveLab.FOREIGN_RULES).check();
    r.run(List.of(b.restore(IpFamily.V6)), FOREIGN_V6).check();
    r.run(List.of("ip", "-4", "-batch", "-"), ROUTES_V4).check();
    r.run(List.of("ip", "-6", "-batch", "-"), ROUTES_V6).check();
    r.run("sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=1").check();
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void bothFamiliesOnEachBackend(Backend backend) throws IOException {
    KernelTests.requireKernel();
    BalancingPolicy policy = dualStack();
    CompiledPolicy compiled = CompiledPolicy.compile(policy);
    Path state = Files.createTempDirectory("mlb-state");
    try (LiveLab lab = LiveLab.create("live" + backend.name().toLowerCase(java.util.Locale.ROOT))) {
      ToolRunner r = lab.runner();
      loadForeign(r, backend);
      Snapshot before = Snapshot.of(r, backend);
      Deployment d = Deployment.on(r, state);
      LiveChange apply = d.planApply(compiled);
      assertEquals(List.of(), apply.conflicts());
      assertEquals(backend, apply.before().backend(), "the backend the foreign rules are in");
      d.execute(apply);
      Snapshot applied = Snapshot.of(r, backend);
      assertEquals(before.foreign(), applied.foreign(), backend + ": foreign state after apply");
      // RulesetChange.result() predicts what the kernel holds afterwards, rule for rule.
      for (IpFamily f : IpFamily.values()) {
        assertEquals(dev.mlb.netfilter.RulesetChange.between(apply.before().ruleset(f), compiled.ruleset(f), "mlb-")
                .result(), dev.mlb.netfilter.RestoreParser.parse("save", r.run(backend.save(f)).check().stdout(), f),
            backend + " " + f + ": the predicted ruleset");
      }
      assertTrue(applied.rules6().contains("-A mlb-balance"), applied.rules6());
      // Marked packets take their uplink's table in both families; unmarked ones main's default.
      assertTrue(r.run("ip", "-6", "route", "get", "2001:db8:113::10", "mark", "0x2000000").check().stdout()
          .contains("via 2001:db8:2::1 dev ppp1 table 101"));
      assertTrue(r.run("ip", "-4", "route", "get", "203.0.113.10", "mark", "0x1000000").check().stdout()
          .contains("via 198.51.100.1 dev ppp0 table 100"));
      assertTrue(d.planApply(compiled).isEmpty(), "a second apply changes nothing");
      assertEquals(applied, Snapshot.of(r, backend));

      d.execute(d.planRemove(Ownership.of(policy)));
      Snapshot removed = Snapshot.of(r, backend);
      if (backend == Backend.NFT) {
        // mlb deletes the ip6 mangle table it made exist: exactly the save of before.
        assertEquals(before, removed, backend + ": after remove");
      } else {
        // iptables-legacy keeps a table once the kernel made it: ip6 mangle stays, empty; nothing else differs.
        assertTrue(removed.rules6().startsWith("*mangle\n:PREROUTING ACCEPT\n"), removed.rules6());
        assertEquals(before, removed.withoutEmptyTables(), backend + ": after remove, but for the empty table");
      }
    }
  }

  @Test
  void aStepTheKernelRefusesIsRolledBack() throws IOException {
    KernelTests.requireKernel();
    CompiledPolicy compiled = CompiledPolicy.compile(dualStack());
    Path state = Files.createTempDirectory("mlb-state");
    try (LiveLab lab = LiveLab.create("liverollback")) {
      ToolRunner r = lab.runner();
      loadForeign(r, Backend.NFT);
      Snapshot before = Snapshot.of(r, Backend.NFT);
      Deployment d = Deployment.on(r, state);
      LiveChange plan = d.planApply(compiled);
      // The IPv6 jumps step also jumps to a chain that does not exist: iptables-restore refuses it
      // after the sysctl values, routes, rules and chains of both families are in.
      List<LiveChange.Step> steps = new ArrayList<>(plan.steps());
      int jumps6 = -1;
      for (int i = 0; i < steps.size(); i++) {
        if (steps.get(i).name().equals("IPv6 jumps into mlb's chains")) {
          jumps6 = i;
        }
      }
      LiveChange.Step s = steps.get(jumps6);
      steps.set(jumps6, new LiveChange.Step(s.name(), s.command(),
          s.stdin().replace("COMMIT\n", "-A FORWARD -j mlb-missing\nCOMMIT\n")));
      LiveChange sabotaged = new LiveChange(plan.what(), plan.ownership(), plan.before(), ImmutableList.copyOf(steps),
          plan.conflicts(), plan.record());
      StepFailedException e = assertThrows(StepFailedException.class, () -> d.execute(sabotaged));
      assertTrue(e.rolledBack(), e.getMessage());
      assertEquals(jumps6 + 1, e.step());
      assertTrue(e.getMessage().startsWith("mlb apply failed at step " + (jumps6 + 1) + " (IPv6 jumps into mlb's chains):"
          + " ip6tables-nft-restore --noflush exited 2"), e.getMessage());
      assertEquals(before, Snapshot.of(r, Backend.NFT), "rolled back");
      assertTrue(d.record("mlb").isEmpty(), "no state record after a rolled-back first apply");
    }
  }

  @Test
  void conflictsAreRefusedBeforeAnythingChanges() throws IOException {
    KernelTests.requireKernel();
    CompiledPolicy compiled = CompiledPolicy.compile(dualStack());
    Path state = Files.createTempDirectory("mlb-state");
    Map<String, List<String>> cases = new TreeMap<>();
    cases.put("ip rule at a needed priority", List.of("ip", "-4", "rule", "add", "priority", "1010", "fwmark", "0x1",
        "lookup", "200"));
    cases.put("route in a needed table", List.of("ip", "-6", "route", "add", "2001:db8:77::/48", "dev", "wg0", "table",
        "101"));
    cases.put("mark bits in mlb's mask", List.of("iptables", "-t", "mangle", "-A", "FORWARD", "-j", "MARK",
        "--set-xmark", "0x2000000/0x2000000"));
    Map<String, String> expected = Map.of(
        "ip rule at a needed priority", "ip rule priority 1010 is taken by a rule of another program (\"priority 1010"
            + " from all fwmark 0x1 lookup 200\"); mlb needs it for \"priority 1010 from all fwmark 0x1000000/0xf000000"
            + " lookup 100 proto 109\"",
        "route in a needed table", "routing table 101 is in use by another program (route \"2001:db8:77::/48 dev wg0"
            + " table 101\"); mlb needs it for \"default via 2001:db8:2::1 dev ppp1 table 101 proto 109\"",
        "mark bits in mlb's mask", "mark bits 0x2000000 of mlb's mask 0xf000000 are in use: iptables -t mangle rule 1"
            + " of FORWARD \"-A FORWARD -j MARK --set-xmark 0x2000000/0x2000000\" uses 0x2000000; free bits:"
            + " mark-mask: 0xf0000000");
    for (Map.Entry<String, List<String>> c : cases.entrySet()) {
      try (LiveLab lab = LiveLab.create("liveconflict")) {
        ToolRunner r = lab.runner();
        r.run(c.getValue(), "").check();
        Snapshot before = Snapshot.of(r, Backend.NFT);
        Deployment d = Deployment.on(r, state);
        LiveChange plan = d.planApply(compiled);
        assertEquals(List.of(expected.get(c.getKey())), plan.conflicts(), c.getKey());
        assertThrows(ConflictException.class, () -> d.execute(plan));
        assertEquals(before, Snapshot.of(r, Backend.NFT), c.getKey() + ": unchanged");
      }
    }
  }

  @Test
  void mlbsChainsInBothBackendsAreRefused() throws IOException {
    KernelTests.requireKernel();
    Path state = Files.createTempDirectory("mlb-state");
    try (LiveLab lab = LiveLab.create("liveboth")) {
      ToolRunner r = lab.runner();
      for (Backend b : Backend.values()) {
        r.run(List.of(b.restore(IpFamily.V4)), "*mangle\n:mlb-prerouting - [0:0]\nCOMMIT\n").check();
      }
      LiveException e = assertThrows(LiveException.class,
          () -> Deployment.on(r, state).planApply(CompiledPolicy.compile(dualStack())));
      assertEquals("mlb's chains are in both iptables backends (iptables-nft: mangle mlb-prerouting; iptables-legacy:"
          + " mangle mlb-prerouting); remove one set (mlb remove with the other backend's tools, or iptables-legacy"
          + " -F/-X) before applying", e.getMessage());
      assertFalse(Files.exists(state.resolve("mlb.json")));
    }
  }
}
