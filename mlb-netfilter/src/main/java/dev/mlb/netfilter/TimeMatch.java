package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import java.time.DayOfWeek;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code -m time}: matches by the time of day, the day of the week or month and a date range, as
 * schedules ("no games on school nights", "backups at night") use it.
 *
 * <pre>{@code
 * TimeMatch.always().between(LocalTime.of(22, 0), LocalTime.of(6, 0)).withContiguous()
 *     // -m time --timestart 22:00:00 --timestop 06:00:00 --datestop 2038-01-19T03:14:07 --contiguous
 * TimeMatch.always().on(DayOfWeek.SATURDAY, DayOfWeek.SUNDAY)
 *     // -m time --weekdays Sat,Sun --datestop 2038-01-19T03:14:07
 * TimeMatch.always().from(LocalDateTime.of(2027, 1, 1, 0, 0)).inKernelTimeZone()
 *     // -m time --datestart 2027-01-01T00:00:00 --datestop 2038-01-19T03:14:07 --kerneltz
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code time_save} of iptables' {@code extensions/libxt_time.c}):
 * both times of day when either is not the whole day, then the days of the month and of the week
 * (each unless every day), the start date unless it is the epoch, the stop date always (iptables
 * compares it with {@code LONG_MAX}, but keeps {@code INT_MAX} for "none", so
 * {@code 2038-01-19T03:14:07} is printed for every rule without one), {@code --kerneltz},
 * {@code --contiguous}. Dates are UTC; the kernel applies its time zone with {@code --kerneltz}.
 *
 * <p>Read as iptables reads it: times {@code hh:mm[:ss]}; dates {@code YYYY[-MM[-DD[Thh[:mm[:ss]]]]]}
 * from 1970 to 2038, with out-of-range days and months rolled over as {@code mktime} does
 * ({@code 2020-02-31} is {@code 2020-03-02}); weekdays by number (1 to 7, Monday first) or by the
 * first two letters of their English names ({@code Mo}, {@code Monday}); days of the month 1 to 31
 * ({@code 07} octal); {@code !} before {@code --weekdays} or {@code --monthdays} takes the other days;
 * {@code --localtz} is {@code --kerneltz}; {@code --utc} is the default. mlb refuses on purpose what
 * would match no day at all (a day 0 or 8, every day negated, a stop date at the epoch): iptables
 * prints those as lists it cannot read back. The simulator does not model {@code -m time}.
 *
 * @param dayStart the first second of the day that matches (0 to 86399)
 * @param dayStop the last second of the day that matches (0 to 86399)
 * @param monthDays the days of the month, bit {@code d} for day {@code d} (1 to 31)
 * @param weekDays the days of the week, bit 1 for Monday to bit 7 for Sunday
 * @param dateStart the first second that matches, in seconds since the epoch (UTC)
 * @param dateStop the last second that matches, in seconds since the epoch (UTC)
 * @param kernelTz times and days in the kernel's time zone instead of UTC
 * @param contiguous a time range over midnight is one range (from the start day to the next)
 */
public record TimeMatch(int dayStart, int dayStop, int monthDays, int weekDays, long dateStart, long dateStop,
    boolean kernelTz, boolean contiguous) implements Match {

  /** The last second of a day. */
  public static final int END_OF_DAY = 86_399;
  /** Every day of the month, {@code XT_TIME_ALL_MONTHDAYS}. */
  public static final int ALL_MONTH_DAYS = 0xFFFF_FFFE;
  /** Every day of the week, {@code XT_TIME_ALL_WEEKDAYS}. */
  public static final int ALL_WEEK_DAYS = 0xFE;
  /** The stop date iptables keeps for "none": {@code INT_MAX}, 2038-01-19T03:14:07 UTC. */
  public static final long NO_STOP = Integer.MAX_VALUE;

  private static final String[] WEEKDAYS = {null, "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");

  public TimeMatch {
    checkArgument(dayStart >= 0 && dayStart <= END_OF_DAY && dayStop >= 0 && dayStop <= END_OF_DAY,
        "-m time: a time of day is a second from 0 to %s, not %s or %s", END_OF_DAY, dayStart, dayStop);
    checkArgument((monthDays & ~ALL_MONTH_DAYS) == 0 && monthDays != 0,
        "-m time: days of the month are bits 1 to 31 and at least one, not 0x%s", Integer.toHexString(monthDays));
    checkArgument((weekDays & ~ALL_WEEK_DAYS) == 0 && weekDays != 0,
        "-m time: days of the week are bits 1 to 7 and at least one, not 0x%s", Integer.toHexString(weekDays));
    checkArgument(dateStart >= 0 && dateStart <= 0xFFFF_FFFFL && dateStop > 0 && dateStop <= 0xFFFF_FFFFL,
        "-m time: dates are seconds from 1970 that fit in 32 bits, the stop after the epoch");
  }

  /** {@code -m time} alone: every second of every day. */
  public static TimeMatch always() {
    return new TimeMatch(0, END_OF_DAY, ALL_MONTH_DAYS, ALL_WEEK_DAYS, 0, NO_STOP, false, false);
  }

  /** This match from {@code start} to {@code stop} each day, both included (to the second). */
  public TimeMatch between(LocalTime start, LocalTime stop) {
    return new TimeMatch(start.toSecondOfDay(), stop.toSecondOfDay(), monthDays, weekDays, dateStart, dateStop,
        kernelTz, contiguous);
  }

  /** This match on the given days of the week only. */
  public TimeMatch on(DayOfWeek first, DayOfWeek... rest) {
    int days = 1 << first.getValue();
    for (DayOfWeek d : rest) {
      days |= 1 << d.getValue();
    }
    return new TimeMatch(dayStart, dayStop, monthDays, days, dateStart, dateStop, kernelTz, contiguous);
  }

  /** This match on the given days of the month (1 to 31) only. */
  public TimeMatch onMonthDays(int first, int... rest) {
    int days = monthDay(first);
    for (int d : rest) {
      days |= monthDay(d);
    }
    return new TimeMatch(dayStart, dayStop, days, weekDays, dateStart, dateStop, kernelTz, contiguous);
  }

  private static int monthDay(int day) {
    checkArgument(day >= 1 && day <= 31, "-m time: a day of the month is 1 to 31, not %s", day);
    return 1 << day;
  }

  /** This match from {@code start} (UTC) on. */
  public TimeMatch from(LocalDateTime start) {
    return new TimeMatch(dayStart, dayStop, monthDays, weekDays, start.toEpochSecond(ZoneOffset.UTC), dateStop,
        kernelTz, contiguous);
  }

  /** This match until {@code stop} (UTC). */
  public TimeMatch until(LocalDateTime stop) {
    return new TimeMatch(dayStart, dayStop, monthDays, weekDays, dateStart, stop.toEpochSecond(ZoneOffset.UTC),
        kernelTz, contiguous);
  }

  /** This match with {@code --kerneltz}: times and days in the kernel's time zone. */
  public TimeMatch inKernelTimeZone() {
    return new TimeMatch(dayStart, dayStop, monthDays, weekDays, dateStart, dateStop, true, contiguous);
  }

  /** This match with {@code --contiguous}: a range over midnight is one range. */
  public TimeMatch withContiguous() {
    return new TimeMatch(dayStart, dayStop, monthDays, weekDays, dateStart, dateStop, kernelTz, true);
  }

  @Override
  public String module() {
    return "time";
  }

  /** {@code -m time}: iptables' {@code extensions/libxt_time.c}, as iptables-nft 1.8.9 reads it. */
  static final class TimeModule extends MatchModule<TimeMatch> {
    static final TimeModule INSTANCE = new TimeModule();

    private static final List<String> OPTIONS = List.of("--datestart", "--datestop", "--timestart", "--timestop",
        "--contiguous", "--monthdays", "--weekdays", "--localtz", "--utc", "--kerneltz");
    private static final Set<String> FLAGS = Set.of("--contiguous", "--localtz", "--utc", "--kerneltz");
    private static final Set<String> NEGATABLE = Set.of("--monthdays", "--weekdays");

    private TimeModule() {
      super("time", TimeMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Set<String> flags() {
      return FLAGS;
    }

    @Override
    boolean negatable(String option) {
      return NEGATABLE.contains(option);
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "time", at, rule) {
        private int dayStart;
        private int dayStop = END_OF_DAY;
        private int monthDays = ALL_MONTH_DAYS;
        private int weekDays = ALL_WEEK_DAYS;
        private long dateStart;
        private long dateStop = NO_STOP;

        @Override
        void value(String option, Token optionToken, Token arg) {
          switch (option) {
            case "--datestart" -> dateStart = date(arg, option);
            case "--datestop" -> {
              dateStop = date(arg, option);
              if (dateStop == 0) {
                throw error(arg, "-m time: --datestop " + arg.text() + " is the epoch: the rule would match"
                    + " nothing, and iptables-save prints it as no stop date; expected a later date");
              }
            }
            case "--timestart" -> dayStart = time(arg, option);
            case "--timestop" -> dayStop = time(arg, option);
            case "--monthdays" -> monthDays = days(arg, option, monthDays(arg), ALL_MONTH_DAYS);
            case "--weekdays" -> weekDays = days(arg, option, weekDays(arg), ALL_WEEK_DAYS);
            case "--utc", "--localtz", "--kerneltz" -> {
              boolean utc = option.equals("--utc");
              for (String other : utc ? List.of("--localtz", "--kerneltz") : List.of("--utc")) {
                if (given.containsKey(other)) {
                  throw error(optionToken, "-m time: option " + quoted(option) + " cannot be given with "
                      + quoted(other));
                }
              }
            }
            default -> {
              // --contiguous: checked in finish().
            }
          }
        }

        private int days(Token arg, String option, int days, int all) {
          if ((days & ~all) != 0) {
            throw error(arg, "-m time: " + option + " " + arg.text() + " has a day 0, which no month has (iptables"
                + " prints it as a list it cannot read back); expected days from 1 to 31");
          }
          int result = optionNegated ? days ^ all : days;
          if (result == 0) {
            throw error(arg, "-m time: " + (optionNegated ? "! " : "") + option + " " + arg.text()
                + " matches no day (iptables prints it as a list it cannot read back); expected "
                + (all == ALL_WEEK_DAYS ? "days from Mon to Sun (or 1 to 7)" : "days from 1 to 31"));
          }
          return result;
        }

        /** {@code time_parse_date}: YYYY[-MM[-DD[Thh[:mm[:ss]]]]], each part a decimal (empty is 0). */
        private long date(Token arg, String option) {
          String s = arg.text();
          long[] parts = {0, 1, 1, 0, 0, 0};
          long[] max = {2038, 12, 31, 23, 59, 59};
          char[] next = {'-', '-', 'T', ':', ':', 0};
          int i = 0;
          int part = 0;
          while (true) {
            int start = i;
            while (i < s.length() && Character.isDigit(s.charAt(i))) {
              i++;
            }
            long value = i - start > 9 ? Long.MAX_VALUE : i == start ? 0 : Long.parseLong(s.substring(start, i));
            parts[part] = value;
            boolean end = i == s.length();
            if (value > max[part] || part == 0 && value < 1970 || !end && s.charAt(i) != next[part]) {
              throw error(arg, "-m time: bad date " + quoted(s) + " for " + option + "; expected"
                  + " YYYY[-MM[-DD[Thh[:mm[:ss]]]]] from 1970 to 2038");
            }
            if (end) {
              break;
            }
            i++;
            part++;
          }
          // mktime rolls a month 0 or a day past the month's end over, as this does.
          LocalDateTime t = LocalDateTime.of((int) parts[0], 1, 1, (int) parts[3], (int) parts[4], (int) parts[5])
              .plusMonths(parts[1] - 1).plusDays(parts[2] - 1);
          long seconds = t.toEpochSecond(ZoneOffset.UTC);
          if (seconds < 0) {
            throw error(arg, "-m time: date " + quoted(s) + " for " + option + " rolls over to before 1970; expected"
                + " YYYY[-MM[-DD[Thh[:mm[:ss]]]]] from 1970 to 2038");
          }
          return seconds;
        }

        /** {@code time_parse_minutes}: hh:mm[:ss], each a decimal (empty is 0). */
        private int time(Token arg, String option) {
          String[] f = arg.text().split(":", -1);
          int[] max = {23, 59, 59};
          int seconds = 0;
          boolean ok = f.length == 2 || f.length == 3;
          for (int k = 0; ok && k < f.length; k++) {
            ok = f[k].length() <= 9 && f[k].chars().allMatch(Character::isDigit)
                && (f[k].isEmpty() ? 0 : Integer.parseInt(f[k])) <= max[k];
            if (ok) {
              seconds = seconds * 60 + (f[k].isEmpty() ? 0 : Integer.parseInt(f[k]));
            }
          }
          if (!ok) {
            throw error(arg, "-m time: bad time " + quoted(arg.text()) + " for " + option + "; expected hh:mm[:ss]"
                + " from 00:00 to 23:59:59");
          }
          return f.length == 2 ? seconds * 60 : seconds;
        }

        /** {@code time_parse_monthdays}: numbers 0 to 31, each read from its first two characters. */
        private int monthDays(Token arg) {
          int days = 0;
          for (String word : segments(arg.text())) {
            String d = word.length() > 2 ? word.substring(0, 2) : word;
            int day = -1;
            if (d.matches("0[0-7]?|[1-9][0-9]?")) {
              day = Integer.parseInt(d, d.startsWith("0") && d.length() > 1 ? 8 : 10);
            }
            if (day < 0 || day > 31) {
              throw error(arg, "-m time: bad day " + quoted(d) + " in --monthdays " + arg.text()
                  + "; expected days from 1 to 31 separated by commas");
            }
            days |= 1 << day;
          }
          return days;
        }

        /** {@code time_parse_weekdays}: numbers, or names by their first two letters, each read from three characters. */
        private int weekDays(Token arg) {
          int days = 0;
          for (String word : segments(arg.text())) {
            String d = word.length() > 3 ? word.substring(0, 3) : word;
            int found = 0;
            if (d.matches("[0-9]+")) {
              found = Integer.parseInt(d);
            } else {
              for (int k = 1; k <= 7; k++) {
                if (d.length() >= 2 && WEEKDAYS[k].startsWith(d.substring(0, 2))) {
                  found = k;
                }
              }
            }
            if (found < 1 || found > 7) {
              throw error(arg, "-m time: bad day " + quoted(d) + " in --weekdays " + arg.text()
                  + "; expected Mon, Tue, Wed, Thu, Fri, Sat, Sun (or 1 to 7, Monday first) separated by commas");
            }
            days |= 1 << found;
          }
          return days;
        }

        /** The comma-separated words, as {@code my_strseg} cuts them: none for an empty text. */
        private List<String> segments(String text) {
          List<String> out = new ArrayList<>();
          String rest = text;
          while (rest != null && !rest.isEmpty()) {
            int comma = rest.indexOf(',');
            out.add(comma < 0 ? rest : rest.substring(0, comma));
            rest = comma < 0 ? null : rest.substring(comma + 1);
          }
          return out;
        }

        @Override
        Match finish() {
          if (given.containsKey("--contiguous") && dayStart < dayStop) {
            throw error(given.get("--contiguous"), "-m time: --contiguous only makes sense when --timestop is"
                + " before --timestart (a range over midnight)");
          }
          return new TimeMatch(dayStart, dayStop, monthDays, weekDays, dateStart, dateStop,
              given.containsKey("--kerneltz") || given.containsKey("--localtz"), given.containsKey("--contiguous"));
        }
      };
    }

    @Override
    void write(TimeMatch m, StringBuilder out) {
      if (m.dayStart() != 0 || m.dayStop() != END_OF_DAY) {
        out.append(" --timestart ").append(clock(m.dayStart())).append(" --timestop ").append(clock(m.dayStop()));
      }
      if (m.monthDays() != ALL_MONTH_DAYS) {
        out.append(" --monthdays ");
        String sep = "";
        for (int d = 1; d <= 31; d++) {
          if ((m.monthDays() & (1 << d)) != 0) {
            out.append(sep).append(d);
            sep = ",";
          }
        }
      }
      if (m.weekDays() != ALL_WEEK_DAYS) {
        out.append(" --weekdays ");
        String sep = "";
        for (int d = 1; d <= 7; d++) {
          if ((m.weekDays() & (1 << d)) != 0) {
            out.append(sep).append(WEEKDAYS[d]);
            sep = ",";
          }
        }
      }
      if (m.dateStart() != 0) {
        out.append(" --datestart ").append(DATE.format(LocalDateTime.ofEpochSecond(m.dateStart(), 0, ZoneOffset.UTC)));
      }
      out.append(" --datestop ").append(DATE.format(LocalDateTime.ofEpochSecond(m.dateStop(), 0, ZoneOffset.UTC)));
      if (m.kernelTz()) {
        out.append(" --kerneltz");
      }
      if (m.contiguous()) {
        out.append(" --contiguous");
      }
    }

    private static String clock(int seconds) {
      return String.format("%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
    }

    @Override
    void check(TimeMatch m, RuleContext rule, Findings findings) {
      if (m.contiguous() && m.dayStart() < m.dayStop()) {
        findings.error("time-contiguous", "-m time --contiguous only makes sense when --timestop is before"
            + " --timestart (a range over midnight); iptables refuses it");
      }
    }
  }
}
