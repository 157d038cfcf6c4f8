package dev.mlb.testkit.live;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Mark;
import dev.mlb.api.policy.AllDown;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Uplink;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.iproute.SysctlSetting;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What {@link Deployment} does about uplinks that are down: their state in the record, the
 * connections to delete when one goes down, and the routes it cannot hold while its interface is
 * gone.
 *
 * <pre>{@code
 * BalancingPolicy p = Failover.resolveDown(policy, Set.of("isp1", "isp2"), record); // keep-last aware
 * List<LiveChange.Step> steps = Failover.conntrackSteps(p, record);  // conntrack -D --mark V/M, per family
 * }</pre>
 *
 * <p><b>Connections.</b> When an uplink goes down (it was up in the state record, or there was no
 * record), each family's connections whose mark, under mlb's mask, is that uplink's value are
 * deleted: {@code conntrack -D -f ipv4 --mark V/M}. Nothing else is deleted; the next packet of such
 * a connection is new again and is balanced onto a live uplink. The step runs last, after the new
 * split is in place.
 *
 * <p><b>A vanished interface.</b> A down uplink whose interface no longer exists (a PPP session that
 * ended) cannot hold routes or sysctl values; they are left out until it is back, so that failing
 * over never waits for the dead link. An up uplink without its interface is a conflict as before.
 */
final class Failover {
  private Failover() {}

  /**
   * {@code policy} with {@code down} down, as {@code mlb apply --down} and {@code mlb watch} apply
   * it: under {@link AllDown#KEEP_LAST}, a set that holds every uplink keeps the down set of the
   * last apply (none without a record) instead, so that the uplinks that last carried connections
   * go on carrying them.
   *
   * @throws IllegalArgumentException naming an unknown uplink
   */
  static BalancingPolicy resolveDown(BalancingPolicy policy, Collection<String> down, Optional<StateRecord> record) {
    Set<String> names = new LinkedHashSet<>();
    policy.uplinks().forEach(u -> names.add(u.name()));
    for (String d : down) {
      if (!names.contains(d)) {
        throw new IllegalArgumentException("no uplink named \"" + d + "\"; the uplinks are " + String.join(", ", names));
      }
    }
    if (policy.allDown() == AllDown.KEEP_LAST && down.containsAll(names)) {
      Set<String> last = new LinkedHashSet<>(record.map(StateRecord::down).orElse(Set.of()));
      last.retainAll(names);
      return policy.withDown(last.containsAll(names) ? Set.of() : last);
    }
    return policy.withDown(down);
  }

  /** Each uplink's state after this apply: unchanged ones keep their time and cause. */
  static ImmutableMap<String, StateRecord.UplinkState> uplinkStates(BalancingPolicy policy, Optional<StateRecord> old,
      Instant now, String cause) {
    ImmutableMap.Builder<String, StateRecord.UplinkState> out = ImmutableMap.builder();
    for (Uplink u : policy.uplinks()) {
      boolean down = policy.down().contains(u.name());
      Optional<StateRecord.UplinkState> before = old.map(r -> r.uplinks().get(u.name()));
      out.put(u.name(), before.filter(s -> s.down() == down)
          .orElseGet(() -> new StateRecord.UplinkState(down, now, cause)));
    }
    return out.build();
  }

  /** The uplinks that this apply takes down: down in {@code policy}, not down in the record. */
  static List<Uplink> goingDown(BalancingPolicy policy, Optional<StateRecord> old) {
    Set<String> before = old.map(StateRecord::down).orElse(Set.of());
    return policy.uplinks().stream()
        .filter(u -> policy.down().contains(u.name()) && !before.contains(u.name()))
        .toList();
  }

  /** The conntrack deletions of the uplinks this apply takes down, per family. */
  static List<LiveChange.Step> conntrackSteps(BalancingPolicy policy, Set<IpFamily> families, Optional<StateRecord> old) {
    List<LiveChange.Step> out = new ArrayList<>();
    for (Uplink u : goingDown(policy, old)) {
      Mark m = policy.mark(u);
      for (IpFamily f : IpFamily.values()) {
        if (families.contains(f)) {
          out.add(new LiveChange.Step(Deployment.family(f) + " connections of " + u.name() + ", now down (delete by mark)",
              ImmutableList.of("conntrack", "-D", "-f", f == IpFamily.V4 ? "ipv4" : "ipv6", "--mark", m.toString()),
              ""));
        }
      }
    }
    return out;
  }

  /**
   * Whether a step's result counts as success: exit 0, or for a conntrack deletion, exit 1 with
   * conntrack's "0 flow entries have been deleted" (there was nothing to delete).
   */
  static boolean succeeded(LiveChange.Step step, ToolRunner.Result r) {
    return r.ok() || step.command().get(0).equals("conntrack") && r.exitCode() == 1
        && r.stderr().contains(" 0 flow entries have been deleted");
  }

  /**
   * The sysctl key whose presence shows that {@code iface} exists: its IPv4 rp_filter, or its IPv6
   * disable_ipv6 for an IPv6-only policy (written as sysctl reads it: slashes when the name holds
   * a dot).
   */
  static String presenceKey(InterfaceName iface, Set<IpFamily> families) {
    String prefix = families.contains(IpFamily.V4) ? "net.ipv4.conf" : "net.ipv6.conf";
    String leaf = families.contains(IpFamily.V4) ? "rp_filter" : "disable_ipv6";
    if (iface.name().indexOf('.') >= 0) {
      return prefix.replace('.', '/') + "/" + iface.name() + "/" + leaf;
    }
    return prefix + "." + iface.name() + "." + leaf;
  }

  /** The interfaces of down uplinks that the router does not have (their presence key is absent). */
  static Set<InterfaceName> vanished(BalancingPolicy policy, java.util.Map<String, String> sysctl) {
    Set<InterfaceName> out = new LinkedHashSet<>();
    for (Uplink u : policy.uplinks()) {
      if (policy.down().contains(u.name()) && !sysctl.containsKey(presenceKey(u.iface(), policy.families()))) {
        out.add(u.iface());
      }
    }
    return out;
  }

  /** {@code settings} without those of the vanished interfaces. */
  static List<SysctlSetting> without(List<SysctlSetting> settings, Set<InterfaceName> vanished, Set<IpFamily> families) {
    List<SysctlSetting> out = new ArrayList<>();
    for (SysctlSetting s : settings) {
      boolean theirs = false;
      for (InterfaceName i : vanished) {
        String key = presenceKey(i, families);
        String dir = key.substring(0, key.lastIndexOf(key.contains("/") ? '/' : '.') + 1);
        theirs |= s.key().startsWith(dir);
      }
      if (!theirs) {
        out.add(s);
      }
    }
    return out;
  }

  /** {@code plan} without the routes through the vanished interfaces. */
  static RoutingPlan without(RoutingPlan plan, Set<InterfaceName> vanished) {
    if (vanished.isEmpty()) {
      return plan;
    }
    return RoutingPlan.builder().from(plan)
        .routes(plan.routes().stream().filter(r -> r.dev().map(d -> !vanished.contains(d)).orElse(true)).toList())
        .build();
  }
}
