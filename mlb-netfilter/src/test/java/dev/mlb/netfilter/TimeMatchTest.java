package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.time.DayOfWeek;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code -m time} built in code, and the exact messages of its refusals (the kernel's forms are in
 * {@code extension-cases/time.cases}, TimeCasesTest).
 */
class TimeMatchTest {

  private static String render(TimeMatch m) {
    return RestoreWriter.renderRule(Rule.builder().addMatches(m).target(Verdict.ACCEPT).build());
  }

  private static String refusal(String options) {
    ParseException e = assertThrows(ParseException.class, () -> RestoreParser.parse("x",
        "*filter\n-A INPUT -m time " + options + "\nCOMMIT\n", IpFamily.V4));
    return e.getMessage().lines().findFirst().orElseThrow();
  }

  @Test
  void factoriesRenderAsIptablesSavePrints() {
    assertEquals(" -m time --datestop 2038-01-19T03:14:07 -j ACCEPT", render(TimeMatch.always()));
    assertEquals(" -m time --timestart 22:00:00 --timestop 06:00:00 --datestop 2038-01-19T03:14:07 --contiguous"
        + " -j ACCEPT", render(TimeMatch.always().between(LocalTime.of(22, 0), LocalTime.of(6, 0)).withContiguous()));
    assertEquals(" -m time --monthdays 1,15 --weekdays Mon,Sun --datestart 2027-01-01T00:00:00 --datestop"
        + " 2027-12-31T23:59:59 --kerneltz -j ACCEPT", render(TimeMatch.always().on(DayOfWeek.SUNDAY, DayOfWeek.MONDAY)
            .onMonthDays(15, 1).from(LocalDateTime.of(2027, 1, 1, 0, 0))
            .until(LocalDateTime.of(2027, 12, 31, 23, 59, 59)).inKernelTimeZone()));
    IllegalArgumentException day = assertThrows(IllegalArgumentException.class, () -> TimeMatch.always().onMonthDays(0));
    assertEquals("-m time: a day of the month is 1 to 31, not 0", day.getMessage());
  }

  @Test
  void aContiguousRangeThatDoesNotCrossMidnightIsAFinding() {
    Rule r = Rule.builder().addMatches(TimeMatch.always().between(LocalTime.of(6, 0), LocalTime.of(22, 0))
        .withContiguous()).build();
    assertEquals(List.of("error [time-contiguous] table filter, chain INPUT, rule 1: -m time --contiguous only makes"
        + " sense when --timestop is before --timestart (a range over midnight); iptables refuses it"),
        ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT", r));
  }

  @Test
  void refusalsNameTheLineColumnAndWhatWasExpected() {
    assertEquals("line 2, column 30: -m time: bad time \"24:00\" for --timestart; expected hh:mm[:ss] from 00:00 to"
        + " 23:59:59", refusal("--timestart 24:00"));
    assertEquals("line 2, column 30: -m time: bad date \"1969-12-31\" for --datestart; expected"
        + " YYYY[-MM[-DD[Thh[:mm[:ss]]]]] from 1970 to 2038", refusal("--datestart 1969-12-31"));
    assertEquals("line 2, column 29: -m time: bad day \"mon\" in --weekdays mon; expected Mon, Tue, Wed, Thu, Fri,"
        + " Sat, Sun (or 1 to 7, Monday first) separated by commas", refusal("--weekdays mon"));
    assertEquals("line 2, column 31: -m time: ! --weekdays Mon,Tue,Wed,Thu,Fri,Sat,Sun matches no day (iptables"
        + " prints it as a list it cannot read back); expected days from Mon to Sun (or 1 to 7)",
        refusal("! --weekdays Mon,Tue,Wed,Thu,Fri,Sat,Sun"));
    assertEquals("line 2, column 18: -m time: --contiguous only makes sense when --timestop is before --timestart"
        + " (a range over midnight)", refusal("--contiguous"));
    assertEquals("line 2, column 24: -m time: option \"--kerneltz\" cannot be given with \"--utc\"",
        refusal("--utc --kerneltz"));
  }
}
