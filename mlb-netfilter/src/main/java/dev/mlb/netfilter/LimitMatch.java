package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.Numbers;
import java.util.List;
import java.util.Locale;

/**
 * {@code -m limit [--limit RATE/UNIT] [--limit-burst N]}: matches at an average rate, with bursts
 * of up to {@code burst} packets (a token bucket).
 *
 * <pre>{@code
 * LimitMatch.perSecond(3)                  // -m limit --limit 3/sec
 * LimitMatch.perHour(60)                   // -m limit --limit 1/min (as the kernel keeps it)
 * LimitMatch.perMinute(5).withBurst(10)    // -m limit --limit 5/min --limit-burst 10
 * LimitMatch.defaults()                    // -m limit: 3/hour, burst 5, as iptables fills them in
 * }</pre>
 *
 * <p>The kernel keeps the rate as the time between two packets in units of 1/10000 s
 * ({@code XT_LIMIT_SCALE}), and {@code iptables-save} prints that back in the largest unit that
 * shows it well ({@code print_rate} of {@code extensions/libxt_limit.c}): so {@code 60/hour} is
 * {@code 1/min}, {@code 7000/sec} is {@code 10000/sec} and {@code 1440/day} is {@code 1/min}. The
 * record keeps that canonical rate and unit, so a rule read back from the kernel equals the one
 * written. A burst of 0 is kept as 5: iptables-nft's kernel limit stores its default for it
 * (iptables-legacy refuses 0). The burst is written only when it is not 5.
 *
 * <p>Validation refuses a rate below 1 per unit, one faster than 10000 per second ("Rate too
 * fast"), and a burst above 10000. The simulator does not model {@code -m limit}.
 *
 * @param rate packets per {@code unit}
 * @param unit the unit of the rate
 * @param burst the bucket's size in packets
 */
public record LimitMatch(long rate, RateUnit unit, long burst) implements Match {

  /** {@code XT_LIMIT_SCALE}: the kernel counts the time between packets in 1/10000 s. */
  public static final long SCALE = 10_000;
  /** The burst iptables fills in, and the one {@code iptables-save} leaves out. */
  public static final long DEFAULT_BURST = 5;
  /** The largest burst iptables takes. */
  public static final long MAX_BURST = 10_000;

  /** The fastest rate in {@code unit} that the kernel counts: 10000 a second. */
  static long maxRate(RateUnit unit) {
    return SCALE * unit.seconds();
  }

  public LimitMatch {
    checkArgument(unit != null, "-m limit: the rate's unit is null");
    if (rate >= 1 && rate <= maxRate(unit)) {
      // As the kernel keeps it and iptables-save prints it (print_rate of libxt_limit.c).
      long period = maxRate(unit) / rate;
      RateUnit[] units = {RateUnit.DAY, RateUnit.HOUR, RateUnit.MINUTE, RateUnit.SECOND};
      int i = 1;
      while (i < units.length) {
        long mult = maxRate(units[i]);
        if (period > mult || mult / period < mult % period) {
          break;
        }
        i++;
      }
      unit = units[i - 1];
      rate = maxRate(unit) / period;
    }
    if (burst == 0) {
      burst = DEFAULT_BURST;
    }
  }

  public static LimitMatch perSecond(long rate) {
    return new LimitMatch(rate, RateUnit.SECOND, DEFAULT_BURST);
  }

  public static LimitMatch perMinute(long rate) {
    return new LimitMatch(rate, RateUnit.MINUTE, DEFAULT_BURST);
  }

  public static LimitMatch perHour(long rate) {
    return new LimitMatch(rate, RateUnit.HOUR, DEFAULT_BURST);
  }

  public static LimitMatch perDay(long rate) {
    return new LimitMatch(rate, RateUnit.DAY, DEFAULT_BURST);
  }

  /** {@code -m limit} alone: 3/hour, burst 5. */
  public static LimitMatch defaults() {
    return perHour(3);
  }

  /** This rate with another burst. */
  public LimitMatch withBurst(long burst) {
    return new LimitMatch(rate, unit, burst);
  }

  /** The time between two packets on average, in 1/10000 s, as the kernel keeps it; 0 if invalid. */
  public long period() {
    return rate >= 1 && rate <= maxRate(unit) ? maxRate(unit) / rate : 0;
  }

  @Override
  public String module() {
    return "limit";
  }

  /** {@code -m limit}: iptables' {@code extensions/libxt_limit.c}, as iptables-nft 1.8.9 reads it. */
  static final class LimitModule extends MatchModule<LimitMatch> {
    static final LimitModule INSTANCE = new LimitModule();

    private static final List<String> OPTIONS = List.of("--limit", "--limit-burst");
    private static final List<String> UNITS = List.of("second", "minute", "hour", "day");

    private LimitModule() {
      super("limit", LimitMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    boolean negatable(String option) {
      return false;
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "limit", at, rule) {
        private LimitMatch limit = defaults();

        @Override
        void value(String option, Token optionToken, Token arg) {
          if (option.equals("--limit")) {
            limit = rate(arg).withBurst(limit.burst());
            return;
          }
          long burst = Numbers.parseUnsigned(arg.text(), MAX_BURST);
          if (burst < 0) {
            throw error(arg, "bad value " + quoted(arg.text()) + " for --limit-burst; expected a number from 0 to "
                + MAX_BURST);
          }
          limit = limit.withBurst(burst);
        }

        /** {@code N[/UNIT]}, UNIT a prefix of second, minute, hour or day (parse_rate). */
        private LimitMatch rate(Token arg) {
          String text = arg.text();
          int slash = text.indexOf('/');
          String number = slash < 0 ? text : text.substring(0, slash);
          String unitText = slash < 0 ? "second" : text.substring(slash + 1).toLowerCase(Locale.ROOT);
          int unit = -1;
          for (int i = 0; i < UNITS.size() && !unitText.isEmpty(); i++) {
            if (UNITS.get(i).startsWith(unitText)) {
              unit = i;
              break;
            }
          }
          boolean digits = !number.isEmpty() && number.chars().allMatch(c -> c >= '0' && c <= '9');
          long n = !digits ? 0 : number.length() > 12 ? Long.MAX_VALUE : Long.parseLong(number);
          if (unit < 0 || n == 0) {
            throw error(arg, "bad rate " + quoted(text) + " for --limit; expected N/second, N/minute, N/hour or"
                + " N/day with N from 1 (a unit may be shortened, as in 5/s or 5/min; without one it is per second)");
          }
          RateUnit u = RateUnit.values()[unit];
          if (n > maxRate(u)) {
            throw error(arg, "--limit " + text + ": rate too fast; the kernel's limit match counts at most "
                + maxRate(u) + "/" + u.text() + " (10000 a second)");
          }
          return new LimitMatch(n, u, DEFAULT_BURST);
        }

        @Override
        Match finish() {
          return limit;
        }
      };
    }

    @Override
    void write(LimitMatch m, StringBuilder out) {
      out.append(" --limit ").append(m.rate()).append('/').append(m.unit().text());
      if (m.burst() != DEFAULT_BURST) {
        out.append(" --limit-burst ").append(m.burst());
      }
    }

    @Override
    void check(LimitMatch m, RuleContext rule, Findings findings) {
      String limit = "-m limit --limit " + m.rate() + "/" + m.unit().text();
      if (m.rate() < 1) {
        findings.error("limit-rate", limit + ": the rate must be at least 1 a " + m.unit().text()
            + "; iptables refuses it (bad rate)");
      } else if (m.rate() > maxRate(m.unit())) {
        findings.error("limit-rate", limit + " is too fast; the kernel's limit match counts at most "
            + maxRate(m.unit()) + "/" + m.unit().text() + " (10000 a second), iptables refuses it (Rate too fast)");
      }
      if (m.burst() < 0 || m.burst() > MAX_BURST) {
        findings.error("limit-burst", "-m limit --limit-burst " + m.burst() + " is outside 0 to " + MAX_BURST
            + "; iptables refuses it");
      }
    }
  }
}
