package dev.mlb.iproute;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.MlbStyle;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.immutables.value.Value;

/**
 * One policy-routing rule, as {@code ip rule} manages it.
 *
 * <pre>{@code
 * IpRule rule = IpRule.builder()
 *     .priority(1001)
 *     .fwmark(Mark.of(1, 0xff))
 *     .action(RuleAction.lookup(RoutingTable.of(101)))
 *     .protocol(RouteProtocol.of(99))
 *     .build();
 * rule.toString();   // "priority 1001 from all fwmark 0x1/0xff lookup 101 proto openr"
 * }</pre>
 *
 * <p>Selectors left out match everything; a {@code /0} prefix and a mark with mask 0 are dropped on
 * {@code build()}, because they match everything too and the kernel reports them as absent; so is protocol
 * {@code unspec} (0), the kernel's default. {@link #toString()} is the rule as {@link IpBatchWriter}
 * writes it after {@code rule add}, in the order {@code ip rule show} prints. Values that the kernel
 * or {@code ip} would refuse (a wildcard interface, a prefix with host bits, families that do not
 * agree) are reported by {@link RoutingPlan#validate()}, naming the rule.
 */
@Value.Immutable
@MlbStyle
@SuppressWarnings("immutables:from") // from() is the ip keyword; the builder's copy-from is not generated
public abstract class IpRule {

  IpRule() {}

  public static Builder builder() {
    return new Builder();
  }

  /** Builds an {@link IpRule}; {@code build()} throws IllegalStateException if the action is missing. */
  public static final class Builder extends ImmutableIpRule.Builder {}

  /** The priority (the kernel's order of evaluation, 0 to 4294967295); empty lets the kernel pick. */
  public abstract OptionalLong priority();

  /** Whether the selector is inverted: the rule applies to packets that do <em>not</em> match. */
  @Value.Default
  public boolean not() {
    return false;
  }

  /** Source prefix; empty is {@code from all}. */
  public abstract Optional<IpPrefix> from();

  /** Destination prefix; empty is any. */
  public abstract Optional<IpPrefix> to();

  /** The firewall mark test {@code (mark & mask) == value}. */
  public abstract Optional<Mark> fwmark();

  /** Incoming interface ({@code lo} for locally generated packets). */
  public abstract Optional<InterfaceName> iif();

  /** Outgoing interface (for sockets bound to a device). */
  public abstract Optional<InterfaceName> oif();

  /** IP protocol ({@code ipproto}). */
  public abstract Optional<Protocol> ipproto();

  /** Source port or range. */
  public abstract Optional<PortRange> sport();

  /** Destination port or range. */
  public abstract Optional<PortRange> dport();

  /** What the rule does. */
  public abstract RuleAction action();

  /** Reject lookup results whose prefix length is at most this ({@code 0} ignores default routes). */
  public abstract OptionalInt suppressPrefixLength();

  /** Reject lookup results whose device is in this interface group. */
  public abstract OptionalLong suppressIfgroup();

  /** The ownership tag ({@code protocol}); mlb's rules carry the plan's owner. */
  public abstract Optional<RouteProtocol> protocol();

  /** The line this rule was read from, if it was parsed; not part of equality. */
  @Value.Auxiliary
  public abstract OptionalInt line();

  @Value.Check
  IpRule normalize() {
    priority().ifPresent(p -> checkRange("priority", p, 0xFFFF_FFFFL));
    suppressIfgroup().ifPresent(g -> checkRange("suppress_ifgroup", g, 0xFFFF_FFFFL));
    suppressPrefixLength().ifPresent(l -> checkRange("suppress_prefixlength", l, 128));
    // What the kernel cannot tell from "no selector": a /0 prefix and a mark with mask 0.
    boolean anyFrom = from().isPresent() && from().get().length() == 0;
    boolean anyTo = to().isPresent() && to().get().length() == 0;
    boolean anyMark = fwmark().isPresent() && fwmark().get().mask() == 0;
    boolean unspec = protocol().isPresent() && protocol().get().equals(RouteProtocol.UNSPEC);
    if (!anyFrom && !anyTo && !anyMark && !unspec) {
      return this;
    }
    // Each with* builds a new instance, which is normalized again; one step is enough.
    ImmutableIpRule self = (ImmutableIpRule) this;
    if (anyFrom) {
      return self.withFrom(Optional.empty());
    } else if (anyTo) {
      return self.withTo(Optional.empty());
    } else if (anyMark) {
      return self.withFwmark(Optional.empty());
    }
    return self.withProtocol(Optional.empty());
  }

  private static void checkRange(String what, long value, long max) {
    if (value < 0 || value > max) {
      throw new IllegalArgumentException(what + " " + value + " is outside 0.." + max);
    }
  }

  /** The rule as written after {@code rule add}. */
  @Override
  public String toString() {
    return IpBatchWriter.ruleSpec(this);
  }
}
