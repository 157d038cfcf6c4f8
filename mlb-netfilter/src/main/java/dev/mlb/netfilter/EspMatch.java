package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.List;
import java.util.Set;

/**
 * {@code -p esp -m esp [[!] --espspi N[:M]]}: matches IPsec ESP packets by their security
 * parameter index.
 *
 * <pre>{@code
 * EspMatch.spis(0x100, 0x1ff)    // -p esp -m esp --espspi 256:511
 * EspMatch.spi(7).negated()      // -p esp -m esp ! --espspi 7
 * EspMatch.any()                 // -p esp -m esp
 * }</pre>
 *
 * <p>As iptables-nft 1.8.9's {@code iptables-save} prints it: one number when both bounds are
 * equal, else {@code FROM:TO}; the whole range {@code 0:4294967295} (also {@code :}) not at all,
 * negated or not, so the record keeps it uninverted. A reversed range is kept. The kernel refuses
 * the match without {@code -p esp} (or with it negated). The simulator does not model {@code -m esp}.
 *
 * @param from the smallest SPI that matches
 * @param to the largest SPI that matches
 * @param invert {@code !}: SPIs outside the range
 */
public record EspMatch(long from, long to, boolean invert) implements Match {

  /** The largest SPI. */
  public static final long MAX = 0xFFFF_FFFFL;

  public EspMatch {
    checkArgument(from >= 0 && from <= MAX && to >= 0 && to <= MAX, "-m esp: SPIs are 0 to 4294967295, not %s:%s",
        from, to);
    invert = invert && !(from == 0 && to == MAX);
  }

  /** {@code -m esp}: any SPI. */
  public static EspMatch any() {
    return new EspMatch(0, MAX, false);
  }

  /** {@code -m esp --espspi SPI}. */
  public static EspMatch spi(long spi) {
    return new EspMatch(spi, spi, false);
  }

  /** {@code -m esp --espspi FROM:TO}. */
  public static EspMatch spis(long from, long to) {
    return new EspMatch(from, to, false);
  }

  /** This match negated: SPIs outside the range. */
  public EspMatch negated() {
    return new EspMatch(from, to, !invert);
  }

  @Override
  public String module() {
    return "esp";
  }

  /** {@code -m esp}: iptables' {@code extensions/libxt_esp.c}, as iptables-nft 1.8.9 reads it. */
  static final class EspModule extends MatchModule<EspMatch> {
    static final EspModule INSTANCE = new EspModule();

    private EspModule() {
      super("esp", EspMatch.class);
    }

    @Override
    List<String> options() {
      return List.of("--espspi");
    }

    @Override
    String canonical(String option) {
      return option.equals("--espspi") ? option : null;
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "esp", at, rule) {
        private long[] range = {0, MAX};

        @Override
        void value(String option, Token optionToken, Token arg) {
          range = Ranges.parse(rule, arg, option, MAX);
        }

        @Override
        Match finish() {
          return new EspMatch(range[0], range[1], negated);
        }
      };
    }

    @Override
    void write(EspMatch m, StringBuilder out) {
      if (m.from() != 0 || m.to() != MAX) {
        out.append(m.invert() ? " ! --espspi " : " --espspi ");
        Ranges.write(out, m.from(), m.to());
      }
    }

    @Override
    void check(EspMatch m, RuleContext rule, Findings findings) {
      if (!rule.protocolIs(Set.of(50))) {
        findings.error("match-protocol", "-m esp needs -p esp (not negated) in the rule; the kernel refuses it"
            + " otherwise");
      }
    }
  }
}
