package dev.mlb.iproute;

import com.google.common.collect.ImmutableSet;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.Numbers;
import dev.mlb.api.ParseException;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what {@code ip -json rule show} and {@code ip -json route show table all} print into a
 * {@link RoutingPlan}, so a live router can be compared with a plan.
 *
 * <pre>{@code
 * RoutingPlan live = IpJsonParser.parse(
 *     "[{\"priority\":100,\"src\":\"all\",\"fwmark\":\"0x1\",\"fwmask\":\"0xff\",\"table\":\"101\"}]",
 *     "[{\"dst\":\"default\",\"gateway\":\"192.0.2.1\",\"dev\":\"ppp0\",\"table\":\"101\",\"flags\":[]}]",
 *     IpFamily.V4);
 * IpBatchWriter.render(live);   // a batch that recreates them
 * }</pre>
 *
 * <p>Keys are read as iproute2 6.1 prints them. Only entries of {@code family} are kept: {@code ip
 * route show table all} lists both families. What the kernel reports but a batch does not say is
 * dropped: {@code "pref":"medium"} of IPv6 routes, the {@code dev lo} the kernel gives IPv6
 * reject routes, the {@code linkdown}/{@code dead} state flags and {@code iif_detached} /
 * {@code oif_detached}. An entry with any other key mlb does not model goes to
 * {@link RoutingPlan#unmodelledJson()} as it was. Use {@link RoutingPlan#withoutKernelEntries()}
 * to drop what the kernel made itself. The plan has no owner; set one with
 * {@code RoutingPlan.builder().from(plan).owner(...)}.
 */
public final class IpJsonParser {
  private static final Pattern POSITION = Pattern.compile("line (\\d+) column (\\d+)");

  private static final ImmutableSet<String> RULE_KEYS =
      ImmutableSet.of("priority", "not", "src", "srclen", "dst", "dstlen", "fwmark", "fwmask", "iif",
          "iif_detached", "oif", "oif_detached", "ipproto", "sport", "sport_start", "sport_end", "dport",
          "dport_start", "dport_end", "table", "action", "goto", "nop", "suppress_prefixlen",
          "suppress_ifgroup", "protocol");
  private static final ImmutableSet<String> ROUTE_KEYS =
      ImmutableSet.of("type", "dst", "gateway", "dev", "table", "protocol", "scope", "prefsrc", "metric",
          "flags", "nexthops", "pref");
  private static final ImmutableSet<String> STATE_FLAGS = ImmutableSet.of("linkdown", "dead");

  private final String source;
  private final IpFamily family;

  private IpJsonParser(String source, IpFamily family) {
    this.source = source;
    this.family = family;
  }

  /**
   * Parses the two outputs (either may be empty or {@code []}).
   *
   * @throws ParseException if the text is not JSON, or a value is not what {@code ip} prints there;
   *     the message names the entry ({@code rules[3]}) and the key
   */
  public static RoutingPlan parse(String rulesJson, String routesJson, IpFamily family) {
    return parse("ip -json", rulesJson, routesJson, family);
  }

  /** As {@link #parse(String, String, IpFamily)}, naming {@code source} in messages. */
  public static RoutingPlan parse(String source, String rulesJson, String routesJson, IpFamily family) {
    IpJsonParser p = new IpJsonParser(source, family);
    RoutingPlan.Builder plan = RoutingPlan.builder().family(family);
    List<Entry> rules = p.entries("rules", rulesJson);
    for (Entry e : rules) {
      p.rule(e, plan);
    }
    for (Entry e : p.entries("routes", routesJson)) {
      p.route(e, plan);
    }
    return plan.build();
  }

  /**
   * Parses one text holding {@code ip -json rule show} and/or {@code ip -json route show table all}
   * output, one array after the other (as {@code { ip -json rule show; ip -json route show table
   * all; } > FILE} writes them): an entry with a {@code priority} is a rule, one with a {@code dst}
   * a route. This is what {@code mlb fmt --format ip-json FILE} reads.
   *
   * @throws ParseException naming the line and column of the offending entry
   */
  public static RoutingPlan parseOutput(String source, String json, IpFamily family) {
    IpJsonParser p = new IpJsonParser(source, family);
    RoutingPlan.Builder plan = RoutingPlan.builder().family(family);
    for (Entry e : p.entries("entries", json)) {
      if (e.object().has("priority")) {
        p.rule(e, plan);
      } else if (e.object().has("dst")) {
        p.route(e, plan);
      } else {
        throw new ParseException(source, e.line(), e.column(),
            e.name() + ": neither a rule (no \"priority\") nor a route (no \"dst\")", e.text());
      }
    }
    return plan.build();
  }

  private record Entry(String name, JsonObject object, int line, int column, String text) {}

  private List<Entry> entries(String what, String json) {
    List<Entry> out = new ArrayList<>();
    if (json == null || json.isBlank()) {
      return out;
    }
    String[] lines = json.split("\n", -1);
    try (JsonReader reader = new JsonReader(new StringReader(json))) {
      reader.setStrictness(Strictness.LENIENT); // several top-level arrays, one after the other
      int i = 0;
      while (reader.peek() != JsonToken.END_DOCUMENT) {
        int[] at = position(reader);
        if (reader.peek() != JsonToken.BEGIN_ARRAY) {
          throw new ParseException(source, at[0], at[1],
              what + ": expected a JSON array as ip -json prints it", lines[at[0] - 1]);
        }
        reader.beginArray();
        while (reader.hasNext()) {
          at = position(reader);
          JsonElement e = JsonParser.parseReader(reader);
          String name = what + "[" + i + "]";
          if (!e.isJsonObject()) {
            throw new ParseException(source, at[0], at[1], name + ": expected a JSON object", lines[at[0] - 1]);
          }
          out.add(new Entry(name, e.getAsJsonObject(), at[0], at[1], lines[at[0] - 1]));
          i++;
        }
        reader.endArray();
      }
    } catch (JsonParseException | IOException | IllegalStateException e) {
      int[] at = positionOf(e.getMessage());
      throw new ParseException(source, at[0], at[1], what + ": not valid JSON: " + firstLine(e.getMessage()),
          lines[Math.min(at[0], lines.length) - 1]);
    }
    return out;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  /** Where the value the reader has just peeked at starts (its position is one past that character). */
  private static int[] position(JsonReader reader) {
    int[] at = positionOf(reader.toString());
    return new int[] {at[0], Math.max(1, at[1] - 1)};
  }

  private static int[] positionOf(String text) {
    Matcher m = POSITION.matcher(text == null ? "" : text);
    if (m.find()) {
      return new int[] {Integer.parseInt(m.group(1)), Math.max(1, Integer.parseInt(m.group(2)))};
    }
    return new int[] {1, 1};
  }

  private ParseException error(Entry e, String key, String problem) {
    return new ParseException(source, e.line(), e.column(),
        e.name() + " key \"" + key + "\": " + problem, e.text());
  }

  private String string(Entry e, String key) {
    JsonElement v = e.object().get(key);
    if (v == null || !v.isJsonPrimitive()) {
      throw error(e, key, "expected a string or number, found " + v);
    }
    return v.getAsString();
  }

  private long number(Entry e, String key) {
    String s = string(e, key);
    long v = Numbers.parseUnsigned(s, 0xFFFF_FFFFL);
    if (v < 0) {
      throw error(e, key, "\"" + s + "\" is not an unsigned 32-bit number");
    }
    return v;
  }

  private <T> T value(Entry e, String key, java.util.function.Function<String, T> parser) {
    String s = string(e, key);
    try {
      return parser.apply(s);
    } catch (IllegalArgumentException x) {
      throw error(e, key, x.getMessage());
    }
  }

  private boolean has(Entry e, String key) {
    return e.object().has(key);
  }

  private Optional<IpPrefix> prefix(Entry e, String key, String lenKey) {
    if (!has(e, key)) {
      return Optional.empty();
    }
    String s = string(e, key);
    if (s.equals("all") || s.equals("default")) {
      return Optional.empty();
    }
    IpAddress a = value(e, key, IpAddress::parse);
    int len = has(e, lenKey) ? (int) number(e, lenKey) : a.family().bits();
    try {
      return Optional.of(IpPrefix.of(a, len));
    } catch (IllegalArgumentException x) {
      throw error(e, lenKey, x.getMessage());
    }
  }

  private boolean unknownKeys(Entry e, ImmutableSet<String> known) {
    for (Map.Entry<String, JsonElement> kv : e.object().entrySet()) {
      if (!known.contains(kv.getKey())) {
        return true;
      }
    }
    return false;
  }

  private Optional<PortRange> ports(Entry e, String key) {
    if (has(e, key)) {
      return Optional.of(value(e, key, PortRange::parse));
    }
    if (has(e, key + "_start")) {
      try {
        return Optional.of(PortRange.of((int) number(e, key + "_start"), (int) number(e, key + "_end")));
      } catch (IllegalArgumentException x) {
        throw error(e, key + "_start", x.getMessage());
      }
    }
    return Optional.empty();
  }

  private void rule(Entry e, RoutingPlan.Builder plan) {
    Optional<IpPrefix> from = prefix(e, "src", "srclen");
    Optional<IpPrefix> to = prefix(e, "dst", "dstlen");
    IpFamily f = from.map(IpPrefix::family).or(() -> to.map(IpPrefix::family)).orElse(family);
    if (f != family) {
      return;
    }
    if (unknownKeys(e, RULE_KEYS)) {
      plan.addUnmodelledJson(e.object().toString());
      return;
    }
    IpRule.Builder b = IpRule.builder().from(from).to(to).not(has(e, "not"));
    if (has(e, "priority")) {
      b.priority(number(e, "priority"));
    }
    if (has(e, "fwmark")) {
      long mark = number(e, "fwmark");
      long mask = has(e, "fwmask") ? number(e, "fwmask") : Mark.FULL_MASK;
      b.fwmark(Mark.of(mark, mask));
    }
    if (has(e, "iif")) {
      b.iif(value(e, "iif", InterfaceName::of));
    }
    if (has(e, "oif")) {
      b.oif(value(e, "oif", InterfaceName::of));
    }
    if (has(e, "ipproto")) {
      b.ipproto(value(e, "ipproto", Protocol::parse));
    }
    b.sport(ports(e, "sport")).dport(ports(e, "dport"));
    if (has(e, "goto")) {
      b.action(RuleAction.goTo(number(e, "goto")));
    } else if (has(e, "nop")) {
      b.action(RuleAction.NOP);
    } else if (has(e, "action")) {
      String a = string(e, "action");
      switch (a) {
        case "unreachable":
          b.action(RuleAction.UNREACHABLE);
          break;
        case "blackhole":
          b.action(RuleAction.BLACKHOLE);
          break;
        case "prohibit":
          b.action(RuleAction.PROHIBIT);
          break;
        default:
          plan.addUnmodelledJson(e.object().toString());
          return;
      }
    } else if (has(e, "table")) {
      b.action(RuleAction.lookup(value(e, "table", RoutingTable::parse)));
    } else {
      plan.addUnmodelledJson(e.object().toString());
      return;
    }
    if (has(e, "suppress_prefixlen")) {
      b.suppressPrefixLength((int) number(e, "suppress_prefixlen"));
    }
    if (has(e, "suppress_ifgroup")) {
      String g = string(e, "suppress_ifgroup");
      b.suppressIfgroup(g.equals("default") ? 0 : number(e, "suppress_ifgroup"));
    }
    if (has(e, "protocol")) {
      b.protocol(value(e, "protocol", RouteProtocol::parse));
    }
    try {
      plan.addRules(b.build());
    } catch (IllegalArgumentException | IllegalStateException x) {
      throw error(e, "priority", x.getMessage());
    }
  }

  private List<String> flags(Entry e, JsonObject o) {
    List<String> out = new ArrayList<>();
    JsonElement f = o.get("flags");
    if (f == null) {
      return out;
    }
    if (!f.isJsonArray()) {
      throw error(e, "flags", "expected an array of flag names");
    }
    for (JsonElement x : f.getAsJsonArray()) {
      if (!STATE_FLAGS.contains(x.getAsString())) {
        out.add(x.getAsString());
      }
    }
    return out;
  }

  private void route(Entry e, RoutingPlan.Builder plan) {
    String dst = string(e, "dst");
    IpPrefix destination;
    if (dst.equals("default")) {
      IpFamily f = familyOfRoute(e);
      destination = IpPrefix.any(f);
    } else {
      destination = value(e, "dst", IpPrefix::parse);
    }
    if (destination.family() != family) {
      return;
    }
    RouteType type = RouteType.UNICAST;
    if (has(e, "type")) {
      try {
        type = RouteType.parse(string(e, "type"));
      } catch (IllegalArgumentException x) {
        plan.addUnmodelledJson(e.object().toString()); // nat, xresolve, ...
        return;
      }
    }
    List<String> flags = flags(e, e.object());
    boolean v6Medium = !has(e, "pref") || string(e, "pref").equals("medium");
    if (unknownKeys(e, ROUTE_KEYS) || !v6Medium || flags.stream().anyMatch(f -> !f.equals("onlink"))) {
      plan.addUnmodelledJson(e.object().toString());
      return;
    }
    Route.Builder b = Route.builder().type(type).destination(destination);
    if (has(e, "gateway")) {
      b.via(value(e, "gateway", IpAddress::parse));
    }
    boolean kernelLo = family == IpFamily.V6 && type.isReject() && has(e, "dev") && string(e, "dev").equals("lo");
    if (has(e, "dev") && !kernelLo) {
      b.dev(value(e, "dev", InterfaceName::of));
    }
    if (has(e, "table")) {
      b.table(value(e, "table", RoutingTable::parse));
    }
    b.protocol(has(e, "protocol") ? value(e, "protocol", RouteProtocol::parse) : RouteProtocol.BOOT);
    b.scope(has(e, "scope") ? value(e, "scope", RouteScope::parse) : RouteScope.GLOBAL);
    if (has(e, "prefsrc")) {
      b.src(value(e, "prefsrc", IpAddress::parse));
    }
    if (has(e, "metric")) {
      b.metric(number(e, "metric"));
    }
    b.onlink(flags.contains("onlink"));
    if (has(e, "nexthops")) {
      JsonElement list = e.object().get("nexthops");
      if (!list.isJsonArray()) {
        throw error(e, "nexthops", "expected an array of nexthop objects");
      }
      for (JsonElement n : list.getAsJsonArray()) {
        JsonObject o = n.getAsJsonObject();
        for (String k : o.keySet()) {
          if (!List.of("gateway", "dev", "weight", "flags").contains(k)) {
            plan.addUnmodelledJson(e.object().toString());
            return;
          }
        }
        List<String> nf = flags(e, o);
        if (nf.stream().anyMatch(f -> !f.equals("onlink"))) {
          plan.addUnmodelledJson(e.object().toString());
          return;
        }
        try {
          b.addNexthops(new Nexthop(
              o.has("gateway") ? Optional.of(IpAddress.parse(o.get("gateway").getAsString())) : Optional.empty(),
              o.has("dev") ? Optional.of(InterfaceName.of(o.get("dev").getAsString())) : Optional.empty(),
              o.has("weight") ? o.get("weight").getAsInt() : 1,
              nf.contains("onlink")));
        } catch (IllegalArgumentException | UnsupportedOperationException x) {
          throw error(e, "nexthops", x.getMessage());
        }
      }
    }
    plan.addRoutes(b.build());
  }

  private IpFamily familyOfRoute(Entry e) {
    if (has(e, "gateway")) {
      return value(e, "gateway", IpAddress::parse).family();
    }
    if (has(e, "prefsrc")) {
      return value(e, "prefsrc", IpAddress::parse).family();
    }
    if (has(e, "nexthops")) {
      for (JsonElement n : e.object().get("nexthops").getAsJsonArray()) {
        JsonObject o = n.getAsJsonObject();
        if (o.has("gateway")) {
          return IpAddress.parse(o.get("gateway").getAsString()).family();
        }
      }
    }
    // "default" without a gateway: IPv6 routes carry "pref" (and a metric); IPv4 ones do not.
    return has(e, "pref") ? IpFamily.V6 : IpFamily.V4;
  }
}
