package dev.mlb.netfilter;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.MlbStyle;
import dev.mlb.api.Protocol;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * One rule: the header tests ({@code -s -d -i -o -p -f}, each negatable), then the match modules in
 * order, then an optional target.
 *
 * <pre>{@code
 * Rule r = Rule.builder()
 *     .in(InterfaceName.of("eth0"))
 *     .protocol(Protocol.TCP)
 *     .addMatches(PortMatch.tcpDestination(PortRange.of(443)), StateMatch.of(ConnState.NEW))
 *     .target(new Jump("balance1"))
 *     .build();
 * // -i eth0 -p tcp -m tcp --dport 443 -m state --state NEW -j balance1
 * }</pre>
 *
 * <p>The rule is kept as the kernel keeps it and iptables-save shows it: addresses with the host
 * bits cleared ({@code -s 10.1.2.3/8} is {@code 10.0.0.0/8}); tests that pass everything
 * ({@code -s 0.0.0.0/0}, {@code -i +}) left out. A negation flag without its test is a builder error.
 */
@Value.Immutable
@MlbStyle
public abstract class Rule {

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link Rule}. */
  public static final class Builder extends ImmutableRule.Builder {
    /** {@code ! -s prefix}. */
    public Builder notSource(IpPrefix prefix) {
      return source(prefix).sourceNegated(true);
    }

    /** {@code ! -d prefix}. */
    public Builder notDestination(IpPrefix prefix) {
      return destination(prefix).destinationNegated(true);
    }

    /** {@code ! -i name}. */
    public Builder notIn(InterfaceName name) {
      return in(name).inNegated(true);
    }

    /** {@code ! -o name}. */
    public Builder notOut(InterfaceName name) {
      return out(name).outNegated(true);
    }

    /** {@code ! -f}: not a non-first fragment. */
    public Builder notFragment() {
      return fragment(true).fragmentNegated(true);
    }

    /** {@code ! -p protocol}. */
    public Builder notProtocol(Protocol protocol) {
      return protocol(protocol).protocolNegated(true);
    }
  }

  /** {@code -s}: the source address or network. */
  public abstract Optional<IpPrefix> source();

  @Value.Default
  public boolean sourceNegated() {
    return false;
  }

  /**
   * {@code -s ADDRESS/MASK} with a mask that is not a run of leading ones ({@code -s
   * 10.0.12.0/255.0.255.0}): the mask. {@link #source()} then holds the address with the mask
   * applied, as a host prefix; a mask of leading ones becomes the prefix length instead.
   */
  public abstract Optional<IpAddress> sourceMask();

  /** {@code -d ADDRESS/MASK} with a mask that is not a run of leading ones, as {@link #sourceMask()}. */
  public abstract Optional<IpAddress> destinationMask();

  /** {@code -d}: the destination address or network. */
  public abstract Optional<IpPrefix> destination();

  @Value.Default
  public boolean destinationNegated() {
    return false;
  }

  /** {@code -i}: the input interface (a trailing {@code +} is a wildcard). */
  public abstract Optional<InterfaceName> in();

  @Value.Default
  public boolean inNegated() {
    return false;
  }

  /** {@code -o}: the output interface. */
  public abstract Optional<InterfaceName> out();

  @Value.Default
  public boolean outNegated() {
    return false;
  }

  /** {@code -p}: the protocol. */
  public abstract Optional<Protocol> protocol();

  @Value.Default
  public boolean protocolNegated() {
    return false;
  }

  /** {@code -f}: the packet is a second or later fragment (IPv4 only; IPv6 uses {@code -m frag}). */
  @Value.Default
  public boolean fragment() {
    return false;
  }

  /** {@code ! -f}: the packet is not a second or later fragment. */
  @Value.Default
  public boolean fragmentNegated() {
    return false;
  }

  /** The match modules, evaluated left to right. */
  public abstract ImmutableList<Match> matches();

  /** The target; a rule without one only counts packets. */
  public abstract Optional<Target> target();

  /**
   * What validation must look at in this rule (the bits of {@link RulesetValidator#screen}), worked
   * out once when the rule is built, so that validating a large ruleset reads one field of most
   * rules instead of every match and target. Not part of the value.
   */
  @Value.Derived
  @Value.Auxiliary
  int screen() {
    return RulesetValidator.screen(this);
  }

  @Value.Check
  protected Rule normalize() {
    checkNegation(sourceNegated(), source().isPresent(), "source");
    checkNegation(destinationNegated(), destination().isPresent(), "destination");
    checkNegation(inNegated(), in().isPresent(), "in");
    checkNegation(outNegated(), out().isPresent(), "out");
    checkNegation(protocolNegated(), protocol().isPresent(), "protocol");
    checkNegation(fragmentNegated(), fragment(), "fragment");
    checkMask(sourceMask(), source(), "source");
    checkMask(destinationMask(), destination(), "destination");
    if (sourceMask().isPresent() && isLeadingOnes(sourceMask().get())
        || destinationMask().isPresent() && isLeadingOnes(destinationMask().get())) {
      return ImmutableRule.builder().from(this)
          .source(withMask(source(), sourceMask())).sourceMask(Optional.empty())
          .destination(withMask(destination(), destinationMask())).destinationMask(Optional.empty())
          .build();
    }
    // What iptables-save cannot show is not kept either: host bits, "-s 0.0.0.0/0", "-i +".
    Optional<IpPrefix> source = source();
    Optional<IpPrefix> destination = destination();
    Optional<InterfaceName> in = in();
    Optional<InterfaceName> out = out();
    Optional<IpPrefix> src = sourceMask().isPresent() ? masked(source, sourceMask().get())
        : canonical(source, sourceNegated());
    Optional<IpPrefix> dst = destinationMask().isPresent() ? masked(destination, destinationMask().get())
        : canonical(destination, destinationNegated());
    Optional<InterfaceName> inIf = in.filter(i -> inNegated() || !i.name().equals("+"));
    Optional<InterfaceName> outIf = out.filter(i -> outNegated() || !i.name().equals("+"));
    if (same(src, source) && same(dst, destination) && same(inIf, in) && same(outIf, out)) {
      return this;
    }
    return ImmutableRule.builder()
        .from(this)
        .source(src)
        .destination(dst)
        .in(inIf)
        .out(outIf)
        .build();
  }

  /**
   * Whether two optionals hold the same value: first by identity (the accessors of the generated
   * class wrap the field anew on each call, and the steps above keep the value itself when nothing
   * changes), then by {@code equals}.
   */
  private static <T> boolean same(Optional<T> a, Optional<T> b) {
    return a.orElse(null) == b.orElse(null) || a.equals(b);
  }

  private static void checkMask(Optional<IpAddress> mask, Optional<IpPrefix> prefix, String what) {
    if (mask.isPresent() && (prefix.isEmpty() || prefix.get().family() != mask.get().family())) {
      throw new IllegalStateException(what + "Mask " + mask.get() + " needs a " + what + " of its family");
    }
  }

  /** Whether {@code mask} is a run of leading ones (a prefix length would do). */
  static boolean isLeadingOnes(IpAddress mask) {
    return RuleParser.contiguousLength(mask) >= 0;
  }

  /** The prefix with {@code mask} (leading ones) as its length, or the prefix alone. */
  private static Optional<IpPrefix> withMask(Optional<IpPrefix> prefix, Optional<IpAddress> mask) {
    if (mask.isEmpty() || !isLeadingOnes(mask.get())) {
      return prefix;
    }
    return prefix.map(p -> IpPrefix.of(p.address(), RuleParser.contiguousLength(mask.get())));
  }

  /** The address of {@code prefix} with {@code mask} applied, as a host prefix (as iptables keeps it). */
  private static Optional<IpPrefix> masked(Optional<IpPrefix> prefix, IpAddress mask) {
    IpAddress a = prefix.get().address();
    IpAddress m = a.family() == dev.mlb.api.IpFamily.V4 ? IpAddress.v4((int) (a.low() & mask.low()))
        : IpAddress.v6(a.high() & mask.high(), a.low() & mask.low());
    return Optional.of(IpPrefix.host(m));
  }

  /** The prefix without host bits, and none for an unnegated /0; {@code prefix} itself if it is that already. */
  private static Optional<IpPrefix> canonical(Optional<IpPrefix> prefix, boolean negated) {
    if (prefix.isEmpty()) {
      return prefix;
    }
    IpPrefix p = prefix.get();
    if (p.length() == 0 && !negated) {
      return Optional.empty();
    }
    IpPrefix network = p.network();
    return network == p ? prefix : Optional.of(network);
  }

  private static void checkNegation(boolean negated, boolean present, String what) {
    if (negated && !present) {
      throw new IllegalStateException(what + "Negated is set but there is no " + what + " to negate");
    }
  }
}
