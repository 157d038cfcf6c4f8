package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Numbers;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * {@code -j HMARK --hmark-mod N --hmark-rnd R [--hmark-offset N] [--hmark-tuple TYPES] [the masks
 * and values below]}: sets the packet's mark to a hash of the chosen header fields (masked)
 * modulo {@code modulus}, plus {@code offset}; then the next rule.
 *
 * <pre>{@code
 * Hmark.of(4, 0xcafe).srcPrefix(32).dstPrefix(32).offset(1)
 *     // -j HMARK --hmark-src-prefix 32 --hmark-dst-prefix 32 --hmark-rnd 0x0000cafe --hmark-mod 4 --hmark-offset 1
 * Hmark.of(8, 1).srcPrefix(24).withConntrack()
 *     // -j HMARK --hmark-src-prefix 24 --hmark-rnd 0x00000001 --hmark-mod 8 --hmark-tuple ct
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code HMARK_ip4_save}/{@code HMARK_ip6_save} of iptables'
 * {@code extensions/libxt_HMARK.c}): the prefixes, then sport-mask, dport-mask (4 hex digits),
 * spi-mask (8), sport, dport (4), spi (8), proto-mask (at least 2), rnd (8), mod, offset (decimal)
 * and {@code --hmark-tuple ct}. {@code --hmark-tuple} is read as a list of types, each a prefix of
 * ct, src, dst, sport, dport, proto or spi in any case, and stands for the full masks (src is
 * {@code --hmark-src-prefix 32}, or 128 in IPv6); giving an option after the tuple that named it
 * is refused. iptables needs {@code --hmark-mod} (from 1), {@code --hmark-rnd} and at least one
 * field; it refuses the SPI mask with a port mask, the kernel the SPI value with a port value.
 * mlb reads prefixes as lengths only (iptables also takes a netmask, and turns 33 into 32 in
 * IPv4). The target stands in any table and chain.
 *
 * @param srcPrefix {@code --hmark-src-prefix}
 * @param dstPrefix {@code --hmark-dst-prefix}
 * @param sportMask {@code --hmark-sport-mask}, 16 bits
 * @param dportMask {@code --hmark-dport-mask}, 16 bits
 * @param spiMask {@code --hmark-spi-mask}, 32 bits
 * @param sport {@code --hmark-sport}, 16 bits
 * @param dport {@code --hmark-dport}, 16 bits
 * @param spi {@code --hmark-spi}, 32 bits
 * @param protoMask {@code --hmark-proto-mask}, 16 bits
 * @param rnd {@code --hmark-rnd}: the hash's seed, 32 bits
 * @param modulus {@code --hmark-mod}, 1 to 2^32-1
 * @param offset {@code --hmark-offset}, 32 bits
 * @param conntrack {@code --hmark-tuple ct}: hash the connection's original tuple
 */
public record Hmark(OptionalInt srcPrefix, OptionalInt dstPrefix, OptionalInt sportMask, OptionalInt dportMask,
    OptionalLong spiMask, OptionalInt sport, OptionalInt dport, OptionalLong spi, OptionalInt protoMask, long rnd,
    long modulus, OptionalLong offset, boolean conntrack) implements Target {

  public Hmark {
    checkArgument(srcPrefix != null && dstPrefix != null && sportMask != null && dportMask != null
        && spiMask != null && sport != null && dport != null && spi != null && protoMask != null && offset != null,
        "-j HMARK: a component is null; use an empty optional");
  }

  /** {@code -j HMARK --hmark-rnd RND --hmark-mod MODULUS}, no fields yet. */
  public static Hmark of(long modulus, long rnd) {
    return new Hmark(OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(),
        OptionalLong.empty(), OptionalInt.empty(), OptionalInt.empty(), OptionalLong.empty(), OptionalInt.empty(),
        rnd, modulus, OptionalLong.empty(), false);
  }

  public Hmark srcPrefix(int length) {
    return new Hmark(OptionalInt.of(length), dstPrefix, sportMask, dportMask, spiMask, sport, dport, spi, protoMask,
        rnd, modulus, offset, conntrack);
  }

  public Hmark dstPrefix(int length) {
    return new Hmark(srcPrefix, OptionalInt.of(length), sportMask, dportMask, spiMask, sport, dport, spi, protoMask,
        rnd, modulus, offset, conntrack);
  }

  /** This target with {@code --hmark-sport-mask} and {@code --hmark-dport-mask}. */
  public Hmark portMasks(int sourceMask, int destinationMask) {
    return new Hmark(srcPrefix, dstPrefix, OptionalInt.of(sourceMask), OptionalInt.of(destinationMask), spiMask,
        sport, dport, spi, protoMask, rnd, modulus, offset, conntrack);
  }

  public Hmark spiMask(long mask) {
    return new Hmark(srcPrefix, dstPrefix, sportMask, dportMask, OptionalLong.of(mask), sport, dport, spi,
        protoMask, rnd, modulus, offset, conntrack);
  }

  public Hmark protoMask(int mask) {
    return new Hmark(srcPrefix, dstPrefix, sportMask, dportMask, spiMask, sport, dport, spi, OptionalInt.of(mask),
        rnd, modulus, offset, conntrack);
  }

  public Hmark offset(long offset) {
    return new Hmark(srcPrefix, dstPrefix, sportMask, dportMask, spiMask, sport, dport, spi, protoMask, rnd,
        modulus, OptionalLong.of(offset), conntrack);
  }

  /** This target with {@code --hmark-tuple ct}. */
  public Hmark withConntrack() {
    return new Hmark(srcPrefix, dstPrefix, sportMask, dportMask, spiMask, sport, dport, spi, protoMask, rnd,
        modulus, offset, true);
  }

  /** Whether any header field is hashed (iptables refuses the target without). */
  public boolean hashesSomething() {
    return srcPrefix.isPresent() || dstPrefix.isPresent() || sportMask.isPresent() || dportMask.isPresent()
        || spiMask.isPresent() || sport.isPresent() || dport.isPresent() || spi.isPresent() || protoMask.isPresent()
        || conntrack;
  }

  @Override
  public String name() {
    return "HMARK";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /** {@code -j HMARK}: iptables' {@code extensions/libxt_HMARK.c}, as iptables-nft 1.8.9 reads it. */
  static final class HmarkModule extends TargetModule<Hmark> {
    static final HmarkModule INSTANCE = new HmarkModule();

    private static final List<String> OPTIONS = List.of("--hmark-tuple", "--hmark-src-prefix", "--hmark-dst-prefix",
        "--hmark-sport-mask", "--hmark-dport-mask", "--hmark-spi-mask", "--hmark-sport", "--hmark-dport",
        "--hmark-spi", "--hmark-proto-mask", "--hmark-rnd", "--hmark-mod", "--hmark-offset");
    /** The tuple's types in iptables' order of matching, and the option each stands for. */
    private static final List<String> TYPES = List.of("ct", "src", "dst", "sport", "dport", "proto", "spi");
    private static final List<String> TYPE_OPTIONS = List.of("", "--hmark-src-prefix", "--hmark-dst-prefix",
        "--hmark-sport-mask", "--hmark-dport-mask", "--hmark-proto-mask", "--hmark-spi-mask");

    private HmarkModule() {
      super("HMARK", List.of(Hmark.class));
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private final int bits = rule.family() == IpFamily.V4 ? 32 : 128;
        private OptionalInt srcPrefix = OptionalInt.empty();
        private OptionalInt dstPrefix = OptionalInt.empty();
        private OptionalInt sportMask = OptionalInt.empty();
        private OptionalInt dportMask = OptionalInt.empty();
        private OptionalLong spiMask = OptionalLong.empty();
        private OptionalInt sport = OptionalInt.empty();
        private OptionalInt dport = OptionalInt.empty();
        private OptionalLong spi = OptionalLong.empty();
        private OptionalInt protoMask = OptionalInt.empty();
        private long rnd;
        private long modulus;
        private OptionalLong offset = OptionalLong.empty();
        private boolean ct;
        /** The options the tuple stood for. */
        private final Set<String> byTuple = new HashSet<>();

        @Override
        void value(Token option, Token arg) {
          String o = option.text();
          if (byTuple.contains(o)) {
            throw error(option, "-j HMARK: option " + quoted(o) + " can only be given once, and --hmark-tuple gave it");
          }
          switch (o) {
            case "--hmark-tuple" -> tuple(arg);
            case "--hmark-src-prefix" -> srcPrefix = OptionalInt.of((int) number(arg, o, 0, bits));
            case "--hmark-dst-prefix" -> dstPrefix = OptionalInt.of((int) number(arg, o, 0, bits));
            case "--hmark-sport-mask" -> sportMask = OptionalInt.of((int) number(arg, o, 0, 0xFFFF));
            case "--hmark-dport-mask" -> dportMask = OptionalInt.of((int) number(arg, o, 0, 0xFFFF));
            case "--hmark-spi-mask" -> spiMask = OptionalLong.of(number(arg, o, 0, 0xFFFF_FFFFL));
            case "--hmark-sport" -> sport = OptionalInt.of((int) number(arg, o, 0, 0xFFFF));
            case "--hmark-dport" -> dport = OptionalInt.of((int) number(arg, o, 0, 0xFFFF));
            case "--hmark-spi" -> spi = OptionalLong.of(number(arg, o, 0, 0xFFFF_FFFFL));
            case "--hmark-proto-mask" -> protoMask = OptionalInt.of((int) number(arg, o, 0, 0xFFFF));
            case "--hmark-rnd" -> rnd = number(arg, o, 0, 0xFFFF_FFFFL);
            case "--hmark-mod" -> modulus = number(arg, o, 1, 0xFFFF_FFFFL);
            default -> offset = OptionalLong.of(number(arg, o, 0, 0xFFFF_FFFFL));
          }
        }

        private long number(Token arg, String option, long min, long max) {
          long n = Numbers.parseUnsigned(arg.text(), max);
          if (n < min) {
            throw error(arg, "bad value " + quoted(arg.text()) + " for " + option + "; expected a number from " + min
                + " to " + max);
          }
          return n;
        }

        /** hmark_parse_type: TYPE[,TYPE...], each a prefix of a type in any case. */
        private void tuple(Token arg) {
          String text = arg.text();
          String[] words = text.split(",", -1);
          for (int i = 0; i < words.length; i++) {
            String w = words[i].toLowerCase(Locale.ROOT);
            if (w.isEmpty()) {
              throw error(arg, "--hmark-tuple " + quoted(text) + " has an empty type; expected types such as"
                  + " src,dst,sport,dport,proto separated by commas, no blanks");
            }
            int t = -1;
            for (int k = 0; k < TYPES.size() && t < 0; k++) {
              if (TYPES.get(k).startsWith(w)) {
                t = k;
              }
            }
            if (t < 0) {
              throw error(arg, "--hmark-tuple: bad type " + quoted(words[i]) + "; expected ct, src, dst, sport, dport,"
                  + " proto or spi (or a prefix of one)");
            }
            switch (t) {
              case 0 -> ct = true;
              case 1 -> srcPrefix = OptionalInt.of(bits);
              case 2 -> dstPrefix = OptionalInt.of(bits);
              case 3 -> sportMask = OptionalInt.of(0xFFFF);
              case 4 -> dportMask = OptionalInt.of(0xFFFF);
              case 5 -> protoMask = OptionalInt.of(0xFFFF);
              default -> spiMask = OptionalLong.of(0xFFFF_FFFFL);
            }
            if (t > 0) {
              byTuple.add(TYPE_OPTIONS.get(t));
            }
          }
        }

        private boolean has(String option) {
          return given.containsKey(option) || byTuple.contains(option);
        }

        @Override
        Target finish() {
          if (!given.containsKey("--hmark-mod")) {
            throw error(at, "-j HMARK needs --hmark-mod N");
          }
          if (!given.containsKey("--hmark-rnd")) {
            throw error(at, "-j HMARK needs --hmark-rnd R");
          }
          if (has("--hmark-spi-mask") && (has("--hmark-sport-mask") || has("--hmark-dport-mask"))) {
            throw error(at, "-j HMARK: --hmark-spi-mask cannot be given with --hmark-sport-mask or --hmark-dport-mask");
          }
          Hmark h = new Hmark(srcPrefix, dstPrefix, sportMask, dportMask, spiMask, sport, dport, spi, protoMask, rnd,
              modulus, offset, ct);
          if (!h.hashesSomething()) {
            throw error(at, "-j HMARK needs --hmark-tuple or a field option (--hmark-src-prefix, ...)");
          }
          return h;
        }
      };
    }

    private static void hex(StringBuilder out, String option, long v, int digits) {
      String h = Long.toHexString(v);
      out.append(' ').append(option).append(" 0x");
      for (int i = h.length(); i < digits; i++) {
        out.append('0');
      }
      out.append(h);
    }

    @Override
    void write(Hmark t, StringBuilder out) {
      out.append(" -j HMARK");
      t.srcPrefix().ifPresent(p -> out.append(" --hmark-src-prefix ").append(p));
      t.dstPrefix().ifPresent(p -> out.append(" --hmark-dst-prefix ").append(p));
      t.sportMask().ifPresent(v -> hex(out, "--hmark-sport-mask", v, 4));
      t.dportMask().ifPresent(v -> hex(out, "--hmark-dport-mask", v, 4));
      t.spiMask().ifPresent(v -> hex(out, "--hmark-spi-mask", v, 8));
      t.sport().ifPresent(v -> hex(out, "--hmark-sport", v, 4));
      t.dport().ifPresent(v -> hex(out, "--hmark-dport", v, 4));
      t.spi().ifPresent(v -> hex(out, "--hmark-spi", v, 8));
      t.protoMask().ifPresent(v -> hex(out, "--hmark-proto-mask", v, 2));
      hex(out, "--hmark-rnd", t.rnd(), 8);
      out.append(" --hmark-mod ").append(t.modulus());
      t.offset().ifPresent(v -> out.append(" --hmark-offset ").append(v));
      if (t.conntrack()) {
        out.append(" --hmark-tuple ct");
      }
    }

    @Override
    void check(Hmark t, RuleContext rule, Findings findings) {
      if (t.modulus() < 1 || t.modulus() > 0xFFFF_FFFFL) {
        findings.error("hmark-value", "-j HMARK --hmark-mod " + t.modulus() + " is outside 1 to 4294967295");
      }
      if (!RuleContext.isU32(t.rnd()) || t.offset().isPresent() && !RuleContext.isU32(t.offset().getAsLong())
          || t.spiMask().isPresent() && !RuleContext.isU32(t.spiMask().getAsLong())
          || t.spi().isPresent() && !RuleContext.isU32(t.spi().getAsLong())) {
        findings.error("hmark-value", "-j HMARK: --hmark-rnd, --hmark-offset, --hmark-spi-mask and --hmark-spi must fit"
            + " in 32 bits");
      }
      for (OptionalInt v : List.of(t.sportMask(), t.dportMask(), t.sport(), t.dport(), t.protoMask())) {
        if (v.isPresent() && (v.getAsInt() < 0 || v.getAsInt() > 0xFFFF)) {
          findings.error("hmark-value", "-j HMARK: the port and protocol masks and values must fit in 16 bits, not "
              + v.getAsInt());
        }
      }
      int bits = rule.family == IpFamily.V6 ? 128 : 32;
      for (OptionalInt p : List.of(t.srcPrefix(), t.dstPrefix())) {
        if (p.isPresent() && (p.getAsInt() < 0 || p.getAsInt() > bits)) {
          findings.error("hmark-value", "-j HMARK prefix length " + p.getAsInt() + " is outside 0 to " + bits);
        }
      }
      if (t.spiMask().isPresent() && (t.sportMask().isPresent() || t.dportMask().isPresent())) {
        findings.error("hmark-fields", "-j HMARK: --hmark-spi-mask cannot be given with a port mask; iptables refuses it");
      }
      if (t.spi().isPresent() && (t.sport().isPresent() || t.dport().isPresent())) {
        findings.error("hmark-fields", "-j HMARK: --hmark-spi cannot be given with --hmark-sport or --hmark-dport; the"
            + " kernel refuses it");
      }
      if (!t.hashesSomething()) {
        findings.error("hmark-fields", "-j HMARK hashes no field; iptables wants --hmark-tuple or a field option");
      }
    }
  }
}
