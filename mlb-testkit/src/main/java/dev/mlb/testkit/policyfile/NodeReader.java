package dev.mlb.testkit.policyfile;

import dev.mlb.api.Mark;
import dev.mlb.api.ParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Reading YAML nodes into typed values, each problem recorded as a {@link ParseException} at its
 * node (line, column, the line's text) with the file's key path: what {@link PolicyFileReader}
 * builds on. Typed readers return {@code null} after recording why a node holds no such value.
 */
abstract class NodeReader {
  static final Pattern DECIMAL = Pattern.compile("-?(0|[1-9][0-9]*)");
  static final Pattern LEADING_ZERO = Pattern.compile("-?0[0-9]+");
  static final Pattern HEX = Pattern.compile("0x[0-9a-fA-F]+");
  static final Pattern DURATION = Pattern.compile("(0|[1-9][0-9]{0,8})(ms|s|m|h)");

  final String source;
  final String text;
  final String[] lines;
  final List<ParseException> errors = new ArrayList<>();
  /** The node each file path ({@code uplinks[1].weight}) was read from. */
  final Map<String, Node> nodes = new HashMap<>();

  NodeReader(String source, String text) {
    this.source = source == null ? "" : source;
    this.text = text;
    this.lines = text.split("\\r\\n|\\r|\\n", -1);
  }

  void nonEmpty(Node n, String path, String hint) {
    if (n instanceof SequenceNode s && s.getValue().isEmpty()) {
      error(n, path, "empty list; " + hint);
    }
  }

  // ---- typed values -----------------------------------------------------------------------

  /** Reads {@code key} of {@code m} (if present) with {@code reader}, recording where it was. */
  void value(Map<String, Node> m, String key, String parent, java.util.function.Consumer<Node> reader) {
    Node n = m.get(key);
    if (n != null) {
      nodes.put(parent.isEmpty() ? key : parent + "." + key, n);
      reader.accept(n);
    }
  }

  /**
   * The entries of a mapping node, after recording every unknown or repeated key; {@code null} if
   * {@code node} is no mapping.
   */
  Map<String, Node> mapping(Node node, String path, String expected, List<String> allowed) {
    if (!(node instanceof MappingNode mapping)) {
      error(node, path, "expected " + expected + ", got " + got(node));
      return null;
    }
    nodes.put(path, node);
    Map<String, Node> out = new LinkedHashMap<>();
    Map<String, Node> keys = new HashMap<>();
    for (NodeTuple t : mapping.getValue()) {
      Node keyNode = t.getKeyNode();
      if (!(keyNode instanceof ScalarNode k)) {
        error(keyNode, path, "expected a key name, got " + got(keyNode));
        continue;
      }
      String key = k.getValue();
      if (!allowed.contains(key)) {
        String suggestion = closest(key, allowed);
        error(keyNode, path, "unknown key " + quote(key)
            + (suggestion == null ? "" : " (did you mean \"" + suggestion + "\"?)")
            + "; expected " + oneOf(allowed));
        continue;
      }
      Node first = keys.putIfAbsent(key, keyNode);
      if (first != null) {
        error(keyNode, path, "duplicate key " + quote(key) + "; it is already set on line " + lineOf(first));
        continue;
      }
      out.put(key, t.getValueNode());
    }
    return out;
  }

  List<Node> list(Node node, String path, String expected) {
    if (!(node instanceof SequenceNode s)) {
      error(node, path, "expected " + expected + ", got " + got(node));
      return null;
    }
    return s.getValue();
  }

  /** Each item of a list, parsed as text by {@code parser} and handed to {@code sink}. */
  <T> void each(Node node, String path, String expected, String itemExpected,
      Function<String, T> parser, java.util.function.Consumer<T> sink) {
    List<Node> items = list(node, path, expected);
    for (int i = 0; items != null && i < items.size(); i++) {
      String itemPath = path + "[" + i + "]";
      nodes.put(itemPath, items.get(i));
      T value = parsed(items.get(i), itemPath, itemExpected, parser);
      if (value != null) {
        sink.accept(value);
      }
    }
  }

  /**
   * A scalar parsed by one of mlb-api's parsers; their {@link IllegalArgumentException} message
   * (which names the value and what was expected) becomes the problem. A parser that throws
   * without a message gets the generic "expected ..., got ...".
   */
  <T> T parsed(Node n, String path, String expected, Function<String, T> parser) {
    String text = text(n, path, expected);
    if (text == null) {
      return null;
    }
    try {
      return parser.apply(text);
    } catch (IllegalArgumentException e) {
      error(n, path, e.getMessage() == null ? "expected " + expected + ", got " + got(n) : e.getMessage());
      return null;
    }
  }

  /** A scalar's text as written; {@code null} (recorded) for a collection or an empty/null value. */
  String text(Node n, String path, String expected) {
    if (!(n instanceof ScalarNode s) || isNull(n)) {
      error(n, path, "expected " + expected + ", got " + got(n));
      return null;
    }
    return s.getValue();
  }

  Integer integer(Node n, String path, String expected) {
    String text = number(n, path, expected, DECIMAL);
    if (text == null) {
      return null;
    }
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      error(n, path, "expected " + expected + ", got " + got(n));
      return null;
    }
  }

  Long u32(Node n, String path, String expected) {
    String text = number(n, path, expected, HEX);
    if (text == null) {
      return null;
    }
    try {
      return Mark.parseU32(text);
    } catch (IllegalArgumentException e) {
      error(n, path, "expected " + expected + ", got " + got(n) + " (more than 32 bits)");
      return null;
    }
  }

  /** The text of a plain decimal (or {@code alternative}) number; {@code null} (recorded) if it is none. */
  String number(Node n, String path, String expected, Pattern alternative) {
    String text = text(n, path, expected);
    if (text == null) {
      return null;
    }
    ScalarNode s = (ScalarNode) n;
    if (!s.isPlain()) {
      error(n, path, "expected " + expected + ", got the quoted text " + quote(text));
      return null;
    }
    if (LEADING_ZERO.matcher(text).matches()) {
      error(n, path, "expected " + expected + ", got " + quote(text) + " (leading zeros are not allowed)");
      return null;
    }
    if (!DECIMAL.matcher(text).matches() && !alternative.matcher(text).matches()) {
      error(n, path, "expected " + expected + ", got " + got(n));
      return null;
    }
    return text;
  }

  /** A duration written as a whole number and a unit: {@code 500ms}, {@code 1s}, {@code 2m}, {@code 1h}. */
  java.time.Duration duration(Node n, String path) {
    String expected = "a duration such as 1s or 500ms (a whole number and ms, s, m or h)";
    String text = text(n, path, expected);
    if (text == null) {
      return null;
    }
    java.util.regex.Matcher m = DURATION.matcher(text);
    if (!m.matches()) {
      error(n, path, "expected " + expected + ", got " + got(n));
      return null;
    }
    return durationOf(m);
  }

  /** The duration {@link #DURATION} matched. */
  static java.time.Duration durationOf(java.util.regex.Matcher m) {
    long v = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> java.time.Duration.ofMillis(v);
      case "s" -> java.time.Duration.ofSeconds(v);
      case "m" -> java.time.Duration.ofMinutes(v);
      default -> java.time.Duration.ofHours(v);
    };
  }

  Boolean bool(Node n, String path) {
    if (n instanceof ScalarNode s && s.isPlain() && s.getTag().equals(Tag.BOOL)) {
      return s.getValue().equalsIgnoreCase("true");
    }
    error(n, path, "expected true or false, got " + got(n));
    return null;
  }

  static boolean isNull(Node n) {
    return n instanceof ScalarNode s && s.isPlain() && s.getTag().equals(Tag.NULL);
  }

  /** How a node is named in "got ...": a list, a mapping, an empty value, or its quoted text. */
  static String got(Node n) {
    if (n instanceof SequenceNode) {
      return "a list";
    }
    if (n instanceof MappingNode) {
      return "a mapping";
    }
    ScalarNode s = (ScalarNode) n;
    if (isNull(n)) {
      return s.getValue().isEmpty() ? "an empty value"
          : s.getValue().equals("null") ? "null" : "null (" + s.getValue() + ")";
    }
    return quote(s.getValue());
  }

  // ---- errors -----------------------------------------------------------------------------

  void error(Node node, String path, String problem) {
    error(node.getStartMark(), path, problem);
  }

  void error(Optional<org.snakeyaml.engine.v2.exceptions.Mark> mark, String path, String problem) {
    int line = mark.map(m -> m.getLine() + 1).orElse(1);
    String lineText = line(line);
    int codePoints = mark.map(org.snakeyaml.engine.v2.exceptions.Mark::getColumn).orElse(0);
    int column = lineText.offsetByCodePoints(0, Math.min(codePoints, lineText.codePointCount(0, lineText.length())))
        + 1;
    errors.add(new ParseException(source, line, column, path.isEmpty() ? problem : path + ": " + problem,
        lineText));
  }

  /** Throws the first recorded error in file order, the others attached as suppressed. */
  void throwErrors() {
    if (errors.isEmpty()) {
      return;
    }
    List<ParseException> sorted = new ArrayList<>(errors);
    sorted.sort(Comparator.comparingInt(ParseException::line).thenComparingInt(ParseException::column));
    ParseException first = sorted.get(0);
    for (ParseException other : sorted.subList(1, sorted.size())) {
      first.addSuppressed(other);
    }
    throw first;
  }

  String line(int line) {
    return line >= 1 && line <= lines.length ? lines[line - 1] : "";
  }

  int lineOf(Node n) {
    return n.getStartMark().map(m -> m.getLine() + 1).orElse(1);
  }

  int[] lineColumnOfCodePoint(int index) {
    int line = 1;
    int column = 1;
    int cp = 0;
    for (int i = 0; i < text.length() && cp < index; cp++) {
      int c = text.codePointAt(i);
      i += Character.charCount(c);
      if (c == '\n' || (c == '\r' && (i >= text.length() || text.charAt(i) != '\n'))) {
        line++;
        column = 1;
      } else if (c != '\r') {
        column += Character.charCount(c);
      }
    }
    return new int[] {line, column};
  }

  static String quote(String text) {
    StringBuilder s = new StringBuilder(text.length() + 2).append('"');
    text.codePoints().forEach(c -> {
      if (c == '"' || c == '\\') {
        s.append('\\').appendCodePoint(c);
      } else if (c < 0x20 || c == 0x7f) {
        s.append(String.format("\\u%04x", c));
      } else {
        s.appendCodePoint(c);
      }
    });
    return s.append('"').toString();
  }

  static String oneOf(List<String> words) {
    return String.join(", ", words.subList(0, words.size() - 1)) + " or " + words.get(words.size() - 1);
  }

  /** The allowed key nearest to {@code key} (edit distance at most 2), if any. */
  static String closest(String key, List<String> allowed) {
    String best = null;
    int bestDistance = 3;
    for (String a : allowed) {
      int d = distance(key.toLowerCase(java.util.Locale.ROOT).replace('_', '-'), a);
      if (d < bestDistance) {
        best = a;
        bestDistance = d;
      }
    }
    return best;
  }

  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
