package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * {@code -j CLASSIFY --set-class MAJOR:MINOR}: puts packets into a traffic-control class (sets
 * {@code skb->priority}) and goes on with the next rule. Only where packets leave: OUTPUT, FORWARD
 * and POSTROUTING.
 *
 * <pre>{@code
 * Classify.of(1, 0x10)     // -j CLASSIFY --set-class 0001:0010
 * }</pre>
 *
 * <p>iptables reads both parts as hexadecimal ({@code sscanf("%x:%x")}: an optional 0x, and it
 * ignores what follows the second number) and keeps their low 16 bits; {@code iptables-save}
 * prints them as four hex digits each.
 *
 * @param major the class's major number, 0 to 0xffff
 * @param minor the class's minor number, 0 to 0xffff
 */
public record Classify(int major, int minor) implements Target {

  private static final Set<Hook> HOOKS = EnumSet.of(Hook.OUTPUT, Hook.FORWARD, Hook.POSTROUTING);

  public Classify {
    checkArgument(major >= 0 && major <= 0xffff && minor >= 0 && minor <= 0xffff,
        "-j CLASSIFY: %s:%s is outside 0:0 to ffff:ffff", major, minor);
  }

  public static Classify of(int major, int minor) {
    return new Classify(major, minor);
  }

  @Override
  public String name() {
    return "CLASSIFY";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /** The hex number {@code %x} reads at {@code from} (as an unsigned int), with its end, or null if none. */
  private static long[] hex(String s, int from) {
    int i = from;
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    boolean minus = false;
    if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      minus = s.charAt(i) == '-';
      i++;
    }
    if (i + 2 < s.length() + 1 && s.startsWith("0x", i) || s.startsWith("0X", i)) {
      if (i + 2 < s.length() && Character.digit(s.charAt(i + 2), 16) >= 0) {
        i += 2;
      }
    }
    int start = i;
    long v = 0;
    boolean overflow = false;
    while (i < s.length() && s.charAt(i) < 128 && Character.digit(s.charAt(i), 16) >= 0) {
      if (v > 0x0fff_ffff_ffff_ffffL) {
        overflow = true;
      }
      v = v * 16 + Character.digit(s.charAt(i), 16);
      i++;
    }
    if (i == start) {
      return null;
    }
    if (overflow) {
      v = -1;
    }
    if (minus) {
      v = -v;
    }
    return new long[] {v & 0xffff_ffffL, i};
  }

  /** {@code -j CLASSIFY}: iptables' {@code extensions/libxt_CLASSIFY.c}, as iptables-nft 1.8.9 reads it. */
  static final class ClassifyModule extends TargetModule<Classify> {
    static final ClassifyModule INSTANCE = new ClassifyModule();

    private static final List<String> OPTIONS = List.of("--set-class");

    private ClassifyModule() {
      super("CLASSIFY", List.of(Classify.class));
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private Classify classify;

        @Override
        void value(Token option, Token arg) {
          String s = arg.text();
          long[] major = hex(s, 0);
          long[] minor = major != null && major[1] < s.length() && s.charAt((int) major[1]) == ':'
              ? hex(s, (int) major[1] + 1) : null;
          if (minor == null) {
            throw error(arg, "bad class " + quoted(s) + " for --set-class; expected MAJOR:MINOR in hexadecimal");
          }
          classify = new Classify((int) (major[0] & 0xffff), (int) (minor[0] & 0xffff));
        }

        @Override
        Target finish() {
          if (classify == null) {
            throw error(at, "-j CLASSIFY needs --set-class MAJOR:MINOR");
          }
          return classify;
        }
      };
    }

    @Override
    void write(Classify t, StringBuilder out) {
      out.append(" -j CLASSIFY --set-class ").append(String.format("%04x:%04x", t.major(), t.minor()));
    }

    @Override
    void check(Classify t, RuleContext rule, Findings findings) {
      Set<Hook> bad = EnumSet.noneOf(Hook.class);
      for (Hook h : rule.hooks) {
        if (!HOOKS.contains(h)) {
          bad.add(h);
        }
      }
      if (!bad.isEmpty()) {
        findings.error("target-hook", "-j CLASSIFY is only valid in " + HOOKS + ", but chain " + rule.chain
            + " is reached from " + bad);
      }
    }
  }
}
