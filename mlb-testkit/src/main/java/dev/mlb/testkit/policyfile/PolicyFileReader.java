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
import dev.mlb.api.policy.AllDown;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Health;
import dev.mlb.api.policy.ProbeTarget;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
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
final class PolicyFileReader extends NodeReader {
  static final List<String> TOP_KEYS = List.of("family", "strategy", "uplinks", "lan", "balance", "router",
      "exclude", "sticky-inbound", "mark-mask", "foreign-mark-bits", "table-base", "priority-base",
      "chain-prefix", "rule-protocol", "health", "all-down");
  static final List<String> UPLINK_KEYS =
      List.of("name", "interface", "gateway", "gateway6", "snat", "snat6", "weight", "tier", "mark", "table", "health");
  static final List<String> HEALTH_KEYS = List.of("targets", "interval", "timeout", "down", "up", "reliability");
  static final List<String> LAN_KEYS = List.of("interfaces", "prefixes");
  static final List<String> SELECTOR_KEYS = List.of("protocol", "ports", "sources", "destinations");

  private static final Pattern PORTS = Pattern.compile("[0-9]+(-[0-9]+)?");

  /** Model field paths (first segment) to the file's key paths. */
  private static final Map<String, String> MODEL_TO_FILE = Map.ofEntries(
      Map.entry("lanInterfaces", "lan.interfaces"), Map.entry("lanPrefixes", "lan.prefixes"),
      Map.entry("balanced", "balance"), Map.entry("exclusions", "exclude"),
      Map.entry("stickyInbound", "sticky-inbound"), Map.entry("markMask", "mark-mask"),
      Map.entry("foreignMarkBits", "foreign-mark-bits"), Map.entry("tableBase", "table-base"),
      Map.entry("priorityBase", "priority-base"), Map.entry("chainPrefix", "chain-prefix"),
      Map.entry("ruleProtocol", "rule-protocol"), Map.entry("families", "family"),
      Map.entry("allDown", "all-down"));

  private Node root;

  PolicyFileReader(String source, String text) {
    super(source, text);
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
    value(top, "health", "", n -> {
      Health h = health(n, "health");
      if (h != null) {
        b.health(h);
      }
    });
    value(top, "all-down", "", n -> {
      String action = text(n, "all-down", "main or keep-last");
      if (action != null) {
        switch (action) {
          case "main" -> b.allDown(AllDown.MAIN);
          case "keep-last" -> b.allDown(AllDown.KEEP_LAST);
          default -> error(n, "all-down", "expected main or keep-last, got " + got(n));
        }
      }
    });
    return b;
  }

  /** A health block: the policy's defaults or an uplink's overrides; {@code null} after errors. */
  private Health health(Node node, String path) {
    Map<String, Node> m = mapping(node, path,
        "a mapping of targets, interval, timeout, down, up and reliability", HEALTH_KEYS);
    if (m == null) {
      return null;
    }
    int before = errors.size();
    Health.Builder h = Health.builder();
    value(m, "targets", path, n -> {
      nonEmpty(n, path + ".targets", "leave the key out to probe the gateway");
      each(n, path + ".targets", "a list of probe targets",
          "an address (ICMP echo) or tcp:ADDRESS:PORT", ProbeTarget::parse, h::addTargets);
    });
    value(m, "interval", path, n -> {
      java.time.Duration d = duration(n, path + ".interval");
      if (d != null) {
        h.interval(d);
      }
    });
    value(m, "timeout", path, n -> {
      java.time.Duration d = duration(n, path + ".timeout");
      if (d != null) {
        h.timeout(d);
      }
    });
    for (String key : List.of("down", "up", "reliability")) {
      value(m, key, path, n -> {
        Integer v = integer(n, path + "." + key, key.equals("reliability")
            ? "a number of targets, at least 1" : "a number of rounds 1 to 100");
        if (v != null) {
          switch (key) {
            case "down" -> h.down(v);
            case "up" -> h.up(v);
            default -> h.reliability(v);
          }
        }
      });
    }
    return errors.size() == before ? h.build() : null;
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
    value(m, "tier", path, n -> {
      Integer tier = integer(n, path + ".tier", "a tier 1 (the best) to 100");
      if (tier != null) {
        u.tier(tier);
      }
    });
    value(m, "health", path, n -> {
      Health h = health(n, path + ".health");
      if (h != null) {
        u.health(h);
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

}
