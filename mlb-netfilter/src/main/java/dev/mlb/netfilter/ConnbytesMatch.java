package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import java.util.List;
import java.util.Locale;

/**
 * {@code -m connbytes}: matches on how many packets or bytes (or the average packet size) a
 * connection has carried so far, in one direction or both.
 *
 * <pre>{@code
 * ConnbytesMatch.range(0, 1000, Mode.PACKETS, Direction.ORIGINAL)
 *     // -m connbytes --connbytes 0:1000 --connbytes-mode packets --connbytes-dir original
 * ConnbytesMatch.atLeast(500_000, Mode.BYTES, Direction.BOTH)
 *     // -m connbytes --connbytes 500000 --connbytes-mode bytes --connbytes-dir both
 * }</pre>
 *
 * <p>The kernel keeps {@code from} and {@code to} as unsigned 64-bit numbers ({@code to} is
 * 18446744073709551615, written {@code -1L} here, when no upper bound was given); a negated range is
 * kept with the two swapped, and {@code iptables-save} prints it as {@code ! --connbytes TO:FROM}
 * ({@code print_from_to} of {@code extensions/libxt_connbytes.c}). It leaves out the upper bound when
 * it is 0 or the largest number. The simulator does not model {@code -m connbytes}.
 *
 * @param from the kernel's lower bound (unsigned)
 * @param to the kernel's upper bound (unsigned); below {@code from} for a negated range
 * @param mode what is counted
 * @param direction which direction's counters
 */
public record ConnbytesMatch(long from, long to, Mode mode, Direction direction) implements Match {

  /** What {@code --connbytes-mode} counts. */
  public enum Mode {
    PACKETS, BYTES, AVGPKT;

    /** {@code packets}, {@code bytes} or {@code avgpkt}. */
    public String text() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Which counters {@code --connbytes-dir} looks at. */
  public enum Direction {
    ORIGINAL, REPLY, BOTH;

    /** {@code original}, {@code reply} or {@code both}. */
    public String text() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public ConnbytesMatch {
    checkArgument(mode != null, "-m connbytes: the mode is null");
    checkArgument(direction != null, "-m connbytes: the direction is null");
  }

  /** {@code --connbytes FROM:TO}, both included. */
  public static ConnbytesMatch range(long from, long to, Mode mode, Direction direction) {
    checkArgument(Long.compareUnsigned(from, to) <= 0, "-m connbytes: %s should be less than %s",
        Long.toUnsignedString(from), Long.toUnsignedString(to));
    return new ConnbytesMatch(from, to, mode, direction);
  }

  /** {@code --connbytes FROM}: from {@code from} on, without an upper bound. */
  public static ConnbytesMatch atLeast(long from, Mode mode, Direction direction) {
    return new ConnbytesMatch(from, -1L, mode, direction);
  }

  /** Whether the range is negated ({@code ! --connbytes}): the kernel's {@code from} is above its {@code to}. */
  public boolean negated() {
    return Long.compareUnsigned(from, to) > 0;
  }

  /** The negated range ({@code ! --connbytes}). */
  public ConnbytesMatch negate() {
    return new ConnbytesMatch(to, from, mode, direction);
  }

  @Override
  public String module() {
    return "connbytes";
  }

  /** {@code -m connbytes}: iptables' {@code extensions/libxt_connbytes.c}, as iptables-nft 1.8.9 reads it. */
  static final class ConnbytesModule extends MatchModule<ConnbytesMatch> {
    static final ConnbytesModule INSTANCE = new ConnbytesModule();

    private static final List<String> OPTIONS = List.of("--connbytes", "--connbytes-dir", "--connbytes-mode");

    private ConnbytesModule() {
      super("connbytes", ConnbytesMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    boolean negatable(String option) {
      return option.equals("--connbytes");
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "connbytes", at, rule) {
        private long from;
        private long to;
        private Mode mode;
        private Direction direction;

        @Override
        void value(String option, Token optionToken, Token arg) {
          switch (option) {
            case "--connbytes" -> {
              String text = arg.text();
              int colon = text.indexOf(':');
              if (colon < 0) {
                from = number(arg, text);
                to = -1L;
              } else {
                String a = text.substring(0, colon);
                String b = text.substring(colon + 1);
                from = a.isEmpty() ? 0 : number(arg, a);
                to = b.isEmpty() ? -1L : number(arg, b);
              }
              if (Long.compareUnsigned(from, to) > 0) {
                throw error(arg, "-m connbytes: --connbytes " + text + ": " + Long.toUnsignedString(from)
                    + " should be less than " + Long.toUnsignedString(to));
              }
              if (optionNegated) {
                long t = from;
                from = to;
                to = t;
              }
            }
            case "--connbytes-mode" -> mode = word(arg, option, Mode.values());
            default -> direction = word(arg, option, Direction.values());
          }
        }

        private <E extends Enum<E>> E word(Token arg, String option, E[] values) {
          for (E e : values) {
            if (e.name().toLowerCase(Locale.ROOT).equals(arg.text())) {
              return e;
            }
          }
          StringBuilder names = new StringBuilder();
          for (E e : values) {
            names.append(names.length() == 0 ? "" : ", ").append(e.name().toLowerCase(Locale.ROOT));
          }
          throw error(arg, "-m connbytes: unknown " + option + " " + quoted(arg.text()) + "; expected one of " + names);
        }

        /** An unsigned 64-bit number as strtoull(s, &end, 0) reads it. */
        private long number(Token arg, String text) {
          int radix = 10;
          String digits = text;
          if (text.length() > 2 && (text.startsWith("0x") || text.startsWith("0X"))) {
            radix = 16;
            digits = text.substring(2);
          } else if (text.length() > 1 && text.startsWith("0")) {
            radix = 8;
            digits = text.substring(1);
          }
          boolean ok = !digits.isEmpty();
          for (int i = 0; i < digits.length() && ok; i++) {
            ok = Character.digit(digits.charAt(i), radix) >= 0 && digits.charAt(i) < 128;
          }
          if (ok) {
            try {
              return Long.parseUnsignedLong(digits, radix);
            } catch (NumberFormatException e) {
              ok = false;
            }
          }
          throw error(arg, "-m connbytes: bad value " + quoted(text) + " in --connbytes " + arg.text()
              + "; expected FROM[:TO], numbers from 0 to 18446744073709551615");
        }

        @Override
        Match finish() {
          require("--connbytes");
          require("--connbytes-mode");
          require("--connbytes-dir");
          return new ConnbytesMatch(from, to, mode, direction);
        }
      };
    }

    @Override
    void write(ConnbytesMatch m, StringBuilder out) {
      long from = m.negated() ? m.to() : m.from();
      long to = m.negated() ? m.from() : m.to();
      out.append(m.negated() ? " ! --connbytes " : " --connbytes ").append(Long.toUnsignedString(from));
      if (to != 0 && to != -1L) {
        out.append(':').append(Long.toUnsignedString(to));
      }
      out.append(" --connbytes-mode ").append(m.mode().text());
      out.append(" --connbytes-dir ").append(m.direction().text());
    }
  }
}
