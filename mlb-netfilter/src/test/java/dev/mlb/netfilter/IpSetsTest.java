package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The sets that exist ({@link IpSets}), read from what ipset prints, and the validation that uses
 * them. {@code ipset/list-t.txt}, {@code list.txt} and {@code save.txt} are the output of ipset
 * 7.17 on Linux 6.18 ({@code ipset list -t}, {@code ipset list}, {@code ipset save}) in a network
 * namespace made for it, after {@code ipset create mlb-ip4 hash:ip; ipset create mlb-svc6
 * hash:ip,port family inet6 counters comment timeout 30; ipset create mlb-range4 bitmap:ip range
 * 192.0.2.0/24; ipset create mlb-list list:set} and a few {@code ipset add}s (one with the comment
 * {@code "Name: x"}).
 */
class IpSetsTest {

  private static final IpSets EXPECTED = IpSets.of(IpSet.of("mlb-ip4", "hash:ip"),
      IpSet.of("mlb-svc6", "hash:ip,port", IpFamily.V6), IpSet.of("mlb-range4", "bitmap:ip"),
      IpSet.of("mlb-list", "list:set"));

  private static String resource(String name) throws IOException {
    try (InputStream in = IpSetsTest.class.getResourceAsStream("/ipset/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void readsIpsetListAndIpsetSave() throws IOException {
    for (String file : List.of("list-t.txt", "list.txt", "save.txt")) {
      IpSets sets = IpSets.parse(file, resource(file));
      assertEquals(EXPECTED, sets, file);
      assertEquals(List.of("mlb-ip4", "mlb-svc6", "mlb-range4", "mlb-list"), List.copyOf(sets.sets().keySet()), file);
    }
    IpSets sets = IpSets.parse("save.txt", resource("save.txt"));
    assertEquals(Optional.of(IpFamily.V4), sets.get("mlb-range4").orElseThrow().family());
    assertEquals(Optional.empty(), sets.get("mlb-list").orElseThrow().family());
    assertEquals(2, sets.get("mlb-svc6").orElseThrow().dimension());
    assertEquals(Optional.empty(), sets.get("nope"));
    assertEquals("[mlb-ip4 (hash:ip, IPv4), mlb-svc6 (hash:ip,port, IPv6), mlb-range4 (bitmap:ip, IPv4),"
        + " mlb-list (list:set, either family)]", sets.toString());
  }

  @Test
  void badInputNamesTheLineAndColumnAndWhatWasExpected() {
    ParseException e = assertThrows(ParseException.class, () -> IpSets.parse("s", "create a hash:ip\nflush a\n"));
    assertEquals("line 2, column 1: expected the output of \"ipset list\" (Name:, Type:, Header: ... lines) or of"
        + " \"ipset save\" (create and add lines); got \"flush a\"\n  [*]flush a", e.getMessage());
    e = assertThrows(ParseException.class, () -> IpSets.parse("s", "create a hash:foo family inet"));
    assertEquals(1, e.line());
    assertEquals(10, e.column());
    assertEquals("unknown set type \"hash:foo\"; expected one of bitmap:ip, bitmap:ip,mac, bitmap:port, hash:ip,"
        + " hash:mac, hash:ip,mac, hash:net, hash:net,net, hash:ip,port, hash:net,port, hash:ip,port,ip,"
        + " hash:ip,port,net, hash:ip,mark, hash:net,port,net, hash:net,iface, list:set", e.problem());
    e = assertThrows(ParseException.class, () -> IpSets.parse("s", "create a hash:ip family ipv6"));
    assertEquals("unknown family \"ipv6\"; expected inet or inet6", e.problem());
    assertEquals(25, e.column());
    e = assertThrows(ParseException.class, () -> IpSets.parse("s", "Name: a\nRevision: 6\n\nName: b\nType: hash:ip\n"));
    assertEquals("set a has no Type: line; expected Name:, Type: and Header: lines for each set (ipset list -t)",
        e.problem());
    assertEquals(1, e.line());
    e = assertThrows(ParseException.class, () -> IpSets.parse("s", "Type: hash:ip\n"));
    assertEquals("a set's \"Type:\" line before its Name: line", e.problem());
    e = assertThrows(ParseException.class, () -> IpSets.parse("s", "create a hash:ip\ncreate a hash:net\n"));
    assertEquals("line 2, column 8: set a is listed twice\n  create [*]a hash:net", e.getMessage());
    e = assertThrows(ParseException.class, () -> IpSets.parse("s", "create r bitmap:ip family inet6 range ::/64"));
    assertEquals("ipset r: a bitmap:ip set serves IPv4 only; it cannot be of family V6", e.problem());
  }

  private static Ruleset rules(IpFamily family, String rules) {
    return RestoreParser.parse("t", "*mangle\n" + rules + "COMMIT\n", family);
  }

  @Test
  void withTheSetsValidationRefusesWhatIptablesRefuses() {
    Ruleset r = rules(IpFamily.V4, "-A INPUT -m set --match-set mlb-ip4 src -m set ! --match-set foo dst\n"
        + "-A FORWARD -j SET --add-set mlb-svc6 src,dst --del-set mlb-list dst\n"
        + "-A FORWARD -j SET --map-set mlb-range4 src,dst --map-mark\n");
    assertEquals(List.of(
        "error [set-missing] table mangle, chain INPUT, rule 1: -m set ! --match-set foo dst: no ipset called \"foo\""
            + " exists; iptables refuses the rule (\"Set foo doesn't exist.\")",
        "error [set-family] table mangle, chain FORWARD, rule 1: -j SET --add-set mlb-svc6 src,dst in an IPv4"
            + " ruleset: set mlb-svc6 (hash:ip,port) is IPv6; iptables refuses it (\"The protocol family of set"
            + " mlb-svc6 is IPv6, which is not applicable.\")",
        "warning [set-dimension] table mangle, chain FORWARD, rule 2: -j SET --map-set mlb-range4 src,dst: set"
            + " mlb-range4 (bitmap:ip) has 1 field; the kernel ignores the 1 direction after the first 1"),
        r.validate(EXPECTED).stream().map(Finding::toString).toList());
    Ruleset v6 = rules(IpFamily.V6, "-A INPUT -m set --match-set mlb-svc6 src\n"
        + "-A INPUT -m set --match-set mlb-range4 src\n-A INPUT -m set --match-set mlb-list src,dst,src\n");
    assertEquals(List.of(
        "error [set-family] table mangle, chain INPUT, rule 2: -m set --match-set mlb-range4 src in an IPv6 ruleset:"
            + " set mlb-range4 (bitmap:ip) is IPv4; ip6tables refuses it (\"The protocol family of set mlb-range4 is"
            + " IPv4, which is not applicable.\")",
        "warning [set-dimension] table mangle, chain INPUT, rule 1: -m set --match-set mlb-svc6 src: set mlb-svc6"
            + " (hash:ip,port) has 2 fields but 1 direction is given; the match never finds a packet in it"),
        v6.validate(EXPECTED).stream().map(Finding::toString).toList());
    assertEquals(List.of("error [set-missing] table mangle, chain INPUT, rule 1: -m set --match-set mlb-svc6 src:"
        + " no ipset called \"mlb-svc6\" exists; iptables refuses the rule (\"Set mlb-svc6 doesn't exist.\")"),
        rules(IpFamily.V6, "-A INPUT -m set --match-set mlb-svc6 src\n").validate(IpSets.none()).stream()
            .filter(Finding::isError).map(Finding::toString).toList());
  }

  @Test
  void theSetChecksJoinTheKeptValidationErrorsFirst() {
    Ruleset r = rules(IpFamily.V4, ":unused - [0:0]\n-A INPUT -m set --match-set mlb-svc6 src -j ACCEPT\n"
        + "-A INPUT -j DNAT --to-destination 192.0.2.1\n-A INPUT -m set --match-set mlb-ip4 src,dst\n");
    List<String> without = r.validate().stream().map(f -> f.severity() + " " + f.code()).toList();
    List<String> with = r.validate(EXPECTED).stream().map(f -> f.severity() + " " + f.code()).toList();
    // The rule errors, then the set errors; the warnings, then the set warnings; no note about unchecked names.
    assertEquals(without.stream().filter(c -> c.startsWith("ERROR")).toList(), with.subList(0, with.indexOf(
        "ERROR set-family")), with.toString());
    assertEquals(List.of("ERROR set-family"), with.stream().filter(c -> c.contains(" set-")
        && c.startsWith("ERROR")).toList());
    assertEquals(without.stream().filter(c -> !c.startsWith("ERROR") && !c.endsWith("set-names-unchecked"))
        .toList(), with.subList(with.indexOf("ERROR set-family") + 1, with.size() - 1), with.toString());
    assertEquals("WARNING set-dimension", with.get(with.size() - 1));
    assertEquals(true, without.contains("INFO set-names-unchecked"), without.toString());
    assertEquals(true, without.contains("WARNING chain-unused"), without.toString());
    assertEquals(true, without.stream().anyMatch(c -> c.startsWith("ERROR")), without.toString());
    // The kept validation is not changed by a validation with the sets.
    assertEquals(without, r.validate().stream().map(f -> f.severity() + " " + f.code()).toList());
  }

  @Test
  void withoutTheSetsOneNoteSaysTheNamesWentUnchecked() {
    StringBuilder text = new StringBuilder("-A OUTPUT -j ACCEPT\n");
    for (int i = 1; i <= 7; i++) {
      text.append("-A INPUT -m set --match-set s").append(i).append(" src -j DROP\n");
    }
    text.append("-A FORWARD -j SET --add-set s1 src --del-set t dst\n");
    assertEquals(List.of("info [set-names-unchecked] table mangle, chain INPUT, rule 1: 8 rules name ipsets (s1, s2,"
        + " s3, s4, s5 and 3 more); without the sets that exist, mlb does not check that they exist or are of this"
        + " family, as iptables does; give validation the sets that exist (\"ipset list -t\") to check them"),
        rules(IpFamily.V4, text.toString()).validate().stream().map(Finding::toString).toList());
    assertEquals(List.of(), rules(IpFamily.V4, "-A INPUT -j ACCEPT\n").validate());
  }
}
