package dev.mlb.testkit.cli;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.ParseException;
import dev.mlb.iproute.IpBatchParser;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.testkit.sim.Topology;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The scenario options shared by {@code mlb simulate}, {@code check}, {@code trace} (and a lab
 * command): the files and the topology.
 *
 * <pre>{@code
 * --rules seed-rules.v4 --routes seed-routes.batch --lan eth0=192.0.2.1/24 \
 *   --uplink ppp0=198.51.100.1/28,gw=198.51.100.2 --uplink ppp1=198.51.100.17/28,gw=198.51.100.18,weight=2
 * }</pre>
 *
 * <p>Without {@code --routes} the routing plan is empty: only the kernel's default rules and the
 * connected routes of the LAN and the uplinks exist, so nothing has a default route (a note on
 * standard error says so).
 */
final class ScenarioOptions {

  @Option(names = "--rules", paramLabel = "FILE", required = true,
      description = "IPv4 ruleset in iptables-restore format (iptables-save output).")
  Path rules;

  @Option(names = "--routes", paramLabel = "FILE",
      description = "Routing plan in ip -batch format. Without it the plan is empty (kernel default rules and"
          + " connected routes only, no default route).")
  Path routes;

  @Option(names = "--lan", paramLabel = "IFACE=ADDR/LEN", required = true,
      description = "The LAN interface and the router's address on it, e.g. eth0=192.0.2.1/24.")
  String lan;

  @Option(names = "--uplink", paramLabel = "IFACE=ADDR/LEN[,gw=GW][,weight=N]", required = true,
      description = "An uplink (repeatable): interface, the router's address with the link's prefix length,"
          + " the gateway (omit on point-to-point links), the expected weight (default 1).")
  List<String> uplinks = new ArrayList<>();

  @Option(names = "--server", paramLabel = "ADDR", defaultValue = "203.0.113.10",
      description = "The server behind every provider (default: ${DEFAULT-VALUE}).")
  String server;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
      description = "Seed for statistic random and generated flows (default: ${DEFAULT-VALUE}).")
  long seed;

  /** The loaded inputs. */
  public record Scenario(Topology topology, Ruleset ruleset, RoutingPlan plan, Map<InterfaceName, Integer> weights,
      boolean routesGiven) {}

  /** Reads and checks everything; throws {@link InputException} naming the bad input. */
  public Scenario load() {
    Topology.Builder b = Topology.builder();
    String[] lanParts = split("--lan", lan);
    InterfaceName lanIf = iface("--lan", lan, lanParts[0]);
    b.lanInterface(lanIf).lanAddress(prefix("--lan", lan, lanParts[1]));
    Map<InterfaceName, Integer> weights = new LinkedHashMap<>();
    for (String spec : uplinks) {
      String[] parts = split("--uplink", spec);
      InterfaceName name = iface("--uplink", spec, parts[0]);
      String[] fields = parts[1].split(",", -1);
      IpPrefix address = prefix("--uplink", spec, fields[0]);
      Optional<IpAddress> gw = Optional.empty();
      for (int i = 1; i < fields.length; i++) {
        String f = fields[i];
        if (f.startsWith("gw=")) {
          gw = Optional.of(address("--uplink " + spec, f.substring(3)));
        } else if (f.startsWith("weight=")) {
          try {
            int w = Integer.parseInt(f.substring(7));
            if (w < 1 || w > 1000) {
              throw new NumberFormatException();
            }
            weights.put(name, w);
          } catch (NumberFormatException e) {
            throw new InputException("--uplink " + spec + ": weight \"" + f.substring(7) + "\" is not a number 1..1000");
          }
        } else {
          throw new InputException("--uplink " + spec + ": unknown field \"" + f + "\"; expected gw=GW or weight=N");
        }
      }
      try {
        b.addUplinks(new Topology.Uplink(name, address, gw));
      } catch (IllegalArgumentException e) {
        throw new InputException("--uplink " + spec + ": " + e.getMessage());
      }
    }
    b.server(address("--server", server));
    Topology topology;
    try {
      topology = b.build();
    } catch (IllegalStateException | IllegalArgumentException e) {
      throw new InputException("invalid topology: " + e.getMessage());
    }
    Ruleset ruleset = parse(rules, "--rules", text -> RestoreParser.parse(rules.toString(), text, IpFamily.V4));
    RoutingPlan plan = routes == null
        ? IpBatchParser.parse("(no --routes)", "", IpFamily.V4)
        : parse(routes, "--routes", text -> IpBatchParser.parse(routes.toString(), text, IpFamily.V4));
    return new Scenario(topology, ruleset, plan, weights, routes != null);
  }

  private static <T> T parse(Path file, String option, java.util.function.Function<String, T> parser) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new InputException(option + " " + file + ": no such file");
    } catch (IOException e) {
      throw new InputException(option + " " + file + ": cannot read it: " + e.getMessage());
    }
    try {
      return parser.apply(text);
    } catch (ParseException e) {
      throw new InputException(file + ": " + e.getMessage());
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new InputException(file + ": " + e.getMessage());
    }
  }

  private static String[] split(String option, String spec) {
    int eq = spec.indexOf('=');
    if (eq <= 0 || eq == spec.length() - 1) {
      throw new InputException(option + " " + spec + ": expected IFACE=ADDR/LEN");
    }
    return new String[] {spec.substring(0, eq), spec.substring(eq + 1)};
  }

  private static InterfaceName iface(String option, String spec, String name) {
    try {
      return InterfaceName.of(name);
    } catch (IllegalArgumentException e) {
      throw new InputException(option + " " + spec + ": " + e.getMessage());
    }
  }

  private static IpPrefix prefix(String option, String spec, String text) {
    if (!text.contains("/")) {
      throw new InputException(option + " " + spec + ": address \"" + text + "\" needs its prefix length (ADDR/LEN)");
    }
    try {
      IpPrefix p = IpPrefix.parse(text);
      if (p.family() != IpFamily.V4) {
        throw new InputException(option + " " + spec + ": " + text + " is not IPv4; the simulator is IPv4 only");
      }
      return p;
    } catch (IllegalArgumentException e) {
      throw new InputException(option + " " + spec + ": " + e.getMessage());
    }
  }

  private static IpAddress address(String where, String text) {
    try {
      IpAddress a = IpAddress.parse(text);
      if (a.family() != IpFamily.V4) {
        throw new InputException(where + ": " + text + " is not IPv4");
      }
      return a;
    } catch (IllegalArgumentException e) {
      throw new InputException(where + ": " + e.getMessage());
    }
  }
}
