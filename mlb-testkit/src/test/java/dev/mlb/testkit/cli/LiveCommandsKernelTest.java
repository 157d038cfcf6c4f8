package dev.mlb.testkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.testkit.kernel.KernelTests;
import dev.mlb.testkit.kernel.LiveLab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mlb apply}, {@code status} and {@code remove} as an administrator runs them, on a namespace. */
class LiveCommandsKernelTest {

  static final String POLICY = LiveLab.policyYaml("""
      balance:
        - {protocol: tcp, ports: [80, 443]}
      """);

  @Test
  void applyStatusRemoveWithExitCodes(@TempDir Path tmp) throws IOException {
    KernelTests.requireKernel();
    Path policy = tmp.resolve("policy.yaml");
    Files.writeString(policy, POLICY);
    String state = tmp.resolve("state").toString();
    try (LiveLab lab = LiveLab.create("clilive")) {
      String[] where = {"--netns", lab.name(), "--state-dir", state};
      MlbRun status = mlb(where, "status", "--policy", policy.toString());
      assertEquals(1, status.code(), status.err());
      // 4 owned chains and 2 jumps in mangle, 1 and 1 in nat, 3 ip rules, 2 routes, 4 sysctl values.
      assertTrue(status.out().startsWith("mlb status: mlb on iptables-nft, 17 differences\n"), status.out());

      MlbRun dry = mlb(where, "apply", "--policy", policy.toString(), "--dry-run");
      assertEquals(0, dry.code(), dry.err());
      assertTrue(dry.out().startsWith("# mlb apply: 4 steps (iptables-nft)\n# sysctl values\nsysctl -q -w "), dry.out());
      assertEquals(1, status.code(), "a dry run changes nothing: " + mlb(where, "status", "--policy", policy.toString()));

      MlbRun apply = mlb(where, "apply", "--policy", policy.toString());
      assertEquals(0, apply.code(), apply.err());
      assertEquals("mlb apply: applied " + policy + " in 4 steps (iptables-nft)\n", apply.out());
      assertEquals("mlb apply: nothing to change, " + policy + " is applied\n",
          mlb(where, "apply", "--policy", policy.toString()).out());
      MlbRun inSync = mlb(where, "status", "--name", "mlb", "--json");
      assertEquals(0, inSync.code(), inSync.err());
      // Each uplink up since the apply (its time replaced by T here), caused by it.
      assertEquals("{\"policy\":\"mlb\",\"backend\":\"nft\",\"applied\":true,\"inSync\":true,\"drift\":[],"
          + "\"uplinks\":[{\"name\":\"isp1\",\"state\":\"up\",\"since\":\"T\",\"cause\":\"mlb apply\"},"
          + "{\"name\":\"isp2\",\"state\":\"up\",\"since\":\"T\",\"cause\":\"mlb apply\"}]}\n",
          inSync.out().replaceAll("\"since\":\"[0-9T:.-]+Z\"", "\"since\":\"T\""));

      // Someone deletes mlb's jump: drift, exit 1, one row naming it.
      lab.runner().run("iptables", "-t", "mangle", "-D", "PREROUTING", "-j", "mlb-prerouting").check();
      MlbRun drift = mlb(where, "status", "--policy", policy.toString());
      assertEquals(1, drift.code());
      assertEquals(List.of("mlb status: mlb on iptables-nft, 1 difference",
          "family  kind          object             detail",
          "IPv4    jump missing  mangle PREROUTING  -j mlb-prerouting, first",
          "",
          "uplink  state  since                 cause      last probe",
          "isp1    up     T                     mlb apply  -",
          "isp2    up     T                     mlb apply  -"),
          drift.out().replaceAll("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ", "T                   ").lines().toList());

      MlbRun remove = mlb(where, "remove", "--name", "mlb");
      assertEquals(0, remove.code(), remove.err());
      // Jumps, chains, rules and routes, sysctl values, and the two iptables-nft tables mlb made exist.
      assertEquals("mlb remove: removed mlb in 5 steps\n", remove.out());
      assertTrue(lab.runner().run("iptables-save").check().stdout().lines().noneMatch(l -> l.contains("mlb-")));
    }
  }

  @Test
  void aConflictIsOneLineAndExitTwo(@TempDir Path tmp) throws IOException {
    KernelTests.requireKernel();
    Path policy = tmp.resolve("policy.yaml");
    Files.writeString(policy, POLICY);
    try (LiveLab lab = LiveLab.create("cliconflict")) {
      lab.runner().run("ip", "rule", "add", "priority", "1010", "fwmark", "0x7", "lookup", "300").check();
      String before = lab.runner().run("iptables-save").check().stdout();
      MlbRun r = MlbRun.of("apply", "--policy", policy.toString(), "--netns", lab.name(), "--state-dir",
          tmp.resolve("state").toString());
      assertEquals(2, r.code());
      assertEquals(List.of("mlb apply refused, nothing changed:",
          "ip rule priority 1010 is taken by a rule of another program (\"priority 1010 from all fwmark 0x7 lookup"
              + " 300\"); mlb needs it for \"priority 1010 from all fwmark 0x1000000/0xf000000 lookup 100 proto 109\""),
          r.err().lines().toList());
      assertEquals(before, lab.runner().run("iptables-save").check().stdout());
      assertTrue(Files.notExists(tmp.resolve("state/mlb.json")));
    }
  }

  @Test
  void badInputNamesItself(@TempDir Path tmp) throws IOException {
    MlbRun missing = MlbRun.of("apply", "--policy", tmp.resolve("nope.yaml").toString(), "--netns", "x");
    assertEquals(2, missing.code());
    assertEquals("mlb apply: --policy " + tmp.resolve("nope.yaml") + ": no such file\n", missing.err());
    Path policy = tmp.resolve("p.yaml");
    Files.writeString(policy, POLICY);
    MlbRun badNs = MlbRun.of("status", "--policy", policy.toString(), "--netns", "a b");
    assertEquals(2, badNs.code());
    assertEquals("mlb status: --netns a b: network namespace name \"a b\": expected 1 to 64 of A-Z a-z 0-9 _ . -\n",
        badNs.err());
    MlbRun neither = MlbRun.of("remove");
    assertEquals(2, neither.code());
    assertTrue(neither.err().startsWith("Error: Missing required argument (specify one of these): (--policy=FILE"
        + " | --name=NAME)"), neither.err());
  }

  /** The systemd units' commands are commands mlb accepts. */
  @Test
  void theUnitsRunValidCommands() throws IOException {
    String unit = Files.readString(Path.of("systemd/mlb.service"));
    String watch = Files.readString(Path.of("systemd/mlb-watch.service"));
    List<String> exec = (unit + watch).lines().filter(l -> l.startsWith("ExecStart=") || l.startsWith("ExecStop="))
        .toList();
    assertEquals(3, exec.size(), unit + watch);
    assertTrue(exec.get(2).endsWith(" watch --policy /etc/mlb/policy.yaml"), exec.get(2));
    for (String line : exec) {
      String[] words = line.substring(line.indexOf('=') + 1).split(" ");
      assertEquals(List.of("/usr/bin/java", "-jar", "/usr/lib/mlb/mlb.jar"), List.of(words).subList(0, 3), line);
      String[] args = List.of(words).subList(3, words.length).toArray(String[]::new);
      Main.commandLine(new Main(System.in, System.out, System.err)).parseArgs(args);
    }
  }

  /** {@code mlb ARGS} on the router {@code where} names ({@code --netns NS --state-dir DIR}). */
  private static MlbRun mlb(String[] where, String... args) {
    return MlbRun.of(concat(args, where));
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
