package dev.mlb.netfilter;

import static dev.mlb.netfilter.Arguments.join;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.ParseException;
import dev.mlb.api.Protocol;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the words of one rule after {@code -A CHAIN} ({@link RestoreParser} reads the lines): the
 * header options, {@code -m MODULE} and its options (the module's reader, from {@link Modules},
 * reads them), {@code -j}/{@code -g} and the target's options, then builds the {@link Rule}.
 *
 * <pre>{@code
 * // -A PREROUTING -i eth0 -p tcp --dport 80 -m state --state NEW -j ACCEPT
 * Rule r = new RuleParser(parser, "PREROUTING", words, 2).parse();
 * // -i eth0 -p tcp -m tcp --dport 80 -m state --state NEW -j ACCEPT
 * }</pre>
 *
 * <p>It implements {@link ModuleContext} for the modules' readers: errors at a word, the ruleset's
 * family and the rule's {@code -p}.
 */
final class RuleParser implements ModuleContext {

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

  // ---------------------------------------------------------------- the rule

  private final RestoreParser parser;
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

  RuleParser(RestoreParser parser, String chain, List<Token> words, int pos) {
    this.parser = parser;
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
    return latestSwallows;
  }

  /**
   * Whether {@link #latest} takes the words that follow it: only the pass-through of a module mlb
   * does not model. A modelled module or target that met an option mlb does not model is kept
   * verbatim too, but its options are known, so it does not take words it does not know.
   */
  private boolean latestSwallows;

  private void latest(Object reader) {
    latest = reader;
    latestSwallows = reader instanceof MatchModule.Reader m ? m.module.isOpaque()
        : reader instanceof TargetModule.Reader t && t.module.isOpaque();
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
        latest(m);
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
      // -c PACKETS BYTES, or -c PACKETS,BYTES in one word (iptables 1.8.9 takes both).
      Token first = argumentOf(t);
      int comma = first.text().indexOf(',');
      if (comma >= 0) {
        counter(w, first, first.text().substring(0, comma));
        counter(w, first, first.text().substring(comma + 1));
      } else {
        counter(w, first, first.text());
        Token second = argumentOf(t);
        counter(w, second, second.text());
      }
      return;
    }
    if (!w.startsWith("-") || w.equals("-")) {
      throw error(t, "unexpected argument " + quoted(w)
          + (previousFrom < 0 ? "" : " after " + previous()) + "; expected an option");
    }
    option(t, bang);
  }

  private void counter(String option, Token at, String text) {
    if (text.isEmpty() || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw error(at, "bad counter " + quoted(text) + " for " + option
          + "; expected " + option + " PACKETS BYTES or " + option + " PACKETS,BYTES with two numbers");
    }
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
        latest(m);
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
    if (latest instanceof TargetModule.Reader tp && !tp.module.isOpaque() && tp.module.options().isEmpty()) {
      return error(t, "unknown option " + quoted(w) + "; -j " + tp.name + " takes no options");
    }
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
    if (!seen.add(h)) {
      throw error(t, "multiple " + h.flag + " flags not allowed");
    }
    if (h == Header.FRAGMENT) {
      if (parser.family == IpFamily.V6) {
        throw error(t, "-f is not supported in IPv6; iptables says to use -m frag instead");
      }
      rule.fragment(true);
      rule.fragmentNegated(bang != null);
      return;
    }
    Token arg = argumentOf(t);
    boolean negated = bang != null;
    switch (h) {
      case SOURCE -> {
        rule.source(parser.share(prefix(t, arg)));
        rule.sourceMask(Optional.ofNullable(mask));
        rule.sourceNegated(negated);
      }
      case DESTINATION -> {
        rule.destination(parser.share(prefix(t, arg)));
        rule.destinationMask(Optional.ofNullable(mask));
        rule.destinationNegated(negated);
      }
      case IN -> {
        inToken = arg.text().equals("+") && !negated ? t : null;
        rule.in(parser.share(iface(arg)));
        rule.inNegated(negated);
      }
      case OUT -> {
        outToken = arg.text().equals("+") && !negated ? t : null;
        rule.out(parser.share(iface(arg)));
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

  /** The mask of the -s or -d read last if it is not a run of leading ones; null otherwise. */
  private IpAddress mask;

  private IpPrefix prefix(Token option, Token arg) {
    mask = null;
    String text = arg.text();
    String flag = option.text();
    if (text.indexOf(',') >= 0) {
      throw error(arg, flag + " " + text + ": address lists are not supported;"
          + " write one rule per address");
    }
    int slash = text.indexOf('/');
    IpAddress address = address(arg, slash < 0 ? text : text.substring(0, slash));
    checkFamily(arg, flag, text, address);
    if (slash < 0) {
      return IpPrefix.host(address);
    }
    // The common case, a length of 1 to 3 digits within the family's bits, without cutting the
    // text again or reading the address a second time; anything else goes the long way below.
    int digits = text.length() - slash - 1;
    if (digits >= 1 && digits <= 3) {
      int length = 0;
      for (int i = slash + 1; i < text.length() && length >= 0; i++) {
        char c = text.charAt(i);
        length = c >= '0' && c <= '9' ? length * 10 + (c - '0') : -1;
      }
      if (length >= 0 && length <= address.family().bits()) {
        return IpPrefix.of(address, length);
      }
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
        // Kept as iptables keeps it: the address with the mask applied, and the mask.
        this.mask = m;
        return IpPrefix.host(address);
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
  public void checkFamily(Token arg, String option, String value, IpAddress address) {
    if (address.family() != parser.family) {
      throw error(arg, option + " " + value + ": " + familyName(address.family()) + " address in an "
          + familyName(parser.family) + " ruleset");
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
    latest(targetParser != null ? targetParser : simpleTarget);
  }

  private void target(Token flag, String n, Token name) {
    // A jump keeps the chain's declared name, not the word's copy of it: one string per chain.
    RestoreParser.ChainDraft chain = parser.table.chains.get(n);
    boolean isChain = chain != null;
    if (isGotoFlag(flag.text())) {
      if (!isChain) {
        throw error(name, flag.text() + " " + n + ": no chain \"" + n + "\" in table "
            + parser.table.name.id() + "; declare it (\":" + n + " - [0:0]\" or \"-N " + n
            + "\") before the rules that use it");
      }
      simpleTarget = chain.go();
      return;
    }
    // Most names are chains or other targets: a length and a letter tell them from the three
    // verdicts without the switch's hashing and comparing (profiled: 3% of a docker-shaped parse).
    int length = n.length();
    char first = length == 0 ? 0 : n.charAt(0);
    boolean verdict = length == 6 && (first == 'A' || first == 'R') || length == 4 && first == 'D';
    TargetModule<?> module;
    switch (verdict ? n : "") {
      case "ACCEPT" -> simpleTarget = Verdict.ACCEPT;
      case "DROP" -> {
        if (parser.table.name == TableName.NAT) {
          throw error(name, RestoreParser.NAT_DROP);
        }
        simpleTarget = Verdict.DROP;
      }
      case "RETURN" -> simpleTarget = Verdict.RETURN;
      default -> {
        if (isChain) {
          simpleTarget = chain.jump();
        } else if ((module = Modules.target(n)) != null) {
          targetParser = module.reader(this, name);
        } else if (n.isEmpty()) {
          throw error(name, "target name is empty; expected a chain or a target such as ACCEPT");
        } else {
          throw error(name, flag.text() + " " + n + ": no chain \"" + n + "\" in table "
              + parser.table.name.id() + " and no target of that name; declare the chain (\":" + n
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
    return parser.error(at, problem);
  }

  @Override
  public IpFamily family() {
    return parser.family;
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
    Optional<Hook> hook = parser.table.name.hook(chain);
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
    if (parser.strict) {
      refuseUnchecked();
    }
    for (MatchModule.Reader m : modules) {
      Match match = m.opaque ? OpaqueModules.match(m.name, m.raw) : m.finish();
      if (match != null) {
        rule.addMatches(parser.share(match));
      }
      m.finishRule();
    }
    if (targetParser != null) {
      rule.target(parser.share(targetParser.opaque ? OpaqueModules.target(targetParser.name, targetParser.raw)
          : targetParser.finish()));
    } else if (simpleTarget != null) {
      rule.target(simpleTarget);
    }
    return rule.build();
  }

  /** For {@link RestoreParser#parseStrict}: an error at the first module or target kept verbatim. */
  private void refuseUnchecked() {
    for (MatchModule.Reader m : modules) {
      if (m.opaque) {
        throw error(m.at, "-m " + m.name + (m.module.isOpaque() ? " is not modelled by mlb"
            : " is used with an option mlb does not model") + ", so it would pass unchecked;"
            + " --strict refuses it (without --strict it is kept verbatim and reported)");
      }
    }
    if (targetParser != null && targetParser.opaque) {
      throw error(targetToken, "-j " + targetParser.name + (targetParser.module.isOpaque() ? " is not modelled by mlb"
          : " is used with an option mlb does not model") + ", so it would pass unchecked;"
          + " --strict refuses it (without --strict it is kept verbatim and reported)");
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
      case 50 -> "esp";
      case 51 -> "ah";
      case 108 -> "ipcomp";
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
