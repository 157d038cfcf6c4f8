package dev.mlb.iproute;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSetMultimap;
import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.MlbStyle;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.immutables.value.Value;

/**
 * The policy-routing half of a multi-uplink setup for one address family: ip rules, routes and the
 * tables they use.
 *
 * <pre>{@code
 * RoutingPlan plan = RoutingPlan.builder()
 *     .family(IpFamily.V4)
 *     .owner(RouteProtocol.of(99))
 *     .putTableNames(RoutingTable.of(101), "isp1")
 *     .putConnected(InterfaceName.of("ppp0"), IpPrefix.parse("192.0.2.2/24"))
 *     .addRules(IpRule.builder().priority(1001).fwmark(Mark.of(1, 0xff))
 *         .action(RuleAction.lookup(RoutingTable.of(101))).protocol(RouteProtocol.of(99)).build())
 *     .addRoutes(Route.builder().destination(IpPrefix.any(IpFamily.V4)).table(RoutingTable.of(101))
 *         .via(IpAddress.parse("192.0.2.1")).dev(InterfaceName.of("ppp0"))
 *         .protocol(RouteProtocol.of(99)).build())
 *     .build();
 * plan.validate();                  // [] : nothing wrong
 * IpBatchWriter.render(plan);       // the ip -batch file; IpBatchWriter.renderUndo(plan) removes it again
 * }</pre>
 *
 * <p>IPv4 and IPv6 are separate plans because an {@code ip -batch} file has one family (load it with
 * {@code ip -4 -batch} or {@code ip -6 -batch}). The {@link #owner()} tag is what makes the file safe
 * to apply again: it starts with {@code rule flush protocol OWNER}, and every rule carries the tag.
 * {@link #connected()} tells validation which prefixes each interface has, so it can check that
 * every gateway is reachable through its device; it is context, written into the batch only as an
 * {@code #mlb:} comment that {@code ip} ignores. Commands mlb does not model are kept in
 * {@link #verbatim()}.
 */
@Value.Immutable
@MlbStyle
public abstract class RoutingPlan {

  private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,63}");

  RoutingPlan() {}

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link RoutingPlan}; {@code build()} throws IllegalStateException if the family is missing. */
  public static final class Builder extends ImmutableRoutingPlan.Builder {}

  /** IPv4 or IPv6. */
  public abstract IpFamily family();

  /** The protocol tag that marks mlb's rules; with it the batch flushes them before adding. */
  public abstract Optional<RouteProtocol> owner();

  /** Names of tables, as in {@code rt_tables}; written as {@code #mlb: table ID NAME} comments. */
  public abstract ImmutableMap<RoutingTable, String> tableNames();

  /** The prefixes on each interface (address and prefix length), for the gateway check. */
  public abstract ImmutableSetMultimap<InterfaceName, dev.mlb.api.IpPrefix> connected();

  /** The rules, in the order they are added. */
  public abstract ImmutableList<IpRule> rules();

  /** The routes, in the order they are replaced. */
  public abstract ImmutableList<Route> routes();

  /** Commands mlb does not model, written back word for word after the rules. */
  public abstract ImmutableList<VerbatimCommand> verbatim();

  /**
   * Entries of {@code ip -json} output that mlb does not model, as JSON text. The batch cannot
   * recreate them; it lists them as comments, and validation warns about each.
   */
  public abstract ImmutableList<String> unmodelledJson();

  /** The table with this name in {@link #tableNames()}, if any. */
  public Optional<RoutingTable> tableNamed(String name) {
    for (Map.Entry<RoutingTable, String> e : tableNames().entrySet()) {
      if (e.getValue().equals(name)) {
        return Optional.of(e.getKey());
      }
    }
    return Optional.empty();
  }

  /**
   * Everything that would make {@code ip -batch} fail, or the plan not do what it says: errors
   * first, then warnings; within each, routes before rules (the batch order) in plan order, each naming
   * the route, rule or line it is about. An empty list means the
   * plan renders and loads.
   */
  public List<Finding> validate() {
    return PlanValidator.validate(this);
  }

  /**
   * This plan without what the kernel makes by itself: routes with {@code proto kernel} (connected,
   * local, broadcast, multicast and link-local routes) and the default rules (priority 0
   * {@code lookup local}, 32766 {@code lookup main}, 32767 {@code lookup default}, untagged).
   * What remains is what someone added.
   */
  public RoutingPlan withoutKernelEntries() {
    return ImmutableRoutingPlan.builder()
        .from(this)
        .rules(rules().stream().filter(r -> !isDefaultRule(r)).collect(ImmutableList.toImmutableList()))
        .routes(
            routes().stream()
                .filter(r -> !r.protocol().equals(Optional.of(RouteProtocol.KERNEL)))
                .collect(ImmutableList.toImmutableList()))
        .build();
  }

  private static boolean isDefaultRule(IpRule r) {
    if (r.priority().isEmpty()
        || (r.protocol().isPresent() && !r.protocol().get().equals(RouteProtocol.KERNEL))) {
      return false;
    }
    long p = r.priority().getAsLong();
    RoutingTable t =
        p == 0 ? RoutingTable.LOCAL
            : p == 32766 ? RoutingTable.MAIN
            : p == 32767 ? RoutingTable.DEFAULT
            : null;
    return t != null
        && r.equals(
            IpRule.builder().priority(p).protocol(r.protocol()).action(RuleAction.lookup(t)).build());
  }

  @Value.Check
  void check() {
    for (Map.Entry<RoutingTable, String> e : tableNames().entrySet()) {
      String name = e.getValue();
      if (e.getKey().isReserved()) {
        throw new IllegalArgumentException(
            "table " + e.getKey().id() + " is reserved as \"" + e.getKey() + "\"; it cannot be named \"" + name + "\"");
      }
      if (!TABLE_NAME.matcher(name).matches()
          || name.equals("main") || name.equals("local") || name.equals("default")
          || name.equals("all") || name.equals("unspec")) {
        throw new IllegalArgumentException(
            "table name \"" + name + "\" for table " + e.getKey()
                + " is not allowed; expected 1 to 64 of [A-Za-z0-9_.-], starting with a letter or _,"
                + " and not main, local, default, all or unspec");
      }
    }
    if (tableNames().values().stream().distinct().count() != tableNames().size()) {
      throw new IllegalArgumentException("table names " + tableNames() + " are not unique");
    }
    for (String json : unmodelledJson()) {
      if (json.indexOf('\n') >= 0 || json.indexOf('\r') >= 0) {
        throw new IllegalArgumentException("unmodelled JSON entry spans lines: " + json);
      }
    }
  }

  /** The canonical {@code ip -batch} text, as {@link IpBatchWriter#render} writes it. */
  @Override
  public String toString() {
    return IpBatchWriter.renderUnchecked(this);
  }
}
