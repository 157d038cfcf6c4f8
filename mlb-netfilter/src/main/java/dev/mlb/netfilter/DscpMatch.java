package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.Numbers;
import java.util.List;
import java.util.Locale;

/**
 * {@code -m dscp [!] --dscp N | [!] --dscp-class CLASS}: matches packets whose DSCP (the upper six
 * bits of the IPv4 TOS byte or the IPv6 traffic class) is {@code dscp}.
 *
 * <pre>{@code
 * DscpMatch.of(0x2e)             // -m dscp --dscp 0x2e
 * DscpMatch.ofClass("AF41")      // -m dscp --dscp 0x22
 * DscpMatch.of(0).negate()       // -m dscp ! --dscp 0x00
 * }</pre>
 *
 * <p>iptables turns a class name into its number ({@code class_to_dscp} of iptables'
 * {@code extensions/dscp_helper.c}: CS0 to CS7, BE, AF11 to AF43, EF; any case, and a name is
 * recognised by its first letters, so {@code EFX} is EF), and {@code iptables-save} prints the
 * number as {@code 0xNN}. {@code --dscp} takes 0 to 63 (decimal, 0x hex or 0 octal).
 *
 * @param dscp the code point, 0 to 63
 * @param negated whether the match is negated
 */
public record DscpMatch(int dscp, boolean negated) implements Match {

  /** The largest code point: six bits. */
  public static final int MAX = 0x3f;

  /** The class names of {@code dscp_helper.c}, in its order (the first that matches counts). */
  static final List<String> CLASSES = List.of(
      "CS0", "CS1", "CS2", "CS3", "CS4", "CS5", "CS6", "CS7", "BE", "AF11", "AF12", "AF13", "AF21", "AF22",
      "AF23", "AF31", "AF32", "AF33", "AF41", "AF42", "AF43", "EF");
  private static final int[] CLASS_VALUES = {
      0x00, 0x08, 0x10, 0x18, 0x20, 0x28, 0x30, 0x38, 0x00, 0x0a, 0x0c, 0x0e, 0x12, 0x14,
      0x16, 0x1a, 0x1c, 0x1e, 0x22, 0x24, 0x26, 0x2e};

  public DscpMatch {
    checkArgument(dscp >= 0 && dscp <= MAX, "-m dscp: %s is outside 0 to 63", dscp);
  }

  /** {@code --dscp N}. */
  public static DscpMatch of(int dscp) {
    return new DscpMatch(dscp, false);
  }

  /** {@code --dscp-class CLASS}: the class's code point (see {@link #classValue}). */
  public static DscpMatch ofClass(String name) {
    return new DscpMatch(classValue(name), false);
  }

  /** This match negated, or not negated if it was. */
  public DscpMatch negate() {
    return new DscpMatch(dscp, !negated);
  }

  /**
   * The code point of a DiffServ class name as iptables reads it (CS0-CS7, BE, AF11-AF43, EF, any
   * case; the first class whose name {@code name} starts with).
   *
   * @throws IllegalArgumentException if no class matches
   */
  public static int classValue(String name) {
    int v = classOrMinusOne(name);
    checkArgument(v >= 0, "unknown DSCP class %s; expected one of %s", name, CLASSES);
    return v;
  }

  static int classOrMinusOne(String name) {
    String upper = name.toUpperCase(Locale.ROOT);
    for (int i = 0; i < CLASSES.size(); i++) {
      if (upper.startsWith(CLASSES.get(i))) {
        return CLASS_VALUES[i];
      }
    }
    return -1;
  }

  /** {@code --dscp N} or {@code --dscp-class CLASS} as iptables reads them; an error at {@code arg}. */
  static int parse(ModuleContext rule, Token arg, String option) {
    if (option.endsWith("-class")) {
      int v = classOrMinusOne(arg.text());
      if (v < 0) {
        throw rule.error(arg, "unknown class " + quoted(arg.text()) + " for " + option + "; expected one of "
            + String.join(", ", CLASSES));
      }
      return v;
    }
    long v = Numbers.parseUnsigned(arg.text(), MAX);
    if (v < 0) {
      throw rule.error(arg, "bad value " + quoted(arg.text()) + " for " + option
          + "; expected a number from 0 to 63 (0x3f)");
    }
    return (int) v;
  }

  @Override
  public String module() {
    return "dscp";
  }

  /** {@code -m dscp}: iptables' {@code extensions/libxt_dscp.c}, as iptables-nft 1.8.9 reads it. */
  static final class DscpModule extends MatchModule<DscpMatch> {
    static final DscpModule INSTANCE = new DscpModule();

    private static final List<String> OPTIONS = List.of("--dscp", "--dscp-class");

    private DscpModule() {
      super("dscp", DscpMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "dscp", at, rule) {
        private DscpMatch dscp;

        @Override
        void value(String option, Token optionToken, Token arg) {
          if (dscp != null) {
            throw error(optionToken, "-m dscp: --dscp and --dscp-class cannot be used together; give one");
          }
          dscp = new DscpMatch(parse(rule, arg, option), optionNegated);
        }

        @Override
        Match finish() {
          if (dscp == null) {
            throw error(at, "-m dscp needs --dscp N or --dscp-class CLASS");
          }
          return dscp;
        }
      };
    }

    @Override
    void write(DscpMatch m, StringBuilder out) {
      out.append(m.negated() ? " ! --dscp " : " --dscp ");
      TosMatch.appendHex(out, m.dscp());
    }
  }
}
