package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Ct and Notrack built in code: factories, their text, refusals and the raw-table-only check. */
class CtTest {

  private static List<String> findings(Target t, TableName table, String chain) {
    Ruleset r = Ruleset.builder().family(IpFamily.V4)
        .addTables(Table.builder().name(table).addChains(Chain.builder().name(chain)
            .addRules(Rule.builder().target(t).build()).build()).build())
        .build();
    return r.validate().stream().map(Finding::toString).collect(Collectors.toList());
  }

  private static String text(Target t) {
    return RestoreWriter.renderRule(Rule.builder().target(t).build());
  }

  @Test
  void factoriesAndText() {
    assertEquals(" -j CT --notrack", text(Ct.notrack()));
    assertEquals(" -j CT", text(Ct.plain()));
    assertEquals(" -j NOTRACK", text(Notrack.INSTANCE));
    assertEquals(" -j CT --zone 7", text(Ct.zone(Ct.Zone.of(7))));
    assertEquals(" -j CT --zone-orig mark", text(Ct.zone(Ct.Zone.fromMark(Ct.Direction.ORIGINAL))));
    // iptables-save's order: notrack, helper, timeout, ctevents (table order), expevents, zone.
    assertEquals(" -j CT --notrack --helper ftp --timeout t1 --ctevents new,destroy --expevents new --zone-reply 9",
        text(Ct.zone(new Ct.Zone(Ct.Direction.REPLY, OptionalInt.of(9))).withNotrack().withHelper("ftp")
            .withTimeout("t1").withEvents(EnumSet.of(Ct.Event.DESTROY, Ct.Event.NEW))
            .withExpectationEvents(Set.of(Ct.ExpectationEvent.NEW))));
    assertEquals("CT", Ct.plain().name());
    assertThrows(IllegalArgumentException.class, () -> Ct.Zone.of(0));
    assertThrows(IllegalArgumentException.class, () -> Ct.Zone.of(65536));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Ct.plain().withHelper("abcdefghijklmnop"));
    assertEquals("bad helper name \"abcdefghijklmnop\"; expected 1 to 15 characters", e.getMessage());
  }

  @Test
  void onlyTheRawTable() {
    assertEquals(List.of(), findings(Ct.notrack(), TableName.RAW, "PREROUTING"));
    assertEquals(List.of(), findings(Notrack.INSTANCE, TableName.RAW, "OUTPUT"));
    assertEquals(List.of("error [target-table] table mangle, chain PREROUTING, rule 1: -j CT is only valid in the raw"
        + " table, not in mangle; the kernel refuses it"), findings(Ct.notrack(), TableName.MANGLE, "PREROUTING"));
    assertEquals(List.of("error [target-table] table filter, chain INPUT, rule 1: -j NOTRACK is only valid in the raw"
        + " table, not in filter; the kernel refuses it"), findings(Notrack.INSTANCE, TableName.FILTER, "INPUT"));
  }

  @Test
  void badValuesInARuleNameLineAndColumn() {
    ParseException e = assertThrows(ParseException.class, () -> RestoreParser.parse("t",
        "*raw\n-A PREROUTING -j CT --zone 65536\nCOMMIT\n", IpFamily.V4));
    // "-A PREROUTING -j CT --zone " is 27 characters: the zone starts at column 28.
    assertEquals("line 2, column 28: bad zone \"65536\" for --zone; expected a zone id 0 to 65535 or mark",
        e.getMessage().split("\n")[0]);
    e = assertThrows(ParseException.class, () -> RestoreParser.parse("t",
        "*raw\n-A PREROUTING -j NOTRACK --zone 1\nCOMMIT\n", IpFamily.V4));
    assertEquals("line 2, column 26: unknown option \"--zone\"; -j NOTRACK takes no options",
        e.getMessage().split("\n")[0]);
    // "-A PREROUTING -j CT --ctevents " is 31 characters.
    e = assertThrows(ParseException.class, () -> RestoreParser.parse("t",
        "*raw\n-A PREROUTING -j CT --ctevents new,\nCOMMIT\n", IpFamily.V4));
    assertEquals("line 2, column 32: unknown event type \"\"; expected a comma-separated list of new, related, destroy,"
        + " reply, assured, protoinfo, helper, mark, natseqinfo, secmark", e.getMessage().split("\n")[0]);
  }
}
