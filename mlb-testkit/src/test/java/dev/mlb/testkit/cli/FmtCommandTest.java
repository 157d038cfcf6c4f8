package dev.mlb.testkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mlb fmt}, run in-process: output, exit codes and the messages a user reads. */
class FmtCommandTest {

  static MlbRun mlb(String stdin, String... args) {
    return MlbRun.withInput(stdin, args);
  }

  static String golden(String name) throws IOException {
    return Files.readString(Path.of("../mlb-netfilter/src/test/resources/golden", name)).lines()
        .filter(l -> !l.startsWith("#")).map(l -> l + "\n").collect(Collectors.joining());
  }

  @Test
  void theShippedSeedPrintsAsIptablesSaveDid() throws IOException {
    MlbRun r = mlb("", "fmt", "examples/seed-rules.v4");
    assertEquals(0, r.code(), r.err());
    assertEquals(golden("seed-rules.v4.save"), r.out());
    assertEquals("", r.err());
  }

  @Test
  void standardInputAndIpv6() throws IOException {
    String v6 = Files.readString(Path.of("../mlb-netfilter/src/test/resources/golden/coverage.v6"));
    MlbRun r = mlb(v6, "fmt", "--format", "ip6tables", "-");
    assertEquals(0, r.code(), r.err());
    assertEquals(golden("coverage.v6.save"), r.out());
  }

  @Test
  void aParseErrorExitsTwoWithLineAndColumn() {
    MlbRun r = mlb("*mangle\n-A PREROUTING -m statistic --mode nth --evry 2 --packet 0\nCOMMIT\n", "fmt", "-");
    assertEquals(2, r.code());
    assertEquals("", r.out());
    assertEquals(
        "<stdin>: line 2, column 39: unknown option \"--evry\" for -m statistic; expected --mode, --every,"
            + " --packet or --probability\n"
            + "  -A PREROUTING -m statistic --mode nth [*]--evry 2 --packet 0\n",
        r.err());
  }

  @Test
  void aValidationErrorExitsTwoNamingTheLine() {
    MlbRun r = mlb("*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j MASQUERADE\nCOMMIT\n", "fmt", "-");
    assertEquals(2, r.code());
    assertEquals("", r.out());
    assertEquals(
        "<stdin>: line 3: error [target-hook] table nat, chain PREROUTING, rule 1: MASQUERADE is only valid in"
            + " [POSTROUTING] of the nat table, but chain PREROUTING is reached from [PREROUTING]\n",
        r.err());
  }

  @Test
  void warningsGoToStandardErrorAndTheTextStillPrints() {
    MlbRun r = mlb("*filter\n:unused - [0:0]\nCOMMIT\n", "fmt", "-");
    assertEquals(0, r.code());
    assertTrue(r.out().contains(":unused - [0:0]\n"), r.out());
    assertEquals("<stdin>: line 2: warning [chain-unused] table filter, chain unused: user chain \"unused\" is"
        + " never jumped to from a built-in chain; its rules never run\n", r.err());
  }

  /** 8,000 LOG and limit rules, a few -m bpf and -j LED, three unused chains. */
  private static String logAndLimitRules() {
    StringBuilder text = new StringBuilder("*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        + ":spare1 - [0:0]\n:spare2 - [0:0]\n:spare3 - [0:0]\n");
    for (int i = 0; i < 4000; i++) {
      text.append("-A INPUT -p tcp -m tcp --dport ").append(1 + i)
          .append(" -m limit --limit 5/min -j LOG --log-prefix \"in ").append(i).append(": \"\n");
      text.append("-A FORWARD -m limit --limit 10/sec --limit-burst 20 -j ACCEPT\n");
    }
    text.append("-A OUTPUT -m bpf --bytecode 1000 -j ACCEPT\n-A OUTPUT -m bpf --bytecode 2000 -j ACCEPT\n");
    text.append("-A OUTPUT -j LED --led-trigger-id x\nCOMMIT\n");
    return text.toString();
  }

  @Test
  void eightThousandLogAndLimitRulesPrintOneLinePerKindOfFinding() {
    MlbRun r = mlb(logAndLimitRules(), "fmt", "-");
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.err().lines().toList();
    // One line per kind: the unused chains (3, summarised), and the modules kept verbatim.
    Set<String> kinds = new HashSet<>();
    for (String line : lines) {
      Matcher m = Pattern.compile("\\[([a-z-]+)\\]|: (not checked): ").matcher(line);
      assertTrue(m.find(), line);
      assertTrue(kinds.add(m.group(1) != null ? m.group(1) : m.group(2)), "kind printed twice: " + line);
    }
    assertTrue(lines.size() <= 3, r.err());
    assertTrue(r.err().contains("<stdin>: line 5: warning [chain-unused] table filter, chain spare1: user chain"
        + " \"spare1\" is never jumped to from a built-in chain; its rules never run (and 2 more [chain-unused];"
        + " --verbose prints every one)\n"), r.err());
    String unchecked = lines.stream().filter(l -> l.startsWith("<stdin>: not checked: ")).findFirst().orElseThrow();
    assertTrue(unchecked.contains("bpf \u00d72") && unchecked.contains("LED \u00d71"), unchecked);
    // LOG is counted among them while mlb does not model it; each module once.
    assertTrue(!unchecked.contains("LOG") || unchecked.contains("LOG \u00d74000"), unchecked);
  }

  @Test
  void verbosePrintsEveryWarning() {
    MlbRun r = mlb(logAndLimitRules(), "fmt", "--verbose", "-");
    assertEquals(0, r.code(), r.err());
    List<String> unused = r.err().lines().filter(l -> l.contains("[chain-unused]")).toList();
    assertEquals(List.of(5, 6, 7), unused.stream().map(l -> Integer.parseInt(l.replaceAll("^<stdin>: line (\\d+):.*", "$1")))
        .toList());
    assertTrue(r.err().contains("<stdin>: line 8008: warning [not-checked] table filter, chain OUTPUT, rule 1: -m bpf"
        + " is kept verbatim in 2 rules (this is the first); mlb does not check or simulate it\n"), r.err());
  }

  @Test
  void strictRefusesWhatMlbDoesNotModelWithLineAndColumn() {
    String text = "*filter\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -p tcp -m bpf --bytecode 5 -j ACCEPT\nCOMMIT\n";
    MlbRun r = mlb(text, "fmt", "--strict", "-");
    assertEquals(2, r.code());
    assertEquals("", r.out());
    assertEquals("<stdin>: line 3, column 18: -m bpf is not modelled by mlb, so it would pass unchecked; --strict"
        + " refuses it (without --strict it is kept verbatim and reported)\n"
        + "  -A OUTPUT -p tcp [*]-m bpf --bytecode 5 -j ACCEPT\n", r.err());
    MlbRun target = mlb("*mangle\n-A OUTPUT -j LED --led-trigger-id x\nCOMMIT\n", "fmt", "--strict", "-");
    assertEquals(2, target.code());
    assertTrue(target.err().startsWith("<stdin>: line 2, column 11: -j LED is not modelled by mlb"), target.err());
    // Without --strict the same rule passes, reported once.
    MlbRun lenient = mlb(text, "fmt", "-");
    assertEquals(0, lenient.code(), lenient.err());
    assertTrue(lenient.err().startsWith("<stdin>: not checked: bpf \u00d71 (kept verbatim"), lenient.err());
  }

  @Test
  void missingFileAndBadBytesAndBadFormat(@TempDir Path dir) throws IOException {
    MlbRun missing = mlb("", "fmt", dir.resolve("nope.v4").toString());
    assertEquals(2, missing.code());
    assertEquals("mlb fmt: " + dir.resolve("nope.v4") + ": no such file\n", missing.err());

    Path latin1 = dir.resolve("latin1.v4");
    Files.write(latin1, "*filter\n-A INPUT -m comment --comment caf\u00e9\nCOMMIT\n"
        .getBytes(StandardCharsets.ISO_8859_1));
    MlbRun bad = mlb("", "fmt", latin1.toString());
    assertEquals(2, bad.code());
    assertEquals("mlb fmt: " + latin1 + ": line 2, column 34: byte 0xe9 is not UTF-8; expected UTF-8 text\n",
        bad.err());

    // Valid UTF-8 that is not ASCII: read a second time and decoded, kept as written.
    Path utf8 = dir.resolve("utf8.v4");
    Files.write(utf8, "*filter\n-A INPUT -m comment --comment caf\u00e9 -j ACCEPT\nCOMMIT\n"
        .getBytes(StandardCharsets.UTF_8));
    MlbRun good = mlb("", "fmt", utf8.toString());
    assertEquals(0, good.code(), good.err());
    assertTrue(good.out().contains("\n-A INPUT -m comment --comment \"caf\u00e9\" -j ACCEPT\n"), good.out());

    MlbRun format = mlb("", "fmt", "--format", "nft", "x");
    assertEquals(2, format.code());
    assertTrue(format.err().startsWith("Invalid value for option '--format': unknown format \"nft\"; expected"
        + " iptables, ip6tables, ip-batch or ip-json\n"), format.err());
  }

  @Test
  void aFailedWriteIsAnErrorNotASuccess() {
    // Standard output that fails, as a full disk does (> /dev/full): every write throws.
    java.io.OutputStream full = new java.io.OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException("No space left on device");
      }
    };
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int code = Main.run(new String[] {"fmt", "-"}, new java.io.ByteArrayInputStream(
        "*filter\n-A INPUT -j ACCEPT\nCOMMIT\n".getBytes(StandardCharsets.UTF_8)),
        new java.io.PrintStream(full, true, StandardCharsets.UTF_8),
        new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(2, code);
    assertEquals("mlb fmt: writing the output failed\n", err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void ipBatchIsPrintedCanonicallyAndItsErrorsNameTheLine() {
    MlbRun ok = mlb("route replace default via 198.51.100.2 dev ppp0 table 1\n"
        + "rule add fwmark 1 lookup 1 priority 100\n", "fmt", "--format", "ip-batch", "-");
    assertEquals(0, ok.code(), ok.err());
    assertEquals("# ip -batch file written by mlb; load with: ip -4 -batch FILE\n"
        + "route replace default via 198.51.100.2 dev ppp0 table 1\n"
        + "rule add priority 100 from all fwmark 0x1 lookup 1\n", ok.out());
    assertTrue(ok.err().startsWith("<stdin>: warning [no-owner] plan: the plan has rules but no owner"), ok.err());

    MlbRun bad = mlb("rule add priority 5 fwmrk 1 lookup 101\n", "fmt", "--format", "ip-batch", "-");
    assertEquals(2, bad.code());
    assertTrue(bad.err().startsWith("<stdin>: line 1, column 21: unknown word \"fwmrk\" in rule add;"), bad.err());
  }

  /**
   * Rules naming ipsets: without --ipsets one note that the names went unchecked; with the output
   * of "ipset list -t" (here as ipset 7.17 prints it for a hash:ip set), a missing set is an error
   * as iptables makes it ("Set nope doesn't exist.").
   */
  @Test
  void ipsetsFromIpsetListAreChecked(@TempDir Path dir) throws IOException {
    String rules = "*filter\n-A INPUT -m set --match-set blocklist src -j DROP\n"
        + "-A INPUT -m set --match-set nope src -j DROP\nCOMMIT\n";
    MlbRun r = mlb(rules, "fmt", "-");
    assertEquals(0, r.code(), r.err());
    assertEquals("<stdin>: line 2: info [set-names-unchecked] table filter, chain INPUT, rule 1: 2 rules name ipsets"
        + " (blocklist, nope); without the sets that exist, mlb does not check that they exist or are of this family,"
        + " as iptables does; give validation the sets that exist (\"ipset list -t\") to check them\n", r.err());
    Path sets = dir.resolve("sets");
    Files.writeString(sets, "Name: blocklist\nType: hash:ip\nRevision: 6\nHeader: family inet hashsize 1024 maxelem"
        + " 65536 bucketsize 12 initval 0x5780b24c\nSize in memory: 216\nReferences: 0\nNumber of entries: 0\n");
    r = mlb(rules, "fmt", "--ipsets", sets.toString(), "-");
    assertEquals(2, r.code());
    assertEquals("<stdin>: line 3: error [set-missing] table filter, chain INPUT, rule 2: -m set --match-set nope src:"
        + " no ipset called \"nope\" exists; iptables refuses the rule (\"Set nope doesn't exist.\")\n", r.err());
    Files.writeString(sets, "create blocklist hash:ip\nflush\n");
    r = mlb(rules, "fmt", "--ipsets", sets.toString(), "-");
    assertEquals(2, r.code());
    assertEquals(sets + ": line 2, column 1: expected the output of \"ipset list\" (Name:, Type:, Header: ... lines)"
        + " or of \"ipset save\" (create and add lines); got \"flush\"\n  [*]flush\n", r.err());
  }
}
