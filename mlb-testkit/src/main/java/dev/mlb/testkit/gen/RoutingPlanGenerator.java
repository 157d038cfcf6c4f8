package dev.mlb.testkit.gen;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSetMultimap;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import dev.mlb.iproute.IpRule;
import dev.mlb.iproute.Nexthop;
import dev.mlb.iproute.Route;
import dev.mlb.iproute.RouteProtocol;
import dev.mlb.iproute.RouteScope;
import dev.mlb.iproute.RouteType;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.iproute.RoutingTable;
import dev.mlb.iproute.RuleAction;
import dev.mlb.iproute.VerbatimCommand;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Random, valid {@link RoutingPlan}s from a seed: a plain factory that any property-testing engine
 * (or a loop) can drive.
 *
 * <pre>{@code
 * RoutingPlanGenerator gen = RoutingPlanGenerator.of(IpFamily.V4);
 * RoutingPlan plan = gen.generate(new SplittableRandom(42));   // the same plan for the same seed
 * plan.validate();                                             // no errors, by construction
 * }</pre>
 *
 * <p>Plans use the interfaces of {@link #labInterfaces(IpFamily)} (three links {@code mlb0} to
 * {@code mlb2}, each with one documentation prefix; gateways are the {@code .1} / {@code ::1} of
 * those prefixes), so a plan also loads into a network namespace set up that way. Rules get
 * distinct priorities 1 to 32765 and every rule carries the plan's owner; routes use destinations
 * outside the interface prefixes (so they never shadow a gateway) and distinct (table,
 * destination, metric). Everything the model covers appears: not, from/to, fwmark with and
 * without mask, iif/oif, ipproto and ports, all actions, suppress_prefixlength/ifgroup, every
 * route type the family supports, metrics, scopes, src, onlink and weighted multipath.
 */
public final class RoutingPlanGenerator {
  private static final ImmutableList<InterfaceName> DEVICES =
      ImmutableList.of(InterfaceName.of("mlb0"), InterfaceName.of("mlb1"), InterfaceName.of("mlb2"));

  private final IpFamily family;
  private final boolean verbatim;

  private RoutingPlanGenerator(IpFamily family, boolean verbatim) {
    this.family = family;
    this.verbatim = verbatim;
  }

  /** Plans of {@code family}, without verbatim commands. */
  public static RoutingPlanGenerator of(IpFamily family) {
    checkArgument(family != null, "family is null");
    return new RoutingPlanGenerator(family, false);
  }

  /** This generator, also adding an unmodelled command (kept verbatim) to some plans. */
  public RoutingPlanGenerator withVerbatim() {
    return new RoutingPlanGenerator(family, true);
  }

  /** The family of the plans. */
  public IpFamily family() {
    return family;
  }

  /**
   * The lab's interfaces and their address/prefix: {@code mlb0} 192.0.2.2/26, {@code mlb1}
   * 192.0.2.66/26, {@code mlb2} 192.0.2.130/26 for IPv4; {@code mlb0} 2001:db8:0:1::2/64 and so on
   * for IPv6.
   */
  public static ImmutableSetMultimap<InterfaceName, IpPrefix> labInterfaces(IpFamily family) {
    ImmutableSetMultimap.Builder<InterfaceName, IpPrefix> b = ImmutableSetMultimap.builder();
    for (int i = 0; i < DEVICES.size(); i++) {
      b.put(DEVICES.get(i), IpPrefix.parse(family == IpFamily.V4 ? "192.0.2." + (64 * i + 2) + "/26" : "2001:db8:0:" + (i + 1) + "::2/64"));
    }
    return b.build();
  }

  /** The gateway of lab interface {@code i} (0 to 2). */
  static IpAddress gateway(IpFamily family, int i) {
    return IpAddress.parse(family == IpFamily.V4 ? "192.0.2." + (64 * i + 1) : "2001:db8:0:" + (i + 1) + "::1");
  }

  /** A plan drawn from {@code random}; the same seed gives the same plan. */
  public RoutingPlan generate(SplittableRandom random) {
    RoutingPlan.Builder plan = RoutingPlan.builder().family(family);
    RouteProtocol owner = RouteProtocol.of(pick(random, 4, 99, 180, 200, 250, 42));
    plan.owner(owner);
    plan.connected(labInterfaces(family));
    List<RoutingTable> tables = new ArrayList<>();
    int nTables = 1 + random.nextInt(3);
    for (int i = 0; i < nTables; i++) {
      tables.add(RoutingTable.of(random.nextInt(10) == 0 ? 4_000_000_000L + i : 100 + random.nextInt(50)));
    }
    for (RoutingTable t : new TreeSet<>(tables)) {
      if (random.nextBoolean()) {
        plan.putTableNames(t, "uplink" + t.id());
      }
    }
    rules(random, plan, owner, tables);
    routes(random, plan, owner, tables);
    if (verbatim && random.nextInt(4) == 0) {
      plan.addVerbatim(VerbatimCommand.of(List.of("rule", "add", "priority", "32100", "tos", "0x10", "lookup", "7",
          "proto", owner.toString())));
    }
    return plan.build();
  }

  private static int pick(SplittableRandom random, int... values) {
    return values[random.nextInt(values.length)];
  }

  private boolean chance(SplittableRandom random, int percent) {
    return random.nextInt(100) < percent;
  }

  private IpPrefix anyPrefix(SplittableRandom random) {
    if (family == IpFamily.V4) {
      int base = pick(random, 0xC0000200, 0xC6336400, 0xCB007100); // 192.0.2/24, 198.51.100/24, 203.0.113/24
      int len = 24 + random.nextInt(9);
      return IpPrefix.of(IpAddress.v4(base | random.nextInt(256)).masked(len), len);
    }
    int len = 32 + random.nextInt(97);
    IpAddress a = IpAddress.v6(0x20010db800000000L | (random.nextLong() & 0xFFFF_FFFFL), random.nextLong());
    return IpPrefix.of(a.masked(len), len);
  }

  /** A destination outside the lab's interface prefixes (192.0.2.0/24, 2001:db8::/48). */
  private IpPrefix destination(SplittableRandom random) {
    if (random.nextInt(6) == 0) {
      return IpPrefix.any(family);
    }
    if (family == IpFamily.V4) {
      int base = pick(random, 0xC6336400, 0xCB007100);
      int len = 24 + random.nextInt(9);
      return IpPrefix.of(IpAddress.v4(base | random.nextInt(256)).masked(len), len);
    }
    int len = 48 + random.nextInt(81);
    long high = 0x20010db800000000L | ((0x100L + random.nextInt(0xf00)) << 16) | random.nextInt(0x10000);
    return IpPrefix.of(IpAddress.v6(high, random.nextLong()).masked(len), len);
  }

  private void rules(SplittableRandom random, RoutingPlan.Builder plan, RouteProtocol owner, List<RoutingTable> tables) {
    int n = random.nextInt(9);
    TreeSet<Long> priorities = new TreeSet<>();
    while (priorities.size() < n) {
      priorities.add(1L + random.nextInt(32765));
    }
    List<Long> ordered = new ArrayList<>(priorities);
    // Shuffle the order of adding, so the plan order is not always the priority order.
    List<Long> order = new ArrayList<>(ordered);
    for (int i = order.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      Long t = order.get(i);
      order.set(i, order.get(j));
      order.set(j, t);
    }
    for (long prio : order) {
      IpRule.Builder b = IpRule.builder().priority(prio).protocol(owner);
      b.not(chance(random, 10));
      if (chance(random, 30)) {
        b.from(anyPrefix(random));
      }
      if (chance(random, 30)) {
        b.to(anyPrefix(random));
      }
      if (chance(random, 40)) {
        long value = 1 + random.nextInt(0xff);
        b.fwmark(chance(random, 50) ? Mark.of(value, 0xff) : Mark.of(value));
      }
      if (chance(random, 20)) {
        b.iif(DEVICES.get(random.nextInt(DEVICES.size())));
      }
      if (chance(random, 15)) {
        b.oif(DEVICES.get(random.nextInt(DEVICES.size())));
      }
      if (chance(random, 30)) {
        Protocol p = random.nextBoolean() ? Protocol.TCP : Protocol.UDP;
        b.ipproto(p);
        if (chance(random, 50)) {
          b.dport(ports(random));
        }
        if (chance(random, 30)) {
          b.sport(ports(random));
        }
      }
      int action = random.nextInt(10);
      long later = ordered.stream().filter(p -> p > prio).findFirst().orElse(-1L);
      if (action == 0 && later > 0) {
        b.action(RuleAction.goTo(later));
      } else if (action == 1) {
        b.action(random.nextBoolean() ? RuleAction.UNREACHABLE : random.nextBoolean() ? RuleAction.BLACKHOLE : RuleAction.PROHIBIT);
      } else if (action == 2) {
        b.action(RuleAction.NOP);
      } else {
        boolean main = random.nextInt(4) == 0;
        b.action(RuleAction.lookup(main ? RoutingTable.MAIN : tables.get(random.nextInt(tables.size()))));
        if (chance(random, 25)) {
          b.suppressPrefixLength(main ? 0 : random.nextInt(family.bits() + 1));
        }
        if (chance(random, 10)) {
          b.suppressIfgroup(random.nextInt(5));
        }
      }
      plan.addRules(b.build());
    }
  }

  private static PortRange ports(SplittableRandom random) {
    // The kernel takes ports 1 to 65534 in ip rules.
    int first = 1 + random.nextInt(65534);
    return random.nextBoolean() ? PortRange.of(first) : PortRange.of(first, first + random.nextInt(65535 - first));
  }

  private void routes(SplittableRandom random, RoutingPlan.Builder plan, RouteProtocol owner, List<RoutingTable> tables) {
    int n = random.nextInt(9);
    Set<List<Object>> keys = new HashSet<>();
    for (int k = 0; k < n; k++) {
      RoutingTable table = tables.get(random.nextInt(tables.size()));
      IpPrefix dst = destination(random);
      Route.Builder b = Route.builder().destination(dst).table(table).protocol(owner);
      long metric = -1;
      if (chance(random, 30)) {
        metric = 1 + random.nextInt(2000);
        b.metric(metric);
      }
      if (!keys.add(List.of(table, dst, metric))) {
        continue;
      }
      int shape = random.nextInt(7);
      int dev = random.nextInt(DEVICES.size());
      switch (shape) {
        case 0: // via a gateway on its device, maybe with src
          b.via(gateway(family, dev)).dev(DEVICES.get(dev));
          if (chance(random, 30)) {
            b.src(localAddress(dev));
          }
          break;
        case 1: // device only, maybe with a scope (IPv4)
          b.dev(DEVICES.get(dev));
          if (family == IpFamily.V4 && chance(random, 50)) {
            b.scope(random.nextBoolean() ? RouteScope.GLOBAL : RouteScope.HOST);
          }
          break;
        case 2: // onlink gateway outside every prefix
          b.via(IpAddress.parse(family == IpFamily.V4 ? "192.0.2." + (193 + random.nextInt(60)) : "2001:db8:0:9::" + (1 + random.nextInt(0xfff))))
              .dev(DEVICES.get(dev))
              .onlink(true);
          break;
        case 3: // weighted multipath
        case 4:
          int paths = 2 + random.nextInt(2);
          for (int p = 0; p < paths; p++) {
            int d = (dev + p) % DEVICES.size();
            b.addNexthops(new Nexthop(Optional.of(gateway(family, d)), Optional.of(DEVICES.get(d)), 1 + random.nextInt(256), false));
          }
          break;
        case 5: // reject
          RouteType[] reject = {RouteType.UNREACHABLE, RouteType.BLACKHOLE, RouteType.PROHIBIT, RouteType.THROW};
          b.type(reject[random.nextInt(reject.length)]);
          break;
        default: // local or broadcast, never for the whole family (it would cover the gateways)
          if (dst.length() == 0) {
            b.destination(IpPrefix.parse(family == IpFamily.V4 ? "203.0.113.128/25" : "2001:db8:ff::/48"));
            if (!keys.add(List.of(table, b.build().destination(), metric))) {
              continue;
            }
          }
          b.type(family == IpFamily.V4 && random.nextBoolean() ? RouteType.BROADCAST : RouteType.LOCAL).dev(DEVICES.get(dev));
          break;
      }
      plan.addRoutes(b.build());
    }
  }

  private IpAddress localAddress(int dev) {
    for (Map.Entry<InterfaceName, IpPrefix> e : labInterfaces(family).entries()) {
      if (e.getKey().equals(DEVICES.get(dev))) {
        return e.getValue().address();
      }
    }
    throw new AssertionError(dev);
  }
}
