package dev.mlb.netfilter;

import static dev.mlb.netfilter.MatchTestSupport.render;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import org.junit.jupiter.api.Test;

/**
 * {@code -m cpu} built in code, and mlb's refusals. The canonical forms read from text are in
 * {@code extension-cases/cpu.cases} (recorded from iptables-nft 1.8.9).
 */
class CpuMatchTest {

  @Test
  void factoriesRenderAsIptablesSavePrints() {
    assertEquals(" -m cpu --cpu 0", render(CpuMatch.of(0)));
    assertEquals(" -m cpu ! --cpu 1", render(CpuMatch.of(1).negate()));
    assertEquals(" -m cpu --cpu 4294967295", render(CpuMatch.of(4_294_967_295L)));
    assertEquals(CpuMatch.of(3), CpuMatch.of(3).negate().negate());
    assertEquals("cpu", CpuMatch.of(0).module());
    assertThrows(IllegalArgumentException.class, () -> CpuMatch.of(-1));
    assertThrows(IllegalArgumentException.class, () -> CpuMatch.of(4_294_967_296L));
  }

  @Test
  void refusalsNameTheWordAndWhatWasExpected() {
    String text = "*filter\n-A INPUT -m cpu --cpu x\nCOMMIT\n";
    String m = assertThrows(ParseException.class, () -> RestoreParser.parse("t", text, IpFamily.V4)).getMessage();
    assertTrue(m.contains("-m cpu: bad value \"x\" for --cpu; expected a number from 0 to 4294967295"), m);
    assertTrue(m.contains("line 2"), m);
    String none = "*filter\n-A INPUT -m cpu\nCOMMIT\n";
    m = assertThrows(ParseException.class, () -> RestoreParser.parse("t", none, IpFamily.V4)).getMessage();
    assertTrue(m.contains("-m cpu needs --cpu"), m);
  }
}
