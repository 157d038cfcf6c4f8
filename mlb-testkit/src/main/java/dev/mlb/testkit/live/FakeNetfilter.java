package dev.mlb.testkit.live;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.IpFamily;
import dev.mlb.netfilter.Chain;
import dev.mlb.netfilter.Dnat;
import dev.mlb.netfilter.Goto;
import dev.mlb.netfilter.Hook;
import dev.mlb.netfilter.Jump;
import dev.mlb.netfilter.Masquerade;
import dev.mlb.netfilter.Policy;
import dev.mlb.netfilter.Redirect;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Rule;
import dev.mlb.netfilter.Snat;
import dev.mlb.netfilter.Table;
import dev.mlb.netfilter.TableName;
import dev.mlb.netfilter.Target;
import dev.mlb.testkit.live.FakeRouter.Backend;
import dev.mlb.testkit.live.ToolRunner.Result;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The iptables state of a {@link FakeRouter}: for each family, a legacy (x_tables) store and an
 * nf_tables store, each with the tables the kernel holds, and what {@code iptables-save} prints
 * of them. {@link FakeRestore} changes them.
 */
final class FakeNetfilter {
  /** The date every save header shows. */
  static final String DATE = "Thu Jan  1 00:00:00 1970";

  /** One chain as the kernel holds it. */
  static final class ChainState {
    final String name;
    final boolean builtin;
    Policy policy;
    final List<Rule> rules;

    ChainState(String name, boolean builtin, Policy policy, List<Rule> rules) {
      this.name = name;
      this.builtin = builtin;
      this.policy = policy;
      this.rules = new ArrayList<>(rules);
    }

    ChainState copy() {
      return new ChainState(name, builtin, policy, rules);
    }
  }

  /** One table as the kernel holds it. */
  static final class TableState {
    final TableName name;
    /** The built-in chains in hook order, then the user chains in the order they were made. */
    final Map<String, ChainState> chains = new LinkedHashMap<>();
    /**
     * nf_tables only: the built-in chains that exist in the kernel. iptables-nft makes a built-in
     * chain when a command first needs it, and iptables-nft-save prints every built-in chain of a
     * table that exists anyway (checked: after "*mangle\n:PREROUTING ACCEPT [0:0]\nCOMMIT" the nft
     * ruleset has only chain PREROUTING, and iptables-nft-save prints all five).
     */
    final Set<String> nftBuiltins = new HashSet<>();
    /** nf_tables only: whether the table exists (legacy tables exist once instantiated). */
    boolean exists;

    TableState(TableName name) {
      this.name = name;
      for (Hook h : name.hooks()) {
        chains.put(h.name(), new ChainState(h.name(), true, Policy.ACCEPT, List.of()));
      }
    }

    TableState copy() {
      TableState t = new TableState(name);
      t.chains.clear();
      chains.forEach((k, v) -> t.chains.put(k, v.copy()));
      t.nftBuiltins.addAll(nftBuiltins);
      t.exists = exists;
      return t;
    }

    /** The table as mlb's model holds it (user chains sorted by name, as iptables-save prints them). */
    Table toModel() {
      Table.Builder b = Table.builder().name(name);
      for (ChainState c : chains.values()) {
        Chain.Builder cb = Chain.builder().name(c.name).rules(c.rules);
        if (c.builtin) {
          cb.policy(c.policy);
        }
        b.addChains(cb.build());
      }
      return b.build();
    }

    /** Whether some rule of the table jumps or goes to {@code chain}. */
    boolean referenced(String chain) {
      for (ChainState c : chains.values()) {
        for (Rule r : c.rules) {
          if (chain.equals(jumpTarget(r))) {
            return true;
          }
        }
      }
      return false;
    }
  }

  /** The tables of one backend and family. */
  static final class Store {
    final Backend backend;
    final IpFamily family;
    /**
     * The tables. Legacy: newest instantiated first, the order of /proc/net/ip_tables_names and so of
     * iptables-legacy-save (checked: tables instantiated nat, raw, mangle save as mangle, raw, nat).
     * nf_tables: any order; iptables-nft-save prints mangle, security, raw, filter, nat.
     */
    final List<TableState> tables = new ArrayList<>();

    Store(Backend backend, IpFamily family) {
      this.backend = backend;
      this.family = family;
    }

    boolean nft() {
      return backend == Backend.NFT;
    }

    Optional<TableState> table(TableName name) {
      return tables.stream().filter(t -> t.name == name).findFirst();
    }

    /** Legacy: instantiates {@code name} (empty, policies ACCEPT) if it is not yet, at the head of the list. */
    TableState instantiate(TableName name) {
      Optional<TableState> t = table(name);
      if (t.isPresent()) {
        return t.get();
      }
      TableState fresh = new TableState(name);
      fresh.exists = true;
      tables.add(0, fresh);
      return fresh;
    }

    /** Puts a committed table in place of the old one (or drops it: nf_tables, a table that no longer exists). */
    void put(TableState committed) {
      for (int i = 0; i < tables.size(); i++) {
        if (tables.get(i).name == committed.name) {
          if (committed.exists || !nft()) {
            tables.set(i, committed);
          } else {
            tables.remove(i);
          }
          return;
        }
      }
      if (committed.exists) {
        tables.add(nft() ? tables.size() : 0, committed);
      }
    }

    /** The tables in the order the save command prints them. */
    List<TableState> printOrder() {
      if (!nft()) {
        return tables;
      }
      List<TableState> sorted = new ArrayList<>(tables);
      sorted.sort((a, b) -> a.name.compareTo(b.name));
      return sorted;
    }
  }

  private final Map<String, Store> stores = new LinkedHashMap<>();

  FakeNetfilter() {
    for (IpFamily f : IpFamily.values()) {
      for (Backend b : Backend.values()) {
        stores.put(key(b, f), new Store(b, f));
      }
    }
  }

  private static String key(Backend b, IpFamily f) {
    return (f == IpFamily.V4 ? "iptables-" : "ip6tables-") + b.name().toLowerCase(java.util.Locale.ROOT);
  }

  Store store(Backend b, IpFamily f) {
    return stores.get(key(b, f));
  }

  /** The save text of every store without comment lines, by store name ("iptables-nft", ...). */
  Map<String, String> texts() {
    Map<String, String> out = new LinkedHashMap<>();
    stores.forEach((k, s) -> out.put(k, body(s, s.printOrder(), false)));
    return out;
  }

  /** The save text of {@code tables}: the canonical table text mlb's RestoreWriter writes for each. */
  static String body(Store s, List<TableState> tables, boolean counters) {
    StringBuilder out = new StringBuilder();
    for (TableState t : tables) {
      out.append(tableText(t.toModel(), counters, !s.nft()));
    }
    return out.toString();
  }

  /**
   * One table as {@code iptables-save} prints it. {@link RestoreWriter#render} gives the same text
   * for a valid ruleset, but validates first, and the kernel holds tables mlb's validator calls
   * wrong (an unattached jump loop, a chain named like a target), so each rule goes through
   * {@link RestoreWriter#renderRule} here (FakeRouterTest checks the two agree).
   */
  static String tableText(Table table, boolean counters, boolean legacy) {
    StringBuilder out = new StringBuilder();
    out.append('*').append(table.name().id()).append('\n');
    for (Chain c : table.chains()) {
      out.append(':').append(c.name()).append(' ').append(c.policy().map(Policy::name).orElse("-"))
          .append(" [0:0]\n");
    }
    for (Chain c : table.chains()) {
      for (Rule r : c.rules()) {
        out.append(counters ? "[0:0] -A " : "-A ").append(c.name()).append(RestoreWriter.renderRule(legacy ? legacy(r) : r))
            .append('\n');
      }
    }
    return out.append("COMMIT\n").toString();
  }

  /**
   * A rule as iptables-legacy-save prints it: without {@code ! -i +} and {@code ! -o +} (checked:
   * legacy saves "-A FORWARD ! -o + -j ACCEPT" as "-A FORWARD -j ACCEPT", its print_iface skips an
   * interface whose mask is empty, negated or not; nf_tables prints "! -o +"). The kernel keeps the
   * negation, so only the printed text loses it.
   */
  private static Rule legacy(Rule r) {
    boolean in = r.inNegated() && r.in().map(i -> i.name().equals("+")).orElse(false);
    boolean out = r.outNegated() && r.out().map(i -> i.name().equals("+")).orElse(false);
    if (!in && !out) {
      return r;
    }
    Rule.Builder b = Rule.builder().from(r);
    if (in) {
      b.in(Optional.empty()).inNegated(false);
    }
    if (out) {
      b.out(Optional.empty()).outNegated(false);
    }
    return b.build();
  }

  /** {@code iptables[-legacy|-nft]-save [-t TABLE] [-c]} and the ip6tables forms. */
  Result save(ImmutableList<String> command, Backend backend, IpFamily family) {
    Store s = store(backend, family);
    String program = command.get(0);
    Optional<TableName> only = Optional.empty();
    boolean counters = false;
    for (int i = 1; i < command.size(); i++) {
      String a = command.get(i);
      if (a.equals("-t") || a.equals("--table")) {
        if (++i >= command.size()) {
          throw FakeRouter.notModelled(command, "-t without a table");
        }
        String name = command.get(i);
        only = TableName.fromId(name);
        if (only.isEmpty()) {
          // Checked: "iptables-nft-save -t bogus" prints "Table `bogus' does not exist" and exits 1;
          // the legacy one "iptables-save v1.8.9 (legacy): Cannot initialize: Table does not exist (do
          // you need to insmod?)".
          String err = s.nft() ? "Table `" + name + "' does not exist\n"
              : base(family) + "-save v1.8.9 (legacy): Cannot initialize: Table does not exist (do you need to insmod?)\n";
          return new Result(command, 1, "", err);
        }
      } else if (a.equals("-c") || a.equals("--counters")) {
        counters = true;
      } else {
        throw FakeRouter.notModelled(command, "option " + a);
      }
    }
    List<TableState> tables;
    if (only.isPresent()) {
      // Checked: "iptables-nft-save -t nat" prints an empty nat table where none exists, without
      // making one; "iptables-legacy-save -t nat" instantiates the table.
      TableName n = only.get();
      tables = List.of(s.nft() ? s.table(n).orElseGet(() -> new TableState(n)) : s.instantiate(n));
    } else {
      tables = s.printOrder();
    }
    String header = s.nft() ? program + " v1.8.9 (nf_tables)" : base(family) + "-save v1.8.9";
    StringBuilder out = new StringBuilder();
    for (TableState t : tables) {
      out.append("# Generated by ").append(header).append(" on ").append(DATE).append('\n');
      out.append(tableText(t.toModel(), counters, !s.nft()));
      out.append("# Completed on ").append(DATE).append('\n');
    }
    String err = "";
    if (s.nft() && !store(Backend.LEGACY, family).tables.isEmpty()) {
      // Checked: iptables-nft-save prints this on stderr whenever the legacy store of its family has
      // a table (even when it prints no table itself); iptables-legacy-save never warns.
      err = "# Warning: " + base(family) + "-legacy tables present, use " + base(family)
          + "-legacy-save to see them\n";
    }
    return new Result(command, 0, out.toString(), err);
  }

  static String base(IpFamily family) {
    return family == IpFamily.V4 ? "iptables" : "ip6tables";
  }

  /** The chain a rule jumps or goes to, or null. */
  static String jumpTarget(Rule r) {
    if (r.target().isEmpty()) {
      return null;
    }
    Target t = r.target().get();
    return t instanceof Jump j ? j.chain() : t instanceof Goto g ? g.chain() : null;
  }

  /** A rule the kernel refuses once its table is committed; the reason is what nf_tables says. */
  record Violation(String chain, Rule rule, String reason) {}

  /**
   * What the kernel refuses in a whole table: a jump loop reachable from a built-in chain ("Too many
   * links"), and a NAT target outside the nat table or reachable from a hook where it is not allowed
   * ("Invalid argument").
   *
   * <p>Checked with iptables v1.8.9 (legacy and nf_tables) on Linux 6.18: chains that jump in a loop
   * load as long as no built-in chain reaches the loop; MASQUERADE in a user chain of nat loads, and
   * fails as soon as PREROUTING jumps to that chain; MASQUERADE anywhere in mangle fails; DNAT in nat
   * PREROUTING, SNAT in nat INPUT and MARK in nat OUTPUT load.
   */
  static Optional<Violation> violation(TableState t) {
    Map<String, Set<Hook>> reach = new HashMap<>();
    for (Hook hook : t.name.hooks()) {
      Deque<String> todo = new ArrayDeque<>(List.of(hook.name()));
      Set<String> seen = new HashSet<>();
      while (!todo.isEmpty()) {
        String name = todo.poll();
        ChainState c = t.chains.get(name);
        if (c == null || !seen.add(name)) {
          continue;
        }
        reach.computeIfAbsent(name, k -> EnumSet.noneOf(Hook.class)).add(hook);
        for (Rule r : c.rules) {
          String target = jumpTarget(r);
          if (target != null && !t.name.isBuiltin(target)) {
            todo.add(target);
          }
        }
      }
    }
    // Loops, depth first from every built-in chain.
    Map<String, Integer> state = new HashMap<>();
    for (Hook hook : t.name.hooks()) {
      Optional<Violation> v = loop(t, hook.name(), state);
      if (v.isPresent()) {
        return v;
      }
    }
    for (ChainState c : t.chains.values()) {
      for (Rule r : c.rules) {
        Optional<Set<Hook>> allowed = natHooks(r);
        if (allowed.isEmpty()) {
          continue;
        }
        if (t.name != TableName.NAT) {
          return Optional.of(new Violation(c.name, r, "Invalid argument"));
        }
        for (Hook h : reach.getOrDefault(c.name, Set.of())) {
          if (!allowed.get().contains(h)) {
            return Optional.of(new Violation(c.name, r, "Invalid argument"));
          }
        }
      }
    }
    return Optional.empty();
  }

  private static Optional<Violation> loop(TableState t, String name, Map<String, Integer> state) {
    Integer s = state.get(name);
    if (s != null) {
      return Optional.empty();
    }
    ChainState c = t.chains.get(name);
    if (c == null) {
      return Optional.empty();
    }
    state.put(name, 1);
    Set<String> targets = new LinkedHashSet<>();
    for (Rule r : c.rules) {
      String target = jumpTarget(r);
      if (target != null && !t.name.isBuiltin(target) && t.chains.containsKey(target)) {
        if (Integer.valueOf(1).equals(state.get(target))) {
          return Optional.of(new Violation(c.name, r, "Too many links"));
        }
        targets.add(target);
      }
    }
    for (String target : targets) {
      Optional<Violation> v = loop(t, target, state);
      if (v.isPresent()) {
        return v;
      }
    }
    state.put(name, 2);
    return Optional.empty();
  }

  /** The hooks where a NAT target may be, if {@code r}'s target is one (x_tables' table and hook masks). */
  private static Optional<Set<Hook>> natHooks(Rule r) {
    if (r.target().isEmpty()) {
      return Optional.empty();
    }
    Target t = r.target().get();
    if (t instanceof Masquerade) {
      return Optional.of(EnumSet.of(Hook.POSTROUTING));
    }
    if (t instanceof Snat) {
      return Optional.of(EnumSet.of(Hook.POSTROUTING, Hook.INPUT));
    }
    if (t instanceof Dnat || t instanceof Redirect) {
      return Optional.of(EnumSet.of(Hook.PREROUTING, Hook.OUTPUT));
    }
    return Optional.empty();
  }
}
