package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import com.google.common.collect.Sets;
import dev.mlb.api.Numbers;
import dev.mlb.api.Protocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * {@code -m policy --dir in|out --pol none|ipsec [--strict] [ELEMENT [--next ELEMENT]...]}: matches
 * by the IPsec policy a packet was decapsulated under ({@code --dir in}) or will be encapsulated
 * under ({@code --dir out}); {@code --pol none} matches packets without one.
 *
 * <pre>{@code
 * PolicyMatch.none(PolicyMatch.Direction.OUT)     // -m policy --dir out --pol none
 * PolicyMatch.ipsec(PolicyMatch.Direction.IN, PolicyMatch.Element.ANY.proto(PolicyMatch.Proto.ESP))
 *                                                 // -m policy --dir in --pol ipsec --proto esp
 * PolicyMatch.strict(PolicyMatch.Direction.IN,
 *     PolicyMatch.Element.tunnel("192.0.2.1", "198.51.100.0/24").reqid(1),
 *     PolicyMatch.Element.ANY.proto(PolicyMatch.Proto.AH))
 *     // -m policy --dir in --pol ipsec --strict --reqid 1 --mode tunnel --tunnel-dst 198.51.100.0/24
 *     //    --tunnel-src 192.0.2.1 --next --proto ah
 * }</pre>
 *
 * <p>Each element describes one transformation of the policy (reqid, SPI, protocol, mode, tunnel
 * ends). Without {@code --strict} there is one element and a packet matches if any transformation of
 * its policy fits it; with {@code --strict} the policy must consist of exactly the elements, in order
 * (up to four, joined by {@code --next}, none empty). As iptables-nft 1.8.9 reads it
 * ({@code extensions/libxt_policy.c}): {@code --dir} is required; {@code --pol} defaults to ipsec;
 * with {@code --pol none} the element options are read and dropped (iptables-save prints none of
 * them); tunnel ends need {@code --mode tunnel} (or {@code ! --mode transport}) in their element. A
 * tunnel end is {@code ADDRESS[/MASK]} as getaddrinfo reads it (an IPv4 address in any form
 * inet_aton takes, {@code 192.0.2} is 192.0.0.2; no host names here); the mask is a prefix length or
 * a contiguous netmask, a non-contiguous one means the whole address (iptables 1.8.9 does that); the
 * address keeps its host bits. The kernel refuses {@code --dir out} where packets come from
 * PREROUTING or INPUT and {@code --dir in} where they come from OUTPUT or POSTROUTING. The simulator
 * does not model {@code -m policy}.
 *
 * @param direction {@code --dir}
 * @param ipsec {@code --pol ipsec} (true) or {@code --pol none}
 * @param strict {@code --strict}
 * @param elements the policy elements: none for {@code --pol none}, at most one without
 *     {@code --strict} (none: any IPsec policy), one to four non-empty ones with it
 */
public record PolicyMatch(Direction direction, boolean ipsec, boolean strict, List<Element> elements)
    implements Match {

  /** The most elements a policy match holds ({@code XT_POLICY_MAX_ELEM}). */
  public static final int MAX_ELEMENTS = 4;

  /** {@code --dir}: the policy applied on the way in (decapsulation) or out (encapsulation). */
  public enum Direction {
    IN, OUT;

    /** As iptables-save prints it. */
    public String text() {
      return this == IN ? "in" : "out";
    }
  }

  /** {@code --proto}: the IPsec protocols, with their protocol numbers. */
  public enum Proto {
    ESP(50), AH(51), IPCOMP(108);

    private final int number;

    Proto(int number) {
      this.number = number;
    }

    /** The IP protocol number. */
    public int number() {
      return number;
    }

    /** As iptables-save prints it (the name in /etc/protocols). */
    public String text() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** {@code --mode}. */
  public enum Mode {
    TRANSPORT, TUNNEL;

    /** As iptables-save prints it. */
    public String text() {
      return this == TUNNEL ? "tunnel" : "transport";
    }
  }

  /**
   * One element of a policy: what one transformation must be (each test optional and negatable).
   *
   * <pre>{@code
   * PolicyMatch.Element.ANY.reqid(1).notSpi(0x100)    // --reqid 1 ! --spi 0x100
   * PolicyMatch.Element.tunnel("192.0.2.1", "198.51.100.7").proto(PolicyMatch.Proto.ESP)
   *     // --proto esp --mode tunnel --tunnel-dst 198.51.100.7 --tunnel-src 192.0.2.1
   * }</pre>
   *
   * @param reqid {@code --reqid} (0 to 0xffffffff), if tested
   * @param reqidNegated {@code ! --reqid}
   * @param spi {@code --spi} (0 to 0xffffffff), if tested
   * @param spiNegated {@code ! --spi}
   * @param proto {@code --proto}, if tested
   * @param protoNegated {@code ! --proto}
   * @param mode {@code --mode}, if tested
   * @param modeNegated {@code ! --mode}
   * @param tunnelSource {@code --tunnel-src} (the address as written and the prefix length), if tested
   * @param tunnelSourceNegated {@code ! --tunnel-src}
   * @param tunnelDestination {@code --tunnel-dst}, if tested
   * @param tunnelDestinationNegated {@code ! --tunnel-dst}
   */
  public record Element(
      OptionalLong reqid, boolean reqidNegated,
      OptionalLong spi, boolean spiNegated,
      Optional<Proto> proto, boolean protoNegated,
      Optional<Mode> mode, boolean modeNegated,
      Optional<IpPrefix> tunnelSource, boolean tunnelSourceNegated,
      Optional<IpPrefix> tunnelDestination, boolean tunnelDestinationNegated) {

    /** The element that tests nothing; the withers below add tests to it. */
    public static final Element ANY = new Element(OptionalLong.empty(), false, OptionalLong.empty(), false,
        Optional.empty(), false, Optional.empty(), false, Optional.empty(), false, Optional.empty(), false);

    public Element {
      checkArgument(reqid != null && spi != null && proto != null && mode != null && tunnelSource != null
          && tunnelDestination != null, "-m policy: an element's test is null; use an empty optional");
      reqid.ifPresent(v -> checkArgument(RuleContext.isU32(v), "-m policy: --reqid %s is outside 0..4294967295", v));
      spi.ifPresent(v -> checkArgument(RuleContext.isU32(v), "-m policy: --spi %s is outside 0..4294967295", v));
      checkArgument(!reqidNegated || reqid.isPresent(), "-m policy: ! --reqid without a reqid");
      checkArgument(!spiNegated || spi.isPresent(), "-m policy: ! --spi without an SPI");
      checkArgument(!protoNegated || proto.isPresent(), "-m policy: ! --proto without a protocol");
      checkArgument(!modeNegated || mode.isPresent(), "-m policy: ! --mode without a mode");
      checkArgument(!tunnelSourceNegated || tunnelSource.isPresent(), "-m policy: ! --tunnel-src without an address");
      checkArgument(!tunnelDestinationNegated || tunnelDestination.isPresent(),
          "-m policy: ! --tunnel-dst without an address");
      checkArgument(tunnelSource.isEmpty() && tunnelDestination.isEmpty() || inTunnelMode(mode, modeNegated),
          "-m policy: --tunnel-src/--tunnel-dst need --mode tunnel (or ! --mode transport) in their element");
      checkArgument(tunnelSource.isEmpty() || tunnelDestination.isEmpty()
          || tunnelSource.get().family() == tunnelDestination.get().family(),
          "-m policy: --tunnel-src %s and --tunnel-dst %s mix IPv4 and IPv6", tunnelSource.orElse(null),
          tunnelDestination.orElse(null));
    }

    /**
     * {@code --mode tunnel --tunnel-dst DESTINATION --tunnel-src SOURCE}: each end
     * {@code ADDRESS[/LENGTH]}, IPv4 or IPv6 (both of one family).
     */
    public static Element tunnel(String source, String destination) {
      return ANY.mode(Mode.TUNNEL).tunnelSource(source).tunnelDestination(destination);
    }

    /** Whether the element tests nothing (iptables refuses such an element with {@code --strict}). */
    public boolean isEmpty() {
      return reqid.isEmpty() && spi.isEmpty() && proto.isEmpty() && mode.isEmpty() && tunnelSource.isEmpty()
          && tunnelDestination.isEmpty();
    }

    /** The family of the tunnel ends, if there are any. */
    public Optional<IpFamily> family() {
      return tunnelSource.or(() -> tunnelDestination).map(IpPrefix::family);
    }

    /** {@code --reqid ID}. */
    public Element reqid(long id) {
      return new Element(OptionalLong.of(id), false, spi, spiNegated, proto, protoNegated, mode, modeNegated,
          tunnelSource, tunnelSourceNegated, tunnelDestination, tunnelDestinationNegated);
    }

    /** {@code ! --reqid ID}. */
    public Element notReqid(long id) {
      return new Element(OptionalLong.of(id), true, spi, spiNegated, proto, protoNegated, mode, modeNegated,
          tunnelSource, tunnelSourceNegated, tunnelDestination, tunnelDestinationNegated);
    }

    /** {@code --spi SPI}. */
    public Element spi(long spi) {
      return new Element(reqid, reqidNegated, OptionalLong.of(spi), false, proto, protoNegated, mode, modeNegated,
          tunnelSource, tunnelSourceNegated, tunnelDestination, tunnelDestinationNegated);
    }

    /** {@code ! --spi SPI}. */
    public Element notSpi(long spi) {
      return new Element(reqid, reqidNegated, OptionalLong.of(spi), true, proto, protoNegated, mode, modeNegated,
          tunnelSource, tunnelSourceNegated, tunnelDestination, tunnelDestinationNegated);
    }

    /** {@code --proto P}. */
    public Element proto(Proto p) {
      return new Element(reqid, reqidNegated, spi, spiNegated, Optional.of(p), false, mode, modeNegated,
          tunnelSource, tunnelSourceNegated, tunnelDestination, tunnelDestinationNegated);
    }

    /** {@code ! --proto P}. */
    public Element notProto(Proto p) {
      return new Element(reqid, reqidNegated, spi, spiNegated, Optional.of(p), true, mode, modeNegated,
          tunnelSource, tunnelSourceNegated, tunnelDestination, tunnelDestinationNegated);
    }

    /** {@code --mode M}. */
    public Element mode(Mode m) {
      return new Element(reqid, reqidNegated, spi, spiNegated, proto, protoNegated, Optional.of(m), false,
          tunnelSource, tunnelSourceNegated, tunnelDestination, tunnelDestinationNegated);
    }

    /** {@code ! --mode M}. */
    public Element notMode(Mode m) {
      return new Element(reqid, reqidNegated, spi, spiNegated, proto, protoNegated, Optional.of(m), true,
          tunnelSource, tunnelSourceNegated, tunnelDestination, tunnelDestinationNegated);
    }

    /** {@code --tunnel-src ADDRESS[/LENGTH]} (the element needs tunnel mode). */
    public Element tunnelSource(String prefix) {
      return new Element(reqid, reqidNegated, spi, spiNegated, proto, protoNegated, mode, modeNegated,
          Optional.of(IpPrefix.parse(prefix)), false, tunnelDestination, tunnelDestinationNegated);
    }

    /** {@code ! --tunnel-src ADDRESS[/LENGTH]}. */
    public Element notTunnelSource(String prefix) {
      return new Element(reqid, reqidNegated, spi, spiNegated, proto, protoNegated, mode, modeNegated,
          Optional.of(IpPrefix.parse(prefix)), true, tunnelDestination, tunnelDestinationNegated);
    }

    /** {@code --tunnel-dst ADDRESS[/LENGTH]} (the element needs tunnel mode). */
    public Element tunnelDestination(String prefix) {
      return new Element(reqid, reqidNegated, spi, spiNegated, proto, protoNegated, mode, modeNegated,
          tunnelSource, tunnelSourceNegated, Optional.of(IpPrefix.parse(prefix)), false);
    }

    /** {@code ! --tunnel-dst ADDRESS[/LENGTH]}. */
    public Element notTunnelDestination(String prefix) {
      return new Element(reqid, reqidNegated, spi, spiNegated, proto, protoNegated, mode, modeNegated,
          tunnelSource, tunnelSourceNegated, Optional.of(IpPrefix.parse(prefix)), true);
    }

    /** Whether tunnel ends may be given with this mode test (policy_check of libxt_policy.c). */
    static boolean inTunnelMode(Optional<Mode> mode, boolean negated) {
      // An element without --mode has mode 0, transport: tunnel ends need a mode test.
      return mode.isPresent() && (mode.get() == Mode.TUNNEL) != negated;
    }
  }

  public PolicyMatch {
    checkArgument(direction != null, "-m policy needs a direction (--dir in or --dir out)");
    checkArgument(elements != null, "-m policy: the elements are null; use an empty list");
    elements = List.copyOf(elements);
    if (!ipsec) {
      checkArgument(!strict, "-m policy: --pol none cannot be --strict");
      checkArgument(elements.isEmpty(), "-m policy: --pol none has no policy elements");
    } else if (strict) {
      checkArgument(!elements.isEmpty() && elements.size() <= MAX_ELEMENTS,
          "-m policy --strict needs 1 to %s elements, not %s", MAX_ELEMENTS, elements.size());
      for (int i = 0; i < elements.size(); i++) {
        checkArgument(!elements.get(i).isEmpty(), "-m policy --strict: element %s tests nothing", i + 1);
      }
    } else {
      checkArgument(elements.size() <= 1, "-m policy: %s elements need --strict", elements.size());
      if (elements.size() == 1 && elements.get(0).isEmpty()) {
        elements = List.of();
      }
    }
    IpFamily family = null;
    for (Element e : elements) {
      IpFamily f = e.family().orElse(null);
      checkArgument(family == null || f == null || f == family, "-m policy: tunnel ends mix IPv4 and IPv6");
      family = f != null ? f : family;
    }
  }

  /** {@code -m policy --dir DIRECTION --pol none}: packets without an IPsec policy. */
  public static PolicyMatch none(Direction direction) {
    return new PolicyMatch(direction, false, false, List.of());
  }

  /** {@code -m policy --dir DIRECTION --pol ipsec}: packets with any IPsec policy. */
  public static PolicyMatch ipsec(Direction direction) {
    return new PolicyMatch(direction, true, false, List.of());
  }

  /** {@code -m policy --dir DIRECTION --pol ipsec ELEMENT}: a policy of which some transformation fits. */
  public static PolicyMatch ipsec(Direction direction, Element element) {
    return new PolicyMatch(direction, true, false, List.of(element));
  }

  /** {@code -m policy --dir DIRECTION --pol ipsec --strict E1 --next E2 ...}: exactly these transformations. */
  public static PolicyMatch strict(Direction direction, Element first, Element... rest) {
    List<Element> all = new ArrayList<>(1 + rest.length);
    all.add(first);
    all.addAll(Arrays.asList(rest));
    return new PolicyMatch(direction, true, true, all);
  }

  /** The family of the tunnel ends, if any element has one. */
  public Optional<IpFamily> family() {
    for (Element e : elements) {
      if (e.family().isPresent()) {
        return e.family();
      }
    }
    return Optional.empty();
  }

  @Override
  public String module() {
    return "policy";
  }

  /** {@code -m policy}: iptables' {@code extensions/libxt_policy.c}, as iptables-nft 1.8.9 reads it. */
  static final class PolicyModule extends MatchModule<PolicyMatch> {
    static final PolicyModule INSTANCE = new PolicyModule();

    private static final List<String> OPTIONS = List.of("--dir", "--pol", "--strict", "--reqid", "--spi",
        "--proto", "--mode", "--tunnel-src", "--tunnel-dst", "--next");
    private static final Set<String> FLAGS = Set.of("--strict", "--next");
    /** The options that describe one element; each once per element. */
    private static final Set<String> ELEMENT_OPTIONS = Set.of("--reqid", "--spi", "--proto", "--mode",
        "--tunnel-src", "--tunnel-dst");
    private static final Set<Hook> NO_IN = EnumSet.of(Hook.OUTPUT, Hook.POSTROUTING);
    private static final Set<Hook> NO_OUT = EnumSet.of(Hook.PREROUTING, Hook.INPUT);

    private PolicyModule() {
      super("policy", PolicyMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Set<String> flags() {
      return FLAGS;
    }

    @Override
    boolean negatable(String option) {
      return ELEMENT_OPTIONS.contains(option);
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "policy", at, rule) {
        private Direction direction;
        private boolean ipsec = true;
        private final List<ElementReader> elements = new ArrayList<>(List.of(new ElementReader(at)));
        private Token firstNext;

        @Override
        void value(String option, Token optionToken, Token arg) {
          ElementReader e = elements.get(elements.size() - 1);
          switch (option) {
            case "--dir" -> direction = switch (arg.text()) {
              case "in" -> Direction.IN;
              case "out" -> Direction.OUT;
              default -> throw error(arg, "-m policy: bad direction " + quoted(arg.text())
                  + " for --dir; expected in or out");
            };
            case "--pol" -> ipsec = switch (arg.text()) {
              case "ipsec" -> true;
              case "none" -> false;
              default -> throw error(arg, "-m policy: bad policy " + quoted(arg.text())
                  + " for --pol; expected none or ipsec");
            };
            case "--strict" -> { }
            case "--next" -> {
              // Each element may repeat the element options, and --next starts one.
              given.remove("--next");
              firstNext = firstNext == null ? optionToken : firstNext;
              if (elements.size() == MAX_ELEMENTS) {
                throw error(optionToken, "-m policy: a policy has at most " + MAX_ELEMENTS
                    + " elements (" + (MAX_ELEMENTS - 1) + " --next)");
              }
              elements.add(new ElementReader(optionToken));
            }
            default -> {
              given.remove(option);
              if (!e.given.add(option)) {
                throw error(optionToken, "-m policy: " + option + " given twice in policy element "
                    + elements.size() + "; each element takes it once (--next starts the next element)");
              }
              e.read(this, option, arg, optionNegated);
            }
          }
        }

        @Override
        Match finish() {
          if (direction == null) {
            throw error(at, "-m policy needs --dir in or --dir out");
          }
          if (!ipsec) {
            if (given.containsKey("--strict")) {
              throw error(given.get("--strict"), "-m policy: --strict with --pol none, which has no policy to"
                  + " match exactly; iptables refuses it");
            }
            if (firstNext != null) {
              throw error(firstNext, "-m policy: --next with --pol none, which has no policy elements");
            }
            // iptables reads the element options of --pol none and keeps none of them.
            return new PolicyMatch(direction, false, false, List.of());
          }
          boolean strict = given.containsKey("--strict");
          List<Element> built = new ArrayList<>(elements.size());
          for (int i = 0; i < elements.size(); i++) {
            ElementReader e = elements.get(i);
            if (strict && e.isEmpty()) {
              throw error(e.start, "-m policy --strict: policy element " + (i + 1) + " is empty; expected at"
                  + " least one of --reqid, --spi, --proto, --mode, --tunnel-src or --tunnel-dst");
            }
            if (!e.tunnelEndsAllowed()) {
              throw error(e.tunnelEnd, "-m policy: " + e.tunnelOption + " needs --mode tunnel (or ! --mode"
                  + " transport) in its element; expected --mode tunnel");
            }
            built.add(e.element());
          }
          if (firstNext != null && !strict) {
            throw error(firstNext, "-m policy: --next needs --strict (several elements match only as a whole"
                + " policy)");
          }
          return new PolicyMatch(direction, true, strict, built);
        }
      };
    }

    /** One element while it is read (its tests may come in any order, tunnel ends before the mode). */
    private static final class ElementReader {
      /** Where the element starts: the -m, or its --next. */
      final Token start;
      final Set<String> given = new HashSet<>(4);
      OptionalLong reqid = OptionalLong.empty();
      OptionalLong spi = OptionalLong.empty();
      Optional<Proto> proto = Optional.empty();
      Optional<Mode> mode = Optional.empty();
      Optional<IpPrefix> source = Optional.empty();
      Optional<IpPrefix> destination = Optional.empty();
      /** The negated options. */
      final Set<String> negated = new HashSet<>(2);
      /** The address of the first --tunnel-src or --tunnel-dst of the element, if any, and its option. */
      Token tunnelEnd;
      String tunnelOption;

      ElementReader(Token start) {
        this.start = start;
      }

      void read(Reader r, String option, Token arg, boolean not) {
        if (not) {
          negated.add(option);
        }
        switch (option) {
          case "--reqid" -> reqid = OptionalLong.of(Arguments.u32(r.rule, arg, "--reqid"));
          case "--spi" -> spi = OptionalLong.of(Arguments.u32(r.rule, arg, "--spi"));
          case "--proto" -> proto = Optional.of(proto(r, arg));
          case "--mode" -> mode = Optional.of(switch (arg.text()) {
            case "tunnel" -> Mode.TUNNEL;
            case "transport" -> Mode.TRANSPORT;
            default -> throw r.error(arg, "-m policy: bad mode " + quoted(arg.text())
                + " for --mode; expected tunnel or transport");
          });
          case "--tunnel-src" -> source = Optional.of(tunnelEnd(r, option, arg));
          default -> destination = Optional.of(tunnelEnd(r, option, arg));
        }
      }

      private IpPrefix tunnelEnd(Reader r, String option, Token arg) {
        // Tunnel ends are checked against the mode once the element is whole.
        if (tunnelEnd == null) {
          tunnelEnd = arg;
          tunnelOption = option;
        }
        return Tunnels.hostmask(r, option, arg);
      }

      /** Whether the element tests nothing. */
      boolean isEmpty() {
        return given.isEmpty();
      }

      /** Whether tunnel ends, if any, are allowed by the element's mode test. */
      boolean tunnelEndsAllowed() {
        return tunnelEnd == null || Element.inTunnelMode(mode, negated.contains("--mode"));
      }

      Element element() {
        return new Element(reqid, negated.contains("--reqid"), spi, negated.contains("--spi"), proto,
            negated.contains("--proto"), mode, negated.contains("--mode"), source, negated.contains("--tunnel-src"),
            destination, negated.contains("--tunnel-dst"));
      }

      /** xtables_parse_protocol: a number 0 to 255, or a name or alias of /etc/protocols (case matters). */
      private static Proto proto(Reader r, Token arg) {
        String t = arg.text();
        long n = Numbers.parseUnsigned(t, 255);
        if (n < 0) {
          n = switch (t) {
            case "esp", "IPSEC-ESP" -> 50;
            case "ah", "IPSEC-AH" -> 51;
            case "ipcomp", "IPCOMP" -> 108;
            case "all" -> 0;
            default -> knownProtocol(t);
          };
        }
        for (Proto p : Proto.values()) {
          if (p.number() == n) {
            return p;
          }
        }
        throw r.error(arg, "-m policy: " + (n < 0 ? "unknown protocol " : "protocol ") + quoted(t)
            + " for --proto; expected ah, esp or ipcomp (or 51, 50, 108)");
      }

      /**
       * The number of another protocol name iptables knows, or -1 (ESP, AH and IPComp go by the
       * names above only: getprotobyname minds case, Protocol.parse does not).
       */
      private static long knownProtocol(String name) {
        try {
          int n = Protocol.parse(name).number();
          return n == 50 || n == 51 || n == 108 ? -1 : n;
        } catch (IllegalArgumentException e) {
          return -1;
        }
      }
    }

    @Override
    void write(PolicyMatch m, StringBuilder out) {
      out.append(" --dir ").append(m.direction().text()).append(m.ipsec() ? " --pol ipsec" : " --pol none");
      if (m.strict()) {
        out.append(" --strict");
      }
      List<Element> elements = m.elements();
      for (int i = 0; i < elements.size(); i++) {
        if (i > 0) {
          out.append(" --next");
        }
        Element e = elements.get(i);
        if (e.reqid().isPresent()) {
          out.append(e.reqidNegated() ? " ! --reqid " : " --reqid ").append(e.reqid().getAsLong());
        }
        if (e.spi().isPresent()) {
          out.append(e.spiNegated() ? " ! --spi 0x" : " --spi 0x").append(Long.toHexString(e.spi().getAsLong()));
        }
        e.proto().ifPresent(p -> out.append(e.protoNegated() ? " ! --proto " : " --proto ").append(p.text()));
        e.mode().ifPresent(p -> out.append(e.modeNegated() ? " ! --mode " : " --mode ").append(p.text()));
        e.tunnelDestination().ifPresent(p ->
            Tunnels.append(out.append(e.tunnelDestinationNegated() ? " ! --tunnel-dst " : " --tunnel-dst "), p));
        e.tunnelSource().ifPresent(p ->
            Tunnels.append(out.append(e.tunnelSourceNegated() ? " ! --tunnel-src " : " --tunnel-src "), p));
      }
    }

    @Override
    void check(PolicyMatch m, RuleContext rule, Findings findings) {
      if (rule.family == null) {
        // The rule's screen knows neither the family nor the chain: have validation check it there.
        findings.warning("policy-context", "checked in its chain");
        return;
      }
      Set<Hook> forbidden = m.direction() == Direction.IN ? NO_IN : NO_OUT;
      Set<Hook> bad = Sets.intersection(rule.hooks, forbidden);
      if (!bad.isEmpty()) {
        findings.error("match-hook", "-m policy --dir " + m.direction().text() + " in chain " + rule.chain
            + ", which is reached from " + EnumSet.copyOf(bad) + ", where packets have no "
            + (m.direction() == Direction.IN ? "decapsulation (input) policy" : "encapsulation (output) policy")
            + "; the kernel refuses it");
      }
      Optional<IpFamily> family = m.family();
      if (family.isPresent() && family.get() != rule.family) {
        findings.error("policy-family", "-m policy with " + (family.get() == IpFamily.V4 ? "IPv4" : "IPv6")
            + " tunnel ends in an " + (rule.family == IpFamily.V4 ? "IPv4" : "IPv6") + " ruleset");
      }
    }
  }

  /** Tunnel ends ({@code XTTYPE_HOSTMASK} of libxtables 1.8.9): how they are read and printed. */
  static final class Tunnels {
    private Tunnels() {}

    /**
     * {@code ADDRESS[/MASK]} of the rule's family: the address as getaddrinfo reads a numeric host
     * (inet_aton for IPv4, inet_pton for IPv6), the mask a prefix length (strtoul, base 0) or a
     * netmask; a netmask that is not contiguous means the whole address (iptables 1.8.9 makes it
     * all ones).
     */
    static IpPrefix hostmask(MatchModule.Reader r, String option, Token arg) {
      IpFamily family = r.rule.family();
      String text = arg.text();
      int slash = text.indexOf('/');
      String hostText = slash < 0 ? text : text.substring(0, slash);
      IpAddress host = address(family, hostText);
      if (host == null) {
        String expected = family == IpFamily.V4 ? "an IPv4 address such as 192.0.2.1" : "an IPv6 address such as"
            + " 2001:db8::1";
        throw r.error(arg, "-m policy: bad address " + quoted(hostText) + " for " + option + "; expected "
            + expected + " (" + (address(other(family), hostText) != null ? "this ruleset is "
            + (family == IpFamily.V4 ? "IPv4" : "IPv6") : "mlb reads no host names or scope ids") + ")");
      }
      int bits = family.bits();
      if (slash < 0) {
        return IpPrefix.host(host);
      }
      String maskText = text.substring(slash + 1);
      long length = Numbers.parseUnsigned(maskText, bits);
      if (length < 0) {
        IpAddress mask = address(family, maskText);
        if (mask == null) {
          throw r.error(arg, "-m policy: bad mask " + quoted(maskText) + " for " + option + "; expected a prefix"
              + " length 0 to " + bits + " or a netmask such as " + (family == IpFamily.V4 ? "255.255.255.0"
              : "ffff:ffff::"));
        }
        length = prefixLength(mask);
      }
      return IpPrefix.of(host, (int) length);
    }

    /** {@code ADDRESS} or {@code ADDRESS/LENGTH}, as iptables-save prints a tunnel end. */
    static void append(StringBuilder out, IpPrefix p) {
      out.append(p.address());
      if (p.length() != p.family().bits()) {
        out.append('/').append(p.length());
      }
    }

    private static IpFamily other(IpFamily family) {
      return family == IpFamily.V4 ? IpFamily.V6 : IpFamily.V4;
    }

    /** A numeric host of {@code family} as getaddrinfo reads it, or null. */
    static IpAddress address(IpFamily family, String text) {
      if (family == IpFamily.V4) {
        long v = inetAton(text);
        return v < 0 ? null : IpAddress.v4((int) v);
      }
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

    /**
     * glibc's inet_aton, whole string: one to four parts, each a C number (decimal, 0x hex, 0 octal),
     * the last filling the remaining bytes ({@code 192.0.2} is 192.0.0.2); -1 if not an address.
     */
    static long inetAton(String text) {
      String[] parts = text.split("\\.", -1);
      if (parts.length > 4) {
        return -1;
      }
      long value = 0;
      for (int i = 0; i < parts.length - 1; i++) {
        long part = Numbers.parseUnsigned(parts[i], 0xff);
        if (part < 0) {
          return -1;
        }
        value |= part << (24 - 8 * i);
      }
      long last = Numbers.parseUnsigned(parts[parts.length - 1], 0xffffffffL >>> (8 * (parts.length - 1)));
      return last < 0 ? -1 : value | last;
    }

    /** The prefix length of a contiguous netmask, or the family's bits for another one. */
    static int prefixLength(IpAddress mask) {
      if (mask.family() == IpFamily.V4) {
        int v = (int) mask.low();
        int len = Integer.bitCount(v);
        return v == (len == 0 ? 0 : -1 << (32 - len)) ? len : 32;
      }
      long hi = mask.high();
      long lo = mask.low();
      int len = Long.bitCount(hi) + Long.bitCount(lo);
      long wantHi = len == 0 ? 0 : len >= 64 ? -1L : -1L << (64 - len);
      long wantLo = len <= 64 ? 0 : len == 128 ? -1L : -1L << (128 - len);
      return hi == wantHi && lo == wantLo ? len : 128;
    }
  }
}
