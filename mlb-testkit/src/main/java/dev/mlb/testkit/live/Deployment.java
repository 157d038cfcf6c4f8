package dev.mlb.testkit.live;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.mlb.api.IpFamily;
import dev.mlb.iproute.BalancingRoutes;
import dev.mlb.iproute.IpBatchWriter;
import dev.mlb.iproute.RoutingChange;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.iproute.SysctlSetting;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.netfilter.RulesetChange;
import dev.mlb.testkit.check.CompiledPolicy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Puts a compiled policy on a live router beside other software's rules, and takes it off again,
 * exactly: the orchestration of {@code mlb apply} and {@code mlb remove}.
 *
 * <pre>{@code
 * Deployment d = Deployment.on(ProcessRunner.inNamespace("edge"), Path.of("/var/lib/mlb"));
 * LiveChange change = d.planApply(CompiledPolicy.compile(policy));   // reads the router, changes nothing
 * if (change.conflicts().isEmpty()) {
 *   d.execute(change);     // runs the steps; on a failure rolls back to what it read, then throws
 * }
 * d.execute(d.planApply(CompiledPolicy.compile(policy))).isEmpty();  // applied again: no step at all
 * }</pre>
 *
 * <p><b>Read, diff, write.</b> A plan reads the router ({@link LiveState}), compares what the
 * policy wants with what mlb owns there ({@link Ownership}), and produces only the difference:
 * per family an {@code ip -batch} of the missing rules and routes ({@link RoutingChange}),
 * {@code iptables-restore --noflush} transactions for the owned chains, the jumps and the cleanup
 * ({@link RulesetChange}), the stale rules and routes, and {@code sysctl -w} for each value that
 * differs. Foreign rules, chains, ip rules, routes and sysctl values are never written.
 *
 * <p><b>Order.</b> sysctl values, then per family the routes and rules (tables are ready first),
 * then the marking chains, then the jumps that send traffic into them, then stale chains, then
 * stale rules and routes. A removal is the same plan towards nothing: the jumps go first, the
 * tables last, and each sysctl value mlb changed goes back to what it was, unless someone else
 * changed it since.
 *
 * <p><b>Conflicts</b> are refused before anything runs: a foreign ip rule at a priority mlb needs,
 * a foreign route in a table mlb fills, a foreign rule that uses a chain mlb would delete, and a
 * foreign user of mark bits inside mlb's mask ({@link MarkUsers}).
 *
 * <p><b>State record.</b> The sysctl values mlb found before changing them are kept in a
 * {@link StateRecord} under the state directory, written before the first step runs, so that a
 * removal can put them back even after a crash or a reboot.
 *
 * <p><b>Rollback.</b> If a step fails, the router is read again and the change that takes mlb's
 * part of it back to what the plan read is run ({@link RulesetChange#restoring}, jumps at their old
 * positions); the exception names the failed step, the tool's message, and whether the rollback
 * succeeded.
 */
public final class Deployment {
  private final ToolRunner router;
  private final Path stateDir;
  private final java.time.Clock clock;

  private Deployment(ToolRunner router, Path stateDir, java.time.Clock clock) {
    this.router = router;
    this.stateDir = stateDir;
    this.clock = clock;
  }

  /** A deployment on {@code router}, keeping its state record in {@code stateDir}. */
  public static Deployment on(ToolRunner router, Path stateDir) {
    return new Deployment(router, stateDir, java.time.Clock.systemUTC());
  }

  /** This deployment, timing uplink states by {@code clock} (tests). */
  public Deployment withClock(java.time.Clock clock) {
    return new Deployment(router, stateDir, clock);
  }

  /** The router this deployment works on. */
  public ToolRunner router() {
    return router;
  }

  /** The directory of its state records. */
  public Path stateDir() {
    return stateDir;
  }

  /**
   * {@code policy} with the uplinks {@code down} down, as {@code mlb apply --down} and {@code mlb
   * watch} apply it: under {@code all-down: keep-last} a set holding every uplink keeps the down set
   * of the last apply instead (the uplinks that last carried connections go on).
   *
   * @throws IllegalArgumentException naming an uplink the policy does not have
   */
  public dev.mlb.api.policy.BalancingPolicy withDown(dev.mlb.api.policy.BalancingPolicy policy,
      java.util.Collection<String> down) {
    return Failover.resolveDown(policy, down, record(Ownership.of(policy).name()));
  }

  /**
   * The uplinks of {@code policy} whose interface this router does not have now (a PPP or
   * tunnel link that is not up yet, a removed device), by name.
   */
  public Set<String> absentUplinks(dev.mlb.api.policy.BalancingPolicy policy) {
    Set<String> out = new LinkedHashSet<>();
    for (dev.mlb.api.policy.Uplink u : policy.uplinks()) {
      String key = Failover.presenceKey(u.iface(), Ownership.of(policy).families());
      if (!router.run("sysctl", "-n", key).ok()) {
        out.add(u.name());
      }
    }
    return out;
  }

  /** The state record of the policy named {@code name} (its chain prefix), if mlb applied one. */
  public Optional<StateRecord> record(String name) {
    return StateRecord.read(stateDir, name);
  }

  /** The plan that puts {@code policy} on the router (see the class comment). */
  public LiveChange planApply(CompiledPolicy compiled) {
    return planApply(compiled, "mlb apply");
  }

  /**
   * The plan that puts {@code policy} on the router, its uplinks up or down as {@link
   * dev.mlb.api.policy.BalancingPolicy#down()} says; {@code cause} is recorded for each uplink
   * whose state this changes. An uplink going down has its connections deleted, last
   * ({@link Failover}).
   */
  public LiveChange planApply(CompiledPolicy compiled, String cause) {
    CompiledPolicy policy = compiled;
    Ownership own = Ownership.of(policy.policy());
    Optional<StateRecord> old = record(own.name());
    List<SysctlSetting> allSettings = BalancingRoutes.sysctl(policy.policy());
    Set<IpFamily> families = EnumSet.copyOf(own.families());
    old.ifPresent(r -> families.addAll(r.ownership().families()));
    Set<String> keys = new LinkedHashSet<>();
    allSettings.forEach(s -> keys.add(s.key()));
    old.ifPresent(r -> r.sysctl().forEach(s -> keys.add(s.key())));
    for (dev.mlb.api.policy.Uplink u : policy.policy().uplinks()) {
      if (policy.policy().down().contains(u.name())) {
        keys.add(Failover.presenceKey(u.iface(), own.families()));
      }
    }
    LiveState live = LiveState.read(router, families, own.chainPrefix(), keys);
    Set<dev.mlb.api.InterfaceName> vanished = Failover.vanished(policy.policy(), live.sysctl());
    List<SysctlSetting> settings = Failover.without(allSettings, vanished, own.families());
    List<String> conflicts = new ArrayList<>();
    if (policy.policy().autoMarkMask()) {
      OptionalLong mask = autoMask(policy.policy(), live, old);
      if (mask.isEmpty()) {
        conflicts.add("mark-mask auto: no " + autoBits(policy.policy()) + " adjacent mark bits are free on this"
            + " router; other programs use " + MarkUsers.of(live, own.chainPrefix(), own.protocol())
            + "; give an explicit mark-mask");
        return new LiveChange("apply", own, live, ImmutableList.of(), ImmutableList.copyOf(conflicts), Optional.empty());
      }
      policy = CompiledPolicy.compile(dev.mlb.api.policy.BalancingPolicy.builder().from(policy.policy())
          .markMask(mask.getAsLong()).build());
      own = Ownership.of(policy.policy());
    }
    final CompiledPolicy wanted = policy;

    Map<IpFamily, Ruleset> rules = new LinkedHashMap<>();
    Map<IpFamily, RoutingPlan> plans = new LinkedHashMap<>();
    for (IpFamily f : families) {
      rules.put(f, own.families().contains(f) ? policy.ruleset(f) : Ruleset.builder().family(f).build());
      plans.put(f, own.families().contains(f) ? Failover.without(policy.plan(f), vanished)
          : RoutingPlan.builder().family(f).owner(own.protocol()).build());
    }
    for (MarkUsers.User u : MarkUsers.overlapping(MarkUsers.of(live, own.chainPrefix(), own.protocol()),
        own.markMask())) {
      conflicts.add(markConflict(u, own, live, autoBits(policy.policy())));
    }
    // Which sysctl values change, keeping the value found before mlb first changed each.
    List<StateRecord.SysctlChange> changes = new ArrayList<>();
    List<SysctlSetting> writes = new ArrayList<>();
    for (SysctlSetting s : settings) {
      String now = live.sysctl().get(s.key());
      if (now == null) {
        conflicts.add("sysctl " + s.key() + " does not exist on this router; is the interface there?");
        continue;
      }
      Optional<StateRecord.SysctlChange> earlier = old.flatMap(r -> r.sysctlChange(s.key()));
      if (!now.equals(s.value())) {
        writes.add(s);
        changes.add(new StateRecord.SysctlChange(s.key(), earlier.map(StateRecord.SysctlChange::prior).orElse(now),
            s.value()));
      } else if (earlier.isPresent()) {
        changes.add(new StateRecord.SysctlChange(s.key(), earlier.get().prior(), s.value()));
      }
    }
    List<SysctlSetting> restores = old.map(r -> sysctlRestores(r, keys(settings), live)).orElse(List.of());
    ImmutableMap.Builder<IpFamily, String> appliedRules = ImmutableMap.builder();
    ImmutableMap.Builder<IpFamily, String> appliedRoutes = ImmutableMap.builder();
    for (IpFamily f : own.families()) {
      appliedRules.put(f, RestoreWriter.render(policy.ruleset(f)));
      appliedRoutes.put(f, IpBatchWriter.render(plans.get(f)));
    }
    ImmutableMap.Builder<IpFamily, ImmutableList<String>> created = ImmutableMap.builder();
    for (IpFamily f : own.families()) {
      Set<String> names = new LinkedHashSet<>(old.map(r -> r.createdTables().getOrDefault(f, ImmutableList.of()))
          .orElse(ImmutableList.of()));
      if (live.backend() == Backend.NFT) {
        wanted.ruleset(f).tables().stream().filter(t -> live.ruleset(f).table(t.name()).isEmpty())
            .forEach(t -> names.add(t.name().id()));
      }
      if (!names.isEmpty()) {
        created.put(f, ImmutableList.copyOf(names));
      }
    }
    StateRecord record = new StateRecord(own, live.backend(), ImmutableList.copyOf(changes), appliedRules.build(),
        appliedRoutes.build(), created.build(),
        Failover.uplinkStates(wanted.policy(), old, clock.instant(), cause));
    return plan("apply", own, live, rules, plans, writes, restores, conflicts, Optional.of(record),
        Failover.conntrackSteps(wanted.policy(), own.families(), old));
  }

  /**
   * The plan that takes off what the policy named by {@code own} put on the router: from its state
   * record when there is one (what was applied), else from {@code own} (what the policy file says).
   */
  public LiveChange planRemove(Ownership own) {
    Optional<StateRecord> old = record(own.name());
    Ownership owned = old.map(StateRecord::ownership).orElse(own);
    Set<String> keys = new LinkedHashSet<>();
    old.ifPresent(r -> r.sysctl().forEach(s -> keys.add(s.key())));
    LiveState live = LiveState.read(router, owned.families(), owned.chainPrefix(), keys);
    Map<IpFamily, Ruleset> rules = new LinkedHashMap<>();
    Map<IpFamily, RoutingPlan> plans = new LinkedHashMap<>();
    for (IpFamily f : owned.families()) {
      rules.put(f, Ruleset.builder().family(f).build());
      plans.put(f, RoutingPlan.builder().family(f).owner(owned.protocol()).build());
    }
    List<SysctlSetting> restores = old.map(r -> sysctlRestores(r, Set.of(), live)).orElse(List.of());
    LiveChange change = plan("remove", owned, live, rules, plans, List.of(), restores, new ArrayList<>(),
        Optional.empty(), List.of());
    Map<IpFamily, List<String>> created = new LinkedHashMap<>();
    old.ifPresent(r -> r.createdTables().forEach((f, t) -> created.put(f, t)));
    Optional<LiveChange.Step> tables = deleteEmptyTables(live.backend(), live.rulesets(), created, owned.chainPrefix());
    if (tables.isEmpty()) {
      return change;
    }
    List<LiveChange.Step> steps = new ArrayList<>(change.steps());
    steps.add(tables.get());
    return new LiveChange(change.what(), change.ownership(), change.before(), ImmutableList.copyOf(steps),
        change.conflicts(), change.record());
  }

  /**
   * Whether the router holds what {@code policy} wants (see {@link Status}). Reads, changes
   * nothing.
   */
  public Status status(CompiledPolicy compiled) {
    Ownership own = Ownership.of(compiled.policy());
    Optional<StateRecord> old = record(own.name());
    // Compared with the uplinks' states as applied (mlb watch or apply --down may have taken some down).
    CompiledPolicy policy = old.isEmpty() || old.get().down().equals(compiled.policy().down()) ? compiled
        : CompiledPolicy.compile(Failover.resolveDown(compiled.policy(), old.get().down(), old));
    Set<String> keys = new LinkedHashSet<>(keys(BalancingRoutes.sysctl(policy.policy())));
    for (dev.mlb.api.policy.Uplink u : policy.policy().uplinks()) {
      if (policy.policy().down().contains(u.name())) {
        keys.add(Failover.presenceKey(u.iface(), own.families()));
      }
    }
    LiveState live = LiveState.read(router, own.families(), own.chainPrefix(), keys);
    Set<dev.mlb.api.InterfaceName> vanished = Failover.vanished(policy.policy(), live.sysctl());
    List<SysctlSetting> settings = Failover.without(BalancingRoutes.sysctl(policy.policy()), vanished, own.families());
    if (policy.policy().autoMarkMask()) {
      // Compared with the mask apply chose (or would choose now).
      OptionalLong mask = autoMask(policy.policy(), live, old);
      if (mask.isPresent()) {
        policy = CompiledPolicy.compile(dev.mlb.api.policy.BalancingPolicy.builder().from(policy.policy())
            .markMask(mask.getAsLong()).build());
        own = Ownership.of(policy.policy());
      }
    }
    Map<IpFamily, RulesetChange> nf = new LinkedHashMap<>();
    Map<IpFamily, RoutingChange> ip = new LinkedHashMap<>();
    for (IpFamily f : own.families()) {
      nf.put(f, RulesetChange.between(live.ruleset(f), policy.ruleset(f), own.chainPrefix()));
      ip.put(f, RoutingChange.between(live.routing(f), Failover.without(policy.plan(f), vanished)));
    }
    return Status.of(own, live, nf, ip, settings, old, ProbeLog.read(stateDir, own.name()));
  }

  /**
   * Whether the router still holds what mlb applied, from the state record alone (no policy file):
   * the rules, routes and sysctl values the record keeps.
   *
   * @throws LiveException if there is no state record named {@code name}
   */
  public Status status(String name) {
    StateRecord r = record(name).orElseThrow(() -> new LiveException("no state record " + StateRecord.file(stateDir,
        name) + ": mlb applied no policy named " + name + " here; give the policy file"));
    Ownership own = r.ownership();
    List<SysctlSetting> settings = r.sysctl().stream().map(c -> new SysctlSetting(c.key(), c.applied())).toList();
    LiveState live = LiveState.read(router, r.backend(), own.families(), keys(settings));
    Map<IpFamily, RulesetChange> nf = new LinkedHashMap<>();
    Map<IpFamily, RoutingChange> ip = new LinkedHashMap<>();
    for (IpFamily f : own.families()) {
      Ruleset rules = LiveState.parseSave("the state record", r.rules().getOrDefault(f, ""), f);
      RoutingPlan plan = RoutingPlan.builder().from(dev.mlb.iproute.IpBatchParser.parse("the state record",
          r.routes().getOrDefault(f, ""), f)).owner(own.protocol()).build();
      nf.put(f, RulesetChange.between(live.ruleset(f), rules, own.chainPrefix()));
      ip.put(f, RoutingChange.between(live.routing(f), plan));
    }
    return Status.of(own, live, nf, ip, settings, Optional.of(r), ProbeLog.read(stateDir, name));
  }

  /** The bits {@code mark-mask: auto} takes: enough for the uplinks, at least 4 (room for 15). */
  static int autoBits(dev.mlb.api.policy.BalancingPolicy p) {
    return Math.max(4, 64 - Long.numberOfLeadingZeros(p.uplinks().size()));
  }

  /**
   * The mask {@code mark-mask: auto} chooses: the one the state record keeps while no other program
   * uses its bits and it holds the uplinks; else free bits, from the default mask's first.
   */
  static OptionalLong autoMask(dev.mlb.api.policy.BalancingPolicy p, LiveState live, Optional<StateRecord> old) {
    Ownership own = Ownership.of(p);
    List<MarkUsers.User> users = MarkUsers.of(live, own.chainPrefix(), own.protocol());
    if (old.isPresent()) {
      long kept = old.get().ownership().markMask();
      if (MarkUsers.overlapping(users, kept).isEmpty() && (1L << Long.bitCount(kept)) - 1 >= p.uplinks().size()) {
        return OptionalLong.of(kept);
      }
    }
    return MarkUsers.freeMask(users, autoBits(p), dev.mlb.api.policy.BalancingPolicy.DEFAULT_MARK_MASK);
  }

  private static Set<String> keys(List<SysctlSetting> settings) {
    Set<String> out = new LinkedHashSet<>();
    settings.forEach(s -> out.add(s.key()));
    return out;
  }

  /**
   * The values to put back: each one {@code old} changed that is no longer wanted, if it still has
   * the value mlb set (else someone changed it since, and it stays).
   */
  private static List<SysctlSetting> sysctlRestores(StateRecord old, Set<String> wanted, LiveState live) {
    List<SysctlSetting> out = new ArrayList<>();
    for (StateRecord.SysctlChange c : old.sysctl()) {
      if (!wanted.contains(c.key()) && c.applied().equals(live.sysctl().get(c.key()))) {
        out.add(new SysctlSetting(c.key(), c.prior()));
      }
    }
    return out;
  }

  private static String markConflict(MarkUsers.User u, Ownership own, LiveState live, int needed) {
    String free = MarkUsers.freeMask(MarkUsers.of(live, own.chainPrefix(), own.protocol()), needed,
            dev.mlb.api.policy.BalancingPolicy.DEFAULT_MARK_MASK)
        .stream().mapToObj(m -> "; free bits: mark-mask: " + dev.mlb.api.Mark.hex(m)).findFirst()
        .orElse("; no " + needed + " adjacent mark bits are free on this router");
    return "mark bits " + dev.mlb.api.Mark.hex(u.bits() & own.markMask()) + " of mlb's mask "
        + dev.mlb.api.Mark.hex(own.markMask()) + " are in use: " + u + free;
  }

  private LiveChange plan(String what, Ownership own, LiveState live, Map<IpFamily, Ruleset> rules,
      Map<IpFamily, RoutingPlan> plans, List<SysctlSetting> writes, List<SysctlSetting> restores,
      List<String> conflicts, Optional<StateRecord> record, List<LiveChange.Step> last) {
    Map<IpFamily, RulesetChange> nf = new LinkedHashMap<>();
    Map<IpFamily, RoutingChange> ip = new LinkedHashMap<>();
    for (IpFamily f : rules.keySet()) {
      RulesetChange r = RulesetChange.between(live.ruleset(f), rules.get(f), own.chainPrefix());
      RoutingChange p = RoutingChange.between(live.routing(f), plans.get(f));
      conflicts.addAll(r.conflicts());
      conflicts.addAll(p.conflicts());
      nf.put(f, r);
      ip.put(f, p);
    }
    List<LiveChange.Step> steps = new ArrayList<>();
    sysctlStep(steps, "sysctl values", writes);
    steps.addAll(steps(live.backend(), nf, ip));
    sysctlStep(steps, "sysctl values mlb changed, put back", restores);
    steps.addAll(last);
    return new LiveChange(what, own, live, ImmutableList.copyOf(steps), ImmutableList.copyOf(conflicts), record);
  }

  private static void sysctlStep(List<LiveChange.Step> steps, String name, List<SysctlSetting> settings) {
    if (settings.isEmpty()) {
      return;
    }
    List<String> cmd = new ArrayList<>(List.of("sysctl", "-q", "-w"));
    settings.forEach(s -> cmd.add(s.key() + "=" + s.value()));
    steps.add(new LiveChange.Step(name, ImmutableList.copyOf(cmd), ""));
  }

  /** The netfilter and routing steps of a change, in their order (see the class comment). */
  static List<LiveChange.Step> steps(Backend backend, Map<IpFamily, RulesetChange> nf, Map<IpFamily, RoutingChange> ip) {
    List<LiveChange.Step> out = new ArrayList<>();
    for (IpFamily f : ip.keySet()) {
      add(out, family(f) + " routes and rules (add)", List.of("ip", flag(f), "-batch", "-"), ip.get(f).additions());
    }
    for (IpFamily f : nf.keySet()) {
      add(out, family(f) + " mlb's chains", restore(backend, f), nf.get(f).chains());
    }
    for (IpFamily f : nf.keySet()) {
      add(out, family(f) + " jumps into mlb's chains", restore(backend, f), nf.get(f).jumps());
    }
    for (IpFamily f : nf.keySet()) {
      add(out, family(f) + " stale chains of mlb (delete)", restore(backend, f), nf.get(f).cleanup());
    }
    for (IpFamily f : ip.keySet()) {
      add(out, family(f) + " stale routes and rules of mlb (delete)", List.of("ip", flag(f), "-batch", "-"),
          ip.get(f).deletions());
    }
    return out;
  }

  private static void add(List<LiveChange.Step> out, String name, List<String> cmd, String stdin) {
    if (!stdin.isEmpty()) {
      out.add(new LiveChange.Step(name, ImmutableList.copyOf(cmd), stdin));
    }
  }

  private static List<String> restore(Backend backend, IpFamily f) {
    return List.of(backend.restore(f), "--noflush");
  }

  /**
   * For iptables-nft: an {@code nft} step that deletes each of {@code candidates} (tables mlb's
   * chains made exist) that holds nothing but mlb's chains and jumps, with every policy ACCEPT, so
   * that {@code iptables-nft-save} lists no table it did not list before. iptables-legacy keeps a
   * table once the kernel has made it; there is nothing to delete.
   */
  static Optional<LiveChange.Step> deleteEmptyTables(Backend backend, Map<IpFamily, Ruleset> live,
      Map<IpFamily, ? extends java.util.Collection<String>> candidates, String prefix) {
    if (backend != Backend.NFT) {
      return Optional.empty();
    }
    StringBuilder script = new StringBuilder();
    candidates.forEach((f, names) -> {
      for (String name : names) {
        dev.mlb.netfilter.TableName.fromId(name).flatMap(n -> live.containsKey(f) ? live.get(f).table(n)
            : Optional.empty()).filter(t -> onlyOwned(t, prefix)).ifPresent(t ->
            script.append("delete table ").append(f == IpFamily.V4 ? "ip" : "ip6").append(' ').append(name)
                .append('\n'));
      }
    });
    return script.length() == 0 ? Optional.empty()
        : Optional.of(new LiveChange.Step("iptables-nft tables mlb created, now empty (delete)",
            ImmutableList.of("nft", "-f", "-"), script.toString()));
  }

  private static boolean onlyOwned(dev.mlb.netfilter.Table t, String prefix) {
    for (dev.mlb.netfilter.Chain c : t.chains()) {
      if (t.isBuiltin(c)) {
        if (!c.policy().map(p -> p == dev.mlb.netfilter.Policy.ACCEPT).orElse(true)
            || !c.rules().stream().allMatch(r -> RulesetChange.isOwnedJump(r, prefix))) {
          return false;
        }
      } else if (!c.name().startsWith(prefix)) {
        return false;
      }
    }
    return true;
  }

  static String flag(IpFamily f) {
    return f == IpFamily.V4 ? "-4" : "-6";
  }

  static String family(IpFamily f) {
    return f == IpFamily.V4 ? "IPv4" : "IPv6";
  }

  /**
   * Runs {@code change}: writes the state record (with the values mlb found), runs each step, then
   * keeps or deletes the record. On a failed step it rolls back (see the class comment) and throws.
   *
   * @throws ConflictException if the change has conflicts (nothing runs)
   * @throws StepFailedException if a step failed; the router was rolled back, unless
   *     {@link StepFailedException#rolledBack()} says otherwise
   */
  public LiveChange execute(LiveChange change) {
    if (!change.conflicts().isEmpty()) {
      throw new ConflictException(change.what(), change.conflicts());
    }
    String name = change.ownership().name();
    Optional<StateRecord> old = record(name);
    if (!change.isEmpty()) {
      change.record().ifPresent(r -> r.write(stateDir));
      for (int i = 0; i < change.steps().size(); i++) {
        LiveChange.Step step = change.steps().get(i);
        String why;
        try {
          ToolRunner.Result r = router.run(step.command(), step.stdin());
          if (Failover.succeeded(step, r)) {
            continue;
          }
          why = r.commandLine() + " exited " + r.exitCode() + ": " + r.stderr().strip();
        } catch (RuntimeException e) {
          why = e.getMessage();
        }
        throw rollBack(change, i, step, why, old);
      }
    }
    if (change.record().isPresent()) {
      change.record().get().write(stateDir);
    } else {
      StateRecord.delete(stateDir, name);
      ProbeLog.delete(stateDir, name);
    }
    return change;
  }

  private StepFailedException rollBack(LiveChange change, int index, LiveChange.Step step, String why,
      Optional<StateRecord> oldRecord) {
    try {
      Rollback.run(router, change);
    } catch (RuntimeException e) {
      return new StepFailedException(change.what(), index + 1, step, why, Optional.of(e.getMessage()));
    }
    if (oldRecord.isPresent()) {
      oldRecord.get().write(stateDir);
    } else {
      StateRecord.delete(stateDir, change.ownership().name());
    }
    return new StepFailedException(change.what(), index + 1, step, why, Optional.empty());
  }
}
