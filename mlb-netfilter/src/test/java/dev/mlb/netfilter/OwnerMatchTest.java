package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** OwnerMatch built in code: factories, its text, its refusals and the hooks xt_owner.c allows. */
class OwnerMatchTest {

  private static List<String> findings(Match m, TableName table, String chain) {
    Ruleset r = Ruleset.builder().family(IpFamily.V4)
        .addTables(Table.builder().name(table).addChains(Chain.builder().name(chain)
            .addRules(Rule.builder().addMatches(m).build()).build()).build())
        .build();
    return r.validate().stream().map(Finding::toString).collect(Collectors.toList());
  }

  private static String text(Match m) {
    return RestoreWriter.renderRule(Rule.builder().addMatches(m).build());
  }

  @Test
  void factoriesAndText() {
    assertEquals(" -m owner --uid-owner 0", text(OwnerMatch.uid(0, 0)));
    assertEquals(" -m owner ! --uid-owner 1000-1999", text(OwnerMatch.uid(1000, 1999).negateUid()));
    assertEquals(" -m owner --gid-owner 100 --suppl-groups", text(OwnerMatch.gid(100, 100).withSupplGroups()));
    assertEquals(" -m owner ! --socket-exists", text(OwnerMatch.socketExists(false)));
    // iptables-save's order: socket, uid, gid, supplementary groups.
    assertEquals(" -m owner --socket-exists --uid-owner 7 ! --gid-owner 5",
        text(OwnerMatch.uid(7, 7).andGid(5, 5).negateGid().withSocket()));
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
    assertEquals(List.of(), findings(OwnerMatch.uid(0, 0), TableName.NAT, "POSTROUTING"));
    assertEquals(List.of("error [match-hook] table filter, chain INPUT, rule 1: -m owner in chain INPUT, which is"
        + " reached from [INPUT]; the kernel takes it only from [OUTPUT, POSTROUTING]"),
        findings(OwnerMatch.uid(0, 0), TableName.FILTER, "INPUT"));
    assertEquals(List.of("error [owner-range] table filter, chain OUTPUT, rule 1: -m owner range 10-5 starts above"
        + " its end; the kernel refuses it"), findings(OwnerMatch.gid(10, 5), TableName.FILTER, "OUTPUT"));
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
