package dev.mlb.testkit.live;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import dev.mlb.netfilter.Chain;
import dev.mlb.netfilter.Policy;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.Rule;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.netfilter.Table;
import dev.mlb.netfilter.TableName;
import dev.mlb.testkit.live.FakeNetfilter.ChainState;
import dev.mlb.testkit.live.FakeNetfilter.Store;
import dev.mlb.testkit.live.FakeNetfilter.TableState;
import dev.mlb.testkit.live.FakeNetfilter.Violation;
import dev.mlb.testkit.live.ToolRunner.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code iptables-restore} (legacy or nf_tables, either family) on a {@link FakeNetfilter.Store},
 * with and without {@code --noflush}.
 *
 * <p>What the real tools do, checked with iptables v1.8.9 (legacy and nf_tables) on Linux 6.18 in a
 * network namespace, and modelled here:
 * <ul>
 *   <li>Each {@code *table ... COMMIT} block is one transaction: a failing block leaves its table as
 *       it was, and the blocks committed before it stay (for both backends, so two tables in one
 *       input are not atomic together). Without {@code --noflush} a block first empties its table:
 *       legacy flushes every chain and deletes the user chains but keeps the built-in policies;
 *       nf_tables deletes the table, so the policies return to ACCEPT and a block that makes nothing
 *       leaves no table at all.
 *   <li>Legacy instantiates a table at its {@code *table} line, even if the block then fails; such an
 *       empty table is saved from then on.
 *   <li>{@code :CHAIN POLICY} sets a built-in chain's policy ({@code -} keeps it) and makes a user
 *       chain, or flushes it if it exists (with and without {@code --noflush}). nf_tables ignores the
 *       policy of a user chain; legacy refuses one other than {@code -}.
 *   <li>Errors: a line iptables cannot read exits 2 with "Error occurred at line: N"; a command on a
 *       missing chain, a {@code -D} that matches nothing, an index out of range, {@code -N} of an
 *       existing chain, {@code -P} of a user chain exit 1 with "line N failed" (nf_tables adds the
 *       reason). What only the kernel refuses comes later: legacy refuses the whole table at the
 *       COMMIT line (exit 1) for a jump loop reachable from a built-in chain or a NAT target where it
 *       is not allowed; nf_tables names the line of the rule that made it so (exit 4), and also
 *       refuses {@code -X} of a chain that has rules or is jumped to ("Device or resource busy", exit
 *       4, at the {@code -X} line; legacy exit 1 there). A jump to a chain that does not exist when
 *       the rule is added is refused by legacy at the rule's line (exit 2, "Couldn't load target") and
 *       by nf_tables at the COMMIT line (exit 2, "Chain 'X' does not exist"), even if a later line of
 *       the block makes the chain.
 * </ul>
 * Rule specifications are read with mlb's {@link RestoreParser} (each rule wrapped in a one-rule
 * probe ruleset), so what the fake refuses to read is what mlb refuses to read.
 */
final class FakeRestore {
  /** A failed restore: exit code and standard error. */
  static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int exit;
    final String stderr;

    Failure(int exit, String stderr) {
      super(stderr, null, false, false);
      this.exit = exit;
      this.stderr = stderr;
    }
  }

  /** One open {@code *table} block. */
  private static final class Block {
    final TableName name;
    TableState working;
    TableState start;
    final List<Integer> lineNumbers = new ArrayList<>();
    final List<String> lineTexts = new ArrayList<>();
    /** nf_tables: the first chain a rule jumped to that did not exist then (refused at COMMIT). */
    String missing;
    /** nf_tables: what the kernel refuses at COMMIT, one "line N: ..." each. */
    final List<String> kernelErrors = new ArrayList<>();

    Block(TableName name) {
      this.name = name;
    }
  }

  private final Store store;
  private final String program;
  private final boolean noflush;
  private final boolean nft;
  private final IpFamily family;

  private FakeRestore(Store store, String program, boolean noflush) {
    this.store = store;
    this.program = program;
    this.noflush = noflush;
    this.nft = store.nft();
    this.family = store.family;
  }

  /**
   * Runs {@code command} ({@code iptables-restore [-n|--noflush] [-c] [-w [S]]}) with {@code stdin}.
   * {@code failLine} (0 for none) is a line the kernel refuses (fault injection): the blocks before
   * it are committed, its own is not.
   */
  static Result run(ImmutableList<String> command, Store store, String stdin, int failLine) {
    boolean noflush = false;
    for (int i = 1; i < command.size(); i++) {
      String a = command.get(i);
      switch (a) {
        case "-n", "--noflush" -> noflush = true;
        case "-c", "--counters" -> { }
        case "-w", "--wait" -> {
          if (i + 1 < command.size() && command.get(i + 1).matches("[0-9]+")) {
            i++;
          }
        }
        default -> throw FakeRouter.notModelled(command, "option " + a);
      }
    }
    FakeRestore r = new FakeRestore(store, command.get(0), noflush);
    try {
      r.process(stdin, failLine);
      return new Result(command, 0, "", "");
    } catch (Failure f) {
      return new Result(command, f.exit, "", f.stderr);
    }
  }

  private String base() {
    return FakeNetfilter.base(family) + "-restore";
  }

  /** What the tool calls itself: nf_tables the name it was run as, legacy always iptables-restore. */
  private String name() {
    return nft ? program : base();
  }

  private String versioned() {
    return name() + " v1.8.9 (" + (nft ? "nf_tables" : "legacy") + ")";
  }

  /** A line iptables cannot read: exit 2. */
  private Failure parseError(int line, String message) {
    return new Failure(2, versioned() + ": " + message + "\nError occurred at line: " + line + "\nTry `" + name()
        + " -h' or '" + name() + " --help' for more information.\n");
  }

  /** A command that failed: exit 1, "line N failed" (nf_tables with the reason). */
  private Failure lineFailed(int line, String reason) {
    return new Failure(1, name() + ": line " + line + " failed" + (nft && reason != null ? ": " + reason + "." : "")
        + "\n");
  }

  private void process(String stdin, int failLine) {
    String[] lines = stdin.split("\n", -1);
    int count = stdin.isEmpty() ? 0 : stdin.endsWith("\n") ? lines.length - 1 : lines.length;
    Block block = null;
    for (int i = 0; i < count; i++) {
      int n = i + 1;
      String raw = lines[i];
      if (n == failLine) {
        throw lineFailed(n, "Operation not permitted");
      }
      if (raw.isEmpty() || raw.charAt(0) == '#') {
        continue;
      }
      if (block == null) {
        if (raw.charAt(0) == '*') {
          block = open(raw.substring(1), n);
          continue;
        }
        // Checked: a command, chain line or COMMIT outside a table: "line N failed", exit 1.
        throw new Failure(1, name() + ": line " + n + " failed\n");
      }
      // Checked: legacy reads "COMMIT" only with its line break; without one it is a command.
      if (raw.equals("COMMIT") && (nft || i < lines.length - 1)) {
        commit(block, n);
        block = null;
        continue;
      }
      if (raw.charAt(0) == '*') {
        throw new Failure(2, "Bad argument `" + raw + "'\nError occurred at line: " + n + "\n");
      }
      block.lineNumbers.add(n);
      block.lineTexts.add(raw);
      apply(block, block.working, n, raw, false);
    }
    if (block != null) {
      // Checked: "COMMIT expected at line N" with N one past the last line, exit 1.
      throw new Failure(1, name() + ": COMMIT expected at line " + (count + 1) + "\n");
    }
  }

  private Block open(String id, int n) {
    Optional<TableName> t = TableName.fromId(id);
    if (t.isEmpty()) {
      throw parseError(n, nft ? program + ": line " + n + " table name '" + id + "' invalid"
          : base() + ": unable to initialize table '" + id + "'");
    }
    Block b = new Block(t.get());
    TableState current = nft ? store.table(t.get()).orElseGet(() -> new TableState(t.get()))
        : store.instantiate(t.get());
    TableState w = current.copy();
    if (!noflush) {
      if (nft) {
        w = new TableState(t.get());
      } else {
        w.chains.values().removeIf(c -> !c.builtin);
        w.chains.values().forEach(c -> c.rules.clear());
      }
    }
    b.working = w;
    b.start = w.copy();
    return b;
  }

  private void commit(Block b, int n) {
    TableState w = b.working;
    Optional<Violation> v = FakeNetfilter.violation(w);
    if (nft) {
      if (b.missing != null) {
        throw parseError(n, "Chain '" + b.missing + "' does not exist");
      }
      List<String> errors = new ArrayList<>(b.kernelErrors);
      if (v.isPresent()) {
        errors.add(replay(b, n));
        errors.sort((x, y) -> Integer.compare(lineOf(x), lineOf(y)));
      }
      if (!errors.isEmpty()) {
        throw new Failure(4, versioned() + ": \n" + String.join("\n", errors) + "\n");
      }
    } else if (v.isPresent()) {
      throw lineFailed(n, null);
    }
    store.put(w);
  }

  private static int lineOf(String kernelError) {
    return Integer.parseInt(kernelError.substring(5, kernelError.indexOf(':')));
  }

  /** nf_tables: the first line after which the block's table holds what the kernel refuses. */
  private String replay(Block b, int commitLine) {
    Block again = new Block(b.name);
    TableState w = b.start.copy();
    for (int i = 0; i < b.lineNumbers.size(); i++) {
      int n = b.lineNumbers.get(i);
      String[] op = apply(again, w, n, b.lineTexts.get(i), true);
      if (op != null) {
        Optional<Violation> v = FakeNetfilter.violation(w);
        if (v.isPresent()) {
          return "line " + n + ": " + op[0] + " failed (" + v.get().reason() + "): rule in chain " + op[1];
        }
      }
    }
    return "line " + commitLine + ": TABLE failed (Invalid argument): table " + b.name.id();
  }

  /**
   * Applies one line of a block to {@code w}. Returns the kernel operation and chain if the line
   * added or replaced a rule, else null.
   */
  private String[] apply(Block b, TableState w, int n, String raw, boolean replaying) {
    if (raw.charAt(0) == ':') {
      chainLine(w, n, raw);
      return null;
    }
    List<String> tokens = new ArrayList<>();
    List<Integer> ends = new ArrayList<>();
    FakeRuleSpec.tokenize(raw, tokens, ends);
    int k = 0;
    if (!tokens.isEmpty() && tokens.get(0).matches("\\[[0-9]+:[0-9]+\\]")) {
      k++;
    }
    if (k >= tokens.size()) {
      throw parseError(n, "no command");
    }
    String cmd = tokens.get(k++);
    String chain = k < tokens.size() ? tokens.get(k) : null;
    switch (cmd) {
      case "-A", "--append", "-I", "--insert", "-R", "--replace" -> {
        need(n, cmd, chain);
        k++;
        boolean append = cmd.equals("-A") || cmd.equals("--append");
        boolean replace = cmd.equals("-R") || cmd.equals("--replace");
        int index = 1;
        if (!append && k < tokens.size() && (replace || tokens.get(k).matches("[0-9]+"))) {
          index = ruleNumber(n, tokens.get(k++));
        }
        String spec = k < tokens.size() ? raw.substring(ends.get(k - 1)) : "";
        Rule rule = rule(b, w, n, chain, spec, replaying);
        checkInterfaces(n, chain, rule);
        ChainState c = existing(w, n, chain);
        int size = c.rules.size();
        if (replace ? index > size : !append && index > size + 1) {
          throw lineFailed(n, "Index of " + (replace ? "replacement" : "insertion") + " too big");
        }
        String op = append ? "RULE_APPEND" : replace ? "RULE_REPLACE" : "RULE_INSERT";
        String target = FakeNetfilter.jumpTarget(rule);
        if (target != null && w.name.isBuiltin(target)) {
          // Checked: "-A u -j INPUT": legacy "line N failed" (exit 1), nf_tables exit 4 from the kernel.
          if (!nft) {
            throw lineFailed(n, null);
          }
          b.kernelErrors.add("line " + n + ": " + op + " failed (No such file or directory): rule in chain " + chain);
        }
        if (append) {
          c.rules.add(rule);
        } else if (replace) {
          c.rules.set(index - 1, rule);
        } else {
          c.rules.add(index - 1, rule);
        }
        created(w, c);
        return new String[] {op, chain};
      }
      case "-D", "--delete" -> {
        need(n, cmd, chain);
        k++;
        if (k == tokens.size() - 1 && tokens.get(k).matches("[0-9]+")) {
          int index = ruleNumber(n, tokens.get(k));
          ChainState c = existing(w, n, chain);
          if (nft && c.builtin && !w.nftBuiltins.contains(chain)) {
            throw lineFailed(n, "No chain/target/match by that name");
          }
          if (index > c.rules.size()) {
            throw lineFailed(n, "Index of deletion too big");
          }
          c.rules.remove(index - 1);
          return null;
        }
        String spec = k < tokens.size() ? raw.substring(ends.get(k - 1)) : "";
        Rule rule = rule(b, w, n, chain, spec, replaying);
        ChainState c = w.chains.get(chain);
        if (c != null && c.builtin && nft && !w.nftBuiltins.contains(chain)) {
          c = null;
        }
        if (c == null || !c.rules.remove(rule)) {
          // Checked: also for a built-in chain nf_tables has not made yet.
          throw lineFailed(n, c == null && !w.name.isBuiltin(chain) ? "No chain/target/match by that name"
              : "Bad rule (does a matching rule exist in that chain?)");
        }
        return null;
      }
      case "-F", "--flush" -> {
        if (chain == null) {
          w.chains.values().forEach(c -> c.rules.clear());
          return null;
        }
        ChainState c = existing(w, n, chain);
        c.rules.clear();
        // Checked: nf_tables makes the table and the built-in chain for "-F INPUT".
        created(w, c);
        return null;
      }
      case "-Z", "--zero" -> {
        if (chain != null) {
          ChainState c = existing(w, n, chain);
          if (nft && c.builtin && !w.nftBuiltins.contains(chain)) {
            // Checked: nf_tables refuses -Z of a built-in chain it has not made yet.
            throw lineFailed(n, "No chain/target/match by that name");
          }
        }
        return null;
      }
      case "-N", "--new-chain" -> {
        need(n, cmd, chain);
        checkName(n, chain, true);
        if (w.chains.containsKey(chain)) {
          throw lineFailed(n, "Chain already exists");
        }
        w.chains.put(chain, new ChainState(chain, false, null, List.of()));
        w.exists = true;
        return null;
      }
      case "-X", "--delete-chain" -> {
        deleteChain(b, w, n, chain);
        return null;
      }
      case "-P", "--policy" -> {
        need(n, cmd, chain);
        if (k + 1 >= tokens.size()) {
          throw parseError(n, "-P requires a chain and a policy");
        }
        String policy = tokens.get(k + 1);
        if (policy.equals("DROP") && w.name == TableName.NAT) {
          throw parseError(n, "\nThe \"nat\" table is not intended for filtering, the use of DROP is therefore"
              + " inhibited.\n\n");
        }
        ChainState c = w.chains.get(chain);
        if (c == null || !c.builtin) {
          throw lineFailed(n, "Bad built-in chain name");
        }
        if (!policy.equals("ACCEPT") && !policy.equals("DROP")) {
          throw lineFailed(n, "Bad policy name");
        }
        c.policy = Policy.valueOf(policy);
        created(w, c);
        return null;
      }
      default -> {
        if (cmd.startsWith("-")) {
          throw new IllegalArgumentException("FakeRouter does not model iptables-restore command " + cmd
              + " (line " + n + ": " + raw + ")");
        }
        throw parseError(n, "Bad argument `" + cmd + "'");
      }
    }
  }

  /**
   * iptables refuses {@code -o} in a chain called PREROUTING or INPUT and {@code -i} in one called
   * OUTPUT or POSTROUTING, by the name, user chains too (checked: exit 2, "Can't use -o with
   * PREROUTING"). mlb's parser leaves this to validation.
   */
  private void checkInterfaces(int n, String chain, Rule rule) {
    if ((chain.equals("PREROUTING") || chain.equals("INPUT")) && rule.out().isPresent()) {
      throw parseError(n, "Can't use -o with " + chain + "\n");
    }
    if ((chain.equals("OUTPUT") || chain.equals("POSTROUTING")) && rule.in().isPresent()) {
      throw parseError(n, "Can't use -i with " + chain + "\n");
    }
  }

  private void need(int n, String cmd, String chain) {
    if (chain == null) {
      throw parseError(n, "option \"" + cmd + "\" requires an argument");
    }
  }

  private int ruleNumber(int n, String text) {
    int v = text.matches("[0-9]{1,9}") ? Integer.parseInt(text) : 0;
    if (v < 1) {
      // Checked: "-I foo 0" exits 2 with "Invalid rule number `0'".
      throw parseError(n, "Invalid rule number `" + text + "'");
    }
    return v;
  }

  /** The chain {@code name}, or "line N failed: No chain/target/match by that name". */
  private ChainState existing(TableState w, int n, String name) {
    ChainState c = w.chains.get(name);
    if (c == null) {
      throw lineFailed(n, "No chain/target/match by that name");
    }
    return c;
  }

  /** Records that the table (and, nf_tables, a built-in chain) now exists in the kernel. */
  private void created(TableState w, ChainState c) {
    w.exists = true;
    if (c.builtin) {
      w.nftBuiltins.add(c.name);
    }
  }

  private void chainLine(TableState w, int n, String raw) {
    String[] words = raw.substring(1).trim().split("[ \t]+");
    String name = words[0];
    if (words.length < 2 || name.isEmpty()) {
      throw parseError(n, name() + ": line " + n + " policy invalid");
    }
    checkName(n, name, false);
    String policy = words[1];
    if (w.name.isBuiltin(name)) {
      ChainState c = w.chains.get(name);
      if (policy.equals("ACCEPT") || policy.equals("DROP")) {
        c.policy = Policy.valueOf(policy);
      } else if (!policy.equals("-")) {
        if (nft) {
          throw lineFailed(n, "Bad policy name");
        }
        throw new Failure(1, versioned() + ": Can't set policy `" + policy + "' on `" + name + "' line " + n
            + ": Bad policy name\n");
      }
      created(w, c);
      return;
    }
    if (!nft && !policy.equals("-")) {
      throw new Failure(1, versioned() + ": Can't set policy `" + policy + "' on `" + name + "' line " + n
          + ": Bad built-in chain name\n");
    }
    ChainState c = w.chains.get(name);
    if (c != null) {
      c.rules.clear();
    } else {
      w.chains.put(name, new ChainState(name, false, null, List.of()));
    }
    w.exists = true;
  }

  /**
   * Chain names iptables refuses. Checked: 29 characters ("too long (must be under 29 chars)"; legacy
   * says "Invalid chain name ... (28 chars max)" for a {@code :CHAIN} line), a leading {@code -}, and
   * for {@code -N} (not for a {@code :CHAIN} line) the name of a target: exit 2.
   */
  private void checkName(int n, String name, boolean isNew) {
    if (name.length() > 28) {
      throw parseError(n, !nft && !isNew ? "Invalid chain name `" + name + "' (28 chars max)"
          : "chain name `" + name + "' too long (must be under 29 chars)");
    }
    if (name.startsWith("-")) {
      throw parseError(n, "chain name not allowed to start with `-'");
    }
    if (isNew) {
      Table t = Table.builder().name(TableName.MANGLE).addChains(Chain.user(name)).build();
      for (Finding f : Ruleset.builder().family(family).addTables(t).build().validate()) {
        if (f.code().equals("chain-name-target")) {
          throw parseError(n, "chain name may not clash with target name");
        }
      }
    }
  }

  private void deleteChain(Block b, TableState w, int n, String chain) {
    if (chain == null) {
      for (ChainState c : new ArrayList<>(w.chains.values())) {
        if (c.builtin) {
          continue;
        }
        if (!c.rules.isEmpty() || w.referenced(c.name)) {
          if (!nft) {
            throw lineFailed(n, null);
          }
          b.kernelErrors.add(busy(n, c.name));
        } else {
          w.chains.remove(c.name);
        }
      }
      return;
    }
    ChainState c = existing(w, n, chain);
    if (c.builtin) {
      // Checked: legacy refuses -X of a built-in chain. nf_tables deletes one that exists with policy
      // ACCEPT and no rules (iptables-nft-save prints it anyway); it refuses one it has not made
      // ("No chain/target/match by that name"), one with policy DROP ("Directory not empty") and,
      // in the kernel, one with rules ("Device or resource busy", exit 4).
      if (!nft || !w.nftBuiltins.contains(chain)) {
        throw lineFailed(n, "No chain/target/match by that name");
      }
      if (c.policy == Policy.DROP) {
        throw lineFailed(n, "Directory not empty");
      }
      if (!c.rules.isEmpty()) {
        b.kernelErrors.add(busy(n, chain));
      } else {
        w.nftBuiltins.remove(chain);
      }
      return;
    }
    if (!c.rules.isEmpty() || w.referenced(chain)) {
      if (!nft) {
        throw lineFailed(n, null);
      }
      b.kernelErrors.add(busy(n, chain));
      return;
    }
    w.chains.remove(chain);
  }

  private static String busy(int n, String chain) {
    return "line " + n + ": CHAIN_DEL failed (Device or resource busy): chain " + chain;
  }

  /**
   * Reads a rule specification with mlb's parser: a probe ruleset with the chain, the chain it jumps
   * to (if that exists) and the one rule.
   */
  private Rule rule(Block b, TableState w, int n, String chain, String spec, boolean replaying) {
    String[] jump = FakeRuleSpec.jumpOf(spec);
    String target = jump == null ? null : jump[1];
    boolean declared = target != null && w.chains.containsKey(target) && !w.name.isBuiltin(target);
    try {
      return FakeRuleSpec.probe(w.name, chain, declared ? target : null, spec, family);
    } catch (ParseException e) {
      if (target != null && !w.chains.containsKey(target)) {
        Rule r;
        try {
          r = FakeRuleSpec.probe(w.name, chain, target, spec, family);
        } catch (ParseException again) {
          throw parseError(n, e.problem());
        }
        if (!nft) {
          throw parseError(n, jump[0].equals("-g") || jump[0].equals("--goto") ? "goto '" + target
              + "' is not a chain" : "Couldn't load target `" + target + "':No such file or directory\n");
        }
        if (b.missing == null && !replaying) {
          b.missing = target;
        }
        return r;
      }
      throw parseError(n, e.problem());
    }
  }
}
