package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How ExtensionSuite reads the .t format (own files written here, in iptables-test.py's format). */
class ExtensionSuiteTest {

  private static final String UDP = """
      :INPUT,OUTPUT
      # a comment
      -p udp -m udp --sport 53;=;OK
      -p udp -m udp --dport 70000;;FAIL
      @echo an external command the suite would run
      *mangle
      :PREROUTING
      -p udp -m udp --sport :5;-p udp -m udp --sport 0:5;OK
      -p udp -m udp --dport 80;=;FAIL;LEGACY
      -p udp -m udp --dport 81;=;OK;NFT;FAIL
      -p udp -m udp --dport 82;=;OK;LEGACY;NOMATCH
      """;

  @Test
  void readsCasesPerFamilyWithTablesChainsAndTheNftVerdict() {
    List<ExtensionSuite.Case> cases = ExtensionSuite.parse("libxt_udp.t", UDP);
    assertEquals(12, cases.size());
    ExtensionSuite.Case first = cases.get(0);
    assertEquals(List.of("libxt_udp.t", 3, IpFamily.V4, "filter", List.of("INPUT", "OUTPUT"), "-p udp -m udp --sport 53",
        true), List.of(first.file(), first.line(), first.family(), first.table(), first.chains(), first.rule(),
        first.suiteLoads()));
    assertEquals(IpFamily.V6, cases.get(1).family());
    assertEquals(false, cases.get(2).suiteLoads());
    ExtensionSuite.Case mangle = cases.get(4);
    assertEquals(List.of("mangle", List.of("PREROUTING"), 8), List.of(mangle.table(), mangle.chains(), mangle.line()));
    // FAIL for legacy: nft loads it; OK for nft: loads; NOMATCH (loads, other text) for nft.
    assertEquals(List.of(true, true, true), List.of(cases.get(6).suiteLoads(), cases.get(8).suiteLoads(),
        cases.get(10).suiteLoads()));
    assertEquals("udp", first.module());
    assertEquals("*filter\n-A INPUT -p udp -m udp --sport 53\n-A OUTPUT -p udp -m udp --sport 53\nCOMMIT\n",
        first.restoreText());
  }

  @Test
  void familiesFollowTheFileName() {
    assertEquals(List.of(IpFamily.V4), ExtensionSuite.parse("libipt_ttl.t", ":INPUT\n-m ttl --ttl-eq 1;=;OK\n").stream()
        .map(ExtensionSuite.Case::family).toList());
    assertEquals(List.of(IpFamily.V6), ExtensionSuite.parse("libip6t_hl.t", ":INPUT\n-m hl --hl-eq 1;=;OK\n").stream()
        .map(ExtensionSuite.Case::family).toList());
    assertEquals("header", ExtensionSuite.parse("iptables.t", ":INPUT\n-j ACCEPT;=;OK\n").get(0).module());
  }

  @Test
  void aUserChainIsDeclared() {
    ExtensionSuite.Case c = ExtensionSuite.parse("libxt_x.t", ":c1\n-j RETURN;=;OK\n").get(0);
    assertEquals("*filter\n:c1 - [0:0]\n-A c1 -j RETURN\nCOMMIT\n", c.restoreText());
  }

  @Test
  void malformedLinesNameTheFileAndLine() {
    IllegalArgumentException noVerdict = assertThrows(IllegalArgumentException.class,
        () -> ExtensionSuite.parse("libxt_x.t", ":INPUT\n-j ACCEPT;=\n"));
    assertEquals("libxt_x.t: line 2: expected RULE;SAVED;VERDICT, got \"-j ACCEPT;=\"", noVerdict.getMessage());
    IllegalArgumentException verdict = assertThrows(IllegalArgumentException.class,
        () -> ExtensionSuite.parse("libxt_x.t", ":INPUT\n-j ACCEPT;=;MAYBE\n"));
    assertEquals("libxt_x.t: line 2: unknown verdict \"MAYBE\"; expected OK, FAIL or NOMATCH", verdict.getMessage());
    IllegalArgumentException chain = assertThrows(IllegalArgumentException.class,
        () -> ExtensionSuite.parse("libxt_x.t", "-j ACCEPT;=;OK\n"));
    assertEquals("libxt_x.t: line 1: a case before any :CHAIN line", chain.getMessage());
  }

  @Test
  void aDirectoryWithoutSuiteFilesIsRefused(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("README"), "not a suite");
    IOException e = assertThrows(IOException.class, () -> ExtensionSuite.read(dir));
    assertEquals(dir + ": no libxt_*.t, libipt_*.t or libip6t_*.t files; expected the extensions directory of an"
        + " iptables source tree", e.getMessage());
  }
}
