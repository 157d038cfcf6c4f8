package dev.mlb.netfilter;

import com.google.common.collect.ImmutableSet;
import com.google.common.collect.Sets;
import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Protocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
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
  /** The note that rules name ipsets, which this validation does not know ({@link #setFindings} checks them). */
  private final IpSetChecks setChecks;
  /** How many rules went through every check. */
  private int rulesChecked;

  private RulesetValidator(Ruleset ruleset, boolean screened) {
    this.ruleset = ruleset;
    this.screened = screened;
    this.ruleChecks = new RuleChecks(errors, warnings, ruleset.family());
    this.setChecks = new IpSetChecks(null, ruleset.family(), errors, warnings);
  }

  static List<Finding> validate(Ruleset ruleset) {
    return validate(ruleset, true);
  }

  /**
   * Only the checks of the ipsets that rules name, against {@code sets} (the sets that exist):
   * {@link Ruleset#validate(IpSets)} adds them to the kept {@link Ruleset#validate()}. Errors first.
   */
  static List<Finding> setFindings(Ruleset ruleset, IpSets sets) {
    List<Finding> errors = new ArrayList<>();
    List<Finding> warnings = new ArrayList<>();
    IpSetChecks checks = new IpSetChecks(sets, ruleset.family(), errors, warnings);
    for (Table table : ruleset.tables()) {
      for (Chain c : table.chains()) {
        List<Rule> rules = c.rules();
        for (int i = 0; i < rules.size(); i++) {
          if ((rules.get(i).screen() & SET) != 0) {
            checks.check(rules.get(i), table.name(), c.name(), i + 1);
          }
        }
      }
    }
    errors.addAll(warnings);
    return errors;
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
    all.addAll(v.setChecks.findings());
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
    List<Chain> list = table.chains();
    Map<String, Integer> index = new HashMap<>(list.size() * 2);
    for (int i = 0; i < list.size(); i++) {
      Chain c = list.get(i);
      index.put(c.name(), i);
      if (!table.isBuiltin(c)) {
        checkChainName(table.name(), c.name());
      }
    }
    int[][] jumps = jumps(table, list, index);
    int[] reach = reachability(table, list, jumps);
    checkLoops(table, list, jumps);
    for (int ci = 0; ci < list.size(); ci++) {
      Chain c = list.get(ci);
      Set<Hook> hooks = HOOK_SETS.get(reach[ci]);
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
            || (screen & JUMP) != 0 && !jumpsToUserChain(table, rule, index)) {
          rulesChecked++;
          ruleChecks.check(table.name(), c, i + 1, rule, hooks, named, index);
        }
        if ((screen & OPAQUE) != 0) {
          unchecked.add(rule, table.name(), c.name(), i + 1);
        }
        if ((screen & SET) != 0) {
          setChecks.check(rule, table.name(), c.name(), i + 1);
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
  /** {@code -m set} or {@code -j SET}: names ipsets ({@link IpSetChecks}). */
  static final int SET = 1 << 11;
  /** {@code -m hashlimit} or {@code -m recent}: names a kernel table that rules share ({@link SharedTables}). */
  static final int SHARED_TABLE = 1 << 12;

  /**
   * What validation must look at in {@code rule}: the checks that need only the rule (LOCAL, run
   * here by the same code as {@link #checkRule}), and the parts whose checks need the ruleset's
   * family, the chain or the table. {@link Rule#screen()} keeps it.
   */
  static int screen(Rule rule) {
    int screen = 0;
    // Each accessor once: the generated class wraps its field in a new Optional on every call.
    IpPrefix source = rule.source().orElse(null);
    if (source != null) {
      screen |= source.family() == IpFamily.V4 ? V4_ADDRESS : V6_ADDRESS;
    }
    IpPrefix destination = rule.destination().orElse(null);
    if (destination != null) {
      screen |= destination.family() == IpFamily.V4 ? V4_ADDRESS : V6_ADDRESS;
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
    Protocol protocol = rule.protocol().orElse(null);
    if (protocol != null) {
      int number = protocol.number();
      screen |= number == 1 ? ICMP : number == 58 ? ICMP6 : 0;
    }
    for (Match m : rule.matches()) {
      if (m instanceof OpaqueMatch) {
        screen |= OPAQUE;
      } else if (m instanceof SetMatch) {
        screen |= SET;
      } else if (m instanceof HashlimitMatch || m instanceof RecentMatch) {
        screen |= SHARED_TABLE;
      }
    }
    Target t = rule.target().orElse(null);
    if (t != null) {
      if (t instanceof Jump || t instanceof Goto) {
        screen |= JUMP;
      } else if (t == Verdict.DROP) {
        screen |= DROP;
      } else if (t instanceof Masquerade || t instanceof Snat) {
        screen |= NAT;
      } else if (t instanceof OpaqueTarget) {
        screen |= OPAQUE;
      } else if (t instanceof SetTarget) {
        screen |= SET;
      }
    }
    if ((screen & OPAQUE) == 0 && RuleChecks.findsLocally(rule)) {
      screen |= LOCAL;
    }
    return screen;
  }

  /** Whether {@code rule} jumps or goes to a user chain of the table (so its target checks pass). */
  private static boolean jumpsToUserChain(Table table, Rule rule, Map<String, ?> chains) {
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

  /** Each set of hooks, at the index whose bit {@code h.ordinal()} is set for each hook h in it. */
  private static final List<Set<Hook>> HOOK_SETS = hookSets();

  private static List<Set<Hook>> hookSets() {
    List<Set<Hook>> sets = new ArrayList<>();
    for (int bits = 0; bits < 1 << Hook.values().length; bits++) {
      EnumSet<Hook> set = EnumSet.noneOf(Hook.class);
      for (Hook h : Hook.values()) {
        if ((bits & 1 << h.ordinal()) != 0) {
          set.add(h);
        }
      }
      sets.add(Sets.immutableEnumSet(set));
    }
    return List.copyOf(sets);
  }

  /**
   * For each chain of {@code list}, the indices of the user chains of the table it jumps or goes to,
   * in the order of its first jump to each (built-in chains and names the table lacks are left out).
   */
  private static int[][] jumps(Table table, List<Chain> list, Map<String, Integer> index) {
    int[][] jumps = new int[list.size()][];
    for (int i = 0; i < jumps.length; i++) {
      List<String> targets = list.get(i).jumpTargets();
      int[] to = new int[targets.size()];
      int n = 0;
      for (int k = 0; k < targets.size(); k++) {
        String t = targets.get(k);
        Integer j = index.get(t);
        if (j != null && !table.name().isBuiltin(t)) {
          to[n++] = j;
        }
      }
      jumps[i] = n == to.length ? to : Arrays.copyOf(to, n);
    }
    return jumps;
  }

  /**
   * For each chain, the hooks whose built-in chain reaches it through jumps and gotos: bit
   * {@code h.ordinal()} for each such hook h.
   */
  private static int[] reachability(Table table, List<Chain> list, int[][] jumps) {
    int[] reach = new int[list.size()];
    int[] todo = new int[list.size()];
    for (int i = 0; i < list.size(); i++) {
      Hook hook = table.name().hook(list.get(i).name()).orElse(null);
      if (hook == null) {
        continue;
      }
      int bit = 1 << hook.ordinal();
      // Breadth-first from the built-in chain; each chain enters the queue once per hook.
      int head = 0;
      int tail = 0;
      todo[tail++] = i;
      reach[i] |= bit;
      while (head < tail) {
        for (int j : jumps[todo[head++]]) {
          if ((reach[j] & bit) == 0) {
            reach[j] |= bit;
            todo[tail++] = j;
          }
        }
      }
    }
    return reach;
  }

  /**
   * Depth-first search over user chains from each chain in turn; a back edge is a loop, which the
   * kernel refuses (ELOOP). One loop is reported per search; its chains are then done.
   */
  private void checkLoops(Table table, List<Chain> list, int[][] jumps) {
    int n = list.size();
    byte[] state = new byte[n]; // 0 not seen, 1 on the path, 2 done
    int[] path = new int[n];
    int[] next = new int[n]; // the next jump of path[d] to follow
    for (int root = 0; root < n; root++) {
      if (state[root] != 0) {
        continue;
      }
      int depth = 0;
      path[depth++] = root;
      next[root] = 0;
      state[root] = 1;
      while (depth > 0) {
        int v = path[depth - 1];
        if (next[v] == jumps[v].length) {
          state[v] = 2;
          depth--;
          continue;
        }
        int w = jumps[v][next[v]++];
        if (state[w] == 0) {
          state[w] = 1;
          next[w] = 0;
          path[depth++] = w;
        } else if (state[w] == 1) {
          List<String> cycle = new ArrayList<>();
          boolean in = false;
          for (int d = 0; d < depth; d++) {
            in |= path[d] == w;
            if (in) {
              cycle.add(list.get(path[d]).name());
            }
          }
          String name = list.get(w).name();
          cycle.add(name);
          error("jump-loop", location(table.name(), name),
              "chains jump in a loop: " + String.join(" -> ", cycle) + "; the kernel refuses loops");
          for (int d = 0; d < depth; d++) {
            state[path[d]] = 2;
          }
          depth = 0;
        }
      }
    }
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
    return Optional.ofNullable(Hook.named(chain));
  }
}
