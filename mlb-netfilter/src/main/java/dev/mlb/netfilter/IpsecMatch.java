package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Numbers;
import dev.mlb.api.Protocol;
import java.util.List;
import java.util.Set;

/**
 * {@code -m ah [[!] --ahspi SPI[:SPI]]}, {@code -m esp [[!] --espspi SPI[:SPI]]} and
 * {@code -m ipcomp [[!] --ipcompspi SPI[:SPI]] [--compres]}: matches IPsec packets by their security
 * parameter index (SPI); in IPv6, {@code -m ah} also takes {@code [!] --ahlen N} and {@code --ahres}.
 *
 * <pre>{@code
 * IpsecMatch.esp(IdRange.of(0x100))             // -p esp -m esp --espspi 256
 * IpsecMatch.ah(IdRange.of(1, 9)).negated()     // -p ah -m ah ! --ahspi 1:9
 * IpsecMatch.ipcomp(IdRange.all(IdRange.U32))   // -p ipcomp -m ipcomp (any SPI)
 * }</pre>
 *
 * <p>As {@code iptables-save} prints them (the save functions of iptables' {@code libxt_esp.c},
 * {@code libipt_ah.c}, {@code libip6t_ah.c} and {@code libxt_ipcomp.c}): the SPI unless it is the
 * whole range 0:4294967295 (then a {@code !} is dropped as well), a single SPI as one number, then
 * {@code --ahlen} unless it is 0 without {@code !}, then {@code --ahres} or {@code --compres}. Without
 * {@code --ipcompspi}, {@code -m ipcomp} matches SPI 0 only (iptables leaves the kernel's range at
 * 0:0), printed {@code --ipcompspi 0}; without {@code --ahspi} or {@code --espspi} the others match
 * every SPI. The kernel refuses {@code -m esp} and {@code -m ipcomp}, and IPv4's {@code -m ah}, unless
 * the rule says {@code -p esp} ({@code -p ipcomp}, {@code -p ah}) without {@code !}; IPv6's
 * {@code -m ah} finds the header among the extension headers and needs no {@code -p}. The simulator
 * does not model these matches.
 *
 * @param header which header the match reads
 * @param spi the SPIs matched
 * @param spiNegated {@code ! --ahspi} (and the others): every SPI but those
 * @param length IPv6 AH's {@code --ahlen}: the header's length field; 0 (without {@code !}) for any
 * @param lengthNegated {@code ! --ahlen}
 * @param reserved {@code --ahres} (IPv6 AH) or {@code --compres} (IPComp): the reserved field is 0
 */
public record IpsecMatch(Header header, IdRange spi, boolean spiNegated, long length, boolean lengthNegated,
    boolean reserved) implements Match {

  /** The IPsec header a match reads, with its module, option and protocol. */
  public enum Header {
    AH("ah", "--ahspi", 51),
    ESP("esp", "--espspi", 50),
    IPCOMP("ipcomp", "--ipcompspi", 108);

    private final String module;
    private final String option;
    private final int protocol;

    Header(String module, String option, int protocol) {
      this.module = module;
      this.option = option;
      this.protocol = protocol;
    }

    /** The module's name ({@code ah}, {@code esp}, {@code ipcomp}). */
    public String module() {
      return module;
    }

    /** The SPI option ({@code --ahspi}, {@code --espspi}, {@code --ipcompspi}). */
    public String option() {
      return option;
    }

    /** The protocol the rule must say ({@code -p ah}, ...), but for IPv6's {@code -m ah}. */
    public Protocol protocol() {
      return Protocol.of(protocol);
    }
  }

  public IpsecMatch {
    checkArgument(header != null && spi != null, "-m ah/esp/ipcomp: the header or the SPI range is null");
    checkArgument(RuleContext.isU32(length), "-m ah --ahlen %s is outside 0 to 4294967295", length);
    checkArgument(header == Header.AH || (length == 0 && !lengthNegated),
        "-m %s: --ahlen is -m ah's (IPv6)", header.module());
    checkArgument(header != Header.ESP || !reserved, "-m esp has no reserved-field test");
    if (spi.isAll(IdRange.U32)) {
      // iptables-save leaves the whole range out, and its ! with it.
      spiNegated = false;
    }
  }

  /** {@code -m ah --ahspi SPIS}. */
  public static IpsecMatch ah(IdRange spi) {
    return new IpsecMatch(Header.AH, spi, false, 0, false, false);
  }

  /** {@code -m esp --espspi SPIS}. */
  public static IpsecMatch esp(IdRange spi) {
    return new IpsecMatch(Header.ESP, spi, false, 0, false, false);
  }

  /** {@code -m ipcomp --ipcompspi SPIS}. */
  public static IpsecMatch ipcomp(IdRange spi) {
    return new IpsecMatch(Header.IPCOMP, spi, false, 0, false, false);
  }

  /** This match with its SPI test inverted. */
  public IpsecMatch negated() {
    return new IpsecMatch(header, spi, !spiNegated, length, lengthNegated, reserved);
  }

  /** This match testing the reserved field too ({@code --ahres}, {@code --compres}). */
  public IpsecMatch withReserved() {
    return new IpsecMatch(header, spi, spiNegated, length, lengthNegated, true);
  }

  /** This AH match testing the header length ({@code [!] --ahlen N}; IPv6 only). */
  public IpsecMatch withLength(long length, boolean negated) {
    return new IpsecMatch(header, spi, spiNegated, length, negated, reserved);
  }

  @Override
  public String module() {
    return header.module();
  }

  /** The module of one header: iptables' {@code libxt_esp.c}, {@code libipt_ah.c}/{@code libip6t_ah.c} or {@code libxt_ipcomp.c}. */
  static final class IpsecModule extends MatchModule<IpsecMatch> {
    static final IpsecModule AH = new IpsecModule(Header.AH, List.of("--ahspi", "--ahlen", "--ahres"));
    static final IpsecModule ESP = new IpsecModule(Header.ESP, List.of("--espspi"));
    static final IpsecModule IPCOMP = new IpsecModule(Header.IPCOMP, List.of("--ipcompspi", "--compres"));

    private static final Set<String> FLAGS = Set.of("--ahres", "--compres");

    private final Header header;
    private final List<String> options;

    private IpsecModule(Header header, List<String> options) {
      super(header.module(), IpsecMatch.class);
      this.header = header;
      this.options = options;
    }

    @Override
    List<String> options() {
      return options;
    }

    @Override
    String canonical(String option) {
      return options.contains(option) ? option : null;
    }

    @Override
    Set<String> flags() {
      return FLAGS;
    }

    @Override
    boolean negatable(String option) {
      return !FLAGS.contains(option);
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, header.module(), at, rule) {
        private IdRange spi = header == Header.IPCOMP ? IdRange.of(0) : IdRange.all(IdRange.U32);
        private boolean spiNegated;
        private long length;
        private boolean lengthNegated;
        private boolean reserved;

        @Override
        void value(String option, Token optionToken, Token arg) {
          if (header == Header.AH && rule.family() == IpFamily.V4 && !option.equals("--ahspi")) {
            throw error(optionToken, "unknown option " + quoted(option) + " for -m ah in IPv4; expected --ahspi"
                + " (--ahlen and --ahres are IPv6's)");
          }
          switch (option) {
            case "--ahlen" -> {
              length = Numbers.parseUnsigned(arg.text(), IdRange.U32);
              if (length < 0) {
                throw error(arg, "bad value " + quoted(arg.text()) + " for --ahlen; expected a number from 0 to "
                    + IdRange.U32);
              }
              lengthNegated = optionNegated;
            }
            case "--ahres", "--compres" -> reserved = true;
            default -> {
              spi = IdRange.parse(rule, arg, option, IdRange.U32);
              spiNegated = optionNegated;
            }
          }
        }

        @Override
        Match finish() {
          return new IpsecMatch(header, spi, spiNegated, length, lengthNegated, reserved);
        }
      };
    }

    @Override
    void write(IpsecMatch m, StringBuilder out) {
      if (!m.spi().isAll(IdRange.U32)) {
        out.append(m.spiNegated() ? " ! " : " ").append(m.header().option()).append(' ');
        m.spi().appendTo(out);
      }
      if (m.length() != 0 || m.lengthNegated()) {
        out.append(m.lengthNegated() ? " ! --ahlen " : " --ahlen ").append(m.length());
      }
      if (m.reserved()) {
        out.append(m.header() == Header.AH ? " --ahres" : " --compres");
      }
    }

    @Override
    void check(IpsecMatch m, RuleContext rule, Findings findings) {
      boolean needsProtocol = m.header() != Header.AH || rule.family != IpFamily.V6;
      boolean hasProtocol = rule.protocolIs(Set.of(m.header().protocol().number()));
      boolean v6Only = m.header() == Header.AH && (m.length() != 0 || m.lengthNegated() || m.reserved());
      if (rule.family == null) {
        if (m.header() == Header.AH && (!hasProtocol || v6Only)) {
          // The rule's screen (no family): have validation look at it in its ruleset.
          findings.warning("ah-context", "checked in its ruleset");
          return;
        }
      }
      if (needsProtocol && !hasProtocol) {
        findings.error(m.module() + "-protocol", "-m " + m.module() + " needs -p " + m.header().protocol()
            + " in the same rule (without !)" + (m.header() == Header.AH ? " in IPv4" : "")
            + "; the kernel refuses it otherwise");
      }
      if (v6Only && rule.family == IpFamily.V4) {
        findings.error("ah-family", "-m ah --ahlen and --ahres are IPv6's; iptables refuses them in IPv4");
      }
    }
  }
}
