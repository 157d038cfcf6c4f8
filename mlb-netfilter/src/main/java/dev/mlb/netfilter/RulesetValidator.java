package dev.mlb.netfilter;

import com.google.common.collect.ImmutableSet;
import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import java.nio.charset.StandardCharsets;
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

/** The checks behind {@link Ruleset#validate()}. */
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
  /** How many rules went through every check. */
  private int rulesChecked;

  private RulesetValidator(Ruleset ruleset, boolean screened) {
    this.ruleset = ruleset;
    this.screened = screened;
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
    List<Finding> all = new ArrayList<>(v.errors);
    all.addAll(v.warnings);
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

  /**
   * Where a rule is; its location text is made only for a finding (most rules have none).
   *
   * @param index the rule's number in its chain, from 1
   */
  private record Site(TableName table, String chain, int index) {
    String text() {
      return location(table, chain, index);
    }
  }

  private void error(String code, String location, String message) {
    errors.add(Finding.error(code, location, message));
  }

  private void warning(String code, String location, String message) {
    warnings.add(Finding.warning(code, location, message));
  }

  private void error(String code, Site site, String message) {
    error(code, site.text(), message);
  }

  private void warning(String code, Site site, String message) {
    warning(code, site.text(), message);
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
          checkRule(table, c, i + 1, rule, hooks, named, chains);
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
  /** {@code -s} or {@code -d} is an IPv4 prefix. */
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
    if ((screen & OPAQUE) == 0) {
      RulesetValidator probe = new RulesetValidator(null, false);
      if (probe.findsLocally(rule)) {
        screen |= LOCAL;
      }
    }
    return screen;
  }

  /** Whether the checks that need only the rule report anything; not for opaque rules. */
  private boolean findsLocally(Rule rule) {
    Site where = new Site(TableName.FILTER, "(screen)", 1);
    if (rule.source().isPresent() && rule.sourceNegated() && rule.source().get().length() == 0
        || rule.destination().isPresent() && rule.destinationNegated() && rule.destination().get().length() == 0) {
      return true;
    }
    checkMatches(where, rule);
    if (rule.target().isPresent() && !checkTargetFast(TableName.FILTER, rule.target().get(), null)) {
      return true;
    }
    return !errors.isEmpty() || !warnings.isEmpty();
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
        error("chain-name-character", where, "chain name \"" + escape(name) + "\" contains "
            + describe(ch) + " at position " + (i + 1)
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

  private void checkRule(Table table, Chain chain, int index, Rule rule, Set<Hook> hooks, Optional<Hook> named,
      Map<String, Chain> chains) {
    rulesChecked++;
    Site where = new Site(table.name(), chain.name(), index);
    IpFamily family = ruleset.family();

    checkAddress(where, "-s", rule.source(), rule.sourceNegated(), family);
    checkAddress(where, "-d", rule.destination(), rule.destinationNegated(), family);

    if (rule.in().isPresent()) {
      if (named.isPresent() && !named.get().hasInputInterface()) {
        error("interface-direction", where, "-i " + rule.in().get() + " in chain " + chain.name()
            + ": packets at " + chain.name() + " have no input interface; iptables refuses -i there");
      } else if (!hooks.isEmpty() && noneHas(hooks, true)) {
        warning("interface-direction", where, "-i " + rule.in().get() + " in chain " + chain.name()
            + ", which is only reached from " + hooks + ", where packets have no input interface");
      }
    }
    if (rule.out().isPresent()) {
      if (named.isPresent() && !named.get().hasOutputInterface()) {
        error("interface-direction", where, "-o " + rule.out().get() + " in chain " + chain.name()
            + ": packets at " + chain.name() + " have no output interface; iptables refuses -o there");
      } else if (!hooks.isEmpty() && noneHas(hooks, false)) {
        warning("interface-direction", where, "-o " + rule.out().get() + " in chain " + chain.name()
            + ", which is only reached from " + hooks + ", where packets have no output interface");
      }
    }
    int protocol = rule.protocol().isPresent() ? rule.protocol().get().number() : -1;
    if (family == IpFamily.V6 && protocol == 1) {
      warning("protocol-family", where, "-p icmp in an IPv6 ruleset never matches; IPv6 uses ipv6-icmp (58)");
    }
    if (family == IpFamily.V4 && protocol == 58) {
      warning("protocol-family", where, "-p ipv6-icmp in an IPv4 ruleset never matches; IPv4 uses icmp (1)");
    }

    checkMatches(where, rule);
    Optional<Target> target = rule.target();
    if (target.isPresent()) {
      checkTarget(table, chain, where, rule, target.get(), hooks, chains);
    }
  }

  /** The checks of the match modules, and of how they combine. */
  private void checkMatches(Site where, Rule rule) {
    int portMatches = 0;
    MatchChecker checker = null;
    for (Match m : rule.matches()) {
      if (m instanceof PortMatch) {
        portMatches++;
      }
      if (checker == null) {
        checker = new MatchChecker(where, rule);
      }
      m.accept(checker);
    }
    if (portMatches > 1) {
      error("port-match-repeated", where, "the rule has " + portMatches
          + " -m tcp/-m udp matches; iptables-nft merges them into one, so write them as one");
    }
    checkMarkOptionClash(where, rule);
  }

  /**
   * -m mark and -m connmark both take --mark, and iptables hands an option to the module loaded
   * last that knows it. So after "-m mark ... -m connmark ...", the --mark of a second -m mark goes
   * to connmark, which refuses it ("connmark: option --mark can only be used once"); the same the
   * other way round.
   */
  private void checkMarkOptionClash(Site where, Rule rule) {
    String first = null;
    String other = null;
    for (Match m : rule.matches()) {
      if (!(m instanceof MarkMatch) && !(m instanceof ConnmarkMatch)) {
        continue;
      }
      String module = m.module();
      if (first == null) {
        first = module;
      } else if (!module.equals(first)) {
        other = module;
      } else if (other != null) {
        error("match-option-clash", where, "-m " + first + " after -m " + other + ": iptables gives its --mark"
            + " to -m " + other + " and refuses the rule (\"" + other + ": option --mark can only be used"
            + " once\"); put every -m " + first + " before the first -m " + other);
        return;
      }
    }
  }

  /** Whether none of {@code hooks} has an input (or output) interface. */
  private static boolean noneHas(Set<Hook> hooks, boolean input) {
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

  private void checkAddress(Site where, String option, Optional<IpPrefix> prefix, boolean negated, IpFamily family) {
    if (prefix.isEmpty()) {
      return;
    }
    IpPrefix p = prefix.get();
    if (p.family() != family) {
      error("address-family", where, option + " " + p + " is an " + (p.family() == IpFamily.V4 ? "IPv4" : "IPv6")
          + " address in an " + (family == IpFamily.V4 ? "IPv4" : "IPv6") + " ruleset");
    }
    if (negated && p.length() == 0) {
      error("address-negated-any", where, "! " + option + " " + p
          + " matches no packet; iptables-nft refuses it (Invalid argument)");
    }
  }

  private static boolean protocolIs(Rule rule, Set<Integer> numbers) {
    return rule.protocol().isPresent() && !rule.protocolNegated()
        && numbers.contains(rule.protocol().get().number());
  }

  private static final Set<Integer> PORT_PROTOCOLS = Set.of(6, 17, 33, 132, 136);
  private static final Set<Integer> NAT_PORT_PROTOCOLS = Set.of(6, 17, 33, 132);

  private final class MatchChecker implements Match.Visitor<Void> {
    private final Site where;
    private final Rule rule;

    MatchChecker(Site where, Rule rule) {
      this.where = where;
      this.rule = rule;
    }

    @Override
    public Void visitState(StateMatch m) {
      return null;
    }

    @Override
    public Void visitConntrack(ConntrackMatch m) {
      return null;
    }

    @Override
    public Void visitConnmark(ConnmarkMatch m) {
      if (m.mark().hasBitsOutsideMask()) {
        warning("mark-outside-mask", where, "-m connmark --mark " + m.mark()
            + " has value bits outside the mask; (ctmark & mask) can never equal it");
      }
      return null;
    }

    @Override
    public Void visitMark(MarkMatch m) {
      if (m.mark().hasBitsOutsideMask()) {
        warning("mark-outside-mask", where, "-m mark --mark " + m.mark()
            + " has value bits outside the mask; (mark & mask) can never equal it");
      }
      return null;
    }

    @Override
    public Void visitStatistic(StatisticMatch m) {
      if (m.mode() instanceof Statistic.Nth nth) {
        if (nth.every() < 1 || nth.every() > 0xFFFF_FFFFL) {
          error("statistic-every", where, "-m statistic --every " + nth.every()
              + " is outside 1..4294967295; --every 0 would never start a period");
        } else if (nth.packet() < 0 || nth.packet() >= nth.every()) {
          error("statistic-packet", where, "-m statistic --packet " + nth.packet() + " with --every "
              + nth.every() + ": --packet must be 0 to " + (nth.every() - 1));
        }
      } else {
        Statistic.Random r = (Statistic.Random) m.mode();
        if (r.threshold() < 0 || r.threshold() > Statistic.Random.ONE) {
          error("statistic-probability", where, "-m statistic --probability " + r.probability()
              + " is outside [0, 1]");
        }
      }
      return null;
    }

    @Override
    public Void visitPort(PortMatch m) {
      if (!rule.protocol().isPresent() || rule.protocolNegated()
          || rule.protocol().get().number() != m.protocol().number()) {
        error("port-match-protocol", where, "-m " + m.module() + " needs -p " + m.protocol()
            + " in the same rule (without !); the kernel refuses it otherwise");
      }
      if (m.source().isPresent() && m.source().get().isNone()) {
        error("port-match-none", where, "! 0:65535 matches no port; iptables-nft cannot represent it");
      }
      if (m.destination().isPresent() && m.destination().get().isNone()) {
        error("port-match-none", where, "! 0:65535 matches no port; iptables-nft cannot represent it");
      }
      return null;
    }

    @Override
    public Void visitMultiport(MultiportMatch m) {
      if (!protocolIs(rule, PORT_PROTOCOLS)) {
        error("multiport-protocol", where, "-m multiport needs -p tcp, udp, udplite, sctp or dccp"
            + " in the same rule (without !)");
      }
      if (m.slots() > MultiportMatch.MAX_PORTS) {
        error("multiport-too-many", where, "-m multiport " + m.direction().option() + " lists "
            + m.slots() + " ports (a range counts as two); the kernel allows at most 15");
      }
      return null;
    }

    @Override
    public Void visitComment(CommentMatch m) {
      int bytes = m.text().getBytes(StandardCharsets.UTF_8).length;
      if (bytes > CommentMatch.MAX_BYTES) {
        error("comment-length", where, "comment is " + bytes
            + " bytes; the kernel keeps at most 255");
      }
      checkText(where, "comment", m.text());
      return null;
    }

    @Override
    public Void visitOpaque(OpaqueMatch m) {
      checkName(where, "match module", m.module());
      checkArguments(where, "-m " + m.module(), m.arguments());
      checkClaimed(where, "-m " + m.module(), m.arguments(), rule.matches().subList(0, rule.matches().indexOf(m)));
      if (MODELLED_MODULES.contains(m.module())) {
        Rule probe = Rule.builder().from(rule).matches(List.of(m)).target(Optional.empty()).build();
        checkReadsBack(where, "-m " + m.module(), probe);
      }
      warning("opaque-match", where, "-m " + m.module()
          + " is kept verbatim; mlb does not check or simulate it");
      return null;
    }
  }

  /** Words that iptables reads as part of the rule's structure wherever they stand. */
  private static final Set<String> STRUCTURE_WORDS = Set.of(
      "-m", "--match", "-j", "--jump", "-g", "--goto", "-s", "--source", "--src", "-d", "--destination",
      "--dst", "-i", "--in-interface", "-o", "--out-interface", "-p", "--protocol", "-A", "--append",
      "-I", "--insert", "-N", "--new-chain", "-P", "--policy", "-c", "--set-counters", "-4", "-6",
      "--ipv4", "--ipv6", "-f", "--fragment");

  /** Modules and targets the parser models: an opaque one of these names may read back as modelled. */
  private static final Set<String> MODELLED_MODULES = Set.of(
      "state", "conntrack", "connmark", "mark", "statistic", "tcp", "udp", "multiport", "comment");
  private static final Set<String> MODELLED_TARGETS = Set.of(
      "ACCEPT", "DROP", "RETURN", "MARK", "CONNMARK", "MASQUERADE", "SNAT");

  private void checkArguments(Site where, String what, List<String> arguments) {
    for (String arg : arguments) {
      checkText(where, what + " argument", arg);
      if (STRUCTURE_WORDS.contains(arg)) {
        error("opaque-argument-structure", where, what + " argument \"" + arg
            + "\" is an option of the rule itself; iptables would read it so, quoted or not");
      }
    }
  }

  /**
   * An argument of an unmodelled module or target that a modelled module before it knows as an
   * option: iptables gives it to that module (the text mlb writes has every match before the
   * target), which then refuses it or reads it as its own.
   */
  private void checkClaimed(Site where, String what, List<String> arguments, List<Match> before) {
    for (String arg : arguments) {
      for (Match m : before) {
        if (RestoreParser.modelledOptions(m.module()).contains(arg)) {
          error("opaque-argument-claimed", where, what + " argument \"" + arg + "\" is an option of -m "
              + m.module() + " in the same rule; iptables would give it to -m " + m.module());
          break;
        }
      }
    }
  }

  /** An unmodelled module or target with a modelled name must read back as itself. */
  private void checkReadsBack(Site where, String what, Rule probe) {
    checkReadsBack(where, what, probe, TableName.MANGLE);
  }

  private void checkReadsBack(Site where, String what, Rule probe, TableName table) {
    String text = "*" + table.id() + "\n:c - [0:0]\n-A c" + RestoreWriter.renderRule(probe) + "\nCOMMIT\n";
    String readBack;
    try {
      Rule back = RestoreParser.parse("probe", text, ruleset.family()).table(table)
          .flatMap(t -> t.chain("c")).map(c -> c.rules().get(0)).orElseThrow();
      if (back.equals(probe)) {
        return;
      }
      readBack = "reads back as" + RestoreWriter.renderRule(back);
    } catch (dev.mlb.api.ParseException e) {
      readBack = "does not read back: " + e.problem();
    }
    error("opaque-not-verbatim", where, what + " kept verbatim as \"" + RestoreWriter.renderRule(probe).strip()
        + "\" " + readBack + "; build the modelled match or target instead");
  }

  private void checkText(Site where, String what, String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < ' ' && c != '\t' || c == 0x7f) {
        error("text-control-character", where, what + " \"" + escape(text) + "\" contains "
            + describe(c) + " at position " + (i + 1)
            + "; a restore file has one rule per line and cannot carry it");
        return;
      }
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;   // a well-formed pair: one character outside the BMP
          continue;
        }
        error("text-unpaired-surrogate", where, what + " \"" + escape(text) + "\" contains an unpaired surrogate"
            + String.format(" U+%04X", (int) c) + " at position " + (i + 1)
            + "; it has no UTF-8 form and would be written as '?'");
        return;
      }
    }
  }

  private void checkName(Site where, String what, String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == '\\') {
        error("name-character", where, what + " \"" + escape(name) + "\" contains " + describe(c)
            + " at position " + (i + 1) + "; expected printable ASCII without blanks or quotes");
        return;
      }
    }
  }

  private void checkTarget(
      Table table, Chain chain, Site where, Rule rule, Target target, Set<Hook> hooks,
      Map<String, Chain> chains) {
    if (checkTargetFast(table.name(), target, chains)) {
      return;
    }
    target.accept(new Target.Visitor<Void>() {
      @Override
      public Void visitVerdict(Verdict t) {
        if (t == Verdict.DROP && table.name() == TableName.NAT) {
          error("nat-drop", where, "-j DROP in the nat table: iptables refuses it (\"The nat table is not"
              + " intended for filtering\"); drop the packets in the filter table instead");
        }
        return null;
      }

      @Override
      public Void visitJump(Jump t) {
        checkChainTarget("-j", t.chain());
        return null;
      }

      @Override
      public Void visitGoto(Goto t) {
        checkChainTarget("-g", t.chain());
        return null;
      }

      private void checkChainTarget(String option, String name) {
        if (table.name().isBuiltin(name)) {
          error("jump-builtin", where, option + " " + name + ": " + name
              + " is a built-in chain; only user chains can be jumped to");
        } else if (!chains.containsKey(name)) {
          error("jump-undefined", where, option + " " + name + ": table " + table.name().id()
              + " has no chain \"" + name + "\"");
        }
      }

      @Override
      public Void visitSetMark(SetMark t) {
        checkU32(where, "MARK --set-xmark value", t.value());
        checkU32(where, "MARK --set-xmark mask", t.mask());
        return null;
      }

      @Override
      public Void visitSetConnmark(SetConnmark t) {
        checkU32(where, "CONNMARK --set-xmark value", t.value());
        checkU32(where, "CONNMARK --set-xmark mask", t.mask());
        return null;
      }

      @Override
      public Void visitSaveConnmark(SaveConnmark t) {
        checkU32(where, "CONNMARK --save-mark --nfmask", t.nfmask());
        checkU32(where, "CONNMARK --save-mark --ctmask", t.ctmask());
        return null;
      }

      @Override
      public Void visitRestoreConnmark(RestoreConnmark t) {
        checkU32(where, "CONNMARK --restore-mark --nfmask", t.nfmask());
        checkU32(where, "CONNMARK --restore-mark --ctmask", t.ctmask());
        return null;
      }

      @Override
      public Void visitMasquerade(Masquerade t) {
        checkNat(t.name(), EnumSet.of(Hook.POSTROUTING));
        if (t.toPorts().isPresent() && !protocolIs(rule, NAT_PORT_PROTOCOLS)) {
          error("nat-ports-protocol", where, "MASQUERADE --to-ports needs -p tcp, udp, sctp or dccp");
        }
        return null;
      }

      @Override
      public Void visitSnat(Snat t) {
        checkNat(t.name(), EnumSet.of(Hook.POSTROUTING, Hook.INPUT));
        if (t.first().family() != ruleset.family()) {
          error("address-family", where, "SNAT --to-source " + t.first() + " is not an "
              + (ruleset.family() == IpFamily.V4 ? "IPv4" : "IPv6") + " address");
        } else if (t.first().compareTo(t.last()) > 0) {
          error("nat-range", where, "SNAT --to-source " + t.first() + "-" + t.last()
              + " is empty; the first address must not exceed the last");
        }
        if (t.ports().isPresent() && !protocolIs(rule, NAT_PORT_PROTOCOLS)) {
          error("nat-ports-protocol", where, "SNAT with ports needs -p tcp, udp, sctp or dccp");
        }
        return null;
      }

      private void checkNat(String name, Set<Hook> allowed) {
        if (table.name() != TableName.NAT) {
          error("target-table", where, name + " is only valid in the nat table, not in "
              + table.name().id());
          return;
        }
        Set<Hook> bad = EnumSet.noneOf(Hook.class);
        for (Hook h : hooks) {
          if (!allowed.contains(h)) {
            bad.add(h);
          }
        }
        if (!bad.isEmpty()) {
          error("target-hook", where, name + " is only valid in " + allowed + " of the nat table, but chain "
              + chain.name() + " is reached from " + bad);
        }
      }

      @Override
      public Void visitOpaque(OpaqueTarget t) {
        checkName(where, "target", t.name());
        checkArguments(where, "-j " + t.name(), t.arguments());
        checkClaimed(where, "-j " + t.name(), t.arguments(), rule.matches());
        if (MODELLED_TARGETS.contains(t.name())) {
          Rule probe = Rule.builder().from(rule).matches(List.of()).target(t).build();
          checkReadsBack(where, "-j " + t.name(), probe, table.name());
        }
        if (TARGET_NAMES.contains(t.name())) {
          warning("opaque-target", where, "-j " + t.name()
              + " is kept verbatim; mlb does not check or simulate it");
        } else if (chains.containsKey(t.name())) {
          error("jump-opaque", where, "-j " + t.name() + " is a chain but was read as a target");
        }
        return null;
      }
    });
  }

  /**
   * Whether {@code target} is a common one that passes its checks below, found without a visitor;
   * false means "run the checks". With {@code chains} null, jumps and gotos count as passing.
   */
  private static boolean checkTargetFast(TableName table, Target target, Map<String, Chain> chains) {
    if (target instanceof Verdict v) {
      return v != Verdict.DROP || table != TableName.NAT;
    } else if (target instanceof Jump j) {
      return chains == null || !table.isBuiltin(j.chain()) && chains.containsKey(j.chain());
    } else if (target instanceof Goto g) {
      return chains == null || !table.isBuiltin(g.chain()) && chains.containsKey(g.chain());
    } else if (target instanceof SetMark t) {
      return isU32(t.value()) && isU32(t.mask());
    } else if (target instanceof SetConnmark t) {
      return isU32(t.value()) && isU32(t.mask());
    } else if (target instanceof SaveConnmark t) {
      return isU32(t.nfmask()) && isU32(t.ctmask());
    } else if (target instanceof RestoreConnmark t) {
      return isU32(t.nfmask()) && isU32(t.ctmask());
    }
    return false;
  }

  private static boolean isU32(long value) {
    return value >= 0 && value <= 0xFFFF_FFFFL;
  }

  private void checkU32(Site where, String what, long value) {
    if (!isU32(value)) {
      error("mark-range", where, what + " " + value + " (0x" + Long.toHexString(value)
          + ") does not fit in 32 bits; marks are 0 to 0xffffffff");
    }
  }

  private static String describe(char c) {
    if (c == '\n') {
      return "a line break";
    }
    if (c == '\r') {
      return "a carriage return";
    }
    if (c == ' ') {
      return "a space";
    }
    if (c < ' ' || c == 0x7f) {
      return String.format("the control character U+%04X", (int) c);
    }
    if (c > 0x7f) {
      return String.format("the non-ASCII character U+%04X", (int) c);
    }
    return "'" + c + "'";
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
  }
}
