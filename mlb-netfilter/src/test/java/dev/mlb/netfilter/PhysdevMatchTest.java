package dev.mlb.netfilter;

import static dev.mlb.netfilter.MatchTestSupport.findings;
import static dev.mlb.netfilter.MatchTestSupport.render;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** PhysdevMatch built in code: the builder, its text, refusals and xt_physdev.c's OUTPUT rule. */
class PhysdevMatchTest {

  @Test
  void builderAndText() {
    assertEquals(" -m physdev --physdev-in tap101i0 --physdev-is-bridged",
        render(PhysdevMatch.builder().in("tap101i0").isBridged(true).build()));
    // iptables-save's order: is-in, in, is-out, out, is-bridged.
    assertEquals(" -m physdev ! --physdev-is-in --physdev-in eth+ --physdev-is-out ! --physdev-out eth1"
        + " ! --physdev-is-bridged", render(PhysdevMatch.builder().isBridged(false).notOut("eth1").isOut(true)
            .in("eth+").isIn(false).build()));
    assertEquals("physdev", PhysdevMatch.builder().isIn(true).build().module());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PhysdevMatch.builder().in("abcdefghijklmnop").build());
    assertEquals("bridge port name \"abcdefghijklmnop\" is longer than 15 characters", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> PhysdevMatch.builder().build());
    assertEquals("-m physdev needs at least one option", e.getMessage());
  }

  @Test
  void outwardTestsFromOutputNeedIsBridged() {
    assertEquals(List.of(), findings(IpFamily.V4, TableName.FILTER, "FORWARD", PhysdevMatch.builder().out("eth0").build()));
    assertEquals(List.of(), findings(IpFamily.V4, TableName.FILTER, "OUTPUT", PhysdevMatch.builder().out("eth0").isBridged(true).build()));
    assertEquals(List.of("error [physdev-output] table filter, chain OUTPUT, rule 1: -m physdev --physdev-out or"
        + " --physdev-is-out in chain OUTPUT, which is reached from OUTPUT, needs --physdev-is-bridged; the kernel"
        + " refuses it otherwise"), findings(IpFamily.V4, TableName.FILTER, "OUTPUT", PhysdevMatch.builder().isOut(true).build()));
  }

  @Test
  void badValuesInARuleNameLineAndColumn() {
    ParseException e = assertThrows(ParseException.class, () -> RestoreParser.parse("t",
        "*filter\n-A INPUT -m physdev --physdev-in abcdefghijklmnop\nCOMMIT\n", IpFamily.V4));
    // "-A INPUT -m physdev --physdev-in " is 33 characters: the name starts at column 34.
    assertEquals("line 2, column 34: bridge port name \"abcdefghijklmnop\" for --physdev-in is longer than 15"
        + " characters", e.getMessage().split("\n")[0]);
    e = assertThrows(ParseException.class, () -> RestoreParser.parse("t",
        "*filter\n-A INPUT -m physdev\nCOMMIT\n", IpFamily.V4));
    assertEquals("line 2, column 10: -m physdev needs one of --physdev-in, --physdev-out, --physdev-is-in,"
        + " --physdev-is-out or --physdev-is-bridged", e.getMessage().split("\n")[0]);
  }
}
