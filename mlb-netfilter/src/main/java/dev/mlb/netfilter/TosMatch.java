package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.Numbers;
import java.util.List;
import java.util.Locale;

/**
 * {@code -m tos [!] --tos VALUE[/MASK]}: matches packets whose type-of-service byte (IPv4) or
 * traffic class (IPv6), ANDed with {@code mask}, equals {@code value}.
 *
 * <pre>{@code
 * TosMatch.of(0x10)                   // -m tos --tos 0x10/0xff
 * TosMatch.of(0x08, 0x3f)             // -m tos --tos 0x08/0x3f
 * TosMatch.named("Minimize-Delay")    // -m tos --tos 0x10/0x3f
 * TosMatch.of(0xff).negate()          // -m tos ! --tos 0xff/0xff
 * }</pre>
 *
 * <p>iptables reads a number (decimal, 0x hexadecimal or 0 octal, up to 0xff) with an optional
 * {@code /MASK} (mask 0xff without one), or one of the symbolic names of RFC 1349 (any case), which
 * get the mask 0x3f ({@code xtopt_parse_tosmask} of iptables' {@code libxtables/xtoptions.c}).
 * {@code iptables-save} always prints {@code 0xVV/0xMM}.
 *
 * @param value the bits to compare, 0 to 0xff
 * @param mask the bits compared, 0 to 0xff
 * @param negated whether the match is {@code ! --tos}
 */
public record TosMatch(int value, int mask, boolean negated) implements Match {

  /** The mask iptables gives a symbolic name ({@code Minimize-Delay} and so on). */
  public static final int SYMBOL_MASK = 0x3f;

  /** The symbolic names of iptables' {@code tos_values.c}, in its order, with their values. */
  static final List<String> NAMES = List.of(
      "Minimize-Delay", "Maximize-Throughput", "Maximize-Reliability", "Minimize-Cost", "Normal-Service");
  static final int[] NAME_VALUES = {0x10, 0x08, 0x04, 0x02, 0x00};

  public TosMatch {
    checkArgument(value >= 0 && value <= 0xff, "-m tos: value %s is outside 0 to 0xff", value);
    checkArgument(mask >= 0 && mask <= 0xff, "-m tos: mask %s is outside 0 to 0xff", mask);
  }

  /** {@code --tos VALUE}: all eight bits compared. */
  public static TosMatch of(int value) {
    return new TosMatch(value, 0xff, false);
  }

  /** {@code --tos VALUE/MASK}. */
  public static TosMatch of(int value, int mask) {
    return new TosMatch(value, mask, false);
  }

  /** {@code --tos NAME}, one of {@link #NAMES} (any case): its value with the mask 0x3f. */
  public static TosMatch named(String name) {
    int v = symbol(name);
    checkArgument(v >= 0, "-m tos: unknown name %s; expected one of %s", name, NAMES);
    return new TosMatch(v, SYMBOL_MASK, false);
  }

  /** This match negated ({@code ! --tos}), or not negated if it was. */
  public TosMatch negate() {
    return new TosMatch(value, mask, !negated);
  }

  @Override
  public String module() {
    return "tos";
  }

  /** The value of a symbolic name (any case), or -1. */
  static int symbol(String name) {
    for (int i = 0; i < NAMES.size(); i++) {
      if (NAMES.get(i).toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
        return NAME_VALUES[i];
      }
    }
    return -1;
  }

  /** {@code 0xVV/0xMM}, as iptables-save prints a value and mask. */
  static void appendHex(StringBuilder out, int value, int mask) {
    appendHex(out, value);
    out.append('/');
    appendHex(out, mask);
  }

  /** {@code 0xVV} ({@code %02x}). */
  static void appendHex(StringBuilder out, int value) {
    out.append("0x").append(Character.forDigit(value >> 4 & 0xf, 16)).append(Character.forDigit(value & 0xf, 16));
  }

  /**
   * {@code VALUE[/MASK]} or a symbolic name, as {@code xtopt_parse_tosmask} reads it: returns
   * {@code value << 8 | mask}, or throws an error at {@code arg} naming {@code option}.
   */
  static int parseValueMask(ModuleContext rule, Token arg, String option) {
    String text = arg.text();
    int slash = text.indexOf('/');
    String v = slash < 0 ? text : text.substring(0, slash);
    long value = Numbers.parseUnsigned(v, 0xff);
    if (value >= 0) {
      if (slash < 0) {
        return (int) value << 8 | 0xff;
      }
      long mask = Numbers.parseUnsigned(text.substring(slash + 1), 0xff);
      if (mask < 0) {
        throw rule.error(arg, "bad mask in " + option + " " + quoted(text) + "; expected VALUE/MASK with numbers"
            + " from 0 to 0xff");
      }
      return (int) value << 8 | (int) mask;
    }
    int named = symbol(text);
    if (named < 0) {
      throw rule.error(arg, "bad value " + quoted(text) + " for " + option + "; expected VALUE[/MASK] with"
          + " numbers from 0 to 0xff, or a name (" + String.join(", ", NAMES) + ")");
    }
    return named << 8 | SYMBOL_MASK;
  }

  /** {@code -m tos}: iptables' {@code extensions/libxt_tos.c} (revision 1), as iptables-nft 1.8.9 reads it. */
  static final class TosModule extends OneOptionMatchModule<TosMatch> {
    static final TosModule INSTANCE = new TosModule();

    private TosModule() {
      super("tos", TosMatch.class, "--tos");
    }

    @Override
    TosMatch read(ModuleContext rule, Token arg, boolean negated) {
      int vm = parseValueMask(rule, arg, "--tos");
      return new TosMatch(vm >> 8, vm & 0xff, negated);
    }

    @Override
    void write(TosMatch m, StringBuilder out) {
      out.append(m.negated() ? " ! --tos " : " --tos ");
      appendHex(out, m.value(), m.mask());
    }
  }
}
