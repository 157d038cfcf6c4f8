package dev.mlb.testkit.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import dev.mlb.iproute.IpJsonParser;
import dev.mlb.iproute.Route;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.testkit.kernel.KernelTests;
import dev.mlb.testkit.kernel.Netns;
import dev.mlb.testkit.live.FakeRouter.Backend;
import dev.mlb.testkit.live.ToolRunner.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The fake router against the real tools: the same commands run on a {@link FakeRouter} and, through
 * {@link ProcessRunner#inNamespace}, in a fresh network namespace with the same interfaces (veth,
 * IPv6 without link-local addresses or duplicate address detection; the peers live in a second
 * namespace, so that only the router's own interfaces are listed). After every command both must
 * agree on the exit code, the line a failure names, and the state: {@code iptables-save} of both
 * backends (comment lines dropped), the nf_tables save's warning about legacy tables, {@code ip
 * -json} rules and routes as mlb's {@link IpJsonParser} reads them, sysctl values, conntrack entries.
 *
 * <p>Only documentation addresses are used, and only inside the test's own namespaces.
 */
class FakeRouterKernelTest {
  private static final Pattern[] LINE = {
      Pattern.compile("Error occurred at line: (\\d+)"), Pattern.compile("Command failed -:(\\d+)"),
      Pattern.compile("line (\\d+)")};

  /** The line a failed restore or batch names ("Error occurred at line: N", "line N failed", "-:N"), or -1. */
  static int failedLine(String stderr) {
    for (Pattern p : LINE) {
      Matcher m = p.matcher(stderr);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
    }
    return -1;
  }

  /** A namespace with eth1 and eth2 (peers in a second namespace) and the fake built alike. */
  private static final class Lab implements AutoCloseable {
    final Netns ns;
    final Netns peers;
    final ProcessRunner real;
    FakeRouter fake;

    Lab() {
      KernelTests.requireKernel();
      ns = Netns.create("fake");
      Netns p = null;
      try {
        p = Netns.create("fakepeer");
        for (String[] link : new String[][] {{"eth1", "198.51.100.2/28", "2001:db8:1::2/64"},
            {"eth2", "203.0.113.2/24", "2001:db8:2::2/64"}}) {
          ns.run("ip", "link", "add", link[0], "type", "veth", "peer", "name", link[0] + "p", "netns", p.name()).check();
          ns.run("ip", "link", "set", link[0], "addrgenmode", "none").check();
          p.run("ip", "link", "set", link[0] + "p", "addrgenmode", "none").check();
          ns.run("ip", "link", "set", link[0], "up").check();
          p.run("ip", "link", "set", link[0] + "p", "up").check();
          ns.run("ip", "addr", "add", link[1], "dev", link[0]).check();
          ns.run("ip", "addr", "add", link[2], "dev", link[0], "nodad").check();
        }
        awaitCarrier(ns);
      } catch (RuntimeException e) {
        ns.close();
        if (p != null) {
          p.close();
        }
        throw e;
      }
      peers = p;
      real = ProcessRunner.inNamespace(ns.name());
      String v = real.run("iptables", "-V").check().stdout();
      FakeRouter.Builder b = FakeRouter.builder().backend(v.contains("legacy") ? Backend.LEGACY : Backend.NFT);
      // IPv4's all and default come from the host's own namespace (net.core.devconf_inherit_init_net
      // = 0), and Netns pins the multipath hash seed: the fake starts from what this namespace has.
      for (String key : List.of("net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter",
          "net.ipv4.conf.all.src_valid_mark", "net.ipv4.conf.default.src_valid_mark",
          "net.ipv4.fib_multipath_hash_seed")) {
        Result r = real.run("sysctl", "-n", key);
        if (r.ok()) {
          b.sysctl(key, r.stdout().strip());
        } else {
          b.withoutSysctl(key);
        }
      }
      fake = b.addInterface("eth1", "198.51.100.2/28", "2001:db8:1::2/64")
          .addInterface("eth2", "203.0.113.2/24", "2001:db8:2::2/64").build();
    }

    private static void awaitCarrier(Netns ns) {
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (true) {
        String shown = ns.run("ip", "-o", "link", "show").check().stdout();
        if (shown.lines().filter(l -> l.contains("LOWER_UP") && (l.contains(": eth1@") || l.contains(": eth2@")))
            .count() == 2) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("links without carrier after 5 s:\n" + shown);
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
    }

    /** Runs a command on both; they must agree on the exit code and the failing line. Returns the real result. */
    Result both(List<String> command, String stdin) {
      Result r = real.run(command, stdin);
      Result f = fake.run(command, stdin);
      String what = String.join(" ", command) + (stdin.isEmpty() ? "" : " <<\n" + stdin) + "\nreal: " + r + "\nfake: " + f;
      assertEquals(r.exitCode(), f.exitCode(), "exit code of " + what);
      if (!r.ok()) {
        assertEquals(failedLine(r.stderr()), failedLine(f.stderr()), "failing line of " + what);
        assertEquals(commandFailures(r.stderr()), commandFailures(f.stderr()), "failing lines of " + what);
      }
      return r;
    }

    Result both(String... command) {
      return both(List.of(command), "");
    }

    @Override
    public void close() {
      try {
        ns.close();
      } finally {
        peers.close();
      }
    }
  }

  private static List<String> commandFailures(String stderr) {
    return stderr.lines().filter(l -> l.startsWith("Command failed")).toList();
  }

  /** Save text without comment lines, counters zeroed (packets the namespace sends itself count). */
  private static String noComments(String text) {
    StringBuilder b = new StringBuilder();
    text.lines().filter(l -> !l.startsWith("#")).forEach(l -> b.append(l.replaceFirst(" \\[[0-9]+:[0-9]+\\]$", " [0:0]")
        .replaceFirst("^\\[[0-9]+:[0-9]+\\] ", "[0:0] ")).append('\n'));
    return b.toString();
  }

  /** Both backends' saves of the family agree (and the nf_tables save's warning). */
  private static void sameTables(Lab lab, IpFamily family, String after) {
    String base = family == IpFamily.V4 ? "iptables" : "ip6tables";
    for (String program : List.of(base + "-legacy-save", base + "-nft-save")) {
      for (List<String> argv : List.of(List.of(program), List.of(program, "-c"))) {
        Result r = lab.real.run(argv, "").check();
        Result f = lab.fake.run(argv, "").check();
        assertEquals(noComments(r.stdout()), noComments(f.stdout()), argv + " after " + after);
        assertEquals(r.stderr(), f.stderr(), argv + " (stderr) after " + after);
      }
    }
  }

  @Test
  void versionsAgree() {
    try (Lab lab = new Lab()) {
      for (String p : List.of("iptables", "ip6tables", "iptables-legacy", "ip6tables-legacy", "iptables-nft",
          "ip6tables-nft", "iptables-save", "iptables-nft-restore")) {
        assertEquals(lab.real.run(p, "-V").stdout(), lab.fake.run(p, "-V").stdout(), p + " -V");
      }
    }
  }

  private static void restoreScriptsAgree(Backend backend, IpFamily family) {
    try (Lab lab = new Lab()) {
      String base = family == IpFamily.V4 ? "iptables" : "ip6tables";
      String restore = base + (backend == Backend.NFT ? "-nft" : "-legacy") + "-restore";
      int i = 0;
      for (String[] script : FakeRouterKernelScripts.restoreScripts(family)) {
        List<String> argv = new ArrayList<>(List.of(restore));
        argv.addAll(List.of(script).subList(1, script.length));
        lab.both(argv, script[0]);
        sameTables(lab, family, "script " + i++ + ": " + argv + "\n" + script[0]);
      }
      String save = base + (backend == Backend.NFT ? "-nft" : "-legacy") + "-save";
      for (String t : List.of("nat", "filter")) {
        Result r = lab.both(save, "-t", t);
        assertEquals(noComments(r.stdout()), noComments(lab.fake.run(save, "-t", t).stdout()), save + " -t " + t);
        sameTables(lab, family, save + " -t " + t);
      }
    }
  }

  @Test
  void restoreAgreesLegacyV4() {
    restoreScriptsAgree(Backend.LEGACY, IpFamily.V4);
  }

  @Test
  void restoreAgreesNftV4() {
    restoreScriptsAgree(Backend.NFT, IpFamily.V4);
  }

  @Test
  void restoreAgreesLegacyV6() {
    restoreScriptsAgree(Backend.LEGACY, IpFamily.V6);
  }

  @Test
  void restoreAgreesNftV6() {
    restoreScriptsAgree(Backend.NFT, IpFamily.V6);
  }

  @Test
  void bothBackendsSideBySideAndThePlainCommands() {
    try (Lab lab = new Lab()) {
      lab.both(List.of("iptables-legacy-restore"), "*mangle\n:l - [0:0]\nCOMMIT\n");
      sameTables(lab, IpFamily.V4, "a legacy table");
      sameTables(lab, IpFamily.V6, "a legacy IPv4 table");
      lab.both(List.of("iptables-restore", "-n"), "*filter\n:n - [0:0]\n-A INPUT -j n\nCOMMIT\n");
      Result r = lab.both("iptables-save");
      assertEquals(noComments(r.stdout()), noComments(lab.fake.run("iptables-save").stdout()));
      assertEquals(r.stderr(), lab.fake.run("iptables-save").stderr());
      lab.both(List.of("ip6tables-restore"), "*raw\n:six - [0:0]\nCOMMIT\n");
      sameTables(lab, IpFamily.V6, "plain ip6tables-restore");
      sameTables(lab, IpFamily.V4, "plain ip6tables-restore");
    }
  }

  /** nft -f - deleting tables iptables-nft made: one transaction, ENOENT for a missing table. */
  @Test
  void nftDeletesTablesAlike() {
    try (Lab lab = new Lab()) {
      lab.both(List.of("iptables-nft-restore", "-n"), "*mangle\n:mlb-x - [0:0]\n-A PREROUTING -j mlb-x\nCOMMIT\n");
      lab.both(List.of("ip6tables-nft-restore", "-n"), "*nat\n:mlb-y - [0:0]\nCOMMIT\n");
      for (String script : List.of("delete table ip mangle\ndelete table ip6 mangle\n", "# c\n\ndelete table ip mangle\n",
          "delete table ip mangle\n", "", "delete table ip6 nat\n", "delete table ip6 nat\n")) {
        Result r = lab.both(List.of("nft", "-f", "-"), script);
        assertEquals(r.stderr(), lab.fake.log().get(lab.fake.log().size() - 1).result().stderr(), script);
        for (IpFamily f : IpFamily.values()) {
          sameTables(lab, f, "nft -f - <<\n" + script);
        }
      }
    }
  }

  /** Generated rulesets (every match and target mlb models) load alike and save back alike. */
  @Test
  void generatedRulesetsLoadAlike() {
    for (Backend backend : Backend.values()) {
      for (IpFamily family : IpFamily.values()) {
        try (Lab lab = new Lab()) {
          String restore = (family == IpFamily.V4 ? "iptables" : "ip6tables")
              + (backend == Backend.NFT ? "-nft" : "-legacy") + "-restore";
          dev.mlb.testkit.gen.RulesetGenerator gen = new dev.mlb.testkit.gen.RulesetGenerator(0x6d6c62L + family.ordinal());
          for (int i = 0; i < 4; i++) {
            String text = dev.mlb.netfilter.RestoreWriter.render(gen.next(family));
            List<String> argv = i % 2 == 0 ? List.of(restore) : List.of(restore, "--noflush");
            lab.both(argv, text);
            sameTables(lab, family, "generated ruleset " + i + " (" + argv + "):\n" + text);
          }
        }
      }
    }
  }

  /** mlb's own transactions (RulesetChange) beside another program's rules, applied, changed, removed. */
  @Test
  void rulesetChangesApplyAlike() {
    String foreign = "*mangle\n:DOCKER - [0:0]\n-A PREROUTING -j DOCKER\n-A DOCKER -j RETURN\nCOMMIT\n"
        + "*nat\n:DOCKER - [0:0]\n-A PREROUTING -j DOCKER\n-A POSTROUTING -o eth1 -j MASQUERADE\nCOMMIT\n";
    String first = "*mangle\n:mlb-pre - [0:0]\n:mlb-mark - [0:0]\n-A PREROUTING -j mlb-pre\n"
        + "-A mlb-pre -m conntrack --ctstate NEW -j mlb-mark\n-A mlb-mark -j CONNMARK --set-mark 0x1/0xff\n"
        + "COMMIT\n*nat\n:mlb-post - [0:0]\n-A POSTROUTING -j mlb-post\n-A mlb-post -o eth2 -j MASQUERADE\nCOMMIT\n";
    String second = "*mangle\n:mlb-pre - [0:0]\n-A PREROUTING -j mlb-pre\n-A mlb-pre -j CONNMARK --restore-mark\n"
        + "COMMIT\n";
    for (Backend backend : Backend.values()) {
      for (IpFamily family : IpFamily.values()) {
        try (Lab lab = new Lab()) {
          String base = family == IpFamily.V4 ? "iptables" : "ip6tables";
          String suffix = backend == Backend.NFT ? "-nft" : "-legacy";
          lab.both(List.of(base + suffix + "-restore", "--noflush"), foreign);
          for (String desiredText : List.of(first, second, first, "")) {
            String saved = lab.real.run(base + suffix + "-save").check().stdout();
            dev.mlb.netfilter.Ruleset live = dev.mlb.netfilter.RestoreParser.parse("live", saved, family);
            dev.mlb.netfilter.Ruleset desired = dev.mlb.netfilter.RestoreParser.parse("desired", desiredText, family);
            dev.mlb.netfilter.RulesetChange c = dev.mlb.netfilter.RulesetChange.between(live, desired, "mlb-");
            for (String step : List.of(c.chains(), c.jumps(), c.cleanup())) {
              if (!step.isEmpty()) {
                lab.both(List.of(base + suffix + "-restore", "--noflush"), step);
                sameTables(lab, family, backend + " " + c + ", step:\n" + step);
              }
            }
          }
          assertEquals(dev.mlb.netfilter.RestoreParser.parse("-", foreign, family),
              dev.mlb.netfilter.RestoreParser.parse("saved", lab.real.run(base + suffix + "-save").stdout(), family));
        }
      }
    }
  }

  /** mlb's routing transactions (RoutingChange) beside another program's rule and table, applied, changed, removed. */
  @Test
  void routingChangesApplyAlike() {
    for (IpFamily family : IpFamily.values()) {
      boolean v4 = family == IpFamily.V4;
      String gw1 = v4 ? "198.51.100.1" : "2001:db8:1::1";
      String gw2 = v4 ? "203.0.113.1" : "2001:db8:2::1";
      String flag = v4 ? "-4" : "-6";
      String foreign = "rule add priority 50 fwmark 0x10 lookup 50\nroute add default via " + gw2 + " table 50\n";
      String first = "rule flush protocol 109\nrule add priority 1000 fwmark 0x1/0xff lookup 101 proto 109\n"
          + "rule add priority 1001 fwmark 0x2/0xff lookup 102 proto 109\n"
          + "route replace default via " + gw1 + " dev eth1 table 101 proto 109\n"
          + "route replace default via " + gw2 + " dev eth2 table 102 proto 109\n"
          + "route replace default table 103 proto 109 nexthop via " + gw1 + " dev eth1 weight 2 nexthop via " + gw2
          + " dev eth2 weight 1\n";
      String second = "rule flush protocol 109\nrule add priority 1000 fwmark 0x1/0xff lookup 101 proto 109\n"
          + "route replace default via " + gw2 + " dev eth2 table 101 proto 109\n";
      try (Lab lab = new Lab()) {
        lab.both(List.of("ip", flag, "-batch", "-"), foreign);
        for (String desiredText : List.of(first, second, first, "rule flush protocol 109\n")) {
          RoutingPlan live = IpJsonParser.parse(lab.real.run("ip", flag, "-json", "rule", "show").check().stdout(),
              lab.real.run("ip", flag, "-json", "route", "show", "table", "all").check().stdout(), family);
          RoutingPlan desired = dev.mlb.iproute.IpBatchParser.parse("desired", desiredText, family);
          dev.mlb.iproute.RoutingChange c = dev.mlb.iproute.RoutingChange.between(live, desired);
          assertEquals(List.of(), c.conflicts());
          lab.both(List.of("ip", flag, "-batch", "-"), c.batch());
          sameRouting(lab, family, c + ":\n" + c.batch());
        }
      }
    }
  }

  private static void sameRouting(Lab lab, IpFamily family, String after) {
    String flag = family == IpFamily.V4 ? "-4" : "-6";
    Result rr = lab.real.run("ip", flag, "-json", "rule", "show").check();
    Result fr = lab.fake.run("ip", flag, "-json", "rule", "show").check();
    assertEquals(rr.stdout(), fr.stdout(), "ip " + flag + " -json rule show after " + after);
    String realRoutes = lab.real.run("ip", flag, "-json", "route", "show", "table", "all").check().stdout();
    String fakeRoutes = lab.fake.run("ip", flag, "-json", "route", "show", "table", "all").check().stdout();
    RoutingPlan r = IpJsonParser.parse(rr.stdout(), realRoutes, family);
    RoutingPlan f = IpJsonParser.parse(fr.stdout(), fakeRoutes, family);
    assertEquals(r.rules(), f.rules(), "rules after " + after);
    assertEquals(sorted(r.routes()), sorted(f.routes()), "routes after " + after + "\nreal: " + realRoutes
        + "fake: " + fakeRoutes);
    assertEquals(r.unmodelledJson().stream().sorted().toList(), f.unmodelledJson().stream().sorted().toList(),
        "unmodelled entries after " + after);
    String realMain = lab.real.run("ip", flag, "-json", "route", "show").check().stdout();
    String fakeMain = lab.fake.run("ip", flag, "-json", "route", "show").check().stdout();
    assertEquals(sorted(IpJsonParser.parse("", realMain, family).routes()),
        sorted(IpJsonParser.parse("", fakeMain, family).routes()), "main routes after " + after);
  }

  private static List<String> sorted(List<Route> routes) {
    return routes.stream().map(Route::toString).sorted().toList();
  }

  private static void batchesAgree(IpFamily family) {
    try (Lab lab = new Lab()) {
      String flag = family == IpFamily.V4 ? "-4" : "-6";
      sameRouting(lab, family, "nothing");
      int i = 0;
      for (String batch : FakeRouterKernelScripts.batches(family)) {
        lab.both(List.of("ip", flag, "-batch", "-"), batch);
        sameRouting(lab, family, "batch " + i++ + ":\n" + batch);
      }
      // The same again with -force: every line runs, the failures are listed, exit 1.
      for (String batch : FakeRouterKernelScripts.batches(family)) {
        lab.both(List.of("ip", flag, "-force", "-batch", "-"), batch);
        sameRouting(lab, family, "forced batch " + i++ + ":\n" + batch);
      }
      Result r = lab.both("ip", "-json", "link", "show");
      assertEquals(names(r.stdout()), names(lab.fake.run("ip", "-json", "link", "show").stdout()));
    }
  }

  private static List<String> names(String linkJson) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("\"ifname\":\"([^\"]+)\",\"flags\":\\[([^\\]]*)\\]").matcher(linkJson);
    while (m.find()) {
      out.add(m.group(1) + (m.group(2).contains("\"UP\"") ? " up" : " down"));
    }
    return out;
  }

  @Test
  void ipBatchesAgreeV4() {
    batchesAgree(IpFamily.V4);
  }

  @Test
  void ipBatchesAgreeV6() {
    batchesAgree(IpFamily.V6);
  }

  @Test
  void sysctlAgrees() {
    try (Lab lab = new Lab()) {
      Map<String, String> keys = lab.fake.snapshot().sysctl();
      for (String key : keys.keySet()) {
        lab.both("sysctl", "-n", key);
        assertEquals(lab.real.run("sysctl", key).stdout(), lab.fake.run("sysctl", key).stdout(), key);
      }
      List<List<String>> commands = List.of(
          List.of("sysctl", "-n", "net.ipv4.conf.eth1.rp_filter"),
          List.of("sysctl", "-w", "net.ipv4.conf.eth1.rp_filter=2"),
          List.of("sysctl", "-w", "net.ipv4.conf.all.rp_filter=0x2"),
          List.of("sysctl", "-qw", "net.ipv4.conf.all.src_valid_mark=1"),
          List.of("sysctl", "-q", "-w", "net.ipv4.conf.default.rp_filter=-1"),
          List.of("sysctl", "-w", "net/ipv4/conf/eth2/rp_filter=1"),
          List.of("sysctl", "net/ipv4/conf/eth2/rp_filter"),
          List.of("sysctl", "-n", "net.ipv4.bogus"),
          List.of("sysctl", "-w", "net.ipv4.bogus=1"),
          List.of("sysctl", "-n", "net.ipv4.conf.eth9.rp_filter"),
          List.of("sysctl", "-w", "net.ipv4.conf.all.rp_filter=abc"),
          List.of("sysctl", "-w", "net.ipv4.conf.all.rp_filter=99999999999"),
          List.of("sysctl", "-w", "net.ipv4.conf.all.rp_filter"),
          List.of("sysctl", "-w", "net.ipv4.fib_multipath_hash_policy=4"),
          List.of("sysctl", "-w", "net.ipv4.fib_multipath_hash_policy=1"),
          List.of("sysctl", "-w", "net.ipv6.fib_multipath_hash_policy=3"),
          List.of("sysctl", "-w", "net.ipv4.fib_multipath_hash_seed=4294967296"),
          List.of("sysctl", "-w", "net.ipv4.fib_multipath_hash_seed=-1"),
          List.of("sysctl", "-w", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=2"),
          List.of("sysctl", "-n", "net.ipv4.ip_forward", "net.ipv4.bogus", "net.ipv4.conf.eth1.forwarding"),
          List.of("sysctl", "-w", "net.ipv4.conf.lo.forwarding=0"),
          List.of("sysctl", "-w", "net.ipv6.conf.all.forwarding=1"),
          List.of("sysctl", "-w", "net.ipv6.conf.eth2.forwarding=0"));
      for (List<String> c : commands) {
        Result r = lab.both(c, "");
        assertEquals(r.stdout() + r.stderr(), lastOf(lab.fake).stdout() + lastOf(lab.fake).stderr(), c.toString());
      }
      for (String key : keys.keySet()) {
        assertEquals(lab.real.run("sysctl", "-n", key).stdout(), lab.fake.run("sysctl", "-n", key).stdout(), key);
      }
      sameRouting(lab, IpFamily.V6, "IPv6 forwarding on all but eth2");
      lab.both("sysctl", "-w", "net.ipv6.conf.all.forwarding=0");
      sameRouting(lab, IpFamily.V6, "IPv6 forwarding off");
    }
  }

  private static Result lastOf(FakeRouter fake) {
    List<FakeRouter.Call> log = fake.log();
    return log.get(log.size() - 1).result();
  }

  @Test
  void conntrackAgrees() {
    try (Lab lab = new Lab()) {
      String[][] entries = {
          {"tcp", "192.0.2.1", "198.51.100.2", "40000", "80", "5"},
          {"udp", "192.0.2.3", "198.51.100.2", "5353", "53", "258"},
          {"tcp", "2001:db8::1", "2001:db8::2", "1", "443", "2"},
          {"tcp", "192.0.2.9", "203.0.113.9", "1000", "443", "0"}};
      for (String[] e : entries) {
        List<String> argv = new ArrayList<>(List.of("conntrack", "-I", "-p", e[0], "-s", e[1], "-d", e[2], "--sport", e[3],
            "--dport", e[4], "--timeout", "100", "--mark", e[5]));
        if (e[0].equals("tcp")) {
          argv.addAll(List.of("--state", "ESTABLISHED"));
        }
        lab.real.run(argv, "").check();
        dev.mlb.api.IpAddress s = dev.mlb.api.IpAddress.parse(e[1]);
        dev.mlb.api.IpAddress d = dev.mlb.api.IpAddress.parse(e[2]);
        int sp = Integer.parseInt(e[3]);
        int dp = Integer.parseInt(e[4]);
        lab.fake.addConntrack(new FakeConnection(e[0].equals("tcp") ? dev.mlb.api.Protocol.TCP : dev.mlb.api.Protocol.UDP,
            e[0].equals("tcp") ? "ESTABLISHED" : "", 100, s, d, sp, dp, d, s, dp, sp, false, false,
            Long.parseLong(e[5])));
      }
      for (List<String> c : List.of(List.of("conntrack", "-L"), List.of("conntrack", "-L", "-m", "0x2/0x3"),
          List.of("conntrack", "-L", "-f", "ipv6"), List.of("conntrack", "-L", "-m", "5"),
          List.of("conntrack", "-D", "-m", "7"), List.of("conntrack", "-D", "-m", "0x100/0xf00"),
          List.of("conntrack", "-D", "-f", "ipv6", "-m", "2"), List.of("conntrack", "-L"),
          List.of("conntrack", "-D"), List.of("conntrack", "-L"))) {
        Result r = lab.both(c, "");
        Result f = lastOf(lab.fake);
        assertEquals(entryLines(r.stdout()), entryLines(f.stdout()), c.toString());
        assertEquals(r.stderr(), f.stderr(), c.toString());
      }
    }
  }

  /** The listed entries, sorted, each with its timeout (which runs down on the real one) left out. */
  private static List<String> entryLines(String out) {
    return out.lines().map(l -> l.replaceFirst("^(\\S+\\s+\\d+) \\d+ ", "$1 T ")).sorted().toList();
  }

  @Test
  void wireguardAgrees() {
    try (Lab lab = new Lab()) {
      try {
        Result r = lab.real.run("wg", "show", "all", "fwmark");
        FakeRouter withTools = FakeRouter.builder().wireguardTools(true).build();
        assertEquals(r.stdout(), withTools.run("wg", "show", "all", "fwmark").stdout());
        assertEquals(r.exitCode(), withTools.run("wg", "show", "all", "fwmark").exitCode());
      } catch (ToolRunner.ToolMissingException e) {
        // Without wg here only the missing-tool message can be compared; CI installs wireguard-tools.
        if ("true".equals(System.getenv("CI"))) {
          throw new AssertionError("wg is not installed, so the fake's \"wg show all fwmark\" cannot be compared"
              + " with the real one; .ci/run installs wireguard-tools: " + e.getMessage(), e);
        }
        ToolRunner.ToolMissingException f = assertThrows(ToolRunner.ToolMissingException.class,
            () -> lab.fake.run("wg", "show", "all", "fwmark"));
        assertEquals(e.getMessage(), f.getMessage());
      }
    }
  }

  @Test
  void failedLineReadsEveryForm() {
    assertEquals(7, failedLine("iptables-restore: line 7 failed\n"));
    assertEquals(2, failedLine("x v1.8.9 (nf_tables): \nline 2: CHAIN_DEL failed (Device or resource busy): chain foo\n"));
    assertEquals(3, failedLine("x v1.8.9 (nf_tables): Chain 'y' does not exist\nError occurred at line: 3\n"));
    assertEquals(4, failedLine("Error: x\nCommand failed -:4\n"));
    assertEquals(-1, failedLine("nothing"));
  }
}
