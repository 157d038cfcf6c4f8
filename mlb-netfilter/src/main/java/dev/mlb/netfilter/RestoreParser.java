package dev.mlb.netfilter;

import static dev.mlb.netfilter.Arguments.join;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads {@code iptables-restore} input (and {@code iptables-save} output) into a {@link Ruleset}.
 *
 * <pre>{@code
 * Ruleset rules = RestoreParser.parse("rules.v4", Files.readString(path), IpFamily.V4);
 * RestoreWriter.render(rules);   // the canonical form, as iptables-save prints it
 *
 * RestoreParser.parse("-", "*nat\n-A POSTROUTING -o ppp0 -j MASQ\nCOMMIT\n", IpFamily.V4);
 * // ParseException: line 2, column 27: -j MASQ: no chain "MASQ" in table nat and no target of that name; ...
 * }</pre>
 *
 * <p>The parser follows {@code iptables-restore} 1.8.9 (nf_tables):
 * <ul>
 *   <li>Lines: a line starting with {@code #} is a comment, an empty line is skipped, {@code *table}
 *       opens a table that a line {@code COMMIT} closes, {@code :CHAIN POLICY [p:b]} declares a chain,
 *       every other line is one command ({@code -A}, {@code -I}, {@code -N} or {@code -P}), optionally
 *       after {@code [p:b]} counters ({@code -c P B} inside the rule works too). Counter values
 *       are checked for form and ignored. A line
 *       break may be {@code \n} or {@code \r\n} (mlb is lenient here; iptables would keep the
 *       {@code \r} as part of the last word).
 *   <li>Words are split at blanks and tabs. A {@code "} opens a quoted part in which {@code \x}
 *       stands for {@code x}; the closing {@code "} also ends the word (so {@code "a"b} is two words,
 *       as in iptables). Outside quotes a backslash and {@code '} are ordinary characters.
 *   <li>Options follow iptables: the header options {@code -s -d -i -o -p} in any order, each at
 *       most once and negatable with {@code !}; {@code -m MODULE} and its options; {@code -p tcp
 *       --dport 80} loads {@code -m tcp} implicitly; an option goes to the most recently loaded
 *       module that knows it (with iptables' twist for modules sharing an option name, see
 *       {@code -m connmark --mark 1 -m mark --mark 2 -m connmark --mark 3}, which iptables refuses
 *       too); {@code -j}/{@code -g} and the target's options.
 *   <li>Input forms are normalized to what {@code iptables-save} prints: {@code --set-mark 1} is
 *       {@code --set-xmark 0x1/0xffffffff}, {@code --state new,est} is {@code NEW,ESTABLISHED}.
 *   <li>Modules mlb does not model ({@code -m u32 ...}), and modelled modules used with options
 *       mlb does not model ({@code -m tcp --syn}, {@code -m conntrack --ctdir ...}), are kept
 *       verbatim as {@link OpaqueMatch}; target extensions mlb does not model become an
 *       {@link OpaqueTarget} with every remaining word.
 *   <li>A chain must be declared ({@code :CHAIN} or {@code -N}) before a rule is added to it or jumps
 *       to it, as iptables-nft requires. {@code -j NAME} for a name that is neither a declared chain
 *       nor a target extension of iptables 1.8.9 is an error. The same table twice is an error
 *       (iptables would flush and reload it). {@code -j DROP} and {@code -P CHAIN DROP} in the nat
 *       table are errors, as in iptables.
 * </ul>
 *
 * <p>Errors are {@link ParseException}s with the line, the column where the offending word starts
 * and what was expected. Whole-ruleset problems (loops, targets in the wrong chain, unused chains)
 * are left to {@link Ruleset#validate()}; {@link #parseWithLines} gives the line of every rule so
 * that its findings can name lines too.
 *
 * <p>Service names for ports resolve through /etc/services as iptables resolves them. Not
 * supported: host names for addresses, address lists
 * ({@code -s a,b}), non-contiguous netmasks, abbreviated long options and {@code --option=value},
 * {@code -4}/{@code -6} line prefixes, commands other than {@code -A -I -N -P}, and {@code -f}. An
 * unterminated quote is an error (iptables would read on into the line break).
 */
public final class RestoreParser {

  /** iptables refuses -j DROP and -P CHAIN DROP in the nat table (not a :CHAIN DROP line). */
  static final String NAT_DROP =
      "the nat table is not meant for filtering; iptables refuses DROP there";


  private final String source;
  final IpFamily family;
  private final Map<TableName, Integer> tableLines = new HashMap<>();
  private final List<Table> tables = new ArrayList<>();
  private final ParsedRuleset.Lines locations = new ParsedRuleset.Lines();
  /**
   * One instance of every match, target, prefix and interface name read so far: rules that test the
   * same thing share it (they are immutable), so a large ruleset keeps each distinct value once.
   */
  private static final int SHARED_SLOTS = 8192;
  private final Object[] shared = new Object[SHARED_SLOTS];
  /** The hash of each slot's value: a value that is new compares one int, not the old value. */
  private final int[] sharedHashes = new int[SHARED_SLOTS];

  /** Whether to record the line of every rule and chain ({@link #parseWithLines}). */
  private boolean keepLines = true;

  /** The current line. */
  private int lineNo;

  /** The current line's text, or null until an error needs it (then cut from {@link #lineSource}). */
  private String lineText = "";
  /** The text holding the current line, and where the line starts and ends in it. */
  private String lineSource = "";
  private int lineStart;
  private int lineEnd;

  /** Makes line {@code start} to {@code end} of {@code text} the current one, without copying it. */
  private void atLine(String text, int start, int end) {
    lineSource = text;
    lineStart = start;
    lineEnd = end;
    lineText = null;
  }

  /** The current line's text. */
  private String lineText() {
    if (lineText == null) {
      lineText = lineSource.substring(lineStart, lineEnd);
    }
    return lineText;
  }

  /** The open table, or null between tables. */
  TableDraft table;

  private RestoreParser(String source, IpFamily family) {
    this.source = source == null ? "" : source;
    this.family = family;
  }

  /**
   * Parses restore input.
   *
   * @param source the file name, or {@code "-"} for standard input; used in messages
   * @param text the whole input
   * @param family the family of the ruleset: {@code V4} for iptables, {@code V6} for ip6tables
   * @throws ParseException naming the line, the column and what was expected
   */
  public static Ruleset parse(String source, String text, IpFamily family) {
    return parse(source, text, family, true);
  }

  /** {@link #parse}, with long runs of {@code -A} lines read in parallel or not (to test one against the other). */
  static Ruleset parse(String source, String text, IpFamily family, boolean parallel) {
    check(text, family);
    RestoreParser parser = new RestoreParser(source, family);
    parser.keepLines = false;
    parser.parallel = parallel;
    return parser.run(text).ruleset();
  }

  /**
   * Parses restore input and also returns the line of every rule and declared chain, keyed by the
   * location texts of {@link Ruleset#validate()}.
   *
   * @throws ParseException naming the line, the column and what was expected
   */
  public static ParsedRuleset parseWithLines(String source, String text, IpFamily family) {
    return parseWithLines(source, text, family, true);
  }

  /**
   * {@link #parseWithLines}, but refusing every rule that uses a match or target mlb does not model
   * (or a modelled one with an option it does not model): such a rule would pass through unchecked.
   *
   * <pre>{@code
   * RestoreParser.parseStrict("-", "*filter\n-A INPUT -m u32 --u32 0x0=0x0\nCOMMIT\n", IpFamily.V4);
   * // ParseException: line 2, column 10: -m u32 is not modelled by mlb, so it would pass unchecked; ...
   * }</pre>
   *
   * @throws ParseException naming the line and the column of the first such module
   */
  public static ParsedRuleset parseStrict(String source, String text, IpFamily family) {
    check(text, family);
    RestoreParser parser = new RestoreParser(source, family);
    parser.strict = true;
    return parser.run(text);
  }

  /** Whether rules with unmodelled modules are refused ({@link #parseStrict}). */
  boolean strict;

  /** {@link #parseWithLines}, in parallel or not. */
  static ParsedRuleset parseWithLines(String source, String text, IpFamily family, boolean parallel) {
    check(text, family);
    RestoreParser parser = new RestoreParser(source, family);
    parser.parallel = parallel;
    return parser.run(text);
  }

  private static void check(String text, IpFamily family) {
    if (text == null) {
      throw new IllegalArgumentException("text is null");
    }
    if (family == null) {
      throw new IllegalArgumentException("family is null");
    }
  }

  // ---------------------------------------------------------------- lines

  private ParsedRuleset run(String text) {
    // Line by line, without keeping the lines: at {@code \n}; a {@code \r} right before it belongs
    // to the line break.
    int start = 0;
    int number = 0;
    while (start < text.length()) {
      if (table != null && parallel && isAppend(text, start)) {
        // A run of -A lines: the table's chains cannot change within it, so its rules can be read
        // apart from each other (in parallel when the run is long) and added in order.
        int[] run = appendRun(text, start);
        appendRun(text, run, number);
        number += run.length / 2;
        start = lineEnd(text, run[run.length - 2]) + 1;   // the run holds this line at least
        continue;
      }
      int nl = text.indexOf('\n', start);
      int end = nl < 0 ? text.length() : nl;
      lineNo = ++number;
      lineText = text.substring(start, lineCut(text, start, nl));
      line(lineText);
      start = end + 1;
    }
    if (table != null) {
      lineNo = table.line;
      lineText = table.lineText;
      throw error(1, "table " + table.name.id()
          + " is never committed; expected a line \"COMMIT\" before the end of the input");
    }
    Ruleset ruleset = Ruleset.builder().family(family).addAllTables(tables).build();
    return ParsedRuleset.of(ruleset, locations);
  }

  /** Whether to read long runs of {@code -A} lines on several threads ({@link #parse} does). */
  private boolean parallel = true;

  /** A run of at least this many {@code -A} lines is read in pieces of about this size in parallel. */
  static final int PARALLEL_PIECE = 4096;

  /** The end of the line starting at {@code start}: its {@code \n}, or the end of the text. */
  private static int lineEnd(String text, int start) {
    int nl = text.indexOf('\n', start);
    return nl < 0 ? text.length() : nl;
  }

  /** The end of the line's text: before its {@code \r\n} or {@code \n}, or the end of the text. */
  private static int lineCut(String text, int start, int nl) {
    int end = nl < 0 ? text.length() : nl;
    return nl > start && text.charAt(nl - 1) == '\r' ? nl - 1 : end;
  }

  private static boolean isAppend(String text, int start) {
    return text.startsWith("-A ", start);
  }

  /** The start and cut of each line of the run of {@code -A} lines at {@code start}, in pairs. */
  private static int[] appendRun(String text, int start) {
    int[] run = new int[64];
    int n = 0;
    int at = start;
    while (at < text.length() && isAppend(text, at)) {
      int nl = text.indexOf('\n', at);
      if (n == run.length) {
        run = Arrays.copyOf(run, 2 * n);
      }
      run[n++] = at;
      run[n++] = lineCut(text, at, nl);
      at = nl < 0 ? text.length() : nl + 1;
    }
    return Arrays.copyOf(run, n);
  }

  /** The rules of one piece of a run of {@code -A} lines, or the first failure in it. */
  private static final class Piece {
    final ChainDraft[] chains;
    final Rule[] rules;
    RuntimeException failure;

    Piece(int lines) {
      chains = new ChainDraft[lines];
      rules = new Rule[lines];
    }
  }

  /**
   * Reads the {@code -A} lines of {@code run} (pairs of line start and cut; the first is line
   * {@code before + 1}) and adds their rules to their chains in order. Long runs are cut in pieces
   * that other threads read, each with its own parser state; the first failure in line order is
   * thrown, as reading the lines one by one would throw it.
   */
  private void appendRun(String text, int[] run, int before) {
    int lines = run.length / 2;
    int pieces = Math.min(Runtime.getRuntime().availableProcessors(), lines / PARALLEL_PIECE);
    Piece[] read = new Piece[Math.max(1, pieces)];
    if (pieces <= 1) {
      read[0] = readPiece(this, text, run, 0, lines, before);
    } else {
      List<java.util.concurrent.ForkJoinTask<Piece>> tasks = new ArrayList<>();
      for (int p = 1; p < pieces; p++) {
        int from = (int) ((long) lines * p / pieces);
        int to = (int) ((long) lines * (p + 1) / pieces);
        RestoreParser worker = worker();
        tasks.add(java.util.concurrent.ForkJoinPool.commonPool()
            .submit(() -> readPiece(worker, text, run, from, to, before)));
      }
      read[0] = readPiece(worker(), text, run, 0, (int) ((long) lines / pieces), before);
      for (int p = 1; p < pieces; p++) {
        read[p] = tasks.get(p - 1).join();
      }
    }
    for (Piece piece : read) {
      if (piece.failure != null) {
        throw piece.failure;
      }
    }
    int number = before;
    for (Piece piece : read) {
      for (int i = 0; i < piece.rules.length; i++) {
        number++;
        piece.chains[i].rules.add(piece.rules[i]);
        piece.chains[i].addLine(number);
      }
    }
    lineNo = number;
    atLine(text, run[run.length - 2], run[run.length - 1]);
  }

  /** A parser for a piece of a run: this one's source, family and open table, its own line and shared values. */
  private RestoreParser worker() {
    RestoreParser worker = new RestoreParser(source, family);
    worker.table = table;
    worker.strict = strict;
    return worker;
  }

  /** Reads lines {@code from} (inclusive) to {@code to} of {@code run} with {@code parser}; stops at the first failure. */
  private static Piece readPiece(RestoreParser parser, String text, int[] run, int from, int to, int before) {
    Piece piece = new Piece(to - from);
    try {
      // Rules come in runs of one chain: the chain of the line before is compared first (one short
      // string against another), the table's map of chains read only when the chain changes.
      // Within a run of -A lines no chain is declared, renamed or deleted.
      ChainDraft last = null;
      for (int i = from; i < to; i++) {
        parser.lineNo = before + i + 1;
        parser.atLine(text, run[2 * i], run[2 * i + 1]);
        List<Token> words = parser.tokenize(text, run[2 * i], run[2 * i + 1]);
        ChainDraft chain = last != null && words.size() > 1 && last.name.equals(words.get(1).text()) ? last
            : parser.existingChain(words, 1, words.get(0));
        last = chain;
        piece.chains[i - from] = chain;
        piece.rules[i - from] = new RuleParser(parser, chain.name, words, 2).parse();
      }
    } catch (RuntimeException e) {
      piece.failure = e;
    }
    return piece;
  }

  private void line(String text) {
    if (text.isEmpty() || text.charAt(0) == '#') {
      return;
    }
    char first = text.charAt(0);
    if (first == '*') {
      startTable(text);
      return;
    }
    if (table == null) {
      if (text.equals("COMMIT")) {
        throw error(1, "COMMIT without a table; expected a table such as *mangle before it");
      }
      throw error(1, "expected a table such as *mangle, *nat or *filter before this line");
    }
    if (text.equals("COMMIT")) {
      commit();
    } else if (first == ':') {
      declareChain(tokenize(text));
    } else {
      command(tokenize(text));
    }
  }

  private void startTable(String text) {
    if (table != null) {
      throw error(1, "COMMIT expected: table " + table.name.id() + " (line " + table.line
          + ") is still open");
    }
    List<Token> words = tokenize(text);
    String id = words.get(0).text().substring(1);
    if (id.isEmpty()) {
      throw error(2, "table name missing after \"*\"; expected " + tableList());
    }
    Optional<TableName> name = TableName.fromId(id);
    if (name.isEmpty()) {
      throw error(2, "unknown table \"" + id + "\"; expected " + tableList());
    }
    if (words.size() > 1) {
      throw error(words.get(1), "unexpected \"" + words.get(1).text() + "\" after *" + id
          + "; expected nothing more on the line");
    }
    Integer earlier = tableLines.put(name.get(), lineNo);
    if (earlier != null) {
      throw error(2, "table " + id + " appears twice (first at line " + earlier
          + "); iptables-restore would flush and reload it, mlb expects each table once");
    }
    table = new TableDraft(name.get(), lineNo, lineText());
  }

  private static String tableList() {
    List<String> ids = new ArrayList<>();
    for (TableName t : TableName.values()) {
      ids.add(t.id());
    }
    return join(ids, "or");
  }

  private void commit() {
    Table.Builder b = Table.builder().name(table.name);
    for (ChainDraft c : table.chains.values()) {
      Chain.Builder cb = Chain.builder().name(c.name).addAllRules(c.rules);
      if (c.policy != null) {
        cb.policy(c.policy);
      }
      b.addChains(cb.build());
      if (!keepLines) {
        continue;
      }
      locations.add(table.name, c.name, c.line, c.ruleLines, c.lineCount);
    }
    tables.add(b.build());
    table = null;
  }

  private void declareChain(List<Token> words) {
    Token first = words.get(0);
    String name = first.text().substring(1);
    if (name.isEmpty()) {
      throw error(first.column(), "chain name missing after \":\"; expected :CHAIN POLICY [0:0]");
    }
    Token nameToken = new Token(name, first.column() + 1);
    boolean builtin = table.name.isBuiltin(name);
    if (words.size() < 2) {
      throw error(lineText().length() + 1, "policy missing after chain \"" + name + "\"; expected "
          + (builtin ? "ACCEPT or DROP" : "\"-\" (a user chain has no policy)"));
    }
    Token policyToken = words.get(1);
    String policy = policyToken.text();
    Policy p = null;
    if (builtin) {
      if (policy.equals("ACCEPT")) {
        p = Policy.ACCEPT;
      } else if (policy.equals("DROP")) {
        p = Policy.DROP;
      } else if (!policy.equals("-")) {
        throw error(policyToken, "unknown policy \"" + policy + "\" for built-in chain " + name
            + "; expected ACCEPT or DROP");
      }
    } else if (!policy.equals("-")) {
      throw error(policyToken, "chain \"" + name + "\" is a user chain, which has no policy;"
          + " expected \"-\" instead of \"" + policy + "\"");
    }
    if (words.size() > 2) {
      checkCounters(words.get(2));
    }
    if (words.size() > 3) {
      throw error(words.get(3), "unexpected \"" + words.get(3).text()
          + "\" after the counters; expected nothing more on the line");
    }
    ChainDraft existing = table.chains.get(name);
    if (existing != null && (!builtin || existing.line > 0)) {
      throw error(nameToken, "chain \"" + name + "\" is declared twice in table " + table.name.id()
          + (existing.line > 0 ? " (first at line " + existing.line + ")" : ""));
    }
    ChainDraft c = existing != null ? existing : table.addUser(name);
    c.line = lineNo;
    if (p != null) {
      c.policy = p;
    }
  }

  private void checkCounters(Token t) {
    if (!isCounters(t.text())) {
      throw error(t, "bad counters \"" + t.text() + "\"; expected [PACKETS:BYTES] such as [0:0]");
    }
  }

  /** Whether {@code s} is {@code [PACKETS:BYTES]}, both decimal digits. */
  private static boolean isCounters(String s) {
    int n = s.length();
    int colon = s.indexOf(':');
    return n >= 5 && s.charAt(0) == '[' && s.charAt(n - 1) == ']'
        && digits(s, 1, colon) && digits(s, colon + 1, n - 1);
  }

  /** Whether {@code s} from {@code start} to {@code end} is one or more of 0-9. */
  private static boolean digits(String s, int start, int end) {
    if (start >= end) {
      return false;
    }
    for (int i = start; i < end; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- commands

  private void command(List<Token> words) {
    if (words.isEmpty()) {
      throw error(1, "the line holds only blanks; expected a command such as -A CHAIN");
    }
    int i = 0;
    if (lineText().charAt(0) == '[') {
      checkCounters(words.get(0));
      i++;
      if (words.size() == 1) {
        throw error(lineText().length() + 1, "expected a command such as -A CHAIN after the counters");
      }
    }
    Token cmd = words.get(i++);
    switch (cmd.text()) {
      case "-A", "--append" -> {
        ChainDraft chain = existingChain(words, i, cmd);
        Rule rule = new RuleParser(this, chain.name, words, i + 1).parse();
        chain.rules.add(rule);
        chain.addLine(lineNo);
      }
      case "-I", "--insert" -> {
        ChainDraft chain = existingChain(words, i, cmd);
        int at = i + 1;
        int position = 1;
        if (at < words.size() && !words.get(at).text().isEmpty()
            && words.get(at).text().chars().allMatch(c -> c >= '0' && c <= '9')) {
          Token pos = words.get(at++);
          long n = pos.text().length() > 9 ? Long.MAX_VALUE : Long.parseLong(pos.text());
          if (n < 1 || n > chain.rules.size() + 1) {
            throw error(pos, "rule number " + pos.text() + " for -I " + chain.name
                + " is out of range; expected 1 to " + (chain.rules.size() + 1));
          }
          position = (int) n;
        }
        Rule rule = new RuleParser(this, chain.name, words, at).parse();
        chain.rules.add(position - 1, rule);
        chain.insertLine(position - 1, lineNo);
      }
      case "-N", "--new-chain" -> {
        Token name = argument(words, i, cmd);
        if (name.text().isEmpty()) {
          throw error(name, "chain name is empty; expected " + cmd.text() + " CHAIN");
        }
        noMore(words, i + 1, cmd.text() + " " + name.text());
        ChainDraft existing = table.chains.get(name.text());
        if (existing != null) {
          throw error(name, "chain \"" + name.text() + "\" already exists in table " + table.name.id()
              + (existing.line > 0 ? " (declared at line " + existing.line + ")" : " (built-in)"));
        }
        table.addUser(name.text()).line = lineNo;
      }
      case "-P", "--policy" -> {
        Token name = argument(words, i, cmd);
        if (!table.name.isBuiltin(name.text())) {
          throw error(name, "-P " + name.text() + ": only built-in chains of table " + table.name.id()
              + " (" + join(hookNames(table.name), "and") + ") have a policy");
        }
        if (i + 1 >= words.size()) {
          throw error(lineText().length() + 1, "policy missing after -P " + name.text()
              + "; expected ACCEPT or DROP");
        }
        Token policy = words.get(i + 1);
        Policy p;
        if (policy.text().equals("ACCEPT")) {
          p = Policy.ACCEPT;
        } else if (policy.text().equals("DROP")) {
          p = Policy.DROP;
        } else {
          throw error(policy, "unknown policy \"" + policy.text() + "\"; expected ACCEPT or DROP");
        }
        if (p == Policy.DROP && table.name == TableName.NAT) {
          throw error(policy, NAT_DROP);
        }
        noMore(words, i + 2, "-P " + name.text() + " " + policy.text());
        table.chains.get(name.text()).policy = p;
      }
      case "-D", "--delete", "-R", "--replace", "-F", "--flush", "-X", "--delete-chain", "-E",
          "--rename-chain", "-Z", "--zero", "-L", "--list", "-S", "--list-rules", "-C", "--check" ->
          throw error(cmd, "unsupported command " + cmd.text()
              + "; mlb reads rulesets, which are built with -A, -I, -N and -P");
      default -> {
        if (cmd.text().equals("COMMIT")) {
          throw error(cmd, "COMMIT must stand alone on its line, without blanks or anything else");
        }
        throw error(cmd, "expected a command such as -A CHAIN, found \"" + cmd.text() + "\"");
      }
    }
  }

  private ChainDraft existingChain(List<Token> words, int i, Token cmd) {
    Token name = argument(words, i, cmd);
    ChainDraft chain = table.chains.get(name.text());
    if (chain == null) {
      throw error(name, "chain \"" + name.text() + "\" does not exist in table " + table.name.id()
          + "; declare it with \":" + name.text() + " - [0:0]\" or \"-N " + name.text()
          + "\" before this line");
    }
    return chain;
  }

  private Token argument(List<Token> words, int i, Token option) {
    if (i >= words.size()) {
      throw error(option, "option \"" + option.text() + "\" requires an argument");
    }
    return words.get(i);
  }

  private void noMore(List<Token> words, int i, String what) {
    if (i < words.size()) {
      throw error(words.get(i), "unexpected \"" + words.get(i).text() + "\" after " + what
          + "; expected nothing more on the line");
    }
  }

  private static List<String> hookNames(TableName t) {
    List<String> names = new ArrayList<>();
    for (Hook h : t.hooks()) {
      names.add(h.name());
    }
    return names;
  }

  // ---------------------------------------------------------------- tokens

  /** Splits a line into words as iptables-restore's add_param_to_argv does. */
  private List<Token> tokenize(String text) {
    return tokenize(text, 0, text.length());
  }

  /** The words of the line {@code from} to {@code to} of {@code text}; columns count from {@code from}. */
  private List<Token> tokenize(String text, int from, int to) {
    try {
      return LineWords.split(text, from, to);
    } catch (LineWords.UnterminatedQuote e) {
      throw error(e.column, "unterminated quote: no closing \" before the end of the line");
    }
  }

  /**
   * An equal instance read recently, or {@code value} itself: a direct-mapped cache of
   * {@link #SHARED_SLOTS} slots (small enough to stay in the processor's cache) holds the values
   * that repeat, so that a large ruleset keeps each of them about once; unique values pass through.
   */
  @SuppressWarnings("unchecked")
  <T> T share(T value) {
    int h = value.hashCode();
    int slot = (h ^ (h >>> 13)) & (SHARED_SLOTS - 1);
    if (sharedHashes[slot] == h) {
      Object seen = shared[slot];
      if (seen != null && seen.equals(value)) {
        return (T) seen;
      }
    }
    shared[slot] = value;
    sharedHashes[slot] = h;
    return value;
  }

  // ---------------------------------------------------------------- errors

  private ParseException error(int column, String problem) {
    return new ParseException(source, lineNo, Math.max(column, 1), problem, lineText());
  }

  ParseException error(Token at, String problem) {
    return error(at.column(), problem);
  }

  // ---------------------------------------------------------------- tables and chains

  static final class TableDraft {
    final TableName name;
    final int line;
    final String lineText;
    final Map<String, ChainDraft> chains = new LinkedHashMap<>();

    TableDraft(TableName name, int line, String lineText) {
      this.name = name;
      this.line = line;
      this.lineText = lineText;
      for (Hook h : name.hooks()) {
        chains.put(h.name(), new ChainDraft(h.name()));
      }
    }

    ChainDraft addUser(String chain) {
      ChainDraft c = new ChainDraft(chain);
      chains.put(chain, c);
      return c;
    }
  }

  static final class ChainDraft {
    final String name;
    Policy policy;
    int line;
    final List<Rule> rules = new ArrayList<>();
    /** The lines of the rules, in the rules' order: the first {@code lineCount}. */
    int[] ruleLines = new int[4];
    int lineCount;

    /** The jump and the goto to this chain, made when first needed (a race makes at worst two equal ones). */
    private Jump jump;
    private Goto go;

    ChainDraft(String name) {
      this.name = name;
    }

    /** {@code -j} this chain: one value for all the rules that jump here, without hashing it. */
    Jump jump() {
      Jump j = jump;
      if (j == null) {
        j = new Jump(name);
        jump = j;
      }
      return j;
    }

    /** {@code -g} this chain. */
    Goto go() {
      Goto g = go;
      if (g == null) {
        g = new Goto(name);
        go = g;
      }
      return g;
    }

    void addLine(int line) {
      insertLine(lineCount, line);
    }

    void insertLine(int at, int line) {
      if (lineCount == ruleLines.length) {
        ruleLines = Arrays.copyOf(ruleLines, 2 * lineCount);
      }
      System.arraycopy(ruleLines, at, ruleLines, at + 1, lineCount - at);
      ruleLines[at] = line;
      lineCount++;
    }
  }
}
