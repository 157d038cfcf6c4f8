package dev.mlb.netfilter;

import com.google.common.collect.ImmutableSet;
import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The checks behind {@link Ruleset#validate()}: tables and chains (names, loops, reachability), and
 * the screen that lets most rules skip {@link RuleChecks}.
 *
 * <pre>{@code
 * RulesetValidator.validate(ruleset);   // errors first, then warnings, each in ruleset order
 * }</pre>
 */
final class RulesetValidator {

  /** iptables refuses chain names of XT_EXTENSION_MAXNAMELEN (29) characters or more. */
  static final int MAX_CHAIN_NAME = 28;

  /** Names iptables refuses for chains because a target is called so. */
  static final ImmutableSet<String> TARGET_NAMES =
      ImmutableSet.of(
          "ACCEPT", "DROP", "RETURN", "QUEUE", "AUDIT", "CHECKSUM", "CLASSIFY", "CLUSTERIP", "CONNMARK",
          "CONNSECMARK", "CT", "DNAT", "DNPT", "DSCP", "ECN", "HL", "HMARK", "IDLETIMER", "LED", "LOG",
          "MARK", "MASQUERADE", "NETMAP", "NFLOG", "NFQUEUE", "NOTRACK", "RATEEST", "REDIRECT", "REJECT",
          "SECMARK", "SET", "SNAT", "SNPT", "SYNPROXY", "TCPMSS", "TCPOPTSTRIP", "TEE", "TOS", "TPROXY",
          "TRACE", "TTL", "ULOG");

  private final Ruleset ruleset;
  /** Whether rules whose screen shows nothing to find are skipped; false runs every check on every rule. */
  private final boolean screened;
  private final List<Finding> errors = new ArrayList<>();
  private final List<Finding> warnings = new ArrayList<>();
  /** The checks of single rules, reporting to the same lists. */
  private final RuleChecks ruleChecks;
  /** The modules kept verbatim, each reported once with its count. */
  private final UncheckedModules.Counter unchecked = new UncheckedModules.Counter();
  /** How many rules went through every check. */
  private int rulesChecked;

  private RulesetValidator(Ruleset ruleset, boolean screened) {
    this.ruleset = ruleset;
    this.screened = screened;
    this.ruleChecks = new RuleChecks(errors, warnings, ruleset.family());
  }

  static List<Finding> validate(Ruleset ruleset) {
    return validate(ruleset, true);
  }

  /** With {@code screened} false, every check runs on every rule (to test the screen against). */
  static List<Finding> validate(Ruleset ruleset, boolean screened) {
    RulesetValidator v = new RulesetValidator(ruleset, screened);
    for (Table table : ruleset.tables()) {
      v.checkTable(table);
    }
    SharedTables.check(ruleset, v.warnings);
    List<Finding> all = new ArrayList<>(v.errors);
    all.addAll(v.warnings);
    all.addAll(v.unchecked.findings());
    return all;
  }

  /** How many rules of {@code ruleset} validation runs every check on (the others' screens show nothing). */
  static int rulesChecked(Ruleset ruleset) {
    RulesetValidator v = new RulesetValidator(ruleset, true);
    for (Table table : ruleset.tables()) {
      v.checkTable(table);
    }
    return v.rulesChecked;
  }

  /** The location text of a chain. */
  static String location(TableName table, String chain) {
    return "table " + table.id() + ", chain " + chain;
  }

  /** The location text of a rule; {@code index} counts from 1 within its chain. */
  static String location(TableName table, String chain, int index) {
    return "table " + table.id() + ", chain " + chain + ", rule " + index;
  }

  private void error(String code, String location, String message) {
    errors.add(Finding.error(code, location, message));
  }

  private void warning(String code, String location, String message) {
    warnings.add(Finding.warning(code, location, message));
  }

  private void checkTable(Table table) {
    Map<String, Chain> chains = new HashMap<>();
    for (Chain c : table.chains()) {
      chains.put(c.name(), c);
      if (!table.isBuiltin(c)) {
        checkChainName(table.name(), c.name());
      }
    }
    Map<String, Set<Hook>> reach = reachability(table, chains);
    checkLoops(table, chains);
    for (Chain c : table.chains()) {
      Set<Hook> hooks = reach.getOrDefault(c.name(), EnumSet.noneOf(Hook.class));
      if (!table.isBuiltin(c) && hooks.isEmpty()) {
        warning("chain-unused", location(table.name(), c.name()),
            "user chain \"" + c.name() + "\" is never jumped to from a built-in chain; its rules never run");
      }
      // iptables refuses -i/-o by the chain's name alone: a user chain called INPUT counts too.
      Optional<Hook> named = hookNamed(c.name());
      // The screen bits that send a rule of this chain through every check (see screen()); the
      // checks of the other rules would find nothing, as their screens show.
      boolean inChecked = named.isPresent() && !named.get().hasInputInterface()
          || !hooks.isEmpty() && noneHas(hooks, true);
      boolean outChecked = named.isPresent() && !named.get().hasOutputInterface()
          || !hooks.isEmpty() && noneHas(hooks, false);
      int checked = LOCAL | OPAQUE | NAT
          | (ruleset.family() == IpFamily.V4 ? V6_ADDRESS | ICMP6 : V4_ADDRESS | ICMP)
          | (inChecked ? IN : 0) | (outChecked ? OUT : 0)
          | (table.name() == TableName.NAT ? DROP : 0);
      List<Rule> rules = c.rules();
      for (int i = 0; i < rules.size(); i++) {
        Rule rule = rules.get(i);
        int screen = rule.screen();
        if (!screened || (screen & checked) != 0
            || (screen & JUMP) != 0 && !jumpsToUserChain(table, rule, chains)) {
          rulesChecked++;
          ruleChecks.check(table.name(), c, i + 1, rule, hooks, named, chains);
        }
        if ((screen & OPAQUE) != 0) {
          unchecked.add(rule, table.name(), c.name(), i + 1);
        }
      }
    }
  }

  // ---------------------------------------------------------------- the screen of a rule

  /** Some check that needs nothing but the rule itself reports something. */
  static final int LOCAL = 1;
  /** A match or target kept verbatim (always reported). */
  static final int OPAQUE = 1 << 1;
  /** {@code -i}. */
  static final int IN = 1 << 2;
  /** {@code -o}. */
  static final int OUT = 1 << 3;
  /** {@code -s} or {@code -d} is an IPv4 prefix, or the rule says {@code -f} (IPv4 only). */
  static final int V4_ADDRESS = 1 << 4;
  /** {@code -s} or {@code -d} is an IPv6 prefix. */
  static final int V6_ADDRESS = 1 << 5;
  /** {@code -p icmp}, negated or not. */
  static final int ICMP = 1 << 6;
  /** {@code -p ipv6-icmp}, negated or not. */
  static final int ICMP6 = 1 << 7;
  /** {@code -j CHAIN} or {@code -g CHAIN}. */
  static final int JUMP = 1 << 8;
  /** {@code -j DROP}. */
  static final int DROP = 1 << 9;
  /** MASQUERADE or SNAT. */
  static final int NAT = 1 << 10;

  /**
   * What validation must look at in {@code rule}: the checks that need only the rule (LOCAL, run
   * here by the same code as {@link #checkRule}), and the parts whose checks need the ruleset's
   * family, the chain or the table. {@link Rule#screen()} keeps it.
   */
  static int screen(Rule rule) {
    int screen = 0;
    if (rule.source().isPresent()) {
      screen |= rule.source().get().family() == IpFamily.V4 ? V4_ADDRESS : V6_ADDRESS;
    }
    if (rule.destination().isPresent()) {
      screen |= rule.destination().get().family() == IpFamily.V4 ? V4_ADDRESS : V6_ADDRESS;
    }
    if (rule.fragment()) {
      screen |= V4_ADDRESS;
    }
    if (rule.in().isPresent()) {
      screen |= IN;
    }
    if (rule.out().isPresent()) {
      screen |= OUT;
    }
    if (rule.protocol().isPresent()) {
      int number = rule.protocol().get().number();
      screen |= number == 1 ? ICMP : number == 58 ? ICMP6 : 0;
    }
    for (Match m : rule.matches()) {
      if (m instanceof OpaqueMatch) {
        screen |= OPAQUE;
      }
    }
    if (rule.target().isPresent()) {
      Target t = rule.target().get();
      if (t instanceof Jump || t instanceof Goto) {
        screen |= JUMP;
      } else if (t == Verdict.DROP) {
        screen |= DROP;
      } else if (t instanceof Masquerade || t instanceof Snat) {
        screen |= NAT;
      } else if (t instanceof OpaqueTarget) {
        screen |= OPAQUE;
      }
    }
    if ((screen & OPAQUE) == 0 && RuleChecks.findsLocally(rule)) {
      screen |= LOCAL;
    }
    return screen;
  }

  /** Whether {@code rule} jumps or goes to a user chain of the table (so its target checks pass). */
  private static boolean jumpsToUserChain(Table table, Rule rule, Map<String, Chain> chains) {
    Target t = rule.target().get();
    String name = t instanceof Jump j ? j.chain() : ((Goto) t).chain();
    return !table.name().isBuiltin(name) && chains.containsKey(name);
  }

  private void checkChainName(TableName table, String name) {
    String where = location(table, name);
    if (name.isEmpty()) {
      error("chain-name-empty", where, "chain name is empty");
      return;
    }
    if (name.length() > MAX_CHAIN_NAME) {
      error("chain-name-length", where, "chain name \"" + name + "\" is " + name.length()
          + " characters; iptables allows at most " + MAX_CHAIN_NAME);
    }
    char first = name.charAt(0);
    if (first == '-' || first == '!') {
      error("chain-name-start", where, "chain name \"" + name + "\" starts with '" + first
          + "'; iptables does not allow a chain name to start with '-' or '!'");
    }
    for (int i = 0; i < name.length(); i++) {
      char ch = name.charAt(i);
      if (ch <= ' ' || ch >= 0x7f || ch == '"' || ch == '\'' || ch == '\\') {
        error("chain-name-character", where, "chain name \"" + TextChecks.escape(name) + "\" contains "
            + TextChecks.describe(ch) + " at position " + (i + 1)
            + "; expected printable ASCII without blanks, quotes or backslashes");
        break;
      }
    }
    if (TARGET_NAMES.contains(name)) {
      error("chain-name-target", where, "chain name \"" + name
          + "\" is the name of a target; iptables does not allow a chain to be called so");
    }
  }

  /** For each chain, the hooks whose built-in chain reaches it through jumps and gotos. */
  private static Map<String, Set<Hook>> reachability(Table table, Map<String, Chain> chains) {
    Map<String, Set<Hook>> reach = new HashMap<>();
    for (Hook hook : table.name().hooks()) {
      Deque<String> todo = new ArrayDeque<>();
      todo.add(hook.name());
      Set<String> seen = new HashSet<>();
      while (!todo.isEmpty()) {
        String name = todo.poll();
        if (!seen.add(name)) {
          continue;
        }
        reach.computeIfAbsent(name, k -> EnumSet.noneOf(Hook.class)).add(hook);
        Chain c = chains.get(name);
        if (c == null) {
          continue;
        }
        for (String t : c.jumpTargets()) {
          if (!table.name().isBuiltin(t)) {
            todo.add(t);
          }
        }
      }
    }
    return reach;
  }

  private void checkLoops(Table table, Map<String, Chain> chains) {
    // Depth-first search over user chains; a back edge is a loop, which the kernel refuses (ELOOP).
    Map<String, Integer> state = new HashMap<>();
    for (Chain c : table.chains()) {
      findLoop(table, chains, c.name(), state, new ArrayDeque<>());
    }
  }

  private boolean findLoop(
      Table table, Map<String, Chain> chains, String name, Map<String, Integer> state, Deque<String> path) {
    Integer s = state.get(name);
    if (s != null) {
      if (s == 1) {
        List<String> cycle = new ArrayList<>();
        boolean in = false;
        for (java.util.Iterator<String> it = path.descendingIterator(); it.hasNext(); ) {
          String p = it.next();
          in |= p.equals(name);
          if (in) {
            cycle.add(p);
          }
        }
        cycle.add(name);
        error("jump-loop", location(table.name(), name),
            "chains jump in a loop: " + String.join(" -> ", cycle) + "; the kernel refuses loops");
        return true;
      }
      return false;
    }
    Chain c = chains.get(name);
    if (c == null) {
      return false;
    }
    state.put(name, 1);
    path.push(name);
    boolean found = false;
    for (String t : c.jumpTargets()) {
      if (chains.containsKey(t) && !table.name().isBuiltin(t)) {
        found |= findLoop(table, chains, t, state, path);
        if (found) {
          break;
        }
      }
    }
    path.pop();
    state.put(name, 2);
    return found;
  }

  /** Whether none of {@code hooks} has an input (or output) interface. */
  static boolean noneHas(Set<Hook> hooks, boolean input) {
    for (Hook h : hooks) {
      if (input ? h.hasInputInterface() : h.hasOutputInterface()) {
        return false;
      }
    }
    return true;
  }

  private static Optional<Hook> hookNamed(String chain) {
    for (Hook h : Hook.values()) {
      if (h.name().equals(chain)) {
        return Optional.of(h);
      }
    }
    return Optional.empty();
  }
}
