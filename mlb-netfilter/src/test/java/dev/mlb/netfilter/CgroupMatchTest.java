package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * CgroupMatch built in code: factories, its text (as iptables-nft-save printed the same rules in
 * cgroup.cases), the refusals of values the kernel cannot take, and mlb's messages for bad input.
 */
class CgroupMatchTest {

  private static String text(Match m) {
    return RestoreWriter.renderRule(Rule.builder().addMatches(m).build());
  }

  @Test
  void factoriesWriteWhatIptablesSavePrints() {
    assertEquals(" -m cgroup --path \"/\"", text(CgroupMatch.path("/")));
    assertEquals(" -m cgroup ! --path \"/\"", text(CgroupMatch.path("/").negate()));
    assertEquals(" -m cgroup --path \"\"", text(CgroupMatch.path("")));
    // cgroup.cases: "--cgroup 0x100001" was saved as "--cgroup 1048577".
    assertEquals(" -m cgroup --cgroup 1048577", text(CgroupMatch.classid(0x100001)));
    assertEquals(" -m cgroup ! --cgroup 4294967295", text(CgroupMatch.classid(0xffffffffL).negate()));
    // xtables_save_string: bare when only letters, digits, _ and -; else quoted with " \ ' escaped.
    assertEquals(" -m cgroup --path user-1000", text(CgroupMatch.path("user-1000")));
    assertEquals(" -m cgroup --path \"/a b/\\\"c\\\"\"", text(CgroupMatch.path("/a b/\"c\"")));
    assertEquals(CgroupMatch.classid(7), CgroupMatch.classid(7).negate().negate());
    assertEquals("cgroup", CgroupMatch.classid(1).module());
  }

  @Test
  void valuesTheKernelRefusesCannotBeBuilt() {
    assertEquals("-m cgroup needs exactly one of --path and --cgroup (the kernel refuses both and neither)",
        assertThrows(IllegalArgumentException.class,
            () -> new CgroupMatch(Optional.of("/"), OptionalLong.of(1), false)).getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new CgroupMatch(Optional.empty(), OptionalLong.empty(), false));
    assertEquals("-m cgroup: --cgroup 4294967296 is outside 0..4294967295",
        assertThrows(IllegalArgumentException.class, () -> CgroupMatch.classid(1L << 32)).getMessage());
    assertEquals("-m cgroup: path is null",
        assertThrows(IllegalArgumentException.class, () -> CgroupMatch.path(null)).getMessage());
  }

  /**
   * Each row: the rule after {@code -A OUTPUT} and mlb's refusal (the first line of the message).
   * iptables-nft 1.8.9 or the kernel refused each of these rules (cgroup.cases); the columns count
   * from 1 at the {@code -A}.
   */
  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
    "-m cgroup | line 2, column 11: -m cgroup needs --path or --cgroup; the kernel refuses it without",
    "-m cgroup --path / --cgroup 1 | line 2, column 30: -m cgroup: --cgroup cannot be given with --path; the kernel"
        + " refuses a match on both (expected one of --path and --cgroup)",
    "-m cgroup ! --cgroup 1 ! --path / | line 2, column 36: -m cgroup: --path cannot be given with --cgroup; the"
        + " kernel refuses a match on both (expected one of --path and --cgroup)",
    "-m cgroup --cgroup 1 --cgroup 2 | line 2, column 32: -m cgroup: option \"--cgroup\" can only be given once",
    "-m cgroup --cgroup 4294967296 | line 2, column 30: bad value \"4294967296\" for --cgroup; expected an unsigned"
        + " 32-bit number (0 to 4294967295, 0x hex or 0 octal)",
    "-m cgroup --cgroup 1:1 | line 2, column 30: bad value \"1:1\" for --cgroup; expected an unsigned 32-bit number"
        + " (0 to 4294967295, 0x hex or 0 octal)",
  })
  void badInputNamesLineColumnAndWhatWasExpected(String rule, String message) {
    ParseException e = assertThrows(ParseException.class, () -> RestoreParser.parse("t",
        "*filter\n-A OUTPUT " + rule + "\nCOMMIT\n", IpFamily.V4));
    assertEquals(message, e.getMessage().split("\n")[0]);
  }

  private static List<String> errors(String table, String builtin, Match m) {
    // The match in a user chain that the built-in chain jumps to: the hooks reach it through the jump.
    Ruleset r = Ruleset.builder().family(IpFamily.V4)
        .addTables(Table.builder().name(TableName.fromId(table).orElseThrow())
            .addChains(Chain.builder().name(builtin).addRules(Rule.builder().target(new Jump("cg")).build()).build())
            .addChains(Chain.builder().name("cg").addRules(Rule.builder().addMatches(m).build()).build())
            .build())
        .build();
    return r.validate().stream().filter(Finding::isError).map(Finding::toString).collect(Collectors.toList());
  }

  @Test
  void theKernelsRefusalsAreFindings() {
    assertEquals(List.of(), errors("filter", "OUTPUT", CgroupMatch.path("/system.slice")));
    assertEquals(List.of(), errors("nat", "POSTROUTING", CgroupMatch.classid(1)));
    assertEquals(List.of("error [match-hook] table filter, chain cg, rule 1: -m cgroup in chain cg, which is reached"
            + " from [FORWARD]; the kernel takes it only from [INPUT, OUTPUT, POSTROUTING]"),
        errors("filter", "FORWARD", CgroupMatch.classid(1)));
    assertEquals(List.of("error [cgroup-path] table filter, chain cg, rule 1: -m cgroup --path \"/a/../b\" has a"
            + " \"..\" component; the kernel looks each component up by name, no cgroup is called so, and it"
            + " refuses the rule"),
        errors("filter", "OUTPUT", CgroupMatch.path("/a/../b")));
    assertEquals(List.of("error [cgroup-path] table filter, chain cg, rule 1: -m cgroup --path is 512 bytes; the"
            + " kernel keeps at most 511 (iptables cuts the rest, and the kernel refuses a path that does not exist)"),
        errors("filter", "OUTPUT", CgroupMatch.path("/" + "a".repeat(511))));
    assertEquals(List.of(), errors("filter", "OUTPUT", CgroupMatch.path("/" + "a".repeat(510))));
    assertEquals(1, errors("filter", "OUTPUT", CgroupMatch.path("/a\nb")).size());
  }
}
