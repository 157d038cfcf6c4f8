package dev.mlb.iproute;

import com.google.common.collect.ImmutableList;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads an {@code ip -batch} file into a {@link RoutingPlan}.
 *
 * <pre>{@code
 * RoutingPlan plan = IpBatchParser.parse("uplinks.batch",
 *     "rule add priority 100 fwmark 1/0xff lookup 101 proto 99\n"
 *         + "route replace default via 192.0.2.1 dev ppp0 table 101 proto 99\n",
 *     IpFamily.V4);
 * IpBatchParser.parse("x", "rule add fwmrk 1 lookup 101\n", IpFamily.V4);
 * // ParseException: line 1, column 10: unknown word "fwmrk" in rule add; expected not, from, to, ...
 * }</pre>
 *
 * <p>Lines are split as iproute2 6.1 splits them (comments, quotes and continuation lines; see
 * {@code makeargs} and {@code getcmdline} in its {@code lib/utils.c}). Understood commands:
 * <ul>
 *   <li>{@code rule add} with {@code not}, {@code from}, {@code to}, {@code priority} (or
 *       {@code pref}, {@code preference}, {@code prio}, {@code order}), {@code fwmark},
 *       {@code iif}/{@code dev}, {@code oif}, {@code ipproto}, {@code sport}, {@code dport},
 *       {@code lookup}/{@code table}, {@code goto}, {@code nop}, {@code unreachable},
 *       {@code blackhole}, {@code prohibit} (also after {@code type}),
 *       {@code suppress_prefixlength}, {@code suppress_ifgroup}, {@code protocol}/{@code proto};
 *   <li>{@code rule flush protocol TAG}, which sets the plan's owner;
 *   <li>{@code route add} and {@code route replace} with a type, the destination (after an optional
 *       {@code to}; {@code default}, {@code all} or {@code any} for the whole family), {@code via},
 *       {@code dev}/{@code oif}, {@code table}, {@code metric}/{@code priority}/{@code preference},
 *       {@code proto}/{@code protocol}, {@code scope}, {@code src}, {@code onlink} and
 *       {@code nexthop} clauses with {@code via}, {@code dev}, {@code weight} and {@code onlink};
 *   <li>{@code #mlb: table ID NAME} and {@code #mlb: connected DEV PREFIX} comment lines.
 * </ul>
 * A command that uses a keyword iproute2 knows but mlb does not model ({@code tos},
 * {@code realms}, {@code mtu}, {@code ip link ...}) is kept as a {@link VerbatimCommand}. A word that
 * {@code ip} would refuse throws a {@link ParseException} naming the line, the column and what was
 * expected there, before anything is applied. {@code route add} is read as {@code route replace}.
 * Numbers are read as iproute2 reads them (decimal, 0x hex, 0 octal).
 */
public final class IpBatchParser {

  private static final ImmutableSet<String> RULE_UNMODELLED =
      ImmutableSet.of("tos", "dsfield", "realms", "l3mdev", "uidrange", "tun_id", "nat", "map-to",
          "flowid", "dscp");
  private static final ImmutableSet<String> ROUTE_UNMODELLED =
      ImmutableSet.of("from", "tos", "dsfield", "mtu", "advmss", "rtt", "rttvar", "reordering",
          "window", "cwnd", "initcwnd", "initrwnd", "ssthresh", "realms", "realm", "rto_min",
          "hoplimit", "features", "quickack", "congctl", "pref", "expires", "encap", "nhid", "vrf",
          "fastopen_no_cookie", "ttl-propagate", "as", "mpls", "nat", "lock");
  private static final String RULE_EXPECTED =
      "not, from, to, priority, fwmark, iif, oif, ipproto, sport, dport, lookup, goto, nop,"
          + " unreachable, blackhole, prohibit, suppress_prefixlength, suppress_ifgroup or protocol";
  private static final String ROUTE_EXPECTED =
      "a destination, via, dev, table, metric, proto, scope, src, onlink or nexthop";

  private final String source;
  private final IpFamily family;
  private final RoutingPlan.Builder plan;
  private final Map<RoutingTable, String> tableNames = new LinkedHashMap<>();
  private Optional<RouteProtocol> owner = Optional.empty();

  private IpBatchParser(String source, IpFamily family) {
    this.source = source == null ? "" : source;
    this.family = family;
    this.plan = RoutingPlan.builder().family(family);
  }

  /**
   * Parses {@code text}, an {@code ip -batch} file meant for {@code ip -4 -batch} or {@code ip -6
   * -batch} as {@code family} says.
   *
   * @param source the file name for messages ({@code "-"} for standard input)
   * @throws ParseException naming the line, column and what was expected
   */
  public static RoutingPlan parse(String source, String text, IpFamily family) {
    IpBatchParser p = new IpBatchParser(source, family);
    for (Object item : BatchReader.read(p.source, text)) {
      if (item instanceof BatchReader.Directive) {
        p.directive((BatchReader.Directive) item);
      } else {
        p.command((BatchReader.Command) item);
      }
    }
    p.plan.tableNames(p.tableNames);
    p.plan.owner(p.owner);
    return p.plan.build();
  }

  private ParseException error(BatchReader.Word at, String problem) {
    return new ParseException(source, at.line(), at.column(), problem, at.lineText());
  }

  private void directive(BatchReader.Directive d) {
    String[] parts = d.text().split("[ \t]+");
    BatchReader.Word at = new BatchReader.Word(d.text(), d.line(), 1, d.lineText());
    if (parts.length == 3 && parts[0].equals("table")) {
      RoutingTable t = value(at, "#mlb: table", parts[1], RoutingTable::parse);
      if (tableNames.containsKey(t)) {
        throw error(at, "table " + t + " is already named \"" + tableNames.get(t) + "\"; expected one name per table");
      }
      if (tableNames.containsValue(parts[2])) {
        throw error(at, "table name \"" + parts[2] + "\" is already used; expected one table per name");
      }
      try {
        RoutingPlan.builder().family(family).putTableNames(t, parts[2]).build();
      } catch (IllegalArgumentException e) {
        throw error(at, e.getMessage());
      }
      tableNames.put(t, parts[2]);
    } else if (parts.length == 3 && parts[0].equals("connected")) {
      InterfaceName dev = value(at, "#mlb: connected", parts[1], InterfaceName::of);
      IpPrefix prefix = value(at, "#mlb: connected", parts[2], IpPrefix::parse);
      plan.putConnected(dev, prefix);
    } else {
      throw error(at, "unknown #mlb: comment \"" + d.text()
          + "\"; expected \"#mlb: table ID NAME\" or \"#mlb: connected DEVICE PREFIX\"");
    }
  }

  private <T> T value(BatchReader.Word at, String keyword, String text, Function<String, T> parser) {
    try {
      return parser.apply(text);
    } catch (IllegalArgumentException e) {
      throw error(at, keyword + ": " + e.getMessage());
    }
  }

  private <T> T value(BatchReader.Word at, String keyword, Function<String, T> parser) {
    try {
      return parser.apply(at.text());
    } catch (IllegalArgumentException e) {
      throw error(at, keyword + ": " + e.getMessage());
    }
  }

  private void command(BatchReader.Command c) {
    List<BatchReader.Word> w = c.words();
    String object = w.get(0).text();
    if (isPrefixOf(object, "route", 1)) {
      route(c);
    } else if (isPrefixOf(object, "rule", 2)) {
      rule(c);
    } else if (KNOWN_OBJECTS.stream().anyMatch(o -> isPrefixOf(object, o, 1))) {
      verbatim(c);
    } else {
      throw error(w.get(0), "unknown object \"" + object + "\"; expected rule or route (or another ip object such as link or address)");
    }
  }

  private static final ImmutableList<String> KNOWN_OBJECTS =
      ImmutableList.of("address", "addrlabel", "maddress", "neighbor", "neighbour", "ntable", "link",
          "l2tp", "fou", "ila", "macsec", "tunnel", "tuntap", "token", "tcpmetrics", "monitor", "xfrm",
          "mroute", "mrule", "netns", "netconf", "vrf", "sr", "nexthop", "mptcp", "ioam", "stats");

  /** iproute2's {@code matches()}: {@code word} is a prefix of {@code keyword}, at least {@code min} long. */
  private static boolean isPrefixOf(String word, String keyword, int min) {
    return word.length() >= min && keyword.startsWith(word);
  }

  private void verbatim(BatchReader.Command c) {
    plan.addVerbatim(new VerbatimCommand(
        c.words().stream().map(BatchReader.Word::text).collect(ImmutableList.toImmutableList()), c.line()));
  }

  private BatchReader.Word next(List<BatchReader.Word> w, int i, String what) {
    if (i >= w.size()) {
      BatchReader.Word last = w.get(w.size() - 1);
      BatchReader.Word end = new BatchReader.Word("", last.line(), last.column() + last.text().length(), last.lineText());
      throw error(end, "the command ends after \"" + last.text() + "\"; expected " + what);
    }
    return w.get(i);
  }

  private RoutingTable table(BatchReader.Word at, String keyword) {
    Optional<RoutingTable> named = tableNames.entrySet().stream()
        .filter(e -> e.getValue().equals(at.text())).map(Map.Entry::getKey).findFirst();
    if (named.isPresent()) {
      return named.get();
    }
    try {
      return RoutingTable.parse(at.text());
    } catch (IllegalArgumentException e) {
      throw error(at, keyword + ": " + e.getMessage()
          + (tableNames.isEmpty() ? "" : ", or a name from the #mlb: table comments " + tableNames.values()));
    }
  }

  private IpPrefix prefix(BatchReader.Word at, String keyword) {
    String t = at.text();
    if (t.equals("all") || t.equals("any") || t.equals("default")) {
      return IpPrefix.any(family);
    }
    return value(at, keyword, IpPrefix::parse);
  }

  private static long u32(String text) {
    long v = Numbers.parseUnsigned(text, 0xFFFF_FFFFL);
    if (v < 0) {
      throw new IllegalArgumentException(
          "\"" + text + "\" is not an unsigned 32-bit number; expected 0 to 4294967295");
    }
    return v;
  }

  private static Mark fwmark(String text) {
    Mark m = Mark.parse(text);
    // ip sends no mask unless one is written; the kernel then compares all bits, except for mark 0.
    if (text.indexOf('/') < 0 && m.value() == 0) {
      return Mark.of(0, 0);
    }
    return m;
  }

  private static long ifgroup(String text) {
    if (text.equals("default")) {
      return 0;
    }
    return u32(text);
  }

  private void rule(BatchReader.Command c) {
    List<BatchReader.Word> w = c.words();
    BatchReader.Word verb = next(w, 1, "add, flush or another rule command");
    String v = verb.text();
    if (isPrefixOf(v, "flush", 1) && w.size() == 4 && isPrefixOf(w.get(2).text(), "protocol", 4)) {
      RouteProtocol tag = value(w.get(3), "rule flush protocol", RouteProtocol::parse);
      if (owner.isPresent() && !owner.get().equals(tag)) {
        throw error(w.get(3), "a second rule flush protocol " + tag + " after rule flush protocol "
            + owner.get() + "; expected one owner per plan");
      }
      owner = Optional.of(tag);
      return;
    }
    if (!isPrefixOf(v, "add", 1)) {
      if (List.of("delete", "flush", "list", "show", "save", "restore").stream().anyMatch(k -> isPrefixOf(v, k, 1))) {
        verbatim(c);
        return;
      }
      throw error(verb, "unknown rule command \"" + v + "\"; expected add, del, flush, list, save or restore");
    }
    IpRule.Builder b = IpRule.builder();
    b.line(c.line());
    boolean actionSet = false;
    for (int i = 2; i < w.size(); i++) {
      BatchReader.Word k = w.get(i);
      String key = k.text();
      if (RULE_UNMODELLED.contains(key)) {
        verbatim(c);
        return;
      }
      switch (key) {
        case "not":
          b.not(true);
          break;
        case "from":
          b.from(fromTo(next(w, ++i, "a source prefix or all"), "from"));
          break;
        case "to":
          b.to(fromTo(next(w, ++i, "a destination prefix or all"), "to"));
          break;
        case "priority":
        case "preference":
        case "pref":
        case "prio":
        case "order":
          b.priority(value(next(w, ++i, "a priority 0 to 4294967295"), key, IpBatchParser::u32));
          break;
        case "fwmark":
          Mark m = value(next(w, ++i, "a mark VALUE or VALUE/MASK"), key, IpBatchParser::fwmark);
          if (m.mask() != 0) {
            b.fwmark(m);
          }
          break;
        case "iif":
        case "dev":
          b.iif(value(next(w, ++i, "an interface name"), key, InterfaceName::of));
          break;
        case "oif":
          b.oif(value(next(w, ++i, "an interface name"), key, InterfaceName::of));
          break;
        case "ipproto":
          b.ipproto(value(next(w, ++i, "a protocol name or number"), key, Protocol::parse));
          break;
        case "sport":
          b.sport(value(next(w, ++i, "a port or FIRST-LAST"), key, PortRange::parse));
          break;
        case "dport":
          b.dport(value(next(w, ++i, "a port or FIRST-LAST"), key, PortRange::parse));
          break;
        case "lookup":
        case "table":
          b.action(RuleAction.lookup(table(next(w, ++i, "a table: main, local, default or 1 to 4294967295"), key)));
          actionSet = true;
          break;
        case "goto":
          b.action(RuleAction.goTo(value(next(w, ++i, "a rule priority"), key, IpBatchParser::u32)));
          actionSet = true;
          break;
        case "nop":
          b.action(RuleAction.NOP);
          actionSet = true;
          break;
        case "suppress_prefixlength":
          b.suppressPrefixLength((int) value(next(w, ++i, "a prefix length"), key, t -> {
            long n = Numbers.parseUnsigned(t, 128);
            if (n < 0) {
              throw new IllegalArgumentException("\"" + t + "\" is not a prefix length; expected 0 to 128");
            }
            return n;
          }).longValue());
          break;
        case "suppress_ifgroup":
          b.suppressIfgroup(value(next(w, ++i, "an interface group"), key, IpBatchParser::ifgroup));
          break;
        case "protocol":
        case "proto":
          b.protocol(value(next(w, ++i, "a protocol name or number 0 to 255"), key, RouteProtocol::parse));
          break;
        case "type":
          BatchReader.Word t = next(w, ++i, "unreachable, blackhole or prohibit");
          b.action(reject(t));
          actionSet = true;
          break;
        case "unreachable":
        case "blackhole":
        case "prohibit":
          b.action(reject(k));
          actionSet = true;
          break;
        default:
          throw error(k, "unknown word \"" + key + "\" in rule add; expected " + RULE_EXPECTED);
      }
    }
    if (!actionSet) {
      b.action(RuleAction.MAIN); // ip rule add without an action looks up main
    }
    plan.addRules(b.build());
  }

  private Optional<IpPrefix> fromTo(BatchReader.Word at, String keyword) {
    IpPrefix p = prefix(at, keyword);
    return p.length() == 0 ? Optional.empty() : Optional.of(p);
  }

  private RuleAction reject(BatchReader.Word t) {
    switch (t.text()) {
      case "unreachable":
        return RuleAction.UNREACHABLE;
      case "blackhole":
        return RuleAction.BLACKHOLE;
      case "prohibit":
        return RuleAction.PROHIBIT;
      default:
        throw error(t, "rule type \"" + t.text() + "\" is not supported; expected unreachable, blackhole or prohibit");
    }
  }

  private void route(BatchReader.Command c) {
    List<BatchReader.Word> w = c.words();
    BatchReader.Word verb = next(w, 1, "add, replace or another route command");
    String v = verb.text();
    if (!(isPrefixOf(v, "add", 1) || v.equals("replace"))) {
      if (List.of("change", "append", "prepend", "delete", "flush", "list", "show", "get", "save",
              "restore", "showdump", "test").stream().anyMatch(k -> isPrefixOf(v, k, 1))) {
        verbatim(c);
        return;
      }
      throw error(verb, "unknown route command \"" + v + "\"; expected add, replace, change, append, del, flush, show or get");
    }
    Route.Builder b = Route.builder();
    b.line(c.line());
    boolean haveDst = false;
    for (int i = 2; i < w.size(); i++) {
      BatchReader.Word k = w.get(i);
      String key = k.text();
      if (ROUTE_UNMODELLED.contains(key)) {
        verbatim(c);
        return;
      }
      switch (key) {
        case "via":
          b.via(value(next(w, ++i, "a gateway address"), key, IpAddress::parse));
          break;
        case "dev":
        case "oif":
          b.dev(value(next(w, ++i, "a device name"), key, InterfaceName::of));
          break;
        case "table":
          b.table(table(next(w, ++i, "a table: main, local, default or 1 to 4294967295"), key));
          break;
        case "metric":
        case "priority":
        case "preference":
          b.metric(value(next(w, ++i, "a metric 0 to 4294967295"), key, IpBatchParser::u32));
          break;
        case "proto":
        case "protocol":
          b.protocol(value(next(w, ++i, "a protocol name or number 0 to 255"), key, RouteProtocol::parse));
          break;
        case "scope":
          b.scope(value(next(w, ++i, "global, link, host or a number"), key, RouteScope::parse));
          break;
        case "src":
          b.src(value(next(w, ++i, "a source address"), key, IpAddress::parse));
          break;
        case "onlink":
          b.onlink(true);
          break;
        case "nexthop":
          i = nexthop(c, w, i, b);
          if (i < 0) {
            return;
          }
          break;
        default:
          if (haveDst) {
            throw error(k, "unknown word \"" + key + "\" after the destination in route "
                + v + "; expected " + ROUTE_EXPECTED.substring("a destination, ".length()));
          }
          if (key.equals("to")) {
            k = next(w, ++i, "a destination");
            key = k.text();
          }
          if (!key.isEmpty() && (key.charAt(0) < '0' || key.charAt(0) > '9') && isRouteType(key)) {
            if (key.equals("nat")) {
              verbatim(c);
              return;
            }
            b.type(RouteType.parse(key));
            k = next(w, ++i, "a destination");
            key = k.text();
          }
          if (!(key.equals("default") || key.equals("all") || key.equals("any"))
              && !key.isEmpty() && Character.digit(key.charAt(0), 16) < 0 && key.charAt(0) != ':') {
            throw error(k, "unknown word \"" + key + "\" in route " + v + "; expected " + ROUTE_EXPECTED);
          }
          b.destination(prefix(k, "destination"));
          haveDst = true;
      }
    }
    if (!haveDst) {
      BatchReader.Word last = w.get(w.size() - 1);
      throw error(new BatchReader.Word("", last.line(), last.column() + last.text().length(), last.lineText()),
          "route " + v + " has no destination; expected a prefix or default");
    }
    plan.addRoutes(b.build());
  }

  private static boolean isRouteType(String word) {
    return List.of("unicast", "local", "broadcast", "anycast", "multicast", "blackhole",
        "unreachable", "prohibit", "throw", "nat").contains(word);
  }

  /** Reads nexthop clauses from {@code w[i]} to the end; returns the last index, or -1 if verbatim. */
  private int nexthop(BatchReader.Command c, List<BatchReader.Word> w, int i, Route.Builder b) {
    while (i < w.size() && w.get(i).text().equals("nexthop")) {
      BatchReader.Word start = w.get(i);
      Optional<IpAddress> via = Optional.empty();
      Optional<InterfaceName> dev = Optional.empty();
      int weight = 1;
      boolean onlink = false;
      i++;
      while (i < w.size() && !w.get(i).text().equals("nexthop")) {
        BatchReader.Word k = w.get(i);
        switch (k.text()) {
          case "via":
            via = Optional.of(value(next(w, ++i, "a gateway address"), "via", IpAddress::parse));
            break;
          case "dev":
            dev = Optional.of(value(next(w, ++i, "a device name"), "dev", InterfaceName::of));
            break;
          case "weight":
            weight = (int) value(next(w, ++i, "a weight 1 to 256"), "weight", t -> {
              long n = Numbers.parseUnsigned(t, 256);
              if (n < 1) {
                throw new IllegalArgumentException("\"" + t + "\" is not a nexthop weight; expected 1 to 256");
              }
              return n;
            }).longValue();
            break;
          case "onlink":
            onlink = true;
            break;
          case "realms":
          case "encap":
          case "as":
            verbatim(c);
            return -1;
          default:
            throw error(k, "unknown word \"" + k.text() + "\" in nexthop; expected via, dev, weight, onlink or nexthop");
        }
        i++;
      }
      if (via.isEmpty() && dev.isEmpty()) {
        throw error(start, "nexthop has neither via nor dev; expected a gateway, a device or both");
      }
      b.addNexthops(new Nexthop(via, dev, weight, onlink));
    }
    if (i < w.size()) {
      throw error(w.get(i), "unexpected \"" + w.get(i).text() + "\" after the nexthop clauses");
    }
    return i - 1;
  }
}
