package dev.mlb.netfilter;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.Numbers;
import dev.mlb.api.ParseException;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import static dev.mlb.netfilter.Arguments.join;
import static dev.mlb.netfilter.Arguments.quoted;

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
 *   <li>Modules mlb does not model ({@code -m limit ...}), and modelled modules used with options
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
 * <p>Not supported: service names for ports, host names for addresses, address lists
 * ({@code -s a,b}), non-contiguous netmasks, abbreviated long options and {@code --option=value},
 * {@code -4}/{@code -6} line prefixes, commands other than {@code -A -I -N -P}, and {@code -f}. An
 * unterminated quote is an error (iptables would read on into the line break).
 */
public final class RestoreParser {

  /** iptables refuses -j DROP and -P CHAIN DROP in the nat table (not a :CHAIN DROP line). */
  private static final String NAT_DROP =
      "the nat table is not meant for filtering; iptables refuses DROP there";

  private static final Pattern COUNTERS = Pattern.compile("\\[[0-9]+:[0-9]+\\]");

  private final String source;
  private final IpFamily family;
  private final Map<TableName, Integer> tableLines = new HashMap<>();
  private final List<Table> tables = new ArrayList<>();
  private final ImmutableMap.Builder<String, Integer> locations = ImmutableMap.builder();
  /**
   * One instance of every match, target, prefix and interface name read so far: rules that test the
   * same thing share it (they are immutable), so a large ruleset keeps each distinct value once.
   */
  private static final int SHARED_SLOTS = 8192;
  private final Object[] shared = new Object[SHARED_SLOTS];

  /** Whether to record the line of every rule and chain ({@link #parseWithLines}). */
  private boolean keepLines = true;

  /** The current line. */
  private int lineNo;

  private String lineText = "";

  /** The open table, or null between tables. */
  private TableDraft table;

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
    return new ParsedRuleset(ruleset, locations.buildKeepingLast());
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
        piece.chains[i].ruleLines.add(number);
      }
    }
    lineNo = number;
    lineText = text.substring(run[run.length - 2], run[run.length - 1]);
  }

  /** A parser for a piece of a run: this one's source, family and open table, its own line and shared values. */
  private RestoreParser worker() {
    RestoreParser worker = new RestoreParser(source, family);
    worker.table = table;
    return worker;
  }

  /** Reads lines {@code from} (inclusive) to {@code to} of {@code run} with {@code parser}; stops at the first failure. */
  private static Piece readPiece(RestoreParser parser, String text, int[] run, int from, int to, int before) {
    Piece piece = new Piece(to - from);
    try {
      for (int i = from; i < to; i++) {
        parser.lineNo = before + i + 1;
        parser.lineText = text.substring(run[2 * i], run[2 * i + 1]);
        List<Token> words = parser.tokenize(parser.lineText);
        ChainDraft chain = parser.existingChain(words, 1, words.get(0));
        piece.chains[i - from] = chain;
        piece.rules[i - from] = parser.new RuleParser(chain.name, words, 2).parse();
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
    table = new TableDraft(name.get(), lineNo, lineText);
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
      if (c.line > 0) {
        locations.put(RulesetValidator.location(table.name, c.name), c.line);
      }
      for (int i = 0; i < c.ruleLines.size(); i++) {
        locations.put(RulesetValidator.location(table.name, c.name, i + 1), c.ruleLines.get(i));
      }
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
      throw error(lineText.length() + 1, "policy missing after chain \"" + name + "\"; expected "
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
    if (!COUNTERS.matcher(t.text()).matches()) {
      throw error(t, "bad counters \"" + t.text() + "\"; expected [PACKETS:BYTES] such as [0:0]");
    }
  }

  // ---------------------------------------------------------------- commands

  private void command(List<Token> words) {
    if (words.isEmpty()) {
      throw error(1, "the line holds only blanks; expected a command such as -A CHAIN");
    }
    int i = 0;
    if (lineText.charAt(0) == '[') {
      checkCounters(words.get(0));
      i++;
      if (words.size() == 1) {
        throw error(lineText.length() + 1, "expected a command such as -A CHAIN after the counters");
      }
    }
    Token cmd = words.get(i++);
    switch (cmd.text()) {
      case "-A", "--append" -> {
        ChainDraft chain = existingChain(words, i, cmd);
        Rule rule = new RuleParser(chain.name, words, i + 1).parse();
        chain.rules.add(rule);
        chain.ruleLines.add(lineNo);
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
        Rule rule = new RuleParser(chain.name, words, at).parse();
        chain.rules.add(position - 1, rule);
        chain.ruleLines.add(position - 1, lineNo);
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
          throw error(lineText.length() + 1, "policy missing after -P " + name.text()
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
    List<Token> out = new ArrayList<>(32);
    StringBuilder word = new StringBuilder();
    // An unquoted word is cut from the line directly; the builder is for words with quotes.
    boolean built = false;
    int start = -1;
    boolean quoted = false;
    boolean escaped = false;
    int quoteColumn = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quoted) {
        if (escaped) {
          word.append(c);
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          quoted = false;
          out.add(new Token(word.toString(), start + 1, true));
          word.setLength(0);
          built = false;
          start = -1;
        } else {
          word.append(c);
        }
        continue;
      }
      if (c == '"') {
        quoted = true;
        quoteColumn = i + 1;
        if (start < 0) {
          start = i;
        } else if (!built) {
          word.append(text, start, i);
        }
        built = true;
      } else if (c == ' ' || c == '\t') {
        if (start >= 0) {
          out.add(new Token(built ? word.toString() : word(text, start, i), start + 1));
          word.setLength(0);
          built = false;
          start = -1;
        }
      } else {
        if (start < 0) {
          start = i;
        }
        if (built) {
          word.append(c);
        }
      }
    }
    if (quoted) {
      throw error(quoteColumn, "unterminated quote: no closing \" before the end of the line");
    }
    if (start >= 0) {
      out.add(new Token(built ? word.toString() : word(text, start, text.length()), start + 1));
    }
    return out;
  }

  /**
   * Words most lines repeat (commands, options, module and target names, states), held once: a
   * restore file of many rules is mostly these.
   */
  private static final String[] COMMON_WORDS = commonWords(
      "-A", "-I", "-N", "-P", "-m", "-j", "-g", "-s", "-d", "-i", "-o", "-p", "!", "tcp", "udp", "icmp", "state",
      "conntrack", "connmark", "mark", "statistic", "multiport", "comment", "--state", "--ctstate", "--mark",
      "--mode", "nth", "random", "--every", "--packet", "--probability", "--sport", "--dport", "--sports",
      "--dports", "--ports", "--comment", "MARK", "CONNMARK", "--set-xmark", "--set-mark", "--save-mark",
      "--restore-mark", "--nfmask", "--ctmask", "--mask", "ACCEPT", "DROP", "RETURN", "MASQUERADE", "SNAT",
      "--to-source", "--to-ports", "NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED", "RELATED,ESTABLISHED",
      "ESTABLISHED,RELATED", "PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING", "0x0", "0x1", "0x2",
      "0xffffffff", "0", "1", "2", "80", "443", "LOG", "REJECT");

  private static String[] commonWords(String... words) {
    String[] table = new String[256];
    for (String w : words) {
      int slot = w.hashCode() & (table.length - 1);
      while (table[slot] != null) {
        slot = (slot + 1) & (table.length - 1);
      }
      table[slot] = w;
    }
    return table;
  }

  /** {@code text.substring(start, end)}, or the common word it spells without a new string. */
  private static String word(String text, int start, int end) {
    int length = end - start;
    if (length <= 20) {
      int h = 0;
      for (int i = start; i < end; i++) {
        h = 31 * h + text.charAt(i);
      }
      for (int slot = h & (COMMON_WORDS.length - 1); COMMON_WORDS[slot] != null;
          slot = (slot + 1) & (COMMON_WORDS.length - 1)) {
        String w = COMMON_WORDS[slot];
        if (w.hashCode() == h && w.length() == length && text.regionMatches(start, w, 0, length)) {
          return w;
        }
      }
    }
    return text.substring(start, end);
  }

  /**
   * An equal instance read recently, or {@code value} itself: a direct-mapped cache of
   * {@link #SHARED_SLOTS} slots (small enough to stay in the processor's cache) holds the values
   * that repeat, so that a large ruleset keeps each of them about once; unique values pass through.
   */
  @SuppressWarnings("unchecked")
  private <T> T share(T value) {
    int h = value.hashCode();
    int slot = (h ^ (h >>> 13)) & (SHARED_SLOTS - 1);
    Object seen = shared[slot];
    if (seen != null && seen.equals(value)) {
      return (T) seen;
    }
    shared[slot] = value;
    return value;
  }

  // ---------------------------------------------------------------- errors

  private ParseException error(int column, String problem) {
    return new ParseException(source, lineNo, Math.max(column, 1), problem, lineText);
  }

  private ParseException error(Token at, String problem) {
    return error(at.column(), problem);
  }

  // ---------------------------------------------------------------- tables and chains

  private static final class TableDraft {
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

  private static final class ChainDraft {
    final String name;
    Policy policy;
    int line;
    final List<Rule> rules = new ArrayList<>();
    final List<Integer> ruleLines = new ArrayList<>();

    ChainDraft(String name) {
      this.name = name;
    }
  }

  // ---------------------------------------------------------------- one rule

  /** The header options. */
  private enum Header {
    SOURCE("-s"),
    DESTINATION("-d"),
    IN("-i"),
    OUT("-o"),
    PROTOCOL("-p"),
    FRAGMENT("-f");

    final String flag;

    Header(String flag) {
      this.flag = flag;
    }

    static Header of(String option) {
      return switch (option) {
        case "-s", "--source", "--src" -> SOURCE;
        case "-d", "--destination", "--dst" -> DESTINATION;
        case "-i", "--in-interface" -> IN;
        case "-o", "--out-interface" -> OUT;
        case "-p", "--protocol" -> PROTOCOL;
        case "-f", "--fragment" -> FRAGMENT;
        default -> null;
      };
    }
  }

  private static boolean isCommand(String word) {
    return switch (word) {
      case "-A", "--append", "-I", "--insert", "-N", "--new-chain", "-P", "--policy", "-D",
          "--delete", "-R", "--replace", "-F", "--flush", "-X", "--delete-chain", "-E",
          "--rename-chain", "-Z", "--zero", "-L", "--list", "-S", "--list-rules", "-C", "--check" ->
          true;
      default -> false;
    };
  }

  private static boolean isModuleFlag(String word) {
    return word.equals("-m") || word.equals("--match");
  }

  private static boolean isJumpFlag(String word) {
    return word.equals("-j") || word.equals("--jump");
  }

  private static boolean isGotoFlag(String word) {
    return word.equals("-g") || word.equals("--goto");
  }

  /** Parses the words of one rule after {@code -A CHAIN}. */
  private final class RuleParser implements ModuleContext {
    private final List<Token> words;
    private int pos;
    private final Rule.Builder rule = Rule.builder();
    private final Set<Header> seen = EnumSet.noneOf(Header.class);
    private Protocol protocol;
    private boolean protocolNegated;
    private final List<MatchModule.Reader> modules = new ArrayList<>();
    /** Exactly one of these is set once -j or -g was read. */
    private Target simpleTarget;
    private TargetModule.Reader targetParser;
    private Token targetToken;
    /** The words of the option read last (from, to), for messages. */
    private int previousFrom = -1;
    private int previousTo;
    /** The extension loaded last: a module, a target parser or a simple target. */
    private Object latest;
    private final String chain;
    /** {@code -i +} and {@code -o +}, which the model leaves out. */
    private Token inToken;
    private Token outToken;

    RuleParser(String chain, List<Token> words, int pos) {
      this.chain = chain;
      this.words = words;
      this.pos = pos;
    }

    private boolean more() {
      return pos < words.size();
    }

    private Token next() {
      return words.get(pos++);
    }

    private Token peek() {
      return more() ? words.get(pos) : null;
    }

    @Override
    public Token argumentOf(Token option) {
      if (!more()) {
        throw error(option, "option \"" + option.text() + "\" requires an argument");
      }
      return next();
    }

    Rule parse() {
      while (more()) {
        Token t = next();
        Token bang = null;
        if (t.text().equals("!")) {
          bang = t;
          if (!more()) {
            throw error(bang, "\"!\" at the end of the rule; expected an option after it");
          }
          t = next();
          if (t.text().equals("!")) {
            throw error(t, "multiple \"!\" flags not allowed");
          }
        }
        if (swallowing() && !isTerminator(t.text())
            && !(t.text().startsWith("-") && owner(t.text()) != null)) {
          if (bang != null) {
            raw().add(bang);
          }
          raw().add(t);
          continue;
        }
        int first = pos - 1;
        word(t, bang);
        previousFrom = first;
        previousTo = pos;
      }
      return finish();
    }

    /** The words of the option read last, as written (a word with blanks in quotes). */
    private String previous() {
      StringBuilder text = new StringBuilder();
      for (int i = previousFrom; i < previousTo; i++) {
        String w = words.get(i).text();
        boolean blank = w.isEmpty() || w.indexOf(' ') >= 0 || w.indexOf('\t') >= 0;
        text.append(i > previousFrom ? " " : "").append(blank ? quoted(w) : w);
      }
      return text.toString();
    }

    /**
     * Whether the extension loaded last is one mlb does not model (or a modelled one that met an
     * option mlb does not model). It then takes every word, as its options and their values,
     * except {@code -m}, {@code -j}, {@code -g}, the header options and options that a modelled
     * module of the rule knows: iptables would parse those on as usual.
     */
    private boolean swallowing() {
      // A modelled module or target that met an option mlb does not model is kept verbatim too,
      // but its options are known, so it does not take words it does not know.
      return latest instanceof MatchModule.Reader m ? m.module.isOpaque()
          : latest instanceof TargetModule.Reader t && t.module.isOpaque();
    }

    private List<Token> raw() {
      return latest instanceof MatchModule.Reader m ? m.raw : ((TargetModule.Reader) latest).raw;
    }

    private boolean isTerminator(String word) {
      return isModuleFlag(word) || isJumpFlag(word) || isGotoFlag(word) || Header.of(word) != null
          || word.equals("-c") || word.equals("--set-counters");
    }

    private void word(Token t, Token bang) {
      String w = t.text();
      Header h = Header.of(w);
      if (h != null) {
        header(h, t, bang);
        return;
      }
      if (isModuleFlag(w) || isJumpFlag(w) || isGotoFlag(w)) {
        if (bang != null) {
          throw error(bang, "\"!\" cannot negate " + w + "; put it before an option of the match");
        }
        if (isModuleFlag(w)) {
          Token name = argumentOf(t);
          if (name.text().isEmpty()) {
            throw error(name, "match name is empty; expected a module such as state or tcp");
          }
          MatchModule.Reader m = module(name.text(), t);
          modules.add(m);
          latest = m;
        } else {
          target(t, argumentOf(t));
        }
        return;
      }
      if (isCommand(w)) {
        throw error(t, "unexpected command " + w + "; one line holds one command");
      }
      if (w.equals("-c") || w.equals("--set-counters")) {
        // Counters, like a leading [PACKETS:BYTES]: checked for form and ignored.
        if (bang != null) {
          throw error(bang, "\"!\" cannot negate " + w);
        }
        for (int i = 0; i < 2; i++) {
          Token n = argumentOf(t);
          if (n.text().isEmpty() || !n.text().chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw error(n, "bad counter " + quoted(n.text()) + " for " + w
                + "; expected " + w + " PACKETS BYTES with two numbers");
          }
        }
        return;
      }
      if (!w.startsWith("-") || w.equals("-")) {
        throw error(t, "unexpected argument " + quoted(w)
            + (previousFrom < 0 ? "" : " after " + previous()) + "; expected an option");
      }
      option(t, bang);
    }

    private void option(Token t, Token bang) {
      String w = t.text();
      if (targetParser != null && targetParser.knows(w)) {
        if (bang != null) {
          throw error(bang, "\"!\" cannot negate " + w + "; options of -j " + targetParser.name
              + " cannot be negated");
        }
        targetParser.option(t);
        return;
      }
      MatchModule.Reader owner = owner(w);
      if (owner != null) {
        owner.option(t, bang);
        return;
      }
      // iptables loads the protocol's match for an option nobody knows: -p tcp --dport 80.
      if (protocol != null) {
        String match = protocolMatch(protocol);
        if (match != null && modules.stream().noneMatch(m -> m.name.equals(match))) {
          MatchModule.Reader m = module(match, t);
          modules.add(m);
          latest = m;
          if (m.opaque) {
            if (bang != null) {
              m.raw.add(bang);
            }
            m.raw.add(t);
            return;
          }
          if (m.knows(w)) {
            m.option(t, bang);
            return;
          }
        }
      }
      throw unknownOption(t);
    }

    /**
     * The module that gets option {@code option}, as iptables decides: getopt resolves the name to
     * the module that was loaded first most recently among those that know it (a second
     * {@code -m connmark} reuses the first one's options), and the option goes to the latest
     * instance of that module. So in {@code -m connmark --mark 1 -m mark --mark 2 -m connmark
     * --mark 3} the last {@code --mark} goes to {@code -m mark}, as in iptables.
     */
    private MatchModule.Reader owner(String option) {
      String name = null;
      int firstLoad = -1;
      for (int i = 0; i < modules.size(); i++) {
        MatchModule.Reader m = modules.get(i);
        if (m.knows(option)) {
          int first = firstLoad(m.name);
          if (first > firstLoad) {
            firstLoad = first;
            name = m.name;
          }
        }
      }
      if (name == null) {
        return null;
      }
      for (int i = modules.size() - 1; ; i--) {
        if (modules.get(i).name.equals(name)) {
          return modules.get(i);
        }
      }
    }

    private int firstLoad(String name) {
      for (int i = 0; i < modules.size(); i++) {
        if (modules.get(i).name.equals(name)) {
          return i;
        }
      }
      return -1;
    }

    private ParseException unknownOption(Token t) {
      String w = t.text();
      // Name the options of the extension loaded last, if mlb models it.
      if (latest instanceof TargetModule.Reader tp && !tp.module.isOpaque()) {
        return error(t, "unknown option " + quoted(w) + " for -j " + tp.name + "; expected "
            + join(tp.module.options(), "or"));
      }
      if (latest instanceof Target target) {
        return error(t, "unknown option " + quoted(w) + "; " + targetToken.text() + " "
            + target.name() + " takes no options and no match of this rule knows it");
      }
      for (int i = modules.size() - 1; i >= 0; i--) {
        MatchModule.Reader m = modules.get(i);
        if (!m.module.isOpaque()) {
          return error(t, "unknown option " + quoted(w) + " for -m " + m.name + "; expected "
              + join(m.module.options(), "or"));
        }
      }
      String hint = "";
      if (PortModule.OPTIONS.containsKey(w)) {
        hint = " (" + w + " needs -p tcp or -p udp before it)";
      }
      return error(t, "unknown option " + quoted(w)
          + "; expected -s, -d, -i, -o, -p, -m MATCH, -j TARGET or -g CHAIN" + hint);
    }

    // ------------------------------------------------------------ header

    private void header(Header h, Token t, Token bang) {
      if (h == Header.FRAGMENT) {
        throw error(bang != null ? bang : t, "-f (fragments) is not supported by mlb");
      }
      if (!seen.add(h)) {
        throw error(t, "multiple " + h.flag + " flags not allowed");
      }
      Token arg = argumentOf(t);
      boolean negated = bang != null;
      switch (h) {
        case SOURCE -> {
          rule.source(share(prefix(t, arg)));
          rule.sourceNegated(negated);
        }
        case DESTINATION -> {
          rule.destination(share(prefix(t, arg)));
          rule.destinationNegated(negated);
        }
        case IN -> {
          inToken = arg.text().equals("+") && !negated ? t : null;
          rule.in(share(iface(arg)));
          rule.inNegated(negated);
        }
        case OUT -> {
          outToken = arg.text().equals("+") && !negated ? t : null;
          rule.out(share(iface(arg)));
          rule.outNegated(negated);
        }
        case PROTOCOL -> {
          if (Protocol.isAny(arg.text())) {
            if (negated) {
              throw error(bang, "! -p " + arg.text() + " would match no packet; iptables refuses it");
            }
            return;
          }
          try {
            protocol = Protocol.parse(arg.text());
          } catch (IllegalArgumentException e) {
            throw error(arg, e.getMessage());
          }
          protocolNegated = negated;
          rule.protocol(protocol);
          rule.protocolNegated(negated);
        }
        default -> throw new AssertionError(h);
      }
    }

    private InterfaceName iface(Token arg) {
      try {
        return InterfaceName.of(arg.text());
      } catch (IllegalArgumentException e) {
        throw error(arg, e.getMessage());
      }
    }

    private IpPrefix prefix(Token option, Token arg) {
      String text = arg.text();
      String flag = option.text();
      if (text.indexOf(',') >= 0) {
        throw error(arg, flag + " " + text + ": address lists are not supported;"
            + " write one rule per address");
      }
      int slash = text.indexOf('/');
      IpAddress address = address(arg, slash < 0 ? text : text.substring(0, slash));
      checkFamily(arg, flag + " " + text, address);
      if (slash < 0) {
        return IpPrefix.host(address);
      }
      String mask = text.substring(slash + 1);
      if (mask.indexOf('.') >= 0 || mask.indexOf(':') >= 0) {
        IpAddress m = address(arg, mask);
        if (m.family() != address.family()) {
          throw error(arg, flag + " " + text + ": the netmask " + mask
              + " is not of the address's family");
        }
        int length = contiguousLength(m);
        if (length < 0) {
          throw error(arg, flag + " " + text + ": non-contiguous netmask " + mask
              + " is not supported; expected a prefix length or a mask of leading ones");
        }
        return IpPrefix.of(address, length);
      }
      try {
        return IpPrefix.parse(text);
      } catch (IllegalArgumentException e) {
        throw error(arg, flag + " " + e.getMessage());
      }
    }

    @Override
    public IpAddress address(Token arg, String text) {
      try {
        return IpAddress.parse(text);
      } catch (IllegalArgumentException e) {
        throw error(arg, e.getMessage());
      }
    }

    @Override
    public void checkFamily(Token arg, String what, IpAddress address) {
      if (address.family() != family) {
        throw error(arg, what + ": " + familyName(address.family()) + " address in an "
            + familyName(family) + " ruleset");
      }
    }

    // ------------------------------------------------------------ target

    private void target(Token flag, Token name) {
      if (simpleTarget != null || targetParser != null) {
        throw error(flag, "multiple -j/-g flags not allowed; the rule already has "
            + targetToken.text() + " " + (simpleTarget != null ? simpleTarget.name() : targetParser.name));
      }
      targetToken = flag;
      target(flag, name.text(), name);
      latest = targetParser != null ? targetParser : simpleTarget;
    }

    private void target(Token flag, String n, Token name) {
      boolean isChain = table.chains.containsKey(n);
      if (isGotoFlag(flag.text())) {
        if (!isChain) {
          throw error(name, flag.text() + " " + n + ": no chain \"" + n + "\" in table "
              + table.name.id() + "; declare it (\":" + n + " - [0:0]\" or \"-N " + n
              + "\") before the rules that use it");
        }
        simpleTarget = share(new Goto(n));
        return;
      }
      switch (n) {
        case "ACCEPT" -> simpleTarget = Verdict.ACCEPT;
        case "DROP" -> {
          if (table.name == TableName.NAT) {
            throw error(name, NAT_DROP);
          }
          simpleTarget = Verdict.DROP;
        }
        case "RETURN" -> simpleTarget = Verdict.RETURN;
        default -> {
          if (isChain) {
            simpleTarget = share(new Jump(n));
          } else if (Modules.target(n) != null) {
            targetParser = Modules.target(n).reader(this, name);
          } else if (n.isEmpty()) {
            throw error(name, "target name is empty; expected a chain or a target such as ACCEPT");
          } else {
            throw error(name, flag.text() + " " + n + ": no chain \"" + n + "\" in table "
                + table.name.id() + " and no target of that name; declare the chain (\":" + n
                + " - [0:0]\" or \"-N " + n + "\") before the rules that use it");
          }
        }
      }
    }

    // ------------------------------------------------------------ modules

    /** A reader for {@code -m name}: its module's, or the pass-through's if mlb does not model it. */
    private MatchModule.Reader module(String name, Token at) {
      MatchModule<?> m = Modules.match(name);
      return (m != null ? m : OpaqueModules.MATCH).reader(this, name, at);
    }

    @Override
    public ParseException error(Token at, String problem) {
      return RestoreParser.this.error(at, problem);
    }

    @Override
    public IpFamily family() {
      return family;
    }

    @Override
    public Protocol protocol() {
      return protocol;
    }

    @Override
    public boolean protocolNegated() {
      return protocolNegated;
    }

    private Rule finish() {
      // "-i +" matches every packet and is left out of the model (as iptables-save leaves it out),
      // so validation cannot see it; iptables refuses it where there is no such interface.
      Optional<Hook> hook = table.name.hook(chain);
      if (hook.isPresent()) {
        if (inToken != null && !hook.get().hasInputInterface()) {
          throw error(inToken, "Can't use -i with " + chain
              + ": packets there have no input interface, so iptables refuses even -i +");
        }
        if (outToken != null && !hook.get().hasOutputInterface()) {
          throw error(outToken, "Can't use -o with " + chain
              + ": packets there have no output interface, so iptables refuses even -o +");
        }
      }
      for (MatchModule.Reader m : modules) {
        rule.addMatches(share(m.opaque ? OpaqueModules.match(m.name, m.raw) : m.finish()));
        m.finishRule();
      }
      if (targetParser != null) {
        rule.target(share(targetParser.opaque ? OpaqueModules.target(targetParser.name, targetParser.raw)
            : targetParser.finish()));
      } else if (simpleTarget != null) {
        rule.target(simpleTarget);
      }
      return rule.build();
    }
  }

  /** Which match iptables loads for an option after {@code -p PROTOCOL}. */
  private static String protocolMatch(Protocol p) {
    return switch (p.number()) {
      case 6 -> "tcp";
      case 17 -> "udp";
      case 1 -> "icmp";
      case 58 -> "icmp6";
      case 132 -> "sctp";
      case 33 -> "dccp";
      default -> null;
    };
  }

  /** The prefix length of a netmask of leading ones, or -1 if the mask has holes. */
  static int contiguousLength(IpAddress mask) {
    IpAddress ones = mask.family() == IpFamily.V4 ? IpAddress.v4(-1) : IpAddress.v6(-1L, -1L);
    int length = Long.bitCount(mask.high()) + Long.bitCount(mask.low());
    return ones.masked(length).equals(mask) ? length : -1;
  }

  private static String familyName(IpFamily f) {
    return f == IpFamily.V4 ? "IPv4" : "IPv6";
  }
}
