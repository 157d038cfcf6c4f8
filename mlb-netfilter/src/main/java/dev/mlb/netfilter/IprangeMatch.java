package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Numbers;
import java.util.List;
import java.util.Optional;

/**
 * {@code -m iprange [!] --src-range FROM[-TO] [!] --dst-range FROM[-TO]}: the source and/or
 * destination address within an inclusive range (or, with {@code !}, outside it).
 *
 * <pre>{@code
 * IprangeMatch.source("192.0.2.1-192.0.2.9")                 // -m iprange --src-range 192.0.2.1-192.0.2.9
 * IprangeMatch.destination("2001:db8::5").negateDestination() // -m iprange ! --dst-range 2001:db8::5-2001:db8::5
 * }</pre>
 *
 * <p>As iptables-nft 1.8.9 reads them ({@code libxt_iprange.c}): at least one of the two options,
 * each once; a range is one address or two joined by {@code -}; IPv4 addresses as
 * xtables_numeric_to_ipaddr reads them (each of up to four parts a number 0 to 255, missing parts
 * 0: {@code 192.0.2} is 192.0.2.0), IPv6 ones as inet_pton does. A reversed range is kept (it never
 * matches). iptables-save prints both ends of each range, source first.
 *
 * @param source the source range, if matched
 * @param sourceNegated whether it is {@code ! --src-range}
 * @param destination the destination range, if matched
 * @param destinationNegated whether it is {@code ! --dst-range}
 */
public record IprangeMatch(Optional<Range> source, boolean sourceNegated, Optional<Range> destination,
    boolean destinationNegated) implements Match {

  /**
   * An inclusive range of addresses of one family.
   *
   * <pre>{@code
   * IprangeMatch.Range.parse("192.0.2.1-192.0.2.9").text()   // "192.0.2.1-192.0.2.9"
   * }</pre>
   *
   * @param from the first address
   * @param to the last address (below {@code from}: the range is empty)
   */
  public record Range(IpAddress from, IpAddress to) {
    public Range {
      checkArgument(from != null && to != null, "a range needs both ends");
      checkArgument(from.family() == to.family(), "the range %s-%s mixes IPv4 and IPv6", from, to);
    }

    /** {@code FROM} or {@code FROM-TO}, IPv4 or IPv6. */
    public static Range parse(String text) {
      checkArgument(text != null, "the range is null");
      IpAddress first = addressOrNull(text.substring(0, dash(text)));
      IpFamily family = first == null ? IpFamily.V4 : first.family();
      Object r = read(family, text);
      checkArgument(r instanceof Range, "%s", r);
      return (Range) r;
    }

    /** As iptables-save prints it: {@code FROM-TO}. */
    public String text() {
      return from + "-" + to;
    }

    public IpFamily family() {
      return from.family();
    }
  }

  public IprangeMatch {
    checkArgument(source != null && destination != null, "-m iprange: null range");
    checkArgument(source.isPresent() || destination.isPresent(), "-m iprange needs --src-range or --dst-range");
    checkArgument(!sourceNegated || source.isPresent(), "-m iprange: ! without --src-range");
    checkArgument(!destinationNegated || destination.isPresent(), "-m iprange: ! without --dst-range");
    checkArgument(source.isEmpty() || destination.isEmpty() || source.get().family() == destination.get().family(),
        "-m iprange: the ranges mix IPv4 and IPv6");
  }

  /** The packets whose source is in {@code range} ({@code FROM-TO} or one address). */
  public static IprangeMatch source(String range) {
    return new IprangeMatch(Optional.of(Range.parse(range)), false, Optional.empty(), false);
  }

  /** The packets whose destination is in {@code range}. */
  public static IprangeMatch destination(String range) {
    return new IprangeMatch(Optional.empty(), false, Optional.of(Range.parse(range)), false);
  }

  /** This match with the source range negated ({@code ! --src-range}). */
  public IprangeMatch negateSource() {
    return new IprangeMatch(source, !sourceNegated, destination, destinationNegated);
  }

  /** This match with the destination range negated ({@code ! --dst-range}). */
  public IprangeMatch negateDestination() {
    return new IprangeMatch(source, sourceNegated, destination, !destinationNegated);
  }

  /** The family of the addresses. */
  public IpFamily family() {
    return source.orElseGet(destination::get).family();
  }

  @Override
  public String module() {
    return "iprange";
  }

  private static int dash(String text) {
    int d = text.indexOf('-');
    return d < 0 ? text.length() : d;
  }

  /** iprange_parse_range: the range, or the problem (a String). */
  static Object read(IpFamily family, String text) {
    int d = text.indexOf('-');
    String a = d < 0 ? text : text.substring(0, d);
    String b = d < 0 ? text : text.substring(d + 1);
    IpAddress from = address(family, a);
    if (from == null) {
      return bad(family, a);
    }
    IpAddress to = address(family, b);
    if (to == null) {
      return bad(family, b);
    }
    return new Range(from, to);
  }

  private static String bad(IpFamily family, String part) {
    return "bad address " + quoted(part) + "; expected " + (family == IpFamily.V4
        ? "an IPv4 address such as 192.0.2.1" : "an IPv6 address such as 2001:db8::1")
        + " (FROM or FROM-TO)";
  }

  private static IpAddress addressOrNull(String text) {
    IpAddress a = address(IpFamily.V4, text);
    return a != null ? a : address(IpFamily.V6, text);
  }

  /** xtables_numeric_to_ipaddr (IPv4) or inet_pton (IPv6); null if {@code text} is not one. */
  private static IpAddress address(IpFamily family, String text) {
    if (family == IpFamily.V6) {
      if (text.indexOf(':') < 0) {
        return null;
      }
      try {
        IpAddress a = IpAddress.parse(text);
        return a.family() == IpFamily.V6 ? a : null;
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    String[] parts = text.split("\\.", -1);
    if (parts.length > 4) {
      return null;
    }
    int bits = 0;
    for (int i = 0; i < 4; i++) {
      long b = 0;
      if (i < parts.length) {
        b = Numbers.parseUnsigned(parts[i], 255);
        if (b < 0) {
          return null;
        }
      }
      bits = (bits << 8) | (int) b;
    }
    return IpAddress.v4(bits);
  }

  /** {@code -m iprange} ({@link IprangeMatch}), as libxt_iprange.c reads it. */
  static final class IprangeModule extends MatchModule<IprangeMatch> {
    static final IprangeModule INSTANCE = new IprangeModule();
    private static final List<String> OPTIONS = List.of("--src-range", "--dst-range");

    private IprangeModule() {
      super("iprange", IprangeMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "iprange", at, rule) {
        private Optional<Range> src = Optional.empty();
        private Optional<Range> dst = Optional.empty();
        private boolean srcNeg;
        private boolean dstNeg;

        @Override
        void value(String option, Token optionToken, Token arg) {
          Object r = read(rule.family(), arg.text());
          if (r instanceof String problem) {
            throw error(arg, problem + " for " + option);
          }
          if (option.equals("--src-range")) {
            src = Optional.of((Range) r);
            srcNeg = optionNegated;
          } else {
            dst = Optional.of((Range) r);
            dstNeg = optionNegated;
          }
        }

        @Override
        Match finish() {
          if (src.isEmpty() && dst.isEmpty()) {
            throw error(at, "-m iprange needs --src-range or --dst-range");
          }
          return new IprangeMatch(src, srcNeg, dst, dstNeg);
        }
      };
    }

    @Override
    void write(IprangeMatch m, StringBuilder out) {
      m.source().ifPresent(r -> out.append(m.sourceNegated() ? " ! --src-range " : " --src-range ").append(r.text()));
      m.destination().ifPresent(r ->
          out.append(m.destinationNegated() ? " ! --dst-range " : " --dst-range ").append(r.text()));
    }

    @Override
    void check(IprangeMatch m, RuleContext rule, Findings findings) {
      if (rule.family == null) {
        // The rule's screen (no family yet): have validation look at it in its ruleset.
        findings.warning("iprange-context", "checked in its ruleset");
        return;
      }
      if (rule.family != m.family()) {
        findings.error("iprange-family", "-m iprange with " + (m.family() == IpFamily.V4 ? "IPv4" : "IPv6")
            + " addresses in an " + (rule.family == IpFamily.V4 ? "IPv4" : "IPv6") + " ruleset");
      }
    }
  }
}
