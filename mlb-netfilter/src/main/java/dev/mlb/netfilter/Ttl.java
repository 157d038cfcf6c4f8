package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Numbers;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;

/**
 * {@code -j TTL --ttl-set N | --ttl-dec N | --ttl-inc N}: sets, decrements or increments the
 * IPv4 TTL and goes on with the next rule. Only in the mangle table of IPv4 ({@link HopLimit} is
 * IPv6's).
 *
 * <pre>{@code
 * Ttl.set(64)          // -j TTL --ttl-set 64
 * Ttl.decrement(1)     // -j TTL --ttl-dec 1
 * Ttl.increment(1)     // -j TTL --ttl-inc 1
 * }</pre>
 *
 * <p>iptables takes 0 to 255 for {@code --ttl-set} and 1 to 255 for the others (decimal, 0x hex or
 * 0 octal); {@code iptables-save} prints the number in decimal.
 *
 * @param mode set, decrement or increment
 * @param value the TTL to set, or the step
 */
public record Ttl(Mode mode, int value) implements Target {

  /** What the target does with the field. */
  public enum Mode {
    SET("set", 0),
    DECREMENT("dec", 1),
    INCREMENT("inc", 1);

    private final String suffix;
    private final int min;

    Mode(String suffix, int min) {
      this.suffix = suffix;
      this.min = min;
    }

    /** {@code set}, {@code dec} or {@code inc}, as in {@code --ttl-set}. */
    public String suffix() {
      return suffix;
    }

    /** The smallest value iptables takes: 0 to set, 1 to step. */
    public int min() {
      return min;
    }
  }

  public Ttl {
    checkValue("TTL", mode, value);
  }

  static void checkValue(String name, Mode mode, int value) {
    checkArgument(mode != null, "-j %s: the mode is null", name);
    checkArgument(value >= mode.min() && value <= 255, "-j %s --%s-%s %s is outside %s to 255", name,
        name.toLowerCase(Locale.ROOT), mode.suffix(), value, mode.min());
  }

  public static Ttl set(int ttl) {
    return new Ttl(Mode.SET, ttl);
  }

  public static Ttl decrement(int by) {
    return new Ttl(Mode.DECREMENT, by);
  }

  public static Ttl increment(int by) {
    return new Ttl(Mode.INCREMENT, by);
  }

  @Override
  public String name() {
    return "TTL";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /**
   * {@code -j TTL} and {@code -j HL}: iptables' {@code extensions/libipt_TTL.c} and
   * {@code libip6t_HL.c}, as iptables-nft 1.8.9 reads them.
   */
  static final class HeaderFieldModule<T extends Target> extends TargetModule<T> {
    static final HeaderFieldModule<Ttl> TTL =
        new HeaderFieldModule<>("TTL", "--ttl-", IpFamily.V4, Ttl.class, Ttl::new);
    static final HeaderFieldModule<HopLimit> HL =
        new HeaderFieldModule<>("HL", "--hl-", IpFamily.V6, HopLimit.class, HopLimit::new);

    private final String prefix;
    private final IpFamily family;
    private final List<String> options;
    private final BiFunction<Mode, Integer, T> make;

    private HeaderFieldModule(String name, String prefix, IpFamily family, Class<T> type,
        BiFunction<Mode, Integer, T> make) {
      super(name, List.of(type));
      this.prefix = prefix;
      this.family = family;
      this.options = List.of(prefix + "set", prefix + "dec", prefix + "inc");
      this.make = make;
    }

    @Override
    List<String> options() {
      return options;
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      if (rule.family() != family) {
        throw rule.error(at, "-j " + name() + " is only for " + (family == IpFamily.V4
            ? "IPv4 (IPv6 has -j HL)" : "IPv6 (IPv4 has -j TTL)"));
      }
      return new Reader(this, at, rule) {
        private T target;
        private Token first;

        @Override
        void value(Token option, Token arg) {
          if (first != null) {
            throw error(option, "-j " + name + ": option " + quoted(option.text()) + " cannot be used together with "
                + quoted(first.text()) + "; give one of " + Arguments.join(options, "or"));
          }
          first = option;
          Mode mode = Mode.values()[options.indexOf(option.text())];
          long v = Numbers.parseUnsigned(arg.text(), 255);
          if (v < mode.min()) {
            throw error(arg, "bad value " + quoted(arg.text()) + " for " + option.text() + "; expected a number from "
                + mode.min() + " to 255");
          }
          target = make.apply(mode, (int) v);
        }

        @Override
        Target finish() {
          if (target == null) {
            throw error(at, "-j " + name + " needs an action: " + Arguments.join(options, "or"));
          }
          return target;
        }
      };
    }

    @Override
    void write(T t, StringBuilder out) {
      Mode mode = t instanceof Ttl ttl ? ttl.mode() : ((HopLimit) t).mode();
      int value = t instanceof Ttl ttl ? ttl.value() : ((HopLimit) t).value();
      out.append(" -j ").append(name()).append(' ').append(prefix).append(mode.suffix()).append(' ').append(value);
    }

    @Override
    void check(T t, RuleContext rule, Findings findings) {
      Tos.checkMangle(name(), rule, findings);
      if (rule.family != family) {
        findings.error("target-family", "-j " + name() + " is only for " + (family == IpFamily.V4 ? "IPv4" : "IPv6"));
      }
    }
  }
}
