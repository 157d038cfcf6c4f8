package dev.mlb.netfilter;

import static dev.mlb.netfilter.Arguments.quoted;

import java.math.BigInteger;

/**
 * {@code -m quota [!] --quota BYTES}: matches until the rule has counted {@code BYTES} bytes (with
 * {@code !}, from then on).
 *
 * <pre>{@code
 * QuotaMatch.bytes(1_000_000)             // -m quota --quota 1000000
 * QuotaMatch.bytes(1_000_000).negated()   // -m quota ! --quota 1000000
 * }</pre>
 *
 * <p>The quota is an unsigned 64-bit number (decimal, {@code 0x} hex or {@code 0} octal), kept as a
 * {@code long} holding those 64 bits ({@link Long#toUnsignedString}); {@code iptables-save} prints it
 * in decimal. The simulator does not model {@code -m quota}.
 *
 * @param quota the number of bytes, unsigned
 * @param invert {@code !}: match once the quota is used up
 */
public record QuotaMatch(long quota, boolean invert) implements Match {

  /** {@code -m quota --quota BYTES} ({@code bytes} read as unsigned). */
  public static QuotaMatch bytes(long bytes) {
    return new QuotaMatch(bytes, false);
  }

  /** This match negated. */
  public QuotaMatch negated() {
    return new QuotaMatch(quota, !invert);
  }

  @Override
  public String module() {
    return "quota";
  }

  /** {@code -m quota}: iptables' {@code extensions/libxt_quota.c}, as iptables-nft 1.8.9 reads it. */
  static final class QuotaModule extends OneOptionMatchModule<QuotaMatch> {
    static final QuotaModule INSTANCE = new QuotaModule();

    private static final BigInteger MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private QuotaModule() {
      super("quota", QuotaMatch.class, "--quota");
    }

    @Override
    QuotaMatch read(ModuleContext rule, Token arg, boolean negated) {
      return new QuotaMatch(u64(rule, arg), negated);
    }

    /** An unsigned 64-bit number as strtoull reads it (base 0), in a long's 64 bits. */
    private static long u64(ModuleContext rule, Token arg) {
      String t = arg.text();
      BigInteger v = null;
      try {
        if (t.matches("0[xX][0-9a-fA-F]+")) {
          v = new BigInteger(t.substring(2), 16);
        } else if (t.matches("0[0-7]*")) {
          v = t.length() == 1 ? BigInteger.ZERO : new BigInteger(t.substring(1), 8);
        } else if (t.matches("[1-9][0-9]*")) {
          v = new BigInteger(t);
        }
      } catch (NumberFormatException e) {
        v = null;
      }
      if (v == null || v.compareTo(MAX) > 0) {
        throw rule.error(arg, "bad value " + quoted(t) + " for --quota; expected a number of bytes from 0 to"
            + " 18446744073709551615");
      }
      return v.longValue();
    }

    @Override
    void write(QuotaMatch m, StringBuilder out) {
      out.append(m.invert() ? " ! --quota " : " --quota ").append(Long.toUnsignedString(m.quota()));
    }
  }
}
