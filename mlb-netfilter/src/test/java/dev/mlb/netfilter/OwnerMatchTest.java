package dev.mlb.netfilter;

import static dev.mlb.netfilter.MatchTestSupport.findings;
import static dev.mlb.netfilter.MatchTestSupport.render;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** OwnerMatch built in code: factories, its text, its refusals and the hooks xt_owner.c allows. */
class OwnerMatchTest {

  @Test
  void factoriesAndText() {
    assertEquals(" -m owner --uid-owner 0", render(OwnerMatch.uid(0, 0)));
    assertEquals(" -m owner ! --uid-owner 1000-1999", render(OwnerMatch.uid(1000, 1999).negateUid()));
    assertEquals(" -m owner --gid-owner 100 --suppl-groups", render(OwnerMatch.gid(100, 100).withSupplGroups()));
    assertEquals(" -m owner ! --socket-exists", render(OwnerMatch.socketExists(false)));
    // iptables-save's order: socket, uid, gid, supplementary groups.
    assertEquals(" -m owner --socket-exists --uid-owner 7 ! --gid-owner 5",
        render(OwnerMatch.uid(7, 7).andGid(5, 5).negateGid().withSocket()));
    assertEquals("owner", OwnerMatch.uid(0, 0).module());
    assertEquals("4294967294", new OwnerMatch.IdRange(4294967294L, 4294967294L).text());
    assertThrows(IllegalArgumentException.class, () -> OwnerMatch.uid(0, 4294967295L));
    assertThrows(IllegalArgumentException.class, () -> OwnerMatch.uid(0, 0).withSupplGroups());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new OwnerMatch(
        Optional.empty(), false, Optional.empty(), false, false, Optional.empty()));
    assertEquals("-m owner needs --uid-owner, --gid-owner or --socket-exists", e.getMessage());
  }

  @Test
  void onlyOutputAndPostroutingAndNoReversedRange() {
    assertEquals(List.of(), findings(IpFamily.V4, TableName.NAT, "POSTROUTING", OwnerMatch.uid(0, 0)));
    assertEquals(List.of("error [match-hook] table filter, chain INPUT, rule 1: -m owner in chain INPUT, which is"
        + " reached from [INPUT]; the kernel takes it only from [OUTPUT, POSTROUTING]"),
        findings(IpFamily.V4, TableName.FILTER, "INPUT", OwnerMatch.uid(0, 0)));
    assertEquals(List.of("error [owner-range] table filter, chain OUTPUT, rule 1: -m owner range 10-5 starts above"
        + " its end; the kernel refuses it"), findings(IpFamily.V4, TableName.FILTER, "OUTPUT", OwnerMatch.gid(10, 5)));
  }

  @Test
  void badValuesInARuleNameLineAndColumn() {
    ParseException e = assertThrows(ParseException.class, () -> RestoreParser.parse("t",
        "*filter\n-A OUTPUT -m owner --uid-owner 1a\nCOMMIT\n", IpFamily.V4));
    // "-A OUTPUT -m owner --uid-owner " is 31 characters: the value starts at column 32.
    assertEquals("line 2, column 32: bad value \"1a\" for --uid-owner; expected a user name from /etc/passwd, an id"
        + " or a range ID-ID of ids 0 to 4294967294", e.getMessage().split("\n")[0]);
    e = assertThrows(ParseException.class, () -> RestoreParser.parse("t",
        "*filter\n-A OUTPUT -m owner --suppl-groups --gid-owner 1\nCOMMIT\n", IpFamily.V4));
    assertEquals("line 2, column 20: -m owner: --suppl-groups needs --gid-owner before it",
        e.getMessage().split("\n")[0]);
  }
}
