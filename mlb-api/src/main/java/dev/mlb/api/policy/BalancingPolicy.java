package dev.mlb.api.policy;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.MlbStyle;
import dev.mlb.api.ValidationException;
import java.util.List;
import org.immutables.value.Value;

/**
 * What to balance over which uplinks, and how: the input of mlb's policy compilers.
 *
 * <pre>{@code
 * BalancingPolicy seed = BalancingPolicy.builder()
 *     .addUplinks(Uplink.builder().name("isp1").iface(InterfaceName.of("ppp0")).build())
 *     .addUplinks(Uplink.builder().name("isp2").iface(InterfaceName.of("ppp1")).build())
 *     .addLanInterfaces(InterfaceName.of("eth0"))
 *     .addLanPrefixes(IpPrefix.parse("192.0.2.0/24"))
 *     .addBalanced(TrafficSelector.of(Protocol.TCP, 22, 25, 80, 443))
 *     .addRouter(TrafficSelector.of(Protocol.TCP, 80))
 *     .build();                                   // validated: throws ValidationException
 * seed.mark(seed.uplinks().get(1));               // 0x2000000/0xf000000
 * seed.table(seed.uplinks().get(1));              // 101
 * }</pre>
 *
 * <p><b>Marks.</b> Uplink {@code i} (0-based, in order) carries the connection mark
 * {@link #mark(Uplink)}: its explicit {@link Uplink#mark()} if given, else the {@code (i+1)}-th
 * non-zero value that fits the {@link #markMask()} (the bits of {@code i+1} deposited into the
 * mask's bit positions, lowest first: mask {@code 0x0f000000} gives {@code 0x1000000},
 * {@code 0x2000000}, ...).
 * Only the mask's bits are ever read or written; {@link #foreignMarkBits()} declares bits other
 * software owns, which must not overlap the mask. The default mask {@code 0x0f000000} overlaps no
 * mark of common software (see {@link #DEFAULT_MARK_MASK}).
 *
 * <p><b>Tables and priorities.</b> Uplink {@code i} routes through table {@link #table(Uplink)}:
 * its explicit {@link Uplink#table()}, else {@code tableBase + i}. The routing compiler's rules
 * start at {@link #priorityBase()}. Everything mlb generates is tagged with the
 * {@link #chainPrefix()} (chains {@code PREFIX-...}) and the {@link #ruleProtocol()} ({@code ip rule
 * ... protocol N}), so that it can be found and removed again.
 *
 * <p><b>Traffic.</b> {@link #balanced()}: new connections from the LAN that are balanced; empty
 * means all new connections arriving on a LAN interface. {@link #router()}: the router's own new
 * connections that are balanced; empty means none (they use the main table). {@link #exclusions()}:
 * connections that are never balanced, LAN or router, even if a balanced selector matches.
 * {@link #stickyInbound()}: a connection that arrives on an uplink is answered through it.
 *
 * <p><b>Families.</b> A selector's prefixes of a family not compiled are ignored; a selector
 * whose sources or destinations hold no prefix of a family matches nothing of that family (see
 * {@link TrafficSelector#forFamily}), so a non-empty {@link #balanced()} never turns into "all".
 *
 * <p><b>Validation.</b> {@code build()} validates ({@link #validate()}) and throws {@link
 * ValidationException} listing every error; each names the field (e.g. {@code uplinks[1].weight})
 * and the offending value:
 * <pre>{@code
 * 1 error:
 * error [weight-range] uplinks[1].weight: 300 is out of range; expected 1 to 256
 * }</pre>
 * What is valid: at least one uplink and one LAN interface; uplink names of 1 to 15 letters,
 * digits, {@code _} and {@code -}, unique; one non-wildcard interface per uplink, none of them a
 * LAN interface; weights 1 to 256 (the range of a multipath nexthop weight); gateways and SNAT
 * addresses unicast, of their field's family and outside the LAN prefixes, an SNAT address not
 * the next hop; explicit marks non-zero, inside the mask and unique (also against assigned ones);
 * no duplicate LAN interfaces or prefixes; no more uplinks than the mask's
 * {@code 2^bits - 1} non-zero values; tables 1 to 2147483647 other than 253 to 255 (default, main,
 * local), unique (also against assigned ones and, for {@link Strategy#MULTIPATH}, the
 * {@link #multipathTable()}); a non-zero 32-bit mask and foreign bits outside it; a LAN prefix of
 * every compiled family, none of them {@code /0}; a non-empty family set; priority base 1 to 32000;
 * a chain prefix of 1 to 16 letters, digits, {@code -} and {@code _} starting with a letter or digit
 * (so that {@code PREFIX-prerouting} fits iptables' 28 characters); a rule protocol 5 to 255
 * (iproute2 reserves 0 to 4). Warnings (not thrown) flag suspicious but valid input: prefixes of a
 * family not compiled, host bits set, a balanced source outside the LAN, a rule protocol that a
 * routing daemon uses, an uplink with a next hop in only one of two compiled families.
 */
@Value.Immutable
@MlbStyle
public abstract class BalancingPolicy {
  BalancingPolicy() {}

  public static Builder builder() {
    return new Builder();
  }

  public static final class Builder extends ImmutableBalancingPolicy.Builder {}

  /**
   * The default {@link #markMask()}: bits 24 to 27 (uplink values 1 to 15), which none of the marks
   * of kube-proxy, flannel, Docker, WireGuard, Tailscale, firewalld, OpenWrt's fw4, mwan3 and pbr,
   * strongSwan, podman and Shorewall touch (the README lists them, with sources; Calico's eBPF
   * mode and Cilium use every bit and need an explicit mask).
   */
  public static final long DEFAULT_MARK_MASK = 0x0f000000L;

  /** The uplinks, at least one, in order; an uplink's index decides its assigned mark and table. */
  public abstract ImmutableList<Uplink> uplinks();

  /** The interfaces the LAN is on, at least one. */
  public abstract ImmutableList<InterfaceName> lanInterfaces();

  /** The LAN's prefixes, at least one per family compiled. */
  public abstract ImmutableList<IpPrefix> lanPrefixes();

  /**
   * LAN connections that are balanced; empty: all new LAN connections. (A non-empty list whose
   * selectors match nothing of a family balances nothing of that family.)
   */
  public abstract ImmutableList<TrafficSelector> balanced();

  /** Router-originated connections that are balanced; empty: none. */
  public abstract ImmutableList<TrafficSelector> router();

  /** Connections that are never balanced. */
  public abstract ImmutableList<TrafficSelector> exclusions();

  /** Whether a connection arriving on an uplink is answered through that uplink (default on). */
  @Value.Default
  public boolean stickyInbound() {
    return true;
  }

  /** How connections are spread (default {@link Strategy#NTH}). */
  @Value.Default
  public Strategy strategy() {
    return Strategy.NTH;
  }

  /**
   * The mark bits mlb owns (default {@code 0x0f000000}); a non-zero 32-bit value with at least
   * {@code log2(uplinks + 1)} bits.
   */
  @Value.Default
  public long markMask() {
    return DEFAULT_MARK_MASK;
  }

  /**
   * Whether {@code mlb apply} chooses the mark mask on the router ({@code mark-mask: auto}): bits no
   * other program there tests or writes, kept from one apply to the next while they stay free.
   * {@link #markMask()} is then the mask compiled where no router is read (compile, simulate).
   * Explicit uplink marks need a known mask and cannot be combined with it.
   */
  @Value.Default
  public boolean autoMarkMask() {
    return false;
  }

  /** Mark bits other software owns; must not overlap {@link #markMask()} (default none). */
  @Value.Default
  public long foreignMarkBits() {
    return 0;
  }

  /**
   * The first uplink's routing table (default 100); {@code tableBase + i} for uplink {@code i}
   * must avoid 253 to 255 and stay at most 2147483647.
   */
  @Value.Default
  public int tableBase() {
    return 100;
  }

  /** The first routing-rule priority mlb uses (default 1000), 1 to 32000. */
  @Value.Default
  public int priorityBase() {
    return 1000;
  }

  /**
   * The prefix of every chain mlb creates (default {@code mlb}): 1 to 16 letters, digits, {@code -}
   * and {@code _}, starting with a letter or digit.
   */
  @Value.Default
  public String chainPrefix() {
    return "mlb";
  }

  /**
   * The {@code protocol} number tagging mlb's routing rules and routes (default 109), 5 to 255:
   * iproute2 reserves 0 to 4 (unspec, redirect, kernel, boot, static).
   */
  @Value.Default
  public int ruleProtocol() {
    return 109;
  }

  /** How uplinks are probed: the defaults that each uplink's {@link Uplink#health()} overrides. */
  @Value.Default
  public Health health() {
    return Health.inherit();
  }

  /** What new connections do while every uplink is down (default {@link AllDown#MAIN}). */
  @Value.Default
  public AllDown allDown() {
    return AllDown.MAIN;
  }

  /**
   * The uplinks taken to be down, by name (default none): they take no new connections, and keep
   * their marks, tables, routes and inbound stickiness, so that their probes still leave through
   * them and they can come back. This is the router's state, not configuration: {@code mlb watch}
   * and {@code mlb apply --down} set it; a policy file never holds it.
   */
  public abstract ImmutableSet<String> down();

  /** This policy with {@code names} down (validated). */
  public BalancingPolicy withDown(java.util.Collection<String> names) {
    return builder().from(this).down(names).build();
  }

  /**
   * The uplinks that take new connections: those not {@link #down()} of the best tier that has one,
   * in policy order. Empty when all are down: no new connection is balanced
   * ({@link AllDown#MAIN}; {@link AllDown#KEEP_LAST} is kept by whoever decides what is down,
   * since validation refuses it with every uplink down).
   */
  public ImmutableList<Uplink> activeUplinks() {
    int best = uplinks().stream().filter(u -> !down().contains(u.name()))
        .mapToInt(Uplink::tier).min().orElse(Integer.MAX_VALUE);
    return uplinks().stream().filter(u -> u.tier() == best && !down().contains(u.name()))
        .collect(ImmutableList.toImmutableList());
  }

  /**
   * How {@code uplink} is probed: its health settings over the policy's over
   * {@link Probing#DEFAULTS}; the targets default to its gateways of the compiled families (none for
   * a point-to-point uplink without configured targets).
   */
  public Probing probing(Uplink uplink) {
    indexOf(uplink);
    Health h = uplink.health().over(health()).over(Probing.DEFAULTS);
    List<ProbeTarget> targets = h.targets();
    if (targets.isEmpty()) {
      targets = families().stream().sorted()
          .flatMap(f -> uplink.gateway(f).stream())
          .map(ProbeTarget::icmp)
          .toList();
    }
    return new Probing(targets, h.interval().orElseThrow(), h.timeout().orElseThrow(),
        h.down().getAsInt(), h.up().getAsInt(), h.reliability().getAsInt());
  }

  /** The families to compile for (default IPv4 only). */
  @Value.Default
  public ImmutableSet<IpFamily> families() {
    return ImmutableSet.of(IpFamily.V4);
  }

  /** The sum of the uplinks' weights. */
  public int weightSum() {
    return uplinks().stream().mapToInt(Uplink::weight).sum();
  }

  /** The uplink's connection mark under the mask (see the class comment). */
  public Mark mark(Uplink uplink) {
    int i = indexOf(uplink);
    if (uplink.mark().isPresent()) {
      return Mark.of(uplink.mark().getAsLong(), markMask());
    }
    return Mark.of(deposit(i + 1, markMask()), markMask());
  }

  /** The uplink's routing table number (see the class comment). */
  public int table(Uplink uplink) {
    int i = indexOf(uplink);
    return uplink.table().isPresent() ? uplink.table().getAsInt() : tableBase() + i;
  }

  /**
   * The table holding the weighted multipath default route of {@link Strategy#MULTIPATH}:
   * {@code tableBase + number of uplinks} (it must not collide with an uplink's table).
   */
  public int multipathTable() {
    return tableBase() + uplinks().size();
  }

  /** The LAN prefixes of {@code family}. */
  public List<IpPrefix> lanPrefixes(IpFamily family) {
    return lanPrefixes().stream().filter(p -> p.family() == family).toList();
  }

  private int indexOf(Uplink uplink) {
    int i = uplinks().indexOf(uplink);
    if (i < 0) {
      throw new IllegalArgumentException("uplink " + uplink.name() + " is not one of this policy's");
    }
    return i;
  }

  /**
   * The bits of {@code value} placed, lowest first, into the set bit positions of {@code mask};
   * 0 if {@code value} needs more bits than the mask has.
   */
  static long deposit(long value, long mask) {
    long result = 0;
    long v = value;
    for (int bit = 0; bit < 32 && v != 0; bit++) {
      if ((mask & (1L << bit)) != 0) {
        if ((v & 1) != 0) {
          result |= 1L << bit;
        }
        v >>>= 1;
      }
    }
    return v == 0 ? result : 0;
  }

  /**
   * Every problem that makes this policy uncompilable, as error findings whose location is the
   * field path ({@code uplinks[1].weight}) and whose message names the value and what was expected.
   */
  public List<Finding> validate() {
    return PolicyValidator.validate(this);
  }

  @Value.Check
  protected void check() {
    List<Finding> errors = validate().stream().filter(Finding::isError).toList();
    if (!errors.isEmpty()) {
      throw new ValidationException(errors);
    }
  }

  /** A short description: the uplinks with their weights, the strategy and the families. */
  @Override
  public String toString() {
    return "BalancingPolicy{" + strategy() + " over " + uplinks() + ", lan " + lanInterfaces() + " "
        + lanPrefixes() + ", families " + families() + "}";
  }
}
