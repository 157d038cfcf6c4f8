package dev.mlb.iproute;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import com.google.common.collect.Lists;
import dev.mlb.api.IpFamily;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The smallest change that takes the part of a live routing state that a plan owns to what the plan
 * wants, leaving everything else alone: an {@code ip -batch} of only the missing and the stale ip
 * rules and routes.
 *
 * <pre>{@code
 * RoutingPlan live = IpJsonParser.parse(rulesJson, routesJson, IpFamily.V4);   // ip -json rule / route show table all
 * RoutingChange c = RoutingChange.between(live, BalancingRoutes.compile(policy, IpFamily.V4).output());
 * c.conflicts();    // []: no foreign rule at a needed priority, no foreign route in a needed table
 * c.batch();        // "route replace default dev ppp0 table 100 proto 109\n" ... or "" if nothing differs
 * }</pre>
 *
 * <p><b>Ownership.</b> The plan owns every ip rule and every route whose protocol is its
 * {@link RoutingPlan#owner() owner} (mlb tags what it adds so), and nothing else. A live rule or
 * route of another protocol is foreign: it is never deleted or replaced, and the change refuses to
 * go where one stands ({@link #conflicts()}): a foreign rule at a priority the plan needs, or a
 * foreign route in a table the plan fills.
 *
 * <p><b>Order.</b> The batch adds missing routes first (a stale route with the same table,
 * destination and metric is overwritten by it, not deleted), so the tables are ready before anything
 * points at them, then missing rules, then deletes stale rules, then stale routes: at no point does a rule
 * lead into a table being filled or emptied. An unchanged plan gives an empty batch. The kernel
 * matches ip rules loosely: it refuses a rule lacking a source or destination beside one that has
 * it and is equal otherwise, and {@code rule del} removes the first rule that has what it names; a
 * live rule in the way is deleted just before and added again just after (it has the same priority
 * and action, so nothing routes differently), and stale rules naming more go first.
 */
public final class RoutingChange {
  private final IpFamily family;
  private final ImmutableList<Route> routesToAdd;
  private final ImmutableList<IpRule> rulesToAdd;
  private final ImmutableList<IpRule> rulesToDelete;
  private final ImmutableList<Route> routesToDelete;
  private final ImmutableList<String> conflicts;
  /** Live rules the kernel takes a rule to add for: deleted before the additions, kept ones re-added after. */
  private final ImmutableList<IpRule> blockers;
  /** Kept rules listed before a stale one whose rule del would take them: deleted and re-added around it. */
  private final ImmutableList<IpRule> shadows;

  private RoutingChange(IpFamily family, List<Route> routesToAdd, List<IpRule> rulesToAdd,
      List<IpRule> rulesToDelete, List<Route> routesToDelete, List<String> conflicts, List<IpRule> blockers,
      List<IpRule> shadows) {
    this.family = family;
    this.blockers = ImmutableList.copyOf(blockers);
    this.shadows = ImmutableList.copyOf(shadows);
    this.routesToAdd = ImmutableList.copyOf(routesToAdd);
    this.rulesToAdd = ImmutableList.copyOf(rulesToAdd);
    this.rulesToDelete = ImmutableList.copyOf(rulesToDelete);
    this.routesToDelete = ImmutableList.copyOf(routesToDelete);
    this.conflicts = ImmutableList.copyOf(conflicts);
  }

  /**
   * The change from {@code live} (what the kernel holds, as {@link IpJsonParser} reads it) to
   * {@code desired}; the owner is the desired plan's.
   *
   * @throws IllegalArgumentException if the families differ or {@code desired} has no owner, or
   *     holds a rule or route of another protocol (it could not be told apart from foreign ones)
   */
  public static RoutingChange between(RoutingPlan live, RoutingPlan desired) {
    checkArgument(desired.owner().isPresent(), "the desired plan has no owner protocol; without one, mlb's rules"
        + " and routes cannot be told from other software's");
    return between(live, desired, desired.owner().get());
  }

  /**
   * The change that removes everything {@code owner} holds in {@code live}: {@link #between} with an
   * empty desired plan.
   */
  public static RoutingChange removal(RoutingPlan live, RouteProtocol owner) {
    return between(live, RoutingPlan.builder().family(live.family()).owner(owner).build(), owner);
  }

  private static RoutingChange between(RoutingPlan live, RoutingPlan desired, RouteProtocol owner) {
    checkArgument(live.family() == desired.family(), "the live state is %s, the plan %s", live.family(),
        desired.family());
    for (IpRule r : desired.rules()) {
      checkArgument(r.protocol().equals(java.util.Optional.of(owner)),
          "rule \"%s\" of the plan is not tagged with the owner protocol %s", r, owner);
    }
    for (Route r : desired.routes()) {
      checkArgument(r.protocol().equals(java.util.Optional.of(owner)),
          "route \"%s\" of the plan is not tagged with the owner protocol %s", r, owner);
    }
    List<String> conflicts = new ArrayList<>();
    Set<IpRule> liveRules = new HashSet<>();
    Map<Long, IpRule> foreignByPriority = new HashMap<>();
    for (IpRule r : live.rules()) {
      if (owned(r.protocol(), owner)) {
        liveRules.add(r);
      } else if (r.priority().isPresent()) {
        foreignByPriority.putIfAbsent(r.priority().getAsLong(), r);
      }
    }
    Set<Route> liveRoutes = new HashSet<>();
    Map<RoutingTable, Route> foreignByTable = new HashMap<>();
    for (Route r : live.routes()) {
      if (owned(r.protocol(), owner)) {
        liveRoutes.add(r);
      } else {
        foreignByTable.putIfAbsent(r.table(), r);
      }
    }
    Set<Long> priorities = new LinkedHashSet<>();
    for (IpRule r : desired.rules()) {
      if (r.priority().isPresent() && priorities.add(r.priority().getAsLong())) {
        IpRule foreign = foreignByPriority.get(r.priority().getAsLong());
        if (foreign != null) {
          conflicts.add("ip rule priority " + r.priority().getAsLong() + " is taken by a rule of another"
              + " program (\"" + foreign + "\"); mlb needs it for \"" + r + "\"");
        }
      }
    }
    Set<RoutingTable> tables = new LinkedHashSet<>();
    for (Route r : desired.routes()) {
      RoutingTable t = r.table();
      if (!t.equals(RoutingTable.MAIN) && !t.equals(RoutingTable.LOCAL) && !t.equals(RoutingTable.DEFAULT)
          && tables.add(t) && foreignByTable.containsKey(t)) {
        conflicts.add("routing table " + t + " is in use by another program (route \"" + foreignByTable.get(t)
            + "\"); mlb needs it for \"" + r + "\"");
      }
    }
    ImmutableSet<IpRule> wantedRules = ImmutableSet.copyOf(desired.rules());
    ImmutableSet<Route> wantedRoutes = ImmutableSet.copyOf(desired.routes());
    List<Route> routesToAdd = desired.routes().stream().filter(r -> !liveRoutes.contains(r)).distinct().toList();
    List<IpRule> rulesToAdd = desired.rules().stream().filter(r -> !liveRules.contains(r)).distinct().toList();
    List<IpRule> rulesToDelete = live.rules().stream()
        .filter(r -> owned(r.protocol(), owner) && !wantedRules.contains(r)).toList();
    // A stale route with the key of a wanted one is overwritten by its route replace, not deleted.
    Set<List<Object>> replaced = new HashSet<>();
    routesToAdd.forEach(r -> replaced.add(key(r)));
    List<Route> routesToDelete = live.routes().stream()
        .filter(r -> owned(r.protocol(), owner) && !wantedRoutes.contains(r) && !replaced.contains(key(r))).toList();
    // The kernel matches rules loosely (fib_rules.c): rule add is "File exists" for a rule whose
    // source or destination it lacks and that is equal otherwise, and rule del removes the first rule
    // that has every attribute it names. Such live rules are taken out of the way and put back.
    List<IpRule> owned = live.rules().stream().filter(r -> owned(r.protocol(), owner)).toList();
    List<IpRule> blockers = owned.stream().filter(o -> rulesToAdd.stream().anyMatch(a -> takenFor(o, a))).toList();
    List<IpRule> shadows = new ArrayList<>();
    for (int i = 0; i < owned.size(); i++) {
      IpRule stale = owned.get(i);
      if (wantedRules.contains(stale) || blockers.contains(stale)) {
        continue;
      }
      for (IpRule kept : owned.subList(0, i)) {
        if (wantedRules.contains(kept) && !blockers.contains(kept) && !shadows.contains(kept)
            && deletes(stale, kept)) {
          shadows.add(kept);
        }
      }
    }
    return new RoutingChange(live.family(), routesToAdd, rulesToAdd, rulesToDelete, routesToDelete, conflicts,
        blockers, shadows);
  }

  /** Whether the kernel refuses to add {@code added} beside {@code o} ("File exists"; {@code rule_exists}). */
  static boolean takenFor(IpRule o, IpRule added) {
    return o.priority().equals(added.priority()) && o.action().equals(added.action())
        && o.protocol().equals(added.protocol())
        && (prefix(added.from()).isEmpty() || prefix(o.from()).equals(prefix(added.from())))
        && (prefix(added.to()).isEmpty() || prefix(o.to()).equals(prefix(added.to())))
        && o.fwmark().equals(added.fwmark()) && o.iif().equals(added.iif()) && o.oif().equals(added.oif())
        && o.ipproto().equals(added.ipproto()) && o.sport().equals(added.sport()) && o.dport().equals(added.dport())
        && o.suppressPrefixLength().equals(added.suppressPrefixLength())
        && o.suppressIfgroup().equals(added.suppressIfgroup());
  }

  /** Whether "rule del" of {@code spec} (as mlb writes it) would remove {@code r}: r has all it names. */
  static boolean deletes(IpRule spec, IpRule r) {
    return r.priority().equals(spec.priority()) && r.action().equals(spec.action())
        && r.protocol().equals(spec.protocol()) && (!spec.not() || r.not())
        && (prefix(spec.from()).isEmpty() || prefix(r.from()).equals(prefix(spec.from())))
        && (prefix(spec.to()).isEmpty() || prefix(r.to()).equals(prefix(spec.to())))
        && (spec.fwmark().isEmpty() || r.fwmark().equals(spec.fwmark()))
        && (spec.iif().isEmpty() || r.iif().equals(spec.iif()))
        && (spec.oif().isEmpty() || r.oif().equals(spec.oif()))
        && (spec.ipproto().isEmpty() || r.ipproto().equals(spec.ipproto()))
        && (spec.sport().isEmpty() || r.sport().equals(spec.sport()))
        && (spec.dport().isEmpty() || r.dport().equals(spec.dport()))
        && (spec.suppressPrefixLength().isEmpty() || r.suppressPrefixLength().equals(spec.suppressPrefixLength()))
        && (spec.suppressIfgroup().isEmpty() || r.suppressIfgroup().equals(spec.suppressIfgroup()));
  }

  private static java.util.Optional<dev.mlb.api.IpPrefix> prefix(java.util.Optional<dev.mlb.api.IpPrefix> p) {
    return p.filter(x -> x.length() > 0);
  }

  /** What identifies a route in its table: {@code route replace} of one overwrites another with the same. */
  private static List<Object> key(Route r) {
    return List.of(r.table(), r.destination(), r.metric());
  }

  private static boolean owned(java.util.Optional<RouteProtocol> protocol, RouteProtocol owner) {
    return protocol.isPresent() && protocol.get().equals(owner);
  }

  /** IPv4 or IPv6. */
  public IpFamily family() {
    return family;
  }

  /** Routes the desired plan has and the live state lacks, in plan order. */
  public List<Route> routesToAdd() {
    return routesToAdd;
  }

  /** Rules the desired plan has and the live state lacks, in plan order. */
  public List<IpRule> rulesToAdd() {
    return rulesToAdd;
  }

  /** Owned live rules the desired plan does not have, in live order. */
  public List<IpRule> rulesToDelete() {
    return rulesToDelete;
  }

  /** Owned live routes the desired plan does not have, in live order. */
  public List<Route> routesToDelete() {
    return routesToDelete;
  }

  /**
   * Why the change must not be made, one line each: a foreign rule at a priority the plan needs, a
   * foreign route in a table the plan fills. Empty when it may.
   */
  public List<String> conflicts() {
    return conflicts;
  }

  /** Whether the live state already holds exactly the plan's rules and routes. */
  public boolean isEmpty() {
    return routesToAdd.isEmpty() && rulesToAdd.isEmpty() && rulesToDelete.isEmpty() && routesToDelete.isEmpty();
  }

  /**
   * The {@code ip -batch} text of the change (load with {@code ip -4 -batch -} or {@code -6}):
   * {@code route replace} for each missing route, {@code rule add} for each missing rule,
   * {@code rule del} for each stale rule (last first), {@code route del} for each stale route (last
   * first). Empty for an empty change.
   */
  public String batch() {
    return additions() + deletions();
  }

  /**
   * The first half of {@link #batch()}: missing routes, then missing rules. A live change runs it
   * before the netfilter rules that send traffic into the tables.
   */
  public String additions() {
    StringBuilder out = new StringBuilder();
    for (Route r : routesToAdd) {
      out.append("route replace ").append(IpBatchWriter.routeSpec(r)).append('\n');
    }
    for (IpRule r : blockers) {
      out.append("rule del ").append(IpBatchWriter.ruleSpec(r)).append('\n');
    }
    for (IpRule r : rulesToAdd) {
      out.append("rule add ").append(IpBatchWriter.ruleSpec(r)).append('\n');
    }
    for (IpRule r : blockers) {
      if (!rulesToDelete.contains(r)) {
        out.append("rule add ").append(IpBatchWriter.ruleSpec(r)).append('\n');
      }
    }
    return out.toString();
  }

  /**
   * The second half of {@link #batch()}: stale rules, then stale routes, last first. A live change
   * runs it after the netfilter rules no longer send traffic there.
   */
  public String deletions() {
    StringBuilder out = new StringBuilder();
    // rule del removes the first rule at its priority that has every attribute it names, so a rule
    // that names more goes first: "del ... ipproto tcp" would otherwise take "ipproto tcp dport 80".
    List<IpRule> rules = new ArrayList<>(Lists.reverse(rulesToDelete));
    rules.removeAll(blockers);
    for (IpRule r : shadows) {
      out.append("rule del ").append(IpBatchWriter.ruleSpec(r)).append('\n');
    }
    rules.sort(java.util.Comparator.comparingLong((IpRule r) -> -r.priority().orElse(0))
        .thenComparingInt(r -> -named(r)));
    for (IpRule r : rules) {
      out.append("rule del ").append(IpBatchWriter.ruleSpec(r)).append('\n');
    }
    for (IpRule r : shadows) {
      out.append("rule add ").append(IpBatchWriter.ruleSpec(r)).append('\n');
    }
    for (Route r : Lists.reverse(routesToDelete)) {
      out.append("route del ").append(IpBatchWriter.routeSpec(r)).append('\n');
    }
    return out.toString();
  }

  /** How many selectors a rule names (a /0 prefix is none: the kernel keeps no prefix then). */
  private static int named(IpRule r) {
    int n = r.not() ? 1 : 0;
    for (java.util.Optional<?> o : List.of(r.from().filter(p -> p.length() > 0), r.to().filter(p -> p.length() > 0),
        r.fwmark(), r.iif(), r.oif(), r.ipproto(), r.sport(), r.dport())) {
      n += o.isPresent() ? 1 : 0;
    }
    n += r.suppressPrefixLength().isPresent() ? 1 : 0;
    n += r.suppressIfgroup().isPresent() ? 1 : 0;
    return n;
  }

  @Override
  public String toString() {
    return family + " routing change: +" + routesToAdd.size() + " routes, +" + rulesToAdd.size() + " rules, -"
        + rulesToDelete.size() + " rules, -" + routesToDelete.size() + " routes"
        + (conflicts.isEmpty() ? "" : ", " + conflicts.size() + " conflicts");
  }
}
