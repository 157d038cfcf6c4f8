package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import dev.mlb.netfilter.SetReference.Direction;
import dev.mlb.netfilter.SetTarget.MapField;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code -j SET} built in code, read, refused and checked: the texts are iptables-save's for the
 * same rules (set.cases holds the kernel-recorded forms); the table and hook errors are the
 * kernel's refusals (xt_set.c: --map-set only in mangle, --map-prio/--map-queue only from FORWARD,
 * OUTPUT and POSTROUTING).
 */
class SetTargetTest {

  private static String written(Target t) {
    return RestoreWriter.renderRule(Rule.builder().target(t).build());
  }

  private static ParseException refusal(String rule) {
    return assertThrows(ParseException.class,
        () -> RestoreParser.parse("t", "*filter\n-A INPUT " + rule + "\nCOMMIT\n", IpFamily.V4));
  }

  @Test
  void factoriesWriteWhatIptablesSavePrints() {
    assertEquals(" -j SET --add-set seen src", written(SetTarget.add("seen", Direction.SRC)));
    assertEquals(" -j SET --add-set seen src --exist --timeout 600",
        written(SetTarget.add("seen", Direction.SRC).withTimeout(600).withExist()));
    assertEquals(" -j SET --del-set seen dst,dst", written(SetTarget.delete("seen", Direction.DST, Direction.DST)));
    assertEquals(" -j SET --add-set a src --del-set b dst",
        written(SetTarget.add("a", Direction.SRC).withDelete(SetReference.of("b", Direction.DST))));
    assertEquals(" -j SET --map-set qos dst --map-mark --map-prio --map-queue",
        written(SetTarget.map(SetReference.of("qos", Direction.DST), MapField.QUEUE, MapField.MARK, MapField.PRIO)));
  }

  @Test
  void badValuesInCodeAreRefusedWithWhatWasExpected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SetTarget.delete("x", Direction.SRC).withExist());
    assertEquals("-j SET: --exist needs --add-set", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SetTarget.add("x", Direction.SRC).withTimeout(4294967295L));
    assertEquals("-j SET: --timeout OptionalLong[4294967295] is outside 0 to 4294967294", e.getMessage());
  }

  @Test
  void refusalsNameTheColumnAndWhatWasExpected() {
    ParseException e = refusal("-j SET");
    assertEquals("-j SET needs --add-set, --del-set or --map-set (each NAME src|dst[,...])", e.problem());
    e = refusal("-j SET --del-set x src --timeout 5");
    assertEquals("-j SET: --timeout needs --add-set", e.problem());
    assertEquals(33, e.column());
    e = refusal("-j SET --map-set x src");
    assertEquals("-j SET --map-set needs --map-mark, --map-prio or --map-queue", e.problem());
    e = refusal("-j SET --add-set x src --map-prio");
    assertEquals("-j SET: --map-prio needs --map-set", e.problem());
    e = refusal("-j SET --add-set x src --timeout 4294967295");
    assertEquals("bad value \"4294967295\" for --timeout; expected seconds from 0 to 4294967294", e.problem());
    e = refusal("-j SET --add-set x src --add-set y dst");
    assertEquals("-j SET: option \"--add-set\" can only be given once", e.problem());
    e = refusal("-j SET --add-set x ! src");
    assertEquals("-j SET --add-set requires two arguments, the set's name and its directions (src or dst,"
        + " comma-separated); got \"!\" after the name", e.problem());
  }

  @Test
  void repeatedFlagsAndTimeoutsAreTakenAsIptablesTakesThem() {
    Rule r = RestoreParser.parse("t", "*filter\n-A INPUT -j SET --add-set x src --timeout 1 --exist --timeout 2"
        + " --exist\nCOMMIT\n", IpFamily.V4).tables().get(0).chains().get(0).rules().get(0);
    assertEquals(SetTarget.add("x", Direction.SRC).withExist().withTimeout(2), r.target().orElseThrow());
  }

  /** The findings of {@code rule} alone, but the note that set names went unchecked (IpSetsTest has it). */
  private static List<String> findings(TableName table, String chain, Rule rule) {
    return ModuleForms.findings(IpFamily.V4, table, chain, rule).stream()
        .filter(f -> !f.startsWith("info [set-names-unchecked]")).toList();
  }

  @Test
  void mapSetIsOnlyForTheMangleTableAndPrioAndQueueOnlyForOutwardHooks() {
    Rule prio = Rule.builder().target(SetTarget.map(SetReference.of("q", Direction.DST), MapField.PRIO)).build();
    assertEquals(List.of("error [target-hook] table mangle, chain PREROUTING, rule 1: -j SET --map-set with"
        + " --map-prio or --map-queue in chain PREROUTING, which is reached from [PREROUTING]; the kernel takes them"
        + " only from [FORWARD, OUTPUT, POSTROUTING]"),
        findings(TableName.MANGLE, "PREROUTING", prio));
    assertEquals(List.of(), findings(TableName.MANGLE, "POSTROUTING", prio));
    Rule mark = Rule.builder().target(SetTarget.map(SetReference.of("q", Direction.DST), MapField.MARK)).build();
    assertEquals(List.of(), findings(TableName.MANGLE, "PREROUTING", mark));
    assertEquals(List.of("error [target-table] table filter, chain FORWARD, rule 1: -j SET --map-set is only valid"
        + " in the mangle table, not in filter (the kernel refuses it: Invalid argument)"),
        findings(TableName.FILTER, "FORWARD", mark));
  }
}
