package dev.mlb.netfilter;

import com.google.common.collect.ImmutableSortedSet;
import dev.mlb.api.Finding;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.ValidationException;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Writes a {@link Ruleset} as {@code iptables-restore} input, byte for byte what
 * {@code iptables-save} (iptables-nft 1.8) prints for the same rules, less its {@code #} header and
 * footer lines.
 *
 * <pre>{@code
 * String text = RestoreWriter.render(ruleset);
 * RestoreWriter.write(ruleset, fileWriter);   // the same text, streamed in 64 KiB pieces
 * // *nat
 * // :PREROUTING ACCEPT [0:0]
 * // ...
 * // -A POSTROUTING -o ppp0 -j MASQUERADE
 * // COMMIT
 * }</pre>
 *
 * <p>This class owns the layout (tables, chains, the header options and their order) and the
 * formatting primitives (hex, marks, probabilities, quoting); each module ({@link Modules})
 * decides its own options and their order. Counters are always {@code [0:0]}.
 */
public final class RestoreWriter {
  private RestoreWriter() {}

  /**
   * Validates {@code ruleset} and renders it.
   *
   * @throws ValidationException listing every error if validation finds any
   */
  public static String render(Ruleset ruleset) {
    // The text in pieces, joined once: one large allocation (the String) instead of a buffer the
    // size of the whole text and a copy of it.
    TextPieces pieces = new TextPieces();
    try {
      write(ruleset, pieces);
    } catch (IOException e) {
      throw new AssertionError("collecting pieces cannot fail", e);
    }
    return pieces.text();
  }

  /** How much text {@link #write} gathers before it hands it on. */
  static final int CHUNK = 64 * 1024;

  /**
   * Validates {@code ruleset} and writes the text {@link #render} returns to {@code out}, in pieces
   * of about 64 KiB: a large ruleset goes to a file or a pipe without being held whole in memory.
   * Nothing is written if validation finds errors.
   *
   * @throws ValidationException listing every error if validation finds any
   * @throws IOException if {@code out} throws it
   */
  public static void write(Ruleset ruleset, Appendable out) throws IOException {
    checkValid(ruleset);
    StringBuilder chunk = new StringBuilder(CHUNK + 4096);
    for (Table table : ruleset.tables()) {
      writeTable(chunk, table, out);
    }
    out.append(chunk);
  }

  private static void checkValid(Ruleset ruleset) {
    List<Finding> errors =
        ruleset.validate().stream().filter(Finding::isError).collect(Collectors.toList());
    if (!errors.isEmpty()) {
      throw new ValidationException(errors);
    }
  }

  /** One rule as it follows {@code -A CHAIN}, with its leading space; for messages and traces. */
  public static String renderRule(Rule rule) {
    StringBuilder out = new StringBuilder(128);
    writeRule(out, rule);
    return out.toString();
  }

  /** Writes one table to {@code out}; with {@code sink}, hands {@code out}'s text on whenever it is a chunk. */
  private static void writeTable(StringBuilder out, Table table, Appendable sink)
      throws IOException {
    out.append('*').append(table.name().id()).append('\n');
    for (Chain chain : table.chains()) {
      out.append(':').append(chain.name()).append(' ')
          .append(chain.policy().map(Policy::name).orElse("-"))
          .append(" [0:0]\n");
    }
    for (Chain chain : table.chains()) {
      for (Rule rule : chain.rules()) {
        out.append("-A ").append(chain.name());
        writeRule(out, rule);
        out.append('\n');
        if (sink != null && out.length() >= CHUNK) {
          sink.append(out);
          out.setLength(0);
        }
      }
    }
    out.append("COMMIT\n");
  }

  private static void writeRule(StringBuilder out, Rule rule) {
    if (rule.source().isPresent()) {
      out.append(rule.sourceNegated() ? " ! -s " : " -s ");
      appendPrefix(out, rule.source().get(), rule.sourceMask());
    }
    if (rule.destination().isPresent()) {
      out.append(rule.destinationNegated() ? " ! -d " : " -d ");
      appendPrefix(out, rule.destination().get(), rule.destinationMask());
    }
    if (rule.in().isPresent()) {
      out.append(rule.inNegated() ? " ! -i " : " -i ").append(rule.in().get().name());
    }
    if (rule.out().isPresent()) {
      out.append(rule.outNegated() ? " ! -o " : " -o ").append(rule.out().get().name());
    }
    if (rule.protocol().isPresent()) {
      out.append(rule.protocolNegated() ? " ! -p " : " -p ").append(rule.protocol().get());
    }
    if (rule.fragment()) {
      out.append(rule.fragmentNegated() ? " ! -f" : " -f");
    }
    List<Match> matches = rule.matches();
    for (int i = 0; i < matches.size(); i++) {
      Match m = matches.get(i);
      MatchModule<Match> module = Modules.of(m);
      if (module == null) {
        throw new IllegalArgumentException(unwritable("match", m.getClass(), "-m " + m.module()));
      }
      out.append(" -m ").append(m.module());
      module.write(m, out);
    }
    if (rule.target().isPresent()) {
      writeTarget(out, rule.target().get());
    }
  }

  /** {@code -j VERDICT}, {@code -j CHAIN}, {@code -g CHAIN} or a target module's text. */
  private static void writeTarget(StringBuilder out, Target target) {
    if (target instanceof Verdict v) {
      out.append(" -j ").append(v.name());
    } else if (target instanceof Jump j) {
      out.append(" -j ").append(j.chain());
    } else if (target instanceof Goto g) {
      out.append(" -g ").append(g.chain());
    } else {
      TargetModule<Target> module = Modules.of(target);
      if (module == null) {
        throw new IllegalArgumentException(unwritable("target", target.getClass(), "-j " + target.name()));
      }
      module.write(target, out);
    }
  }

  /** Why a match or target of a type without a module cannot be written (validation says the same). */
  static String unwritable(String kind, Class<?> type, String what) {
    return what + ": no module of mlb writes the " + kind + " type " + type.getName()
        + "; add one to dev.mlb.netfilter.Modules or use Opaque" + (kind.equals("match") ? "Match" : "Target");
  }

  /** {@code address/length}, as {@link IpPrefix#toString()} writes it, without the garbage for IPv4. */
  /** {@code ADDRESS/LENGTH}, or {@code ADDRESS/MASK} for a mask that is not a run of leading ones. */
  private static void appendPrefix(StringBuilder out, IpPrefix prefix, java.util.Optional<IpAddress> mask) {
    if (mask.isPresent()) {
      out.append(prefix.address()).append('/').append(mask.get());
    } else {
      appendPrefix(out, prefix);
    }
  }

  private static void appendPrefix(StringBuilder out, IpPrefix prefix) {
    IpAddress a = prefix.address();
    if (a.family() == IpFamily.V4) {
      long v = a.low();
      out.append((v >>> 24) & 0xff).append('.').append((v >>> 16) & 0xff).append('.')
          .append((v >>> 8) & 0xff).append('.').append(v & 0xff);
    } else {
      out.append(a);
    }
    out.append('/').append(prefix.length());
  }

  private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();

  /** {@code 0x} and lower-case hexadecimal, as {@link Mark#hex} writes it. */
  static void appendHex(StringBuilder out, long v) {
    out.append("0x");
    if (v == 0) {
      out.append('0');
      return;
    }
    for (int shift = (63 - Long.numberOfLeadingZeros(v)) & ~3; shift >= 0; shift -= 4) {
      out.append(HEX_DIGITS[(int) (v >>> shift) & 0xf]);
    }
  }

  /** As {@link Mark#toString()}: the value, and the mask unless it is all ones. */
  static void appendMark(StringBuilder out, Mark mark) {
    appendHex(out, mark.value());
    if (!mark.isFullMask()) {
      out.append('/');
      appendHex(out, mark.mask());
    }
  }

  /**
   * As {@link Statistic.Random#probabilityText()}: {@code printf("%.11f")} of threshold / 2^31 with
   * round-half-even, in integers: threshold * 10^11 / 2^31 = threshold * 5^11 / 2^20.
   */
  static void appendProbability(StringBuilder out, Statistic.Random random) {
    long threshold = random.threshold();
    if (threshold < 0 || threshold > Statistic.Random.ONE) {
      out.append(random.probabilityText());   // refused by validation; only in messages
      return;
    }
    long scaled = threshold * 48_828_125L;   // 5^11; at most 2^31 * 5^11 < 2^57
    long q = scaled >>> 20;
    long r = scaled & ((1L << 20) - 1);
    long half = 1L << 19;
    if (r > half || (r == half && (q & 1) == 1)) {
      q++;
    }
    long whole = q / 100_000_000_000L;
    long fraction = q % 100_000_000_000L;
    out.append(whole).append('.');
    String digits = Long.toString(fraction);
    for (int i = digits.length(); i < 11; i++) {
      out.append('0');
    }
    out.append(digits);
  }

  /**
   * Appends {@code value} as one token the way {@code xtables_save_string} does: bare when it
   * consists only of letters, digits, {@code _} and {@code -}; otherwise in double quotes with
   * {@code "}, {@code \} and {@code '} escaped by a backslash.
   */
  static void appendSaveString(StringBuilder out, String value) {
    out.append(' ');
    if (isPlain(value)) {
      out.append(value);
      return;
    }
    out.append('"');
    appendEscaped(out, value);
    out.append('"');
  }

  /** Whether {@code value} is not empty and only letters, digits, '_' and '-'. */
  private static boolean isPlain(String value) {
    for (int i = 0; i < value.length(); i++) {
      if (!isPlain(value.charAt(i))) {
        return false;
      }
    }
    return !value.isEmpty();
  }

  private static boolean isPlain(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  }

  /**
   * The quoted indexes of {@code arguments}: those given, and every argument that cannot be
   * written bare (empty, or holding a blank or a double quote), sorted.
   */
  static ImmutableSortedSet<Integer> quotedArguments(List<String> arguments, Set<Integer> quoted) {
    ImmutableSortedSet.Builder<Integer> all = ImmutableSortedSet.naturalOrder();
    all.addAll(quoted);
    for (int i = 0; i < arguments.size(); i++) {
      if (needsQuotes(arguments.get(i))) {
        all.add(i);
      }
    }
    return all.build();
  }

  private static boolean needsQuotes(String token) {
    if (token.isEmpty()) {
      return true;
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c == ' ' || c == '\t' || c == '"') {
        return true;
      }
    }
    return false;
  }

  /** Appends the arguments of an unmodelled module or target: quoted ones as iptables-save quotes. */
  static void appendArguments(StringBuilder out, List<String> arguments, Set<Integer> quoted) {
    for (int i = 0; i < arguments.size(); i++) {
      if (quoted.contains(i)) {
        out.append(" \"");
        appendEscaped(out, arguments.get(i));
        out.append('"');
      } else {
        out.append(' ').append(arguments.get(i));
      }
    }
  }

  private static void appendEscaped(StringBuilder out, String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\' || c == '\'') {
        out.append('\\');
      }
      out.append(c);
    }
  }
}
