package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import dev.mlb.netfilter.SetReference.Direction;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@code -m set} built in code, read and refused: the texts are iptables-save's for the same rules
 * (set.cases holds the kernel-recorded forms), the refusals name the line, the column and what
 * was expected.
 */
class SetMatchTest {

  private static String written(Match m) {
    return RestoreWriter.renderRule(Rule.builder().addMatches(m).build());
  }

  private static ParseException refusal(String rule) {
    return assertThrows(ParseException.class,
        () -> RestoreParser.parse("t", "*filter\n-A INPUT " + rule + "\nCOMMIT\n", IpFamily.V4));
  }

  @Test
  void factoriesWriteWhatIptablesSavePrints() {
    assertEquals(" -m set --match-set blocklist src", written(SetMatch.of("blocklist", Direction.SRC)));
    assertEquals(" -m set ! --match-set blocklist src", written(SetMatch.of("blocklist", Direction.SRC).negated()));
    assertEquals(" -m set --match-set svc dst,dst --packets-lt 10",
        written(SetMatch.of("svc", Direction.DST, Direction.DST).withPackets(SetMatch.Counter.lessThan(10))));
    assertEquals(" -m set --match-set seen src --return-nomatch ! --update-counters ! --update-subcounters"
        + " ! --packets-eq 0 --bytes-gt 18446744073709551615",
        written(SetMatch.of("seen", Direction.SRC).withBytes(SetMatch.Counter.greaterThan(-1L))
            .withoutSubcounterUpdate().withPackets(SetMatch.Counter.notEqualTo(0)).withoutCounterUpdate()
            .withReturnNomatch()));
    assertEquals("svc dst,src", SetReference.of("svc", Direction.DST, Direction.SRC).toString());
  }

  @Test
  void readsWhatItWrites() {
    Rule r = RestoreParser.parse("t", "*filter\n-A INPUT -m set ! --set seen src,dst --bytes-eq 0x10"
        + " ! --update-counters --update-counters\nCOMMIT\n", IpFamily.V4).tables().get(0).chains().get(0).rules()
        .get(0);
    assertEquals(List.of(new SetMatch(SetReference.of("seen", Direction.SRC, Direction.DST), true, false, true,
        false, Optional.empty(), Optional.of(SetMatch.Counter.equalTo(16)))), r.matches());
  }

  @Test
  void badValuesInCodeAreRefusedWithWhatWasExpected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SetReference.of("abcdefghijklmnopqrstuvwxyz012345", Direction.SRC));
    assertEquals("ipset name \"abcdefghijklmnopqrstuvwxyz012345\" is 32 characters; iptables takes at most 31",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SetReference.of("a b", Direction.SRC));
    assertEquals("ipset name \"a b\" holds a blank, a control character or a quote; iptables-save could not print"
        + " it as one word", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SetReference.of("x", List.of(Direction.SRC,
        Direction.SRC, Direction.SRC, Direction.SRC, Direction.SRC, Direction.SRC, Direction.SRC)));
    assertEquals("ipset x: 7 directions; expected 1 to 6 (src or dst each)", e.getMessage());
  }

  @Test
  void refusalsNameTheColumnAndWhatWasExpected() {
    ParseException e = refusal("-m set --match-set x src,any");
    assertEquals("--match-set x: bad direction \"any\" in \"src,any\"; expected src or dst, comma-separated"
        + " (src,dst)", e.problem());
    assertEquals(2, e.line());
    assertEquals(31, e.column());
    e = refusal("-m set --match-set x -j DROP");
    assertEquals("--match-set requires two arguments, the set's name and its directions (src or dst,"
        + " comma-separated); got \"-j\" after the name", e.problem());
    e = refusal("-m set --match-set x src,dst,src,dst,src,dst,src");
    assertEquals("--match-set x: 7 directions in \"src,dst,src,dst,src,dst,src\"; iptables takes at most 6",
        e.problem());
    e = refusal("-m set --match-set abcdefghijklmnopqrstuvwxyz012345 src");
    assertEquals("--match-set: set name \"abcdefghijklmnopqrstuvwxyz012345\" is 32 characters; iptables takes at"
        + " most 31", e.problem());
    assertEquals(29, e.column());
    e = refusal("-m set --return-nomatch");
    assertEquals("-m set needs --match-set NAME src|dst[,...]", e.problem());
    e = refusal("-m set --match-set x src ! --return-nomatch");
    assertEquals("-m set: option \"--return-nomatch\" cannot be negated", e.problem());
    e = refusal("-m set --match-set x src --packets-eq 1 --packets-gt 2");
    assertEquals("-m set: --packets-gt after another --packets test; iptables takes one of --packets-eq,"
        + " --packets-lt and --packets-gt", e.problem());
    e = refusal("-m set --match-set x src --bytes-lt 1k");
    assertEquals("bad value \"1k\" for --bytes-lt; expected a number from 0 to 18446744073709551615 (0x hex or 0"
        + " octal)", e.problem());
    e = refusal("-m set --match-set x src --set y dst");
    assertEquals("-m set: option \"--match-set\" can only be given once", e.problem());
  }
}
