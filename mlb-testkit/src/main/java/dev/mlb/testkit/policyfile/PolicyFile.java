package dev.mlb.testkit.policyfile;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Mark;
import dev.mlb.api.ParseException;
import dev.mlb.api.PortRange;
import dev.mlb.api.policy.AllDown;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Health;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A {@link BalancingPolicy} as a small YAML file, read with line and column for every mistake.
 *
 * <pre>{@code
 * BalancingPolicy seed = PolicyFile.read(Path.of("mlb-testkit/examples/seed-policy.yaml"));
 * String yaml = PolicyFile.write(seed);            // canonical: only what differs from the defaults
 * PolicyFile.parse("seed.yaml", yaml).equals(seed); // true
 * }</pre>
 *
 * <p><b>Format.</b> One YAML mapping, keys in kebab case, one to one with the model:
 * <pre>
 * family: ipv4              # ipv4 | ipv6 | both (default ipv4)
 * strategy: nth             # nth | random | multipath (default nth)
 * uplinks:                  # at least one; the order gives marks and tables
 *   - name: isp1            # letters, digits, _ and -, 1 to 15 characters
 *     interface: ppp0
 *     gateway: 198.51.100.2 # optional; none = point-to-point (dev route)
 *     gateway6: 2001:db8::1 # optional
 *     snat: 198.51.100.1    # optional; none = masquerade
 *     snat6: 2001:db8::2    # optional
 *     weight: 1             # 1..256 (default 1)
 *     tier: 1               # 1..100 (default 1); a worse tier is used only while every better one is down
 *     health: {targets: ["tcp:203.0.113.9:443"]}   # optional: overrides of the health block below
 *     mark: 0x100           # optional (decimal or 0x hex); default: assigned in the mark mask
 *     table: 100            # optional; default: table-base + index
 * lan:
 *   interfaces: [eth0]
 *   prefixes: [192.0.2.0/24]
 * balance:                  # optional; default: all new LAN connections
 *   - protocol: tcp         # name or number, optional
 *     ports: [22, 25, 80, 443, "8000-8080"]   # optional; ints or "FIRST-LAST" ranges
 *     sources: [192.0.2.0/25]                 # optional
 *     destinations: [203.0.113.0/24]          # optional
 * router:                   # optional: router-originated connections to balance (same shape)
 *   - {protocol: tcp, ports: [80]}
 * exclude:                  # optional: never balanced (same shape; {} is every connection)
 *   - destinations: [203.0.113.128/25]
 * sticky-inbound: true      # default true
 * mark-mask: 0x0f000000     # default 0x0f000000; auto: mlb apply picks bits no one uses
 * foreign-mark-bits: 0x1    # default 0
 * table-base: 100           # default 100
 * priority-base: 1000       # default 1000
 * chain-prefix: mlb         # default mlb
 * rule-protocol: 109        # default 109
 * health:                   # optional: how mlb watch probes each uplink (mwan3's defaults)
 *   targets: [192.0.2.53, "tcp:203.0.113.9:443"]   # default: the uplink's gateways; ICMP or tcp:ADDR:PORT
 *   interval: 10s           # a round of probes every 10s (ms, s, m, h)
 *   timeout: 4s             # at most the interval
 *   down: 5                 # failed rounds in a row that take an uplink down
 *   up: 5                   # successful rounds in a row that bring it back
 *   reliability: 1          # targets that must answer for a round to succeed
 * all-down: main            # main (default: the main table carries new connections) | keep-last
 * </pre>
 * Integers are plain decimal; marks, masks and mark bits may also be {@code 0x} hex. A leading
 * zero is refused (iptables would read it as octal, YAML as decimal), and so is a quoted number
 * where an integer is expected. Where the empty list would mean "everything"
 * ({@code balance}, {@code ports}, {@code sources}, {@code destinations}), it is refused: leave the
 * key out instead. {@code protocol: all} is refused for the same reason. Anchors, aliases, tags and
 * more than one document are refused, which keeps the format small and unambiguous (and closes
 * the door on alias bombs).
 *
 * <p><b>Errors.</b> Every problem, from a YAML syntax error to a policy validation error, is a
 * {@link ParseException} with the line and column of the node it is about and a problem naming
 * the key path and the value:
 * <pre>
 * policy.yaml: line 7, column 13: uplinks[1].weight: 300 is out of range; expected 1 to 256
 *     weight: [*]300
 * </pre>
 * Unknown keys list the allowed ones; validation findings ({@link BalancingPolicy#validate()})
 * are mapped back to the node their field came from. Reading has three stages, each reporting all
 * its problems before the next starts: YAML (syntax; refused anchors, aliases, tags, documents),
 * structure (keys, types, values), validation. When a stage finds several problems, the first in
 * the file is thrown and the others are attached to it, in file order, as
 * {@linkplain Throwable#getSuppressed() suppressed} {@code ParseException}s; {@link
 * #describeAll(ParseException)} prints them all. Warnings do not stop reading: ask the policy
 * ({@code policy.validate()}).
 */
public final class PolicyFile {
  private PolicyFile() {}

  /**
   * Reads a policy from YAML text.
   *
   * @param sourceName the file name for messages ("-" for standard input), or empty
   * @throws ParseException for the first problem in the file; further ones are suppressed in it
   */
  public static BalancingPolicy parse(String sourceName, String yamlText) {
    return new PolicyFileReader(sourceName, yamlText).read();
  }

  /**
   * Reads a policy file (UTF-8).
   *
   * @throws ParseException as {@link #parse}, with the path as source name
   * @throws IOException if the file cannot be read or is not UTF-8
   */
  public static BalancingPolicy read(Path file) throws IOException {
    return parse(file.toString(), Files.readString(file, UTF_8));
  }

  /**
   * {@code e} and its suppressed parse errors, one {@link ParseException#describe()} after the
   * other (each two lines: the problem and the excerpt).
   */
  public static String describeAll(ParseException e) {
    StringBuilder s = new StringBuilder(e.describe());
    for (Throwable t : e.getSuppressed()) {
      if (t instanceof ParseException p) {
        s.append('\n').append(p.describe());
      }
    }
    return s.toString();
  }

  /**
   * The canonical file of {@code policy}: keys in the order above, only those whose value differs
   * from the default, lists of scalars in flow style. {@code parse(write(p)).equals(p)}.
   */
  public static String write(BalancingPolicy policy) {
    StringBuilder out = new StringBuilder();
    Set<IpFamily> families = policy.families();
    if (!families.equals(Set.of(IpFamily.V4))) {
      out.append("family: ").append(families.size() == 2 ? "both" : "ipv6").append('\n');
    }
    if (policy.strategy() != Strategy.NTH) {
      out.append("strategy: ").append(policy.strategy()).append('\n');
    }
    out.append("uplinks:\n");
    for (Uplink u : policy.uplinks()) {
      out.append("  - name: ").append(scalar(u.name())).append('\n');
      field(out, "    ", "interface", scalar(u.iface().name()));
      u.gateway().ifPresent(a -> field(out, "    ", "gateway", scalar(a.toString())));
      u.gateway6().ifPresent(a -> field(out, "    ", "gateway6", scalar(a.toString())));
      u.snat().ifPresent(a -> field(out, "    ", "snat", scalar(a.toString())));
      u.snat6().ifPresent(a -> field(out, "    ", "snat6", scalar(a.toString())));
      if (u.weight() != 1) {
        field(out, "    ", "weight", Integer.toString(u.weight()));
      }
      if (u.tier() != 1) {
        field(out, "    ", "tier", Integer.toString(u.tier()));
      }
      health(out, "    ", u.health());
      u.mark().ifPresent(m -> field(out, "    ", "mark", Mark.hex(m)));
      u.table().ifPresent(t -> field(out, "    ", "table", Integer.toString(t)));
    }
    out.append("lan:\n");
    field(out, "  ", "interfaces", flow(policy.lanInterfaces(), i -> scalar(i.name())));
    field(out, "  ", "prefixes", flow(policy.lanPrefixes(), p -> scalar(p.toString())));
    selectors(out, "balance", policy.balanced());
    selectors(out, "router", policy.router());
    selectors(out, "exclude", policy.exclusions());
    if (!policy.stickyInbound()) {
      out.append("sticky-inbound: false\n");
    }
    if (policy.autoMarkMask()) {
      out.append("mark-mask: auto\n");
    } else if (policy.markMask() != BalancingPolicy.DEFAULT_MARK_MASK) {
      out.append("mark-mask: ").append(Mark.hex(policy.markMask())).append('\n');
    }
    if (policy.foreignMarkBits() != 0) {
      out.append("foreign-mark-bits: ").append(Mark.hex(policy.foreignMarkBits())).append('\n');
    }
    if (policy.tableBase() != 100) {
      out.append("table-base: ").append(policy.tableBase()).append('\n');
    }
    if (policy.priorityBase() != 1000) {
      out.append("priority-base: ").append(policy.priorityBase()).append('\n');
    }
    if (!policy.chainPrefix().equals("mlb")) {
      out.append("chain-prefix: ").append(scalar(policy.chainPrefix())).append('\n');
    }
    if (policy.ruleProtocol() != 109) {
      out.append("rule-protocol: ").append(policy.ruleProtocol()).append('\n');
    }
    health(out, "", policy.health());
    if (policy.allDown() != AllDown.MAIN) {
      out.append("all-down: ").append(policy.allDown()).append('\n');
    }
    return out.toString();
  }

  /** A health block (nothing if nothing is given), its keys indented below {@code indent}. */
  private static void health(StringBuilder out, String indent, Health h) {
    if (h.isEmpty()) {
      return;
    }
    out.append(indent).append("health:\n");
    String in = indent + "  ";
    if (!h.targets().isEmpty()) {
      field(out, in, "targets", flow(h.targets(), t -> scalar(t.toString())));
    }
    h.interval().ifPresent(d -> field(out, in, "interval", duration(d)));
    h.timeout().ifPresent(d -> field(out, in, "timeout", duration(d)));
    h.down().ifPresent(n -> field(out, in, "down", Integer.toString(n)));
    h.up().ifPresent(n -> field(out, in, "up", Integer.toString(n)));
    h.reliability().ifPresent(n -> field(out, in, "reliability", Integer.toString(n)));
  }

  /** A duration in the largest unit that holds it whole: {@code 1h}, {@code 2m}, {@code 1s}, {@code 500ms}. */
  /**
   * A duration as a policy file writes one: {@code 500ms}, {@code 1s}, {@code 2m}, {@code 1h}.
   *
   * @throws IllegalArgumentException saying what was expected
   */
  public static java.time.Duration parseDuration(String text) {
    java.util.regex.Matcher m = NodeReader.DURATION.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a duration such as 1s or 500ms (a whole number and ms, s, m or h)");
    }
    return NodeReader.durationOf(m);
  }

  static String duration(java.time.Duration d) {
    long ms = d.toMillis();
    if (ms > 0 && ms % 3_600_000 == 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms > 0 && ms % 60_000 == 0) {
      return ms / 60_000 + "m";
    }
    return ms > 0 && ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
  }

  private static void selectors(StringBuilder out, String key, List<TrafficSelector> selectors) {
    if (selectors.isEmpty()) {
      return;
    }
    out.append(key).append(":\n");
    for (TrafficSelector s : selectors) {
      if (s.isAll()) {
        out.append("  - {}\n");
        continue;
      }
      String indent = "  - ";
      // a protocol without a name is its number, written as one
      Optional<String> protocol = s.protocol().map(p -> p.toString().equals(Integer.toString(p.number()))
          ? p.toString() : scalar(p.toString()));
      if (protocol.isPresent()) {
        field(out, indent, "protocol", protocol.get());
        indent = "    ";
      }
      if (!s.ports().isEmpty()) {
        field(out, indent, "ports", flow(s.ports(), PolicyFile::port));
        indent = "    ";
      }
      if (!s.sources().isEmpty()) {
        field(out, indent, "sources", flow(s.sources(), p -> scalar(p.toString())));
        indent = "    ";
      }
      if (!s.destinations().isEmpty()) {
        field(out, indent, "destinations", flow(s.destinations(), p -> scalar(p.toString())));
      }
    }
  }

  private static String port(PortRange r) {
    return r.isSingle() ? Integer.toString(r.first()) : "\"" + r.first() + "-" + r.last() + "\"";
  }

  private static void field(StringBuilder out, String indent, String key, String value) {
    out.append(indent).append(key).append(": ").append(value).append('\n');
  }

  private static <T> String flow(List<T> items, Function<T, String> render) {
    return "[" + String.join(", ", items.stream().map(render).toList()) + "]";
  }

  /** Text that YAML reads back as this very string. */
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.+/:-]*");
  /** Plain scalars YAML 1.2's core schema would resolve to something other than a string. */
  private static final Pattern NOT_A_STRING = Pattern.compile(
      "~|null|Null|NULL|true|True|TRUE|false|False|FALSE"
          + "|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
          + "|[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?"
          + "|[-+]?\\.(inf|Inf|INF)|\\.nan|\\.NaN|\\.NAN");

  /** {@code text} plain where YAML reads it back as the same string, else double-quoted. */
  static String scalar(String text) {
    if (PLAIN.matcher(text).matches() && !text.endsWith(":") && !NOT_A_STRING.matcher(text).matches()) {
      return text;
    }
    return PolicyFileReader.quote(text);
  }
}
