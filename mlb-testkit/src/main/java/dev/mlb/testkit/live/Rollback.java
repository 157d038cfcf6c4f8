package dev.mlb.testkit.live;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.IpFamily;
import dev.mlb.iproute.RouteProtocol;
import dev.mlb.iproute.RoutingChange;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.RulesetChange;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Takes mlb's part of a router back to what a change read before it ran: the change's inverse,
 * computed from the router as it is after the failure (a step may have half run).
 */
final class Rollback {
  private Rollback() {}

  /**
   * Reads the router again and runs the steps that put back, per family, mlb's chains and jumps
   * (at their old positions), its rules and routes, and every sysctl value the change wrote.
   *
   * @throws LiveException naming the rollback step that failed
   */
  static void run(ToolRunner router, LiveChange change) {
    LiveState before = change.before();
    Ownership own = change.ownership();
    Set<String> keys = new LinkedHashSet<>();
    for (LiveChange.Step s : change.steps()) {
      if (s.command().get(0).equals("sysctl")) {
        s.command().stream().filter(a -> a.contains("=")).forEach(a -> keys.add(a.substring(0, a.indexOf('='))));
      }
    }
    LiveState now = LiveState.read(router, before.backend(), before.rulesets().keySet(), keys);
    Map<IpFamily, RulesetChange> nf = new LinkedHashMap<>();
    Map<IpFamily, RoutingChange> ip = new LinkedHashMap<>();
    for (IpFamily f : before.rulesets().keySet()) {
      nf.put(f, RulesetChange.restoring(now.ruleset(f), before.ruleset(f), own.chainPrefix()));
      ip.put(f, RoutingChange.between(now.routing(f), ownedPart(before.routing(f), own.protocol())));
    }
    List<LiveChange.Step> steps = new ArrayList<>(Deployment.steps(before.backend(), nf, ip));
    List<String> writes = new ArrayList<>(List.of("sysctl", "-q", "-w"));
    for (String key : keys) {
      String was = before.sysctl().get(key);
      if (was != null && !was.equals(now.sysctl().get(key))) {
        writes.add(key + "=" + was);
      }
    }
    if (writes.size() > 3) {
      steps.add(new LiveChange.Step("sysctl values as they were", ImmutableList.copyOf(writes), ""));
    }
    // Tables the change made exist (iptables-nft): deleted again once back to holding nothing of mlb.
    Map<IpFamily, List<String>> created = new LinkedHashMap<>();
    for (IpFamily f : before.rulesets().keySet()) {
      List<String> names = new ArrayList<>();
      now.ruleset(f).tables().stream().filter(t -> before.ruleset(f).table(t.name()).isEmpty())
          .forEach(t -> names.add(t.name().id()));
      created.put(f, names);
    }
    Map<IpFamily, dev.mlb.netfilter.Ruleset> after = new LinkedHashMap<>();
    for (IpFamily f : before.rulesets().keySet()) {
      after.put(f, now.ruleset(f));
    }
    Deployment.deleteEmptyTables(before.backend(), after, created, own.chainPrefix()).ifPresent(steps::add);
    for (LiveChange.Step s : steps) {
      ToolRunner.Result r = router.run(s.command(), s.stdin());
      if (!r.ok()) {
        throw new LiveException("rollback step \"" + s.name() + "\" failed: " + r.commandLine() + " exited "
            + r.exitCode() + ": " + r.stderr().strip());
      }
    }
  }

  /** The rules and routes of {@code plan} that {@code owner} tags, as a plan owned by it. */
  static RoutingPlan ownedPart(RoutingPlan plan, RouteProtocol owner) {
    Optional<RouteProtocol> tag = Optional.of(owner);
    return RoutingPlan.builder().family(plan.family()).owner(owner)
        .rules(plan.rules().stream().filter(r -> r.protocol().equals(tag)).toList())
        .routes(plan.routes().stream().filter(r -> r.protocol().equals(tag)).toList())
        .build();
  }
}
