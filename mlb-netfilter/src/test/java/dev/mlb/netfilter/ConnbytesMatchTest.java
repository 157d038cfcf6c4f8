package dev.mlb.netfilter;

import static dev.mlb.netfilter.MatchTestSupport.render;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import dev.mlb.netfilter.ConnbytesMatch.Direction;
import dev.mlb.netfilter.ConnbytesMatch.Mode;
import org.junit.jupiter.api.Test;

/**
 * {@code -m connbytes} built in code, and mlb's refusals. The canonical forms read from text are in
 * {@code extension-cases/connbytes.cases} (recorded from iptables-nft 1.8.9).
 */
class ConnbytesMatchTest {

  private static String refusal(String options) {
    String text = "*filter\n-A INPUT -m connbytes" + options + "\nCOMMIT\n";
    return assertThrows(ParseException.class, () -> RestoreParser.parse("t", text, IpFamily.V4)).getMessage();
  }

  @Test
  void factoriesRenderAsIptablesSavePrints() {
    // The expected texts are iptables-save's (connbytes.cases).
    assertEquals(" -m connbytes --connbytes 0:1000 --connbytes-mode packets --connbytes-dir original",
        render(ConnbytesMatch.range(0, 1000, Mode.PACKETS, Direction.ORIGINAL)));
    assertEquals(" -m connbytes --connbytes 10 --connbytes-mode avgpkt --connbytes-dir both",
        render(ConnbytesMatch.atLeast(10, Mode.AVGPKT, Direction.BOTH)));
    assertEquals(" -m connbytes ! --connbytes 10:1000 --connbytes-mode packets --connbytes-dir original",
        render(ConnbytesMatch.range(10, 1000, Mode.PACKETS, Direction.ORIGINAL).negate()));
    assertEquals(" -m connbytes ! --connbytes 10 --connbytes-mode packets --connbytes-dir original",
        render(ConnbytesMatch.atLeast(10, Mode.PACKETS, Direction.ORIGINAL).negate()));
    assertEquals(" -m connbytes --connbytes 0 --connbytes-mode bytes --connbytes-dir reply",
        render(ConnbytesMatch.range(0, 0, Mode.BYTES, Direction.REPLY)));
    assertTrue(ConnbytesMatch.range(1, 2, Mode.BYTES, Direction.REPLY).negate().negated());
    assertFalse(ConnbytesMatch.atLeast(1, Mode.BYTES, Direction.REPLY).negated());
    assertEquals("connbytes", ConnbytesMatch.atLeast(1, Mode.BYTES, Direction.REPLY).module());
  }

  @Test
  void badValuesAreRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConnbytesMatch.range(1000, 0, Mode.PACKETS, Direction.BOTH));
    assertEquals("-m connbytes: 1000 should be less than 0", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new ConnbytesMatch(0, 1, null, Direction.BOTH));
    assertThrows(IllegalArgumentException.class, () -> new ConnbytesMatch(0, 1, Mode.BYTES, null));
  }

  @Test
  void refusalsNameTheWordAndWhatWasExpected() {
    String d = " --connbytes-mode packets --connbytes-dir original";
    String m = refusal(" --connbytes -1:0" + d);
    assertTrue(m.contains("bad value \"-1\" in --connbytes -1:0; expected FROM[:TO], numbers from 0 to"
        + " 18446744073709551615"), m);
    assertTrue(m.contains("line 2"), m);
    m = refusal(" --connbytes 1000:0" + d);
    assertTrue(m.contains("--connbytes 1000:0: 1000 should be less than 0"), m);
    m = refusal(" --connbytes 1 --connbytes-mode PACKETS --connbytes-dir both");
    assertTrue(m.contains("unknown --connbytes-mode \"PACKETS\"; expected one of packets, bytes, avgpkt"), m);
    m = refusal(" --connbytes 1 --connbytes-mode packets --connbytes-dir up");
    assertTrue(m.contains("unknown --connbytes-dir \"up\"; expected one of original, reply, both"), m);
    m = refusal(" --connbytes 1 --connbytes-mode packets");
    assertTrue(m.contains("-m connbytes needs --connbytes-dir"), m);
    m = refusal(d);
    assertTrue(m.contains("-m connbytes needs --connbytes"), m);
    m = refusal(" --connbytes 1 ! --connbytes-mode packets --connbytes-dir both");
    assertTrue(m.contains("cannot be negated"), m);
  }
}
