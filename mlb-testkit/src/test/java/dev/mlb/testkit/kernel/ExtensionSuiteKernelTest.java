package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ExtensionSuite end to end against the kernel, on a small suite of its own in iptables' .t format
 * (iptables' own files are not in the repo; {@code mlb extension-suite DIR} runs them). The
 * expectations are what iptables-nft 1.8.9 on Linux 6.18 did with these rules: udp ports print
 * {@code :5} as {@code 0:5}, refuse an unknown service name, and take 70000 (iptables 1.8.9 wraps
 * it to 4464; the made-up suite, like iptables' own for 65536, says it fails); {@code -m u32} needs
 * {@code --u32}.
 */
class ExtensionSuiteKernelTest {

  @Test
  void countsAgreementPerModuleAndLeavesOutWhatTheKernelJudgesOtherwise(@TempDir Path dir) throws IOException {
    KernelTests.requireKernel();
    Files.writeString(dir.resolve("libxt_udp.t"), """
        :INPUT,OUTPUT
        -p udp -m udp --sport 53;=;OK
        -p udp -m udp --dport 70000;;FAIL
        -p udp -m udp --sport :5;-p udp -m udp --sport 0:5;OK
        -p udp -m udp --dport no-such-service;;FAIL
        """);
    Files.writeString(dir.resolve("libxt_u32.t"), """
        :INPUT
        -m u32 --u32 "0x0>>0x16&0x3c@0x0>>0x10=0x50";=;OK
        -m u32;;FAIL
        """);
    ExtensionSuite.Report report = ExtensionSuite.run(ExtensionSuite.read(dir), line -> { });
    // 6 cases a family; 70000 loads here although the suite says it fails: left out.
    assertEquals(12, report.results().size());
    assertEquals(10, report.counted().size());
    assertEquals(Set.of("u32"), report.unmodelled());
    assertEquals(1.0, report.modelledAgreement());
    // mlb keeps -m u32 verbatim: the bare one the kernel refuses is a disagreement, reported as not checked.
    List<ExtensionSuite.Result> bad = report.counted().stream().filter(r -> !r.agrees()).toList();
    assertEquals(2, bad.size(), report.toString());
    assertTrue(bad.stream().allMatch(r -> r.testCase().rule().equals("-m u32") && r.unchecked() && r.mlbLoads()
        && !r.kernelLoads()), report.toString());
    assertEquals(List.of(), report.unreported());
    assertEquals(0.8, report.agreement(), 1e-12);
    String text = report.toString();
    assertTrue(text.contains("all counted cases: 8 of 10 agree (80.0%)\n"), text);
    assertTrue(text.contains("left out: 2 (a kernel module missing here: 0; this kernel's verdict differs from the"
        + " suite's: 2)\n"), text);
  }

  /**
   * iptables looks up the sets a rule names and refuses a set that does not exist; the suite's
   * namespace holds none, and mlb is told so: it refuses with the kernel, and models -m set.
   */
  @Test
  void setsThatDoNotExistAreRefusedAsTheKernelRefusesThem(@TempDir Path dir) throws IOException {
    KernelTests.requireKernel();
    Files.writeString(dir.resolve("libxt_set.t"), """
        :INPUT,FORWARD
        -m set --match-set foo src,dst;;FAIL
        -m set --match-set foo;;FAIL
        """);
    ExtensionSuite.Report report = ExtensionSuite.run(ExtensionSuite.read(dir), line -> { });
    assertEquals(4, report.counted().size(), report.toString());
    assertTrue(report.counted().stream().allMatch(ExtensionSuite.Result::agrees), report.toString());
    assertEquals(Set.of(), report.unmodelled());
    assertTrue(report.counted().stream().anyMatch(r -> r.mlbError().contains("[set-missing]")
        && r.mlbError().contains("no ipset called \"foo\" exists")), report.toString());
  }
}
