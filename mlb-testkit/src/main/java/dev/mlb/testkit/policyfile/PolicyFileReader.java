package dev.mlb.testkit.policyfile;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.ParseException;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import dev.mlb.api.ValidationException;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.events.AliasEvent;
import org.snakeyaml.engine.v2.events.CollectionStartEvent;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.events.NodeEvent;
import org.snakeyaml.engine.v2.events.ScalarEvent;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.ReaderException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Reads one policy file (see {@link PolicyFile} for the format): YAML events first (syntax, and
 * the refused anchors, aliases, tags and extra documents), then the composed node tree into a
 * {@link BalancingPolicy.Builder}, then the policy's own validation. Every problem becomes a
 * {@link ParseException} at the node it is about; a stage with problems ends the reading.
 */
final class PolicyFileReader {
  static final List<String> TOP_KEYS = List.of("family", "strategy", "uplinks", "lan", "balance", "router",
      "exclude", "sticky-inbound", "mark-mask", "foreign-mark-bits", "table-base", "priority-base",
      "chain-prefix", "rule-protocol");
  static final List<String> UPLINK_KEYS =
      List.of("name", "interface", "gateway", "gateway6", "snat", "snat6", "weight", "mark", "table");
  static final List<String> LAN_KEYS = List.of("interfaces", "prefixes");
  static final List<String> SELECTOR_KEYS = List.of("protocol", "ports", "sources", "destinations");

  private static final Pattern DECIMAL = Pattern.compile("-?(0|[1-9][0-9]*)");
  private static final Pattern LEADING_ZERO = Pattern.compile("-?0[0-9]+");
  private static final Pattern HEX = Pattern.compile("0x[0-9a-fA-F]+");
  private static final Pattern PORTS = Pattern.compile("[0-9]+(-[0-9]+)?");

  /** Model field paths (first segment) to the file's key paths. */
  private static final Map<String, String> MODEL_TO_FILE = Map.ofEntries(
      Map.entry("lanInterfaces", "lan.interfaces"), Map.entry("lanPrefixes", "lan.prefixes"),
      Map.entry("balanced", "balance"), Map.entry("exclusions", "exclude"),
      Map.entry("stickyInbound", "sticky-inbound"), Map.entry("markMask", "mark-mask"),
      Map.entry("foreignMarkBits", "foreign-mark-bits"), Map.entry("tableBase", "table-base"),
      Map.entry("priorityBase", "priority-base"), Map.entry("chainPrefix", "chain-prefix"),
      Map.entry("ruleProtocol", "rule-protocol"), Map.entry("families", "family"));

  private final String source;
  private final String text;
  private final String[] lines;
  private final List<ParseException> errors = new ArrayList<>();
  /** The node each file path ({@code uplinks[1].weight}) was read from. */
  private final Map<String, Node> nodes = new HashMap<>();
  private Node root;

  PolicyFileReader(String source, String text) {
    this.source = source == null ? "" : source;
    this.text = text;
    this.lines = text.split("\r\n|\r|\n", -1);
  }

  BalancingPolicy read() {
    LoadSettings settings = LoadSettings.builder()
        .setLabel(source)
        .setSchema(new CoreSchema())
        .setAllowNonScalarKeys(true)
        .build();
    if (!checkEvents(settings)) {
      throwErrors();
    }
    try {
      // (not api.lowlevel.Compose: snakeyaml-engine's module does not export that package)
      root = new Composer(settings, new ParserImpl(settings, new StreamReader(settings, text)))
          .getSingleNode().orElse(null);
    } catch (MarkedYamlEngineException e) {
      // not expected after the event check; reported like a syntax error all the same
      error(e.getProblemMark(), "", "YAML: " + e.getProblem());
      throwErrors();
    }
    if (root == null || isNull(root)) {
      throw new ParseException(source, 1, 1,
          "the policy file is empty; expected a mapping with at least uplinks and lan", lines[0]);
    }
    BalancingPolicy.Builder builder = policy(root);
    throwErrors();
    try {
      return builder.build();
    } catch (ValidationException e) {
      for (Finding f : e.findings()) {
        if (f.isError()) {
          String path = filePath(f.location());
          error(nodeAt(path), path, f.message());
        }
      }
      throwErrors();
      throw e; // not reached: validation reports at least one error
    }
  }

  /** The file's key path for a model field path: {@code lanPrefixes[0]} is {@code lan.prefixes[0]}. */
  static String filePath(String modelPath) {
    int end = 0;
    while (end < modelPath.length() && modelPath.charAt(end) != '.' && modelPath.charAt(end) != '[') {
      end++;
    }
    String first = modelPath.substring(0, end);
    String rest = modelPath.substring(end);
    if (first.equals("uplinks")) {
      rest = rest.replaceFirst("^(\\[[0-9]+\\])\\.iface$", "$1.interface");
    }
    return MODEL_TO_FILE.getOrDefault(first, first) + rest;
  }

  /** The node read for {@code path}, or for the nearest enclosing path that was read. */
  private Node nodeAt(String path) {
    String p = path;
    while (!p.isEmpty()) {
      Node n = nodes.get(p);
      if (n != null) {
        return n;
      }
      p = p.substring(0, Math.max(0, Math.max(p.lastIndexOf('.'), p.lastIndexOf('['))));
    }
    return root;
  }

  // ---- stage 1: events --------------------------------------------------------------------

  /** Whether the text is one well-formed document of plain YAML; records what is not. */
  private boolean checkEvents(LoadSettings settings) {
    int documents = 0;
    try {
      ParserImpl parser = new ParserImpl(settings, new StreamReader(settings, text));
      while (parser.hasNext()) {
        Event e = parser.next();
        switch (e.getEventId()) {
          case DocumentStart:
            if (++documents == 2) {
              error(e.getStartMark(), "",
                  "a second YAML document; a policy file holds exactly one (no '---' between documents)");
            }
            break;
          case Alias:
            error(e.getStartMark(), "",
                "alias *" + ((AliasEvent) e).getAlias().getValue()
                    + " is not allowed in a policy file; write the value out");
            break;
          case Scalar:
          case SequenceStart:
          case MappingStart:
            NodeEvent n = (NodeEvent) e;
            n.getAnchor().ifPresent(a -> error(e.getStartMark(), "",
                "anchor &" + a.getValue() + " is not allowed in a policy file; write each value where it is used"));
            Optional<String> tag = e instanceof ScalarEvent s ? s.getTag() : ((CollectionStartEvent) e).getTag();
            tag.ifPresent(t -> error(e.getStartMark(), "",
                "tag " + shortTag(t) + " is not allowed in a policy file; write plain values"));
            break;
          default:
            break;
        }
      }
    } catch (MarkedYamlEngineException e) {
      Optional<org.snakeyaml.engine.v2.exceptions.Mark> at =
          e.getProblemMark().isPresent() ? e.getProblemMark() : e.getContextMark();
      String context = e.getContext() == null || e.getContextMark().isEmpty()
          ? ""
          : " (" + e.getContext() + " at line " + (e.getContextMark().get().getLine() + 1) + ", column "
              + (e.getContextMark().get().getColumn() + 1) + ")";
      error(at, "", "YAML syntax: " + e.getProblem() + context);
    } catch (ReaderException e) {
      int[] lineColumn = lineColumnOfCodePoint(e.getPosition());
      errors.add(new ParseException(source, lineColumn[0], lineColumn[1],
          String.format("character U+%04X is not allowed in YAML", e.getCodePoint()), line(lineColumn[0])));
    } catch (YamlEngineException e) {
      errors.add(new ParseException(source, 1, 1, "YAML: " + e.getMessage(), lines[0]));
    }
    if (errors.isEmpty() && documents == 0) {
      throw new ParseException(source, 1, 1,
          "the policy file is empty; expected a mapping with at least uplinks and lan", lines[0]);
    }
    return errors.isEmpty();
  }

  private static String shortTag(String tag) {
    return tag.startsWith(Tag.PREFIX) ? "!!" + tag.substring(Tag.PREFIX.length()) : tag;
  }

  // ---- stage 2: the node tree -------------------------------------------------------------

  private BalancingPolicy.Builder policy(Node node) {
    BalancingPolicy.Builder b = BalancingPolicy.builder();
    Map<String, Node> top = mapping(node, "", "a mapping of policy keys (uplinks, lan, ...)", TOP_KEYS);
    if (top == null) {
      return b;
    }
    value(top, "family", "", n -> {
      String f = text(n, "family", "ipv4, ipv6 or both");
      switch (f == null ? "" : f) {
        case "ipv4" -> b.families(List.of(IpFamily.V4));
        case "ipv6" -> b.families(List.of(IpFamily.V6));
        case "both" -> b.families(List.of(IpFamily.V4, IpFamily.V6));
        default -> {
          if (f != null) {
            error(n, "family", "expected ipv4, ipv6 or both, got " + got(n));
          }
        }
      }
    });
    value(top, "strategy", "", n -> {
      String s = text(n, "strategy", "nth, random or multipath");
      if (s == null) {
        return;
      }
      switch (s) {
        case "nth" -> b.strategy(Strategy.NTH);
        case "random" -> b.strategy(Strategy.RANDOM);
        case "multipath" -> b.strategy(Strategy.MULTIPATH);
        default -> error(n, "strategy", "expected nth, random or multipath, got " + got(n));
      }
    });
    value(top, "uplinks", "", n -> {
      List<Node> items = list(n, "uplinks", "a list of uplinks");
      for (int i = 0; items != null && i < items.size(); i++) {
        Uplink u = uplink(items.get(i), "uplinks[" + i + "]");
        if (u != null) {
          b.addUplinks(u);
        }
      }
    });
    value(top, "lan", "", n -> {
      Map<String, Node> lan = mapping(n, "lan", "a mapping of interfaces and prefixes", LAN_KEYS);
      if (lan == null) {
        return;
      }
      value(lan, "interfaces", "lan", v -> each(v, "lan.interfaces", "a list of interface names",
          "an interface name such as eth0", InterfaceName::of, b::addLanInterfaces));
      value(lan, "prefixes", "lan", v -> each(v, "lan.prefixes", "a list of prefixes",
          "a prefix such as 192.0.2.0/24", IpPrefix::parse, b::addLanPrefixes));
    });
    value(top, "balance", "", n -> b.balanced(selectors(n, "balance",
        "leave the key out to balance every new LAN connection")));
    value(top, "router", "", n -> b.router(selectors(n, "router", null)));
    value(top, "exclude", "", n -> b.exclusions(selectors(n, "exclude", null)));
    value(top, "sticky-inbound", "", n -> {
      Boolean sticky = bool(n, "sticky-inbound");
      if (sticky != null) {
        b.stickyInbound(sticky);
      }
    });
    value(top, "mark-mask", "", n -> {
      if (n instanceof ScalarNode sc && sc.isPlain() && sc.getValue().equals("auto")) {
        b.autoMarkMask(true);
        return;
      }
      Long mask = u32(n, "mark-mask", "a 32-bit mask in decimal or 0x hex, such as 0x0f000000, or auto");
      if (mask != null) {
        b.markMask(mask);
      }
    });
    value(top, "foreign-mark-bits", "", n -> {
      Long bits = u32(n, "foreign-mark-bits", "32-bit mark bits in decimal or 0x hex, such as 0xff");
      if (bits != null) {
        b.foreignMarkBits(bits);
      }
    });
    value(top, "table-base", "", n -> {
      Integer base = integer(n, "table-base", "a table number 1 to 2147483647");
      if (base != null) {
        b.tableBase(base);
      }
    });
    value(top, "priority-base", "", n -> {
      Integer base = integer(n, "priority-base", "an integer 1 to 32000");
      if (base != null) {
        b.priorityBase(base);
      }
    });
    value(top, "chain-prefix", "", n -> {
      String prefix = text(n, "chain-prefix", "a chain prefix such as mlb");
      if (prefix != null) {
        b.chainPrefix(prefix);
      }
    });
    value(top, "rule-protocol", "", n -> {
      Integer protocol = integer(n, "rule-protocol", "an integer 5 to 255");
      if (protocol != null) {
        b.ruleProtocol(protocol);
      }
    });
    return b;
  }

  private Uplink uplink(Node node, String path) {
    Map<String, Node> m = mapping(node, path, "a mapping with the uplink's name and interface", UPLINK_KEYS);
    if (m == null) {
      return null;
    }
    Uplink.Builder u = Uplink.builder();
    int before = errors.size();
    for (String required : List.of("name", "interface")) {
      if (!m.containsKey(required)) {
        error(node, path, "missing key \"" + required + "\"; an uplink needs a name and an interface");
      }
    }
    value(m, "name", path, n -> {
      String name = text(n, path + ".name", "an uplink name such as isp1");
      if (name != null) {
        u.name(name);
      }
    });
    value(m, "interface", path, n -> {
      InterfaceName iface = parsed(n, path + ".interface", "an interface name such as ppp0", InterfaceName::of);
      if (iface != null) {
        u.iface(iface);
      }
    });
    value(m, "gateway", path, n -> address(n, path + ".gateway", "an IPv4 address").ifPresent(u::gateway));
    value(m, "gateway6", path, n -> address(n, path + ".gateway6", "an IPv6 address").ifPresent(u::gateway6));
    value(m, "snat", path, n -> address(n, path + ".snat", "an IPv4 address").ifPresent(u::snat));
    value(m, "snat6", path, n -> address(n, path + ".snat6", "an IPv6 address").ifPresent(u::snat6));
    value(m, "weight", path, n -> {
      Integer weight = integer(n, path + ".weight", "an integer 1 to 256");
      if (weight != null) {
        u.weight(weight);
      }
    });
    value(m, "mark", path, n -> {
      Long mark = u32(n, path + ".mark", "a mark in decimal or 0x hex, such as 0x100");
      if (mark != null) {
        u.mark(mark);
      }
    });
    value(m, "table", path, n -> {
      Integer table = integer(n, path + ".table", "a table number 1 to 2147483647");
      if (table != null) {
        u.table(table);
      }
    });
    return errors.size() == before ? u.build() : null;
  }

  private Optional<IpAddress> address(Node n, String path, String expected) {
    return Optional.ofNullable(parsed(n, path, expected, IpAddress::parse));
  }

  private List<TrafficSelector> selectors(Node node, String path, String emptyHint) {
    List<TrafficSelector> out = new ArrayList<>();
    List<Node> items = list(node, path, "a list of traffic selectors");
    if (items == null) {
      return out;
    }
    if (items.isEmpty() && emptyHint != null) {
      error(node, path, "empty list; " + emptyHint);
    }
    for (int i = 0; i < items.size(); i++) {
      TrafficSelector s = selector(items.get(i), path + "[" + i + "]");
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  private TrafficSelector selector(Node node, String path) {
    Map<String, Node> m =
        mapping(node, path, "a mapping of protocol, ports, sources and destinations ({} for all)", SELECTOR_KEYS);
    if (m == null) {
      return null;
    }
    int before = errors.size();
    List<Optional<Protocol>> protocol = new ArrayList<>(List.of(Optional.empty()));
    List<PortRange> ports = new ArrayList<>();
    List<IpPrefix> sources = new ArrayList<>();
    List<IpPrefix> destinations = new ArrayList<>();
    value(m, "protocol", path, n -> {
      String p = text(n, path + ".protocol", "a protocol name or number such as tcp");
      if (p == null) {
        return;
      }
      if (Protocol.isAny(p)) {
        error(n, path + ".protocol", quote(p) + " means any protocol; leave the key out");
        return;
      }
      Protocol parsed = parsed(n, path + ".protocol", "a protocol", Protocol::parse);
      protocol.set(0, Optional.ofNullable(parsed));
    });
    value(m, "ports", path, n -> {
      nonEmpty(n, path + ".ports", "leave the key out for any port");
      each(n, path + ".ports", "a list of ports", "a port 0 to 65535 or a range \"FIRST-LAST\"", text -> {
        if (!PORTS.matcher(text).matches()) {
          throw new IllegalArgumentException(); // no message: the generic one
        }
        return PortRange.parse(text);
      }, ports::add);
    });
    value(m, "sources", path, n -> {
      nonEmpty(n, path + ".sources", "leave the key out for any source");
      each(n, path + ".sources", "a list of prefixes", "a prefix such as 192.0.2.0/24", IpPrefix::parse,
          sources::add);
    });
    value(m, "destinations", path, n -> {
      nonEmpty(n, path + ".destinations", "leave the key out for any destination");
      each(n, path + ".destinations", "a list of prefixes", "a prefix such as 203.0.113.0/24", IpPrefix::parse,
          destinations::add);
    });
    if (errors.size() != before) {
      return null;
    }
    try {
      return new TrafficSelector(protocol.get(0), ImmutableList.copyOf(ports), ImmutableList.copyOf(sources),
          ImmutableList.copyOf(destinations));
    } catch (IllegalArgumentException e) {
      error(m.getOrDefault("ports", node), path + ".ports", e.getMessage());
      return null;
    }
  }

  private void nonEmpty(Node n, String path, String hint) {
    if (n instanceof SequenceNode s && s.getValue().isEmpty()) {
      error(n, path, "empty list; " + hint);
    }
  }

  // ---- typed values -----------------------------------------------------------------------

  /** Reads {@code key} of {@code m} (if present) with {@code reader}, recording where it was. */
  private void value(Map<String, Node> m, String key, String parent, java.util.function.Consumer<Node> reader) {
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
  private Map<String, Node> mapping(Node node, String path, String expected, List<String> allowed) {
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

  private List<Node> list(Node node, String path, String expected) {
    if (!(node instanceof SequenceNode s)) {
      error(node, path, "expected " + expected + ", got " + got(node));
      return null;
    }
    return s.getValue();
  }

  /** Each item of a list, parsed as text by {@code parser} and handed to {@code sink}. */
  private <T> void each(Node node, String path, String expected, String itemExpected,
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
  private <T> T parsed(Node n, String path, String expected, Function<String, T> parser) {
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
  private String text(Node n, String path, String expected) {
    if (!(n instanceof ScalarNode s) || isNull(n)) {
      error(n, path, "expected " + expected + ", got " + got(n));
      return null;
    }
    return s.getValue();
  }

  private Integer integer(Node n, String path, String expected) {
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

  private Long u32(Node n, String path, String expected) {
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
  private String number(Node n, String path, String expected, Pattern alternative) {
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

  private Boolean bool(Node n, String path) {
    if (n instanceof ScalarNode s && s.isPlain() && s.getTag().equals(Tag.BOOL)) {
      return s.getValue().equalsIgnoreCase("true");
    }
    error(n, path, "expected true or false, got " + got(n));
    return null;
  }

  private static boolean isNull(Node n) {
    return n instanceof ScalarNode s && s.isPlain() && s.getTag().equals(Tag.NULL);
  }

  /** How a node is named in "got ...": a list, a mapping, an empty value, or its quoted text. */
  private static String got(Node n) {
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

  private void error(Node node, String path, String problem) {
    error(node.getStartMark(), path, problem);
  }

  private void error(Optional<org.snakeyaml.engine.v2.exceptions.Mark> mark, String path, String problem) {
    int line = mark.map(m -> m.getLine() + 1).orElse(1);
    String lineText = line(line);
    int codePoints = mark.map(org.snakeyaml.engine.v2.exceptions.Mark::getColumn).orElse(0);
    int column = lineText.offsetByCodePoints(0, Math.min(codePoints, lineText.codePointCount(0, lineText.length())))
        + 1;
    errors.add(new ParseException(source, line, column, path.isEmpty() ? problem : path + ": " + problem,
        lineText));
  }

  /** Throws the first recorded error in file order, the others attached as suppressed. */
  private void throwErrors() {
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

  private String line(int line) {
    return line >= 1 && line <= lines.length ? lines[line - 1] : "";
  }

  private int lineOf(Node n) {
    return n.getStartMark().map(m -> m.getLine() + 1).orElse(1);
  }

  private int[] lineColumnOfCodePoint(int index) {
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

  private static String oneOf(List<String> words) {
    return String.join(", ", words.subList(0, words.size() - 1)) + " or " + words.get(words.size() - 1);
  }

  /** The allowed key nearest to {@code key} (edit distance at most 2), if any. */
  private static String closest(String key, List<String> allowed) {
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

  private static int distance(String a, String b) {
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
