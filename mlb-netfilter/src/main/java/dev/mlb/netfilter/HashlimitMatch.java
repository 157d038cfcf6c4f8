package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import static dev.mlb.netfilter.Arguments.quoted;

import com.google.common.collect.Sets;
import dev.mlb.api.IpFamily;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code -m hashlimit}: a token bucket per group of packets (by source and/or destination address
 * and port), kept by the kernel in a hash table named {@code --hashlimit-name}; matches while the
 * group stays up to (or goes above) a rate in packets or bytes.
 *
 * <pre>{@code
 * HashlimitMatch.upto(40, RateUnit.SECOND, "syn-flood").withBurst(20).withMode(Key.SRCIP)
 *     // -m hashlimit --hashlimit-upto 40/sec --hashlimit-burst 20 --hashlimit-mode srcip --hashlimit-name syn-flood
 * HashlimitMatch.above(1, RateUnit.MINUTE, "ssh")     // ... --hashlimit-above 1/min --hashlimit-burst 5 --hashlimit-name ssh
 * HashlimitMatch.uptoBytes(4096, "web").withBurstBytes(400 * 1024)
 *     // -m hashlimit --hashlimit-upto 4kb/s --hashlimit-burst 400kb --hashlimit-name web
 * }</pre>
 *
 * <p>The record holds what iptables-nft 1.8.9 hands the kernel (revision 3 of the match), and
 * {@code iptables-save} prints that back ({@code hashlimit_mt_save} of
 * {@code extensions/libxt_hashlimit.c}), so a rule read back from the kernel equals the one
 * written. A packet rate is kept as the time between packets in microseconds and printed in the
 * largest unit that shows it well ({@code 60/min} is {@code 1/sec}); a byte rate is kept as the
 * kernel's cost per 16-byte chunk and printed from it ({@code 1000b/s} is {@code 992b/s}; rates
 * of 15 bytes or less and from 65536mb/s on print as {@code 0b/s}, which iptables cannot read
 * back). The expiry defaults to the rate's unit as written (60000 ms for {@code 60/min}; 15000 ms
 * for a byte rate, 60000 ms with a byte burst) and is printed when it differs from the unit
 * printed. With {@code --hashlimit-rate-match} iptables divides a packet rate by its unit and
 * makes the unit the interval ({@code 5/min} becomes {@code 5/sec} every 60 seconds). The table
 * sizes are capped at 1048576 as the kernel caps them. Names are cut to 254 characters.
 *
 * <p>The kernel keeps one table per name and family: rules sharing a name share its buckets and
 * the first rule's rate, burst, mode, masks and table settings (validation warns when they
 * differ). The simulator does not model {@code -m hashlimit}.
 *
 * @param name the table's name ({@code /proc/net/ipt_hashlimit/NAME}), 1 to 254 characters
 * @param above {@code --hashlimit-above} (match over the rate) rather than {@code --hashlimit-upto}
 * @param rate the rate, as the kernel keeps it
 * @param burst packets in a burst; for a byte rate, how many times the rate's bytes a burst may
 *     take (0: none given)
 * @param mode what groups packets; empty for one bucket for all
 * @param srcMask the source prefix length grouping addresses, or {@link #WHOLE} for the whole address
 * @param dstMask the destination prefix length, or {@link #WHOLE}
 * @param htableSize buckets of the table (0: the kernel's choice), at most 1048576
 * @param htableMax entries of the table (0: eight times the size), at most 1048576
 * @param gcInterval milliseconds between garbage collections
 * @param expire milliseconds after which an idle entry goes
 * @param rateMatch {@code --hashlimit-rate-match}: match on the measured rate without limiting
 * @param rateInterval seconds over which the rate is measured with {@code rateMatch}; 0 without it
 */
public record HashlimitMatch(
    String name,
    boolean above,
    Rate rate,
    long burst,
    Set<Key> mode,
    int srcMask,
    int dstMask,
    long htableSize,
    long htableMax,
    long gcInterval,
    long expire,
    boolean rateMatch,
    long rateInterval)
    implements Match {

  /** {@code XT_HASHLIMIT_SCALE_v2}: packet rates are kept as the time between packets in microseconds. */
  public static final long SCALE = 1_000_000;
  /** The burst iptables fills in for a packet rate. */
  public static final long DEFAULT_BURST = 5;
  /** The largest packet burst iptables takes. */
  public static final long MAX_BURST = 1_000_000;
  /** {@code XT_HASHLIMIT_GCINTERVAL}: the garbage collection interval iptables fills in, in ms. */
  public static final long DEFAULT_GC_INTERVAL = 1000;
  /** The kernel caps {@code --hashlimit-htable-size} and {@code --hashlimit-htable-max} at this. */
  public static final long MAX_HTABLE = 1_048_576;
  /** The longest name iptables keeps (the kernel's buffer is 255 bytes with the terminating zero). */
  public static final int MAX_NAME = 254;
  /** A mask that takes the whole address (32 bits in IPv4, 128 in IPv6), as iptables fills it in. */
  public static final int WHOLE = -1;
  /** The byte-rate expiry iptables fills in without a burst, and with one ({@code XT_HASHLIMIT_BYTE_EXPIRE*}). */
  static final long BYTE_EXPIRE = 15_000;
  static final long BYTE_EXPIRE_BURST = 60_000;
  private static final long U32 = 0xFFFF_FFFFL;

  /** What groups packets into buckets ({@code --hashlimit-mode}), in iptables-save's order. */
  public enum Key {
    SRCIP, SRCPORT, DSTIP, DSTPORT;

    /** {@code srcip}, ... as iptables names it. */
    public String text() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * A rate as the kernel keeps it: for packets the time between two packets in microseconds, for
   * bytes the cost of a 16-byte chunk ({@code 4294967295 / (bytes per second / 16 + 1)}).
   *
   * <pre>{@code
   * Rate.packets(5, RateUnit.MINUTE)   // 5/min: a packet every 12000000 microseconds
   * Rate.bytes(4096)               // 4kb/s: cost 4294967295 / 257, as iptables computes it
   * }</pre>
   *
   * @param value the period (packets) or the cost (bytes)
   * @param bytes whether it is a byte rate
   */
  public record Rate(long value, boolean bytes) {
    public Rate {
      checkArgument(value > 0, "-m hashlimit: a rate's period or cost must be positive, not %s", value);
      checkArgument(!bytes || value <= U32, "-m hashlimit: a byte rate's cost is at most 4294967295, not %s", value);
    }

    /** {@code count} packets per {@code unit}, as iptables reads {@code COUNT/UNIT}. */
    public static Rate packets(long count, RateUnit unit) {
      checkArgument(count >= 1, "-m hashlimit: a rate needs at least 1 packet, not %s", count);
      long period = SCALE * unit.seconds() / count;
      checkArgument(period > 0, "-m hashlimit: %s/%s is too fast; at most %s/%s", count, unit.text(),
          SCALE * unit.seconds(), unit.text());
      return new Rate(period, false);
    }

    /** {@code bytesPerSecond} bytes a second, as iptables reads {@code Nb/s}. */
    public static Rate bytes(long bytesPerSecond) {
      long cost = HashlimitModule.bytesToCost(bytesPerSecond);
      checkArgument(cost > 0, "-m hashlimit: %s bytes a second is too fast for the kernel", bytesPerSecond);
      return new Rate(cost, true);
    }

    /** The rate as {@code iptables-save} prints it: {@code 5/min}, {@code 4kb/s}. */
    @Override
    public String toString() {
      StringBuilder out = new StringBuilder();
      if (bytes) {
        HashlimitModule.appendBytes(out, value, 0);
      } else {
        HashlimitModule.appendRate(out, value);
      }
      return out.substring(1);
    }
  }

  public HashlimitMatch {
    checkArgument(name != null && rate != null && mode != null, "-m hashlimit: name, rate and mode must not be null");
    mode = Sets.immutableEnumSet(mode);
    checkArgument(srcMask >= WHOLE && srcMask <= HostMasks.NOT_A_PREFIX && dstMask >= WHOLE
        && dstMask <= HostMasks.NOT_A_PREFIX, "-m hashlimit: masks are prefix lengths (or WHOLE), not %s and %s",
        srcMask, dstMask);
    checkArgument(burst >= 0 && htableSize >= 0 && htableSize <= U32 && htableMax >= 0 && htableMax <= U32
        && gcInterval >= 0 && gcInterval <= U32 && expire >= 0 && expire <= U32 && rateInterval >= 0
        && rateInterval <= U32, "-m hashlimit: burst, table sizes, intervals and expiry are unsigned 32-bit numbers");
    // As the kernel keeps them (hashlimit_mt_check_common caps them).
    htableSize = Math.min(htableSize, MAX_HTABLE);
    htableMax = Math.min(htableMax, MAX_HTABLE);
    if (!rateMatch) {
      rateInterval = 0;   // iptables-save leaves it out; it means nothing without --hashlimit-rate-match
    }
  }

  /** {@code --hashlimit-upto COUNT/UNIT --hashlimit-name NAME}, burst 5, expiry one {@code unit}. */
  public static HashlimitMatch upto(long count, RateUnit unit, String name) {
    return new HashlimitMatch(name, false, Rate.packets(count, unit), DEFAULT_BURST, Set.of(), WHOLE, WHOLE, 0, 0,
        DEFAULT_GC_INTERVAL, unit.seconds() * 1000, false, 0);
  }

  /** {@code --hashlimit-above COUNT/UNIT --hashlimit-name NAME}, burst 5, expiry one {@code unit}. */
  public static HashlimitMatch above(long count, RateUnit unit, String name) {
    return upto(count, unit, name).withAbove(true);
  }

  /** {@code --hashlimit-upto Nb/s --hashlimit-name NAME}: bytes a second, no burst, expiry 15 s. */
  public static HashlimitMatch uptoBytes(long bytesPerSecond, String name) {
    return new HashlimitMatch(name, false, Rate.bytes(bytesPerSecond), 0, Set.of(), WHOLE, WHOLE, 0, 0,
        DEFAULT_GC_INTERVAL, BYTE_EXPIRE, false, 0);
  }

  /** {@code --hashlimit-above Nb/s --hashlimit-name NAME}. */
  public static HashlimitMatch aboveBytes(long bytesPerSecond, String name) {
    return uptoBytes(bytesPerSecond, name).withAbove(true);
  }

  /** This match going over ({@code true}) or up to the rate. */
  public HashlimitMatch withAbove(boolean above) {
    return new HashlimitMatch(name, above, rate, burst, mode, srcMask, dstMask, htableSize, htableMax, gcInterval,
        expire, rateMatch, rateInterval);
  }

  /** This match with a burst of {@code burst} packets (a packet rate). */
  public HashlimitMatch withBurst(long burst) {
    checkArgument(!rate.bytes(), "-m hashlimit: a byte rate's burst is in bytes; use withBurstBytes");
    return new HashlimitMatch(name, above, rate, burst, mode, srcMask, dstMask, htableSize, htableMax, gcInterval,
        expire, rateMatch, rateInterval);
  }

  /**
   * This byte-rate match with a burst of {@code bytes}, as iptables reads {@code --hashlimit-burst}
   * for it: rounded up to whole multiples of the rate, and the expiry of 15 s becomes 60 s.
   */
  public HashlimitMatch withBurstBytes(long bytes) {
    checkArgument(rate.bytes(), "-m hashlimit: a packet rate's burst is in packets; use withBurst");
    long unit = HashlimitModule.costToBytes(rate.value());
    checkArgument(bytes >= unit, "-m hashlimit: the burst must be at least the rate's %s bytes, not %s", unit, bytes);
    long n = bytes / unit + (bytes % unit != 0 ? 1 : 0);
    return new HashlimitMatch(name, above, rate, n, mode, srcMask, dstMask, htableSize, htableMax, gcInterval,
        expire == BYTE_EXPIRE ? BYTE_EXPIRE_BURST : expire, rateMatch, rateInterval);
  }

  /** This match grouping packets by {@code keys}. */
  public HashlimitMatch withMode(Key first, Key... rest) {
    return new HashlimitMatch(name, above, rate, burst, EnumSet.of(first, rest), srcMask, dstMask, htableSize,
        htableMax, gcInterval, expire, rateMatch, rateInterval);
  }

  /** This match grouping addresses by the prefix lengths given ({@link #WHOLE} for the whole address). */
  public HashlimitMatch withMasks(int srcMask, int dstMask) {
    return new HashlimitMatch(name, above, rate, burst, mode, srcMask, dstMask, htableSize, htableMax, gcInterval,
        expire, rateMatch, rateInterval);
  }

  /** This match with the table settings given (sizes 0 for the kernel's choice; times in ms). */
  public HashlimitMatch withTable(long htableSize, long htableMax, long gcInterval, long expire) {
    return new HashlimitMatch(name, above, rate, burst, mode, srcMask, dstMask, htableSize, htableMax, gcInterval,
        expire, rateMatch, rateInterval);
  }

  /**
   * This match with {@code --hashlimit-rate-match} over {@code seconds}. The rate is kept as it is:
   * iptables reads {@code --hashlimit-upto 5/min --hashlimit-rate-match} as
   * {@code upto(5, RateUnit.SECOND, name).withTable(0, 0, 1000, 60000).withRateMatch(60)} (5/sec over 60 s).
   */
  public HashlimitMatch withRateMatch(long seconds) {
    return new HashlimitMatch(name, above, rate, burst, mode, srcMask, dstMask, htableSize, htableMax, gcInterval,
        expire, true, seconds);
  }

  @Override
  public String module() {
    return "hashlimit";
  }

  /** Whether the kernel's table for this rule's name is made the same way as {@code other}'s. */
  boolean sameTable(HashlimitMatch other) {
    return rate.equals(other.rate) && burst == other.burst && mode.equals(other.mode) && srcMask == other.srcMask
        && dstMask == other.dstMask && htableSize == other.htableSize && htableMax == other.htableMax
        && gcInterval == other.gcInterval && expire == other.expire && rateMatch == other.rateMatch
        && rateInterval == other.rateInterval;
  }

  /** The mask's prefix length in {@code family} ({@link #WHOLE} is the family's width). */
  static int maskLength(int mask, IpFamily family) {
    return mask == WHOLE ? family.bits() : mask;
  }

  /** {@code -m hashlimit}: iptables' {@code extensions/libxt_hashlimit.c} (revision 3), as iptables-nft 1.8.9 reads it. */
  static final class HashlimitModule extends MatchModule<HashlimitMatch> {
    static final HashlimitModule INSTANCE = new HashlimitModule();

    private static final List<String> OPTIONS = List.of("--hashlimit-upto", "--hashlimit-above", "--hashlimit",
        "--hashlimit-srcmask", "--hashlimit-dstmask", "--hashlimit-burst", "--hashlimit-htable-size",
        "--hashlimit-htable-max", "--hashlimit-htable-gcinterval", "--hashlimit-htable-expire", "--hashlimit-mode",
        "--hashlimit-name", "--hashlimit-rate-match", "--hashlimit-rate-interval");
    private static final Set<String> FLAGS = Set.of("--hashlimit-rate-match");
    /** The units of a packet rate, as iptables matches a prefix of them, and their seconds. */
    private static final List<String> UNIT_WORDS = List.of("second", "minute", "hour", "day");
    private static final long[] UNIT_SECONDS = {1, 60, 60 * 60, 24 * 60 * 60};
    /** print_rate's units, largest first. */
    private static final String[] RATE_NAMES = {"day", "hour", "min", "sec"};
    private static final long[] RATE_MULTS = {SCALE * 24 * 60 * 60, SCALE * 60 * 60, SCALE * 60, SCALE};
    /** print_bytes' units. */
    private static final String[] BYTE_NAMES = {"m", "k", ""};
    private static final long[] BYTE_THRESHOLDS = {1024 * 1024, 1024, 1};
    /**
     * {@code HZ * CREDITS_PER_JIFFY / XT_HASHLIMIT_SCALE_v2} of the kernel's user2credits: the same
     * for HZ 250 and 1000 (the kernels of common distributions and this one); HZ 100 and 300 differ.
     */
    static final long CREDITS_FACTOR = 137_438_953L;

    private HashlimitModule() {
      super("hashlimit", HashlimitMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    String canonical(String option) {
      if (option.equals("--hashlimit")) {
        return "--hashlimit-upto";   // the old name
      }
      return super.canonical(option);
    }

    @Override
    Set<String> flags() {
      return FLAGS;
    }

    @Override
    boolean negatable(String option) {
      return option.equals("--hashlimit-upto") || option.equals("--hashlimit-above");
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "hashlimit", at, rule) {
        private Token rateArg;
        private boolean above;
        private long avg;
        private boolean bytes;
        /** The rate's unit in seconds (15 for a byte rate): the default expiry and rate interval. */
        private long mult = 1;
        private Token burstArg;
        private long burstValue;
        private final Set<Key> mode = EnumSet.noneOf(Key.class);
        private int srcMask = WHOLE;
        private int dstMask = WHOLE;
        private long size;
        private long max;
        private long gc = DEFAULT_GC_INTERVAL;
        private long expire = -1;
        private long interval;
        private String tableName;

        @Override
        void value(String option, Token optionToken, Token arg) {
          String text = arg.text();
          switch (option) {
            case "--hashlimit-upto", "--hashlimit-above" -> {
              String other = option.equals("--hashlimit-upto") ? "--hashlimit-above" : "--hashlimit-upto";
              if (given.containsKey(other)) {
                throw error(optionToken, "-m hashlimit: " + optionToken.text() + " cannot be given with " + other);
              }
              above = option.equals("--hashlimit-above") != optionNegated;
              rate(arg, optionToken.text());
            }
            case "--hashlimit-burst" -> {
              burstArg = arg;
              burstValue = burst(arg);
            }
            case "--hashlimit-mode" -> mode(arg);
            case "--hashlimit-srcmask" -> srcMask = mask(arg, option);
            case "--hashlimit-dstmask" -> dstMask = mask(arg, option);
            case "--hashlimit-htable-size" -> size = u32(arg, option);
            case "--hashlimit-htable-max" -> max = u32(arg, option);
            case "--hashlimit-htable-gcinterval" -> gc = u32(arg, option);
            case "--hashlimit-htable-expire" -> expire = u32(arg, option);
            case "--hashlimit-name" -> {
              if (text.isEmpty()) {
                throw error(arg, "-m hashlimit: --hashlimit-name is empty; expected a name of 1 to " + MAX_NAME
                    + " characters");
              }
              tableName = cut(text, MAX_NAME);
            }
            case "--hashlimit-rate-match" -> { }
            case "--hashlimit-rate-interval" -> {
              long v = atoi(text);
              if (v <= 0) {
                throw error(arg, "-m hashlimit: bad value " + quoted(text) + " for --hashlimit-rate-interval;"
                    + " expected a number of seconds from 1 to 2147483647");
              }
              interval = v;
            }
            default -> throw new AssertionError(option);
          }
        }

        /** parse_bytes, then parse_rate of libxt_hashlimit.c. */
        private void rate(Token arg, String option) {
          String text = arg.text();
          int b = text.indexOf("b/s");
          if (b > 0) {
            long r = atoll(text);
            if (r != 0) {
              char unit = text.charAt(b - 1);
              long factor = unit == 'm' ? 1024 * 1024 : unit == 'k' ? 1024 : 1;
              long cost = bytesToCost(r * factor);
              if (cost <= 0) {
                throw error(arg, "-m hashlimit: " + option + " " + text + ": rate too high; the kernel counts"
                    + " bytes in 16-byte chunks, at most 68719476719b/s");
              }
              avg = cost;
              bytes = true;
              mult = BYTE_EXPIRE / 1000;
              rateArg = arg;
              return;
            }
          }
          int slash = text.indexOf('/');
          long m = 1;
          if (slash >= 0) {
            String unit = text.substring(slash + 1).toLowerCase(Locale.ROOT);
            m = -1;
            for (int i = 0; i < UNIT_WORDS.size() && !unit.isEmpty(); i++) {
              if (UNIT_WORDS.get(i).startsWith(unit)) {
                m = UNIT_SECONDS[i];
                break;
              }
            }
          }
          long r = atoll(text);
          if (m < 0 || r == 0) {
            throw error(arg, "-m hashlimit: bad rate " + quoted(text) + " for " + option + "; expected N/second,"
                + " N/minute, N/hour or N/day (a unit may be shortened, as in 5/s; without one it is per second),"
                + " or bytes as Nb/s, Nkb/s or Nmb/s, with N from 1");
          }
          long period = Long.divideUnsigned(SCALE * m, r);
          if (period == 0) {
            throw error(arg, "-m hashlimit: " + option + " " + text + ": rate too fast; the kernel counts at most "
                + SCALE * m + " packets a " + (m == 1 ? "second" : UNIT_WORDS.get(m == 60 ? 1 : m == 3600 ? 2 : 3)));
          }
          avg = period;
          bytes = false;
          mult = m;
          rateArg = arg;
        }

        /** parse_burst: a number from 1 (base 0), then k or m multiplies it. */
        private long burst(Token arg) {
          String text = arg.text();
          long[] r = HostMasks.Strtoul.prefix(text);
          boolean plain = r != null && r[1] == text.length();
          if (r == null || r[0] == 0 || plain && Long.compareUnsigned(r[0], MAX_BURST) > 0) {
            throw error(arg, "-m hashlimit: bad value " + quoted(text) + " for --hashlimit-burst; expected a number"
                + " of packets from 1 to " + MAX_BURST + ", or bytes as N, Nkb or Nmb for a byte rate");
          }
          char suffix = plain ? 0 : text.charAt((int) r[1]);
          return r[0] * (suffix == 'm' ? 1024 * 1024 : suffix == 'k' ? 1024 : 1);
        }

        /** parse_mode: srcip, srcport, dstip and dstport, separated by commas or '|'. */
        private void mode(Token arg) {
          for (String word : arg.text().split("[,|]", -1)) {
            if (word.isEmpty()) {
              continue;
            }
            Key key = null;
            for (Key k : Key.values()) {
              if (k.text().equals(word)) {
                key = k;
              }
            }
            if (key == null) {
              throw error(arg, "-m hashlimit: bad mode " + quoted(word) + " in --hashlimit-mode " + arg.text()
                  + "; expected srcip, srcport, dstip or dstport, separated by commas");
            }
            mode.add(key);
          }
        }

        private int mask(Token arg, String option) {
          int length = HostMasks.prefixLength(rule.family(), arg.text());
          if (length < 0) {
            throw error(arg, "-m hashlimit: bad value " + quoted(arg.text()) + " for " + option + "; expected a"
                + " prefix length from 0 to " + rule.family().bits() + " or a mask such as "
                + (rule.family() == IpFamily.V4 ? "255.255.255.0" : "ffff:ffff::"));
          }
          return length == rule.family().bits() ? WHOLE : length;
        }

        private long u32(Token arg, String option) {
          long v = HostMasks.Strtoul.parse(arg.text(), U32);
          if (v < 0) {
            throw error(arg, "-m hashlimit: bad value " + quoted(arg.text()) + " for " + option
                + "; expected a number from 0 to 4294967295");
          }
          return v;
        }

        @Override
        Match finish() {
          if (rateArg == null) {
            throw error(at, "-m hashlimit needs --hashlimit-upto or --hashlimit-above with a rate (5/sec, 4kb/s)");
          }
          if (tableName == null) {
            throw error(at, "-m hashlimit needs --hashlimit-name NAME");
          }
          long burst;
          if (bytes) {
            // hashlimit_mt_check: the burst in bytes becomes whole multiples of the rate's bytes.
            burst = 0;
            if (burstArg != null) {
              long unit = costToBytes(avg);
              if (Long.compareUnsigned(burstValue, unit) < 0) {
                throw error(burstArg, "-m hashlimit: --hashlimit-burst " + burstArg.text() + " is below the rate's "
                    + unit + " bytes; expected a burst of at least " + unit + "b");
              }
              burst = Long.divideUnsigned(burstValue & U32, unit) & U32;
              if (Long.remainderUnsigned(burstValue, unit) != 0) {
                burst = (burst + 1) & U32;
              }
              if (expire < 0) {
                expire = BYTE_EXPIRE_BURST;
              }
            }
          } else {
            burst = burstArg == null ? DEFAULT_BURST : burstValue;
            if (Long.compareUnsigned(burst, MAX_BURST) > 0) {
              throw error(burstArg, "-m hashlimit: --hashlimit-burst " + burstArg.text() + " is "
                  + Long.toUnsignedString(burst) + " packets; expected 1 to " + MAX_BURST);
            }
          }
          if (expire < 0) {
            expire = mult * 1000;
          }
          boolean rateMatch = given.containsKey("--hashlimit-rate-match");
          long period = avg;
          if (rateMatch) {
            if (!bytes) {
              period = avg / mult;
              if (period == 0) {
                throw error(rateArg, "-m hashlimit --hashlimit-rate-match: " + rateArg.text() + " is more than "
                    + SCALE + " packets a second once iptables divides it by its unit; the kernel refuses it");
              }
            }
            if (interval == 0) {
              interval = bytes ? 1 : mult;
            }
          }
          return new HashlimitMatch(tableName, above, new Rate(period, bytes), burst, mode, srcMask, dstMask, size,
              max, gc, expire, rateMatch, interval);
        }
      };
    }

    /** {@code name} as iptables keeps it: at most {@code max} bytes of UTF-8 (whole characters). */
    static String cut(String name, int max) {
      int bytes = 0;
      for (int i = 0; i < name.length(); ) {
        int cp = name.codePointAt(i);
        int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (bytes + n > max) {
          return name.substring(0, i);
        }
        bytes += n;
        i += Character.charCount(cp);
      }
      return name;
    }

    /** glibc's {@code atoll}: blanks, a sign, decimal digits; saturating. */
    static long atoll(String text) {
      int i = 0;
      int n = text.length();
      while (i < n && HostMasks.Strtoul.isSpace(text.charAt(i))) {
        i++;
      }
      boolean negative = false;
      if (i < n && (text.charAt(i) == '+' || text.charAt(i) == '-')) {
        negative = text.charAt(i) == '-';
        i++;
      }
      long value = 0;
      while (i < n && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
        int d = text.charAt(i) - '0';
        if (value > (Long.MAX_VALUE - d) / 10) {
          return negative ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        value = value * 10 + d;
        i++;
      }
      return negative ? -value : value;
    }

    /** glibc's {@code atoi}: {@code (int) strtol}. */
    static long atoi(String text) {
      return (int) atoll(text);
    }

    /** bytes_to_cost: {@code UINT32_MAX / ((uint32_t) (bytes >> 4) + 1)}; -1 where iptables divides by zero. */
    static long bytesToCost(long bytes) {
      long chunks = (bytes >>> 4) & U32;
      return chunks == U32 ? -1 : U32 / (chunks + 1);
    }

    /** cost_to_bytes: the bytes a second a cost stands for. */
    static long costToBytes(long cost) {
      long r = cost != 0 ? Long.divideUnsigned(U32, cost) : U32;
      return (r - 1) << 4;
    }

    /** print_rate: " N/UNIT"; returns the unit printed in milliseconds. */
    static long appendRate(StringBuilder out, long period) {
      int i = 1;
      while (i < RATE_MULTS.length) {
        long mult = RATE_MULTS[i];
        if (period > mult || mult / period < mult % period) {
          break;
        }
        i++;
      }
      out.append(' ').append(RATE_MULTS[i - 1] / period).append('/').append(RATE_NAMES[i - 1]);
      return RATE_MULTS[i - 1] / SCALE * 1000;
    }

    /** print_bytes: " Nb/s" and, with a burst, " --hashlimit-burst Nb"; returns the expiry iptables fills in. */
    static long appendBytes(StringBuilder out, long cost, long burst) {
      long r = costToBytes(cost);
      int i = 0;
      while (i < BYTE_THRESHOLDS.length - 1) {
        long thresh = BYTE_THRESHOLDS[i];
        // ~(thresh - 1) is a 32-bit mask in C: it also clears the bits above 32.
        if (Long.compareUnsigned(r, thresh) >= 0 && bytesToCost(r & (~(thresh - 1) & U32)) == cost) {
          break;
        }
        i++;
      }
      out.append(' ').append(Long.toUnsignedString(Long.divideUnsigned(r, BYTE_THRESHOLDS[i])))
          .append(BYTE_NAMES[i]).append("b/s");
      if (burst == 0) {
        return BYTE_EXPIRE;
      }
      r *= burst;
      i = 0;
      while (i < BYTE_THRESHOLDS.length - 1 && Long.compareUnsigned(r, BYTE_THRESHOLDS[i]) < 0) {
        i++;
      }
      out.append(" --hashlimit-burst ").append(Long.toUnsignedString(Long.divideUnsigned(r, BYTE_THRESHOLDS[i])))
          .append(BYTE_NAMES[i]).append('b');
      return BYTE_EXPIRE_BURST;
    }

    @Override
    void write(HashlimitMatch m, StringBuilder out) {
      out.append(m.above() ? " --hashlimit-above" : " --hashlimit-upto");
      long quantum;
      if (m.rate().bytes()) {
        quantum = appendBytes(out, m.rate().value(), m.burst());
      } else {
        quantum = appendRate(out, m.rate().value());
        out.append(" --hashlimit-burst ").append(m.burst());
      }
      if (!m.mode().isEmpty()) {
        out.append(" --hashlimit-mode ");
        String sep = "";
        for (Key k : m.mode()) {
          out.append(sep).append(k.text());
          sep = ",";
        }
      }
      out.append(" --hashlimit-name ").append(m.name());
      if (m.htableSize() != 0) {
        out.append(" --hashlimit-htable-size ").append(m.htableSize());
      }
      if (m.htableMax() != 0) {
        out.append(" --hashlimit-htable-max ").append(m.htableMax());
      }
      if (m.gcInterval() != DEFAULT_GC_INTERVAL) {
        out.append(" --hashlimit-htable-gcinterval ").append(m.gcInterval());
      }
      if (m.expire() != quantum) {
        out.append(" --hashlimit-htable-expire ").append(m.expire());
      }
      if (m.srcMask() != WHOLE) {
        out.append(" --hashlimit-srcmask ").append(m.srcMask());
      }
      if (m.dstMask() != WHOLE) {
        out.append(" --hashlimit-dstmask ").append(m.dstMask());
      }
      if (m.rateMatch()) {
        out.append(" --hashlimit-rate-match");
        if (m.rateInterval() != 1) {
          out.append(" --hashlimit-rate-interval ").append(m.rateInterval());
        }
      }
    }

    @Override
    void check(HashlimitMatch m, RuleContext rule, Findings findings) {
      String what = "-m hashlimit --hashlimit-name " + TextChecks.escape(m.name());
      checkProcName("hashlimit-name", m.name(), MAX_NAME, what, findings);
      long avg = m.rate().value();
      if (m.rateMatch()) {
        if (avg > U32) {
          findings.error("hashlimit-rate", what + ": with --hashlimit-rate-match the rate " + m.rate()
              + " is too slow (period " + avg + " µs, at most 4294967295); the kernel refuses it");
        }
        if (m.rateInterval() == 0) {
          findings.error("hashlimit-rate-interval", what + ": --hashlimit-rate-interval is 0; the kernel needs 1"
              + " second or more");
        }
      } else if (m.rate().bytes()) {
        if (avg <= 1) {
          findings.error("hashlimit-rate", what + ": the byte rate (cost " + avg + ") is too high for the kernel,"
              + " which refuses rates of 32768mb/s and more");
        }
      } else if (m.burst() == 0) {
        findings.error("hashlimit-burst", what + ": --hashlimit-burst 0; the kernel refuses an empty bucket");
      } else if (Long.compareUnsigned(avg * m.burst() * CREDITS_FACTOR, avg * CREDITS_FACTOR) < 0) {
        findings.error("hashlimit-burst", what + ": " + m.rate() + " with --hashlimit-burst " + m.burst()
            + " overflows the kernel's token bucket (the period times the burst is too long); the kernel refuses"
            + " it (Numerical result out of range): lower the burst or raise the rate");
      }
      if (!m.rate().bytes() && Long.compareUnsigned(m.burst(), MAX_BURST) > 0) {
        findings.error("hashlimit-burst", what + ": --hashlimit-burst " + m.burst() + " is above " + MAX_BURST
            + "; iptables refuses it");
      }
      if (m.rate().bytes() && costToBytes(avg) == 0) {
        findings.warning("hashlimit-rate-unreadable", what + ": the byte rate is printed as 0b/s, which iptables"
            + " cannot read back (a rate of 15 bytes a second or less, or 65536mb/s or more, wraps to it)");
      }
      if (m.gcInterval() == 0 || m.expire() == 0) {
        findings.error("hashlimit-table", what + ": --hashlimit-htable-" + (m.gcInterval() == 0 ? "gcinterval" : "expire")
            + " is 0; the kernel needs 1 millisecond or more");
      }
      if (m.srcMask() == WHOLE && m.dstMask() == WHOLE) {
        return;
      }
      if (rule.family == null) {
        findings.warning("hashlimit-context", "checked in its chain");
        return;
      }
      int bits = rule.family.bits();
      for (int i = 0; i < 2; i++) {
        int mask = i == 0 ? m.srcMask() : m.dstMask();
        String option = i == 0 ? "--hashlimit-srcmask" : "--hashlimit-dstmask";
        if (mask > bits) {
          findings.error("hashlimit-mask", what + ": " + option + " " + (mask == HostMasks.NOT_A_PREFIX
              ? "is a mask whose ones do not come first" : mask + " is longer than the " + bits + " bits of an "
              + (rule.family == IpFamily.V4 ? "IPv4" : "IPv6") + " address") + "; the kernel refuses it");
        } else if (mask == bits) {
          findings.warning("hashlimit-mask", what + ": " + option + " " + mask + " is the whole address;"
              + " iptables-save leaves it out (use HashlimitMatch.WHOLE)");
        }
      }
    }

    /**
     * The kernel's xt_check_proc_name (the name of a /proc file, at most {@code max} bytes), and
     * what a restore line can carry.
     */
    static void checkProcName(String code, String name, int max, String what, Findings findings) {
      int bytes = name.getBytes(StandardCharsets.UTF_8).length;
      if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0) {
        findings.error(code, what + ": the kernel names a /proc file after it and refuses an empty name,"
            + " \".\", \"..\" and names with '/'");
      } else if (bytes > max) {
        findings.error(code, what + ": the name is " + bytes + " bytes; the kernel takes at most " + max);
      } else {
        TextChecks.checkText(findings, what, name);
        for (int i = 0; i < name.length(); i++) {
          char c = name.charAt(i);
          if (c == ' ' || c == '"' || c == '\'' || c == '\\' || c == '\t') {
            findings.warning("name-unreadable", what + ": iptables-save prints the name bare, and "
                + TextChecks.describe(c) + " in it does not read back");
            break;
          }
        }
      }
    }
  }
}
