package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.Numbers;
import java.util.List;

/**
 * {@code -j TOS --set-tos VALUE[/MASK] | --and-tos BITS | --or-tos BITS | --xor-tos BITS}: rewrites
 * the type-of-service byte (IPv4) or traffic class (IPv6), clearing the bits of {@code mask} and
 * then XORing {@code value} in; goes on with the next rule. Only in the mangle table.
 *
 * <pre>{@code
 * Tos.set(0x10, 0x3f)       // -j TOS --set-tos 0x10/0x3f
 * Tos.set(0x1f)             // -j TOS --set-tos 0x1f/0xff
 * Tos.and(0x12)             // -j TOS --set-tos 0x00/0xed  (as iptables-save prints --and-tos 0x12)
 * Tos.or(0x12)              // -j TOS --set-tos 0x12/0x12
 * Tos.xor(0x12)             // -j TOS --set-tos 0x12/0x00
 * }</pre>
 *
 * <p>The kernel keeps only the value and the mask ({@code xt_tos_target_info}), so
 * {@code iptables-save} prints every form as {@code --set-tos 0xVV/0xMM}. A symbolic name
 * ({@code --set-tos Minimize-Delay}) gets the mask 0x3f, a number without a mask the mask 0xff.
 *
 * @param value the bits XORed in, 0 to 0xff
 * @param mask the bits cleared first, 0 to 0xff
 */
public record Tos(int value, int mask) implements Target {

  public Tos {
    checkArgument(value >= 0 && value <= 0xff, "-j TOS: value %s is outside 0 to 0xff", value);
    checkArgument(mask >= 0 && mask <= 0xff, "-j TOS: mask %s is outside 0 to 0xff", mask);
  }

  /** {@code --set-tos VALUE}: the whole byte set to {@code value}. */
  public static Tos set(int value) {
    return new Tos(value, 0xff);
  }

  /** {@code --set-tos VALUE/MASK}. */
  public static Tos set(int value, int mask) {
    return new Tos(value, mask);
  }

  /** {@code --set-tos NAME}: a symbolic name of {@link TosMatch#NAMES}, with the mask 0x3f. */
  public static Tos named(String name) {
    int v = TosMatch.symbol(name);
    checkArgument(v >= 0, "-j TOS: unknown name %s; expected one of %s", name, TosMatch.NAMES);
    return new Tos(v, TosMatch.SYMBOL_MASK);
  }

  /** {@code --and-tos BITS}. */
  public static Tos and(int bits) {
    checkArgument(bits >= 0 && bits <= 0xff, "-j TOS --and-tos %s is outside 0 to 0xff", bits);
    return new Tos(0, ~bits & 0xff);
  }

  /** {@code --or-tos BITS}. */
  public static Tos or(int bits) {
    return new Tos(bits, bits);
  }

  /** {@code --xor-tos BITS}. */
  public static Tos xor(int bits) {
    return new Tos(bits, 0);
  }

  @Override
  public String name() {
    return "TOS";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /** An error finding unless the rule is in the mangle table, where the kernel's {@code name} target lives. */
  static void checkMangle(String name, RuleContext rule, Findings findings) {
    if (rule.table != TableName.MANGLE) {
      findings.error("target-table", "-j " + name + " is only valid in the mangle table, not in " + rule.table.id()
          + "; the kernel refuses it");
    }
  }

  /** {@code -j TOS}: iptables' {@code extensions/libxt_TOS.c} (revision 1), as iptables-nft 1.8.9 reads it. */
  static final class TosModule extends TargetModule<Tos> {
    static final TosModule INSTANCE = new TosModule();

    private static final List<String> OPTIONS = List.of("--set-tos", "--and-tos", "--or-tos", "--xor-tos");

    private TosModule() {
      super("TOS", List.of(Tos.class));
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private Tos tos;
        private Token first;

        @Override
        void value(Token option, Token arg) {
          if (first != null) {
            throw error(option, "-j TOS: option " + quoted(option.text()) + " cannot be used together with "
                + quoted(first.text()) + "; give one of " + Arguments.join(OPTIONS, "or"));
          }
          first = option;
          if (option.text().equals("--set-tos")) {
            int vm = TosMatch.parseValueMask(rule, arg, "--set-tos");
            tos = new Tos(vm >> 8, vm & 0xff);
            return;
          }
          long bits = Numbers.parseUnsigned(arg.text(), 0xff);
          if (bits < 0) {
            throw error(arg, "bad value " + quoted(arg.text()) + " for " + option.text()
                + "; expected a number from 0 to 0xff");
          }
          int b = (int) bits;
          tos = switch (option.text()) {
            case "--and-tos" -> and(b);
            case "--or-tos" -> or(b);
            default -> xor(b);
          };
        }

        @Override
        Target finish() {
          if (tos == null) {
            throw error(at, "-j TOS needs an action: " + Arguments.join(OPTIONS, "or"));
          }
          return tos;
        }
      };
    }

    @Override
    void write(Tos t, StringBuilder out) {
      out.append(" -j TOS --set-tos ");
      TosMatch.appendHex(out, t.value(), t.mask());
    }

    @Override
    void check(Tos t, RuleContext rule, Findings findings) {
      checkMangle("TOS", rule, findings);
    }
  }
}
