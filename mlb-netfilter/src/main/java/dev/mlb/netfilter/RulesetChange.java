package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.IpFamily;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The smallest change that takes the part of a live ruleset that mlb owns to a desired ruleset,
 * leaving every other rule and chain alone, as {@code iptables-restore --noflush} input.
 *
 * <pre>{@code
 * Ruleset live = RestoreParser.parse("iptables-save", saved, IpFamily.V4);
 * RulesetChange c = RulesetChange.between(live, BalancingRules.compile(policy, IpFamily.V4).output(), "mlb-");
 * c.conflicts();       // []: no foreign rule depends on a chain mlb would delete
 * c.chains();          // new and changed owned chains: "*mangle\n:mlb-balance - [0:0]\n-A mlb-balance ...\nCOMMIT\n"
 * c.jumps();           // "*mangle\n-I PREROUTING 1 -j mlb-prerouting\nCOMMIT\n" ...
 * c.cleanup();         // stale owned chains flushed and deleted
 * }</pre>
 *
 * <p><b>Ownership.</b> mlb owns the user chains whose names start with its prefix, and the jumps
 * to them that it puts in built-in chains: rules of a built-in chain with nothing but
 * {@code -j OWNED}. Every other rule and chain is foreign and is never written, moved or deleted; a
 * built-in chain's policy is never changed. A foreign rule that jumps into an owned chain that the
 * change would delete is a {@linkplain #conflicts() conflict}.
 *
 * <p><b>Three transactions</b>, run in this order, each one {@code iptables-restore --noflush}
 * (atomic per table): {@link #chains()} creates the owned chains that are missing and rewrites (flush,
 * then the rules) those whose rules differ; chains that are already right are not touched, so their
 * counters survive. {@link #jumps()} then adds the missing jumps and deletes stale or duplicate
 * ones: jumps in a mangle or raw chain go first ({@code -I CHAIN 1}), so that marking sees every
 * packet; jumps in a nat chain go last ({@code -A}), so that other software's NAT decisions stand
 * and mlb's apply to what they leave. {@link #cleanup()} finally flushes and deletes the owned chains
 * the desired ruleset no longer has. Traffic reaches new rules only once they are complete, and
 * leaves old ones before they are deleted. An unchanged ruleset gives three empty transactions.
 */
public final class RulesetChange {
  private final IpFamily family;
  private final String prefix;
  private final String chains;
  private final String jumps;
  private final String cleanup;
  private final ImmutableList<String> conflicts;
  private final ImmutableList<Item> items;
  private final Ruleset result;

  private RulesetChange(IpFamily family, String prefix, String chains, String jumps, String cleanup,
      List<String> conflicts, List<Item> items, Ruleset result) {
    this.family = family;
    this.prefix = prefix;
    this.chains = chains;
    this.jumps = jumps;
    this.cleanup = cleanup;
    this.conflicts = ImmutableList.copyOf(conflicts);
    this.items = ImmutableList.copyOf(items);
    this.result = result;
  }

  /**
   * The change from {@code live} (as {@code iptables-save} printed it, parsed) to {@code desired}.
   *
   * @param prefix the prefix of owned chain names, for example {@code "mlb-"}
   * @throws IllegalArgumentException if the families differ, the prefix is empty, a desired user
   *     chain lacks the prefix, or a desired built-in chain holds anything but jumps to owned chains
   */
  public static RulesetChange between(Ruleset live, Ruleset desired, String prefix) {
    checkArgument(live.family() == desired.family(), "the live ruleset is %s, the desired one %s", live.family(),
        desired.family());
    checkArgument(!prefix.isEmpty(), "the owned chain prefix is empty; mlb's chains could not be told from"
        + " other software's");
    for (Table t : desired.tables()) {
      for (Chain c : t.chains()) {
        if (t.isBuiltin(c)) {
          for (Rule r : c.rules()) {
            checkArgument(isOwnedJump(r, prefix), "table %s, chain %s: \"%s\" is not a jump to a chain named %s...;"
                + " mlb puts only such jumps into built-in chains", t.name(), c.name(),
                RestoreWriter.renderRule(r).strip(), prefix);
          }
        } else {
          checkArgument(c.name().startsWith(prefix), "table %s: chain %s does not start with the owned prefix %s",
              t.name(), c.name(), prefix);
        }
      }
    }
    return plan(live, desired, prefix, false);
  }

  /**
   * The change that puts back what mlb owned in {@code snapshot} (an earlier read of the same
   * router), with every jump at the position it had there: what a failed change rolls back with.
   * Rules and chains of other software in {@code snapshot} are ignored; they are assumed unchanged.
   */
  public static RulesetChange restoring(Ruleset live, Ruleset snapshot, String prefix) {
    checkArgument(live.family() == snapshot.family(), "the live ruleset is %s, the snapshot %s", live.family(),
        snapshot.family());
    checkArgument(!prefix.isEmpty(), "the owned chain prefix is empty");
    return plan(live, snapshot, prefix, true);
  }

  /** The change that removes everything mlb owns in {@code live}: {@link #between} an empty desired ruleset. */
  public static RulesetChange removal(Ruleset live, String prefix) {
    return between(live, Ruleset.builder().family(live.family()).build(), prefix);
  }

  /** Whether {@code rule} is a jump that mlb puts into a built-in chain: {@code -j OWNED} and nothing else. */
  public static boolean isOwnedJump(Rule rule, String prefix) {
    return rule.target().isPresent() && rule.target().get() instanceof Jump j && j.chain().startsWith(prefix)
        && rule.source().isEmpty() && rule.destination().isEmpty() && rule.in().isEmpty() && rule.out().isEmpty()
        && rule.protocol().isEmpty() && !rule.fragment() && rule.matches().isEmpty();
  }

  private static RulesetChange plan(Ruleset live, Ruleset desired, String prefix, boolean atSnapshotPositions) {
    StringBuilder chains = new StringBuilder();
    StringBuilder jumps = new StringBuilder();
    StringBuilder cleanup = new StringBuilder();
    List<String> conflicts = new ArrayList<>();
    List<Item> items = new ArrayList<>();
    Ruleset.Builder result = Ruleset.builder().family(live.family());
    List<TableName> names = new ArrayList<>();
    for (TableName n : TableName.values()) {
      if (live.table(n).isPresent() || desired.table(n).isPresent()) {
        names.add(n);
      }
    }
    for (TableName name : names) {
      Optional<Table> liveTable = live.table(name);
      Optional<Table> wantedTable = desired.table(name);
      Map<String, Chain> liveOwned = owned(liveTable, prefix);
      Map<String, Chain> wantedOwned = owned(wantedTable, prefix);

      StringBuilder c = new StringBuilder();
      List<String> created = new ArrayList<>();
      for (Chain w : wantedOwned.values()) {
        Chain l = liveOwned.get(w.name());
        if (l == null) {
          c.append(':').append(w.name()).append(" - [0:0]\n");
          created.add(w.name());
        }
      }
      for (Chain w : wantedOwned.values()) {
        Chain l = liveOwned.get(w.name());
        if (l != null && l.rules().equals(w.rules())) {
          continue;
        }
        if (l != null) {
          c.append("-F ").append(w.name()).append('\n');
          items.add(new Item(name, Item.Kind.REWRITE_CHAIN, w.name(), l.rules().size() + " -> " + w.rules().size()
              + " rules"));
        } else {
          items.add(new Item(name, Item.Kind.CREATE_CHAIN, w.name(), w.rules().size() + " rules"));
        }
        for (Rule r : w.rules()) {
          c.append("-A ").append(w.name()).append(RestoreWriter.renderRule(r)).append('\n');
        }
      }
      table(chains, name, c);

      StringBuilder j = new StringBuilder();
      Table.Builder after = Table.builder().name(name);
      for (Hook hook : name.hooks()) {
        String chain = hook.name();
        Optional<Chain> liveChain = liveTable.flatMap(t -> t.chain(chain));
        List<Rule> rulesAfter = new ArrayList<>(liveChain.map(Chain::rules).orElse(ImmutableList.of()));
        List<Rule> wantedAll = wantedTable.flatMap(t -> t.chain(chain)).map(Chain::rules).orElse(ImmutableList.of());
        List<Rule> present = new ArrayList<>();
        liveTable.flatMap(t -> t.chain(chain)).ifPresent(ch -> ch.rules().stream()
            .filter(r -> isOwnedJump(r, prefix)).forEach(present::add));
        // The wanted jumps the chain lacks, with their index in the wanted chain.
        List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < wantedAll.size(); i++) {
          Rule w = wantedAll.get(i);
          if (isOwnedJump(w, prefix) && !present.remove(w)) {
            missing.add(i);
          }
        }
        for (Rule stale : present) {
          rulesAfter.remove(stale);   // as -D: the first rule equal to it
          j.append("-D ").append(chain).append(RestoreWriter.renderRule(stale)).append('\n');
          items.add(new Item(name, Item.Kind.DELETE_JUMP, chain, "-j " + ((Jump) stale.target().get()).chain()));
        }
        boolean first = name != TableName.NAT;
        List<Integer> order = atSnapshotPositions || !first ? missing : com.google.common.collect.Lists.reverse(missing);
        for (int i : order) {
          Rule m = wantedAll.get(i);
          String where = atSnapshotPositions ? "-I " + chain + " " + (i + 1) : first ? "-I " + chain + " 1" : "-A " + chain;
          rulesAfter.add(atSnapshotPositions ? Math.min(i, rulesAfter.size()) : first ? 0 : rulesAfter.size(), m);
          j.append(where).append(RestoreWriter.renderRule(m)).append('\n');
          items.add(new Item(name, Item.Kind.ADD_JUMP, chain, "-j " + ((Jump) m.target().get()).chain() + ", "
              + (atSnapshotPositions ? "at " + (i + 1) : first ? "first" : "last")));
        }
        Chain.Builder cb = Chain.builder().name(chain).rules(rulesAfter);
        liveChain.flatMap(Chain::policy).ifPresent(cb::policy);
        after.addChains(cb.build());
      }
      table(jumps, name, j);

      StringBuilder x = new StringBuilder();
      List<String> stale = liveOwned.keySet().stream().filter(n -> !wantedOwned.containsKey(n)).toList();
      for (String s : stale) {
        x.append("-F ").append(s).append('\n');
      }
      for (String s : stale) {
        x.append("-X ").append(s).append('\n');
        items.add(new Item(name, Item.Kind.DELETE_CHAIN, s, ""));
      }
      table(cleanup, name, x);
      for (Chain ch : liveTable.map(Table::chains).orElse(ImmutableList.of())) {
        if (!liveTable.get().isBuiltin(ch) && !(ch.name().startsWith(prefix))) {
          after.addChains(ch);
        }
      }
      after.addAllChains(wantedOwned.values());
      result.addTables(after.build());

      // Foreign rules that jump or go into an owned chain the change deletes.
      for (Chain ch : liveTable.map(Table::chains).orElse(ImmutableList.of())) {
        boolean builtin = liveTable.get().isBuiltin(ch);
        if (ch.name().startsWith(prefix) && !builtin) {
          continue;
        }
        for (Rule r : ch.rules()) {
          String target = r.target().map(t -> t instanceof Jump jj ? jj.chain() : t instanceof Goto g ? g.chain() : null)
              .orElse(null);
          if (target != null && stale.contains(target) && !(builtin && isOwnedJump(r, prefix))) {
            conflicts.add("table " + name + ", chain " + ch.name() + ": a rule of another program (\"-A " + ch.name()
                + RestoreWriter.renderRule(r) + "\") uses mlb's chain " + target + ", which would be deleted");
          }
        }
      }
    }
    return new RulesetChange(live.family(), prefix, chains.toString(), jumps.toString(), cleanup.toString(),
        conflicts, items, result.build());
  }

  private static void table(StringBuilder out, TableName name, StringBuilder body) {
    if (body.length() > 0) {
      out.append('*').append(name.id()).append('\n').append(body).append("COMMIT\n");
    }
  }

  /** The owned user chains of {@code table}, by name, in the table's order. */
  private static Map<String, Chain> owned(Optional<Table> table, String prefix) {
    Map<String, Chain> out = new LinkedHashMap<>();
    table.ifPresent(t -> t.chains().stream().filter(c -> !t.isBuiltin(c) && c.name().startsWith(prefix))
        .forEach(c -> out.put(c.name(), c)));
    return out;
  }

  /** IPv4 or IPv6. */
  public IpFamily family() {
    return family;
  }

  /** The owned chain prefix. */
  public String prefix() {
    return prefix;
  }

  /** Step 1: creates missing owned chains and rewrites changed ones; empty if none. */
  public String chains() {
    return chains;
  }

  /** Step 2: adds missing jumps and deletes stale or duplicate ones; empty if none. */
  public String jumps() {
    return jumps;
  }

  /** Step 3: flushes and deletes the owned chains no longer wanted; empty if none. */
  public String cleanup() {
    return cleanup;
  }

  /** Why the change must not be made, one line each; empty when it may. */
  public List<String> conflicts() {
    return conflicts;
  }

  /**
   * One thing the change does to one owned chain or jump.
   *
   * @param table the table
   * @param kind what it does
   * @param chain the owned chain, or for a jump the built-in chain that holds it
   * @param detail the number of rules, or the jump
   */
  public record Item(TableName table, Kind kind, String chain, String detail) {
    /** What a change does to a chain or a jump. */
    public enum Kind {
      CREATE_CHAIN("create chain"), REWRITE_CHAIN("rewrite chain"), ADD_JUMP("add jump"), DELETE_JUMP("delete jump"),
      DELETE_CHAIN("delete chain");

      private final String words;

      Kind(String words) {
        this.words = words;
      }

      @Override
      public String toString() {
        return words;
      }
    }

    /** {@code mangle: create chain mlb-lan (2 rules)}. */
    @Override
    public String toString() {
      return table + ": " + kind + " " + chain + (detail.isEmpty() ? "" : " (" + detail + ")");
    }
  }

  /** What the change does, one item per chain or jump, in the order of the transactions. */
  public List<Item> items() {
    return items;
  }

  /** {@link #items()} as lines: "mangle: create chain mlb-lan (2 rules)". */
  public List<String> summary() {
    return items.stream().map(Item::toString).collect(ImmutableList.toImmutableList());
  }

  /**
   * The ruleset the three transactions leave, as {@code iptables-save} would print it: the live
   * one with the owned chains and jumps changed and everything else as it was. Counters aside, what
   * a router holds after the change (a kernel test checks it against the real tools).
   */
  public Ruleset result() {
    return result;
  }

  /** Whether the live ruleset already holds exactly the desired owned chains and jumps. */
  public boolean isEmpty() {
    return chains.isEmpty() && jumps.isEmpty() && cleanup.isEmpty();
  }

  @Override
  public String toString() {
    return family + " ruleset change (prefix " + prefix + "): " + (isEmpty() ? "none" : String.join("; ", summary()))
        + (conflicts.isEmpty() ? "" : "; " + conflicts.size() + " conflicts");
  }
}
