package dev.mlb.testkit.live;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.IpFamily;
import dev.mlb.iproute.RoutingTable;
import dev.mlb.testkit.live.ToolRunner.Result;
import java.util.List;
import java.util.Optional;

/**
 * The {@code ip} command line of a {@link FakeRouter}: {@code ip [-4|-6] [-json] [-force] -batch -},
 * {@code ip [-4|-6] -json rule show}, {@code ip [-4|-6] -json route show [table all|ID]} and
 * {@code ip -json link show}. Without {@code -4}/{@code -6}, rules and routes are IPv4's (as
 * {@code ip} does).
 */
final class FakeIpCommand {
  private FakeIpCommand() {}

  static Result run(ImmutableList<String> argv, FakeIproute ip, String stdin, int failLine) {
    Optional<IpFamily> family = Optional.empty();
    boolean json = false;
    boolean force = false;
    String batch = null;
    int i = 1;
    for (; i < argv.size() && argv.get(i).startsWith("-"); i++) {
      switch (argv.get(i)) {
        case "-4" -> family = Optional.of(IpFamily.V4);
        case "-6" -> family = Optional.of(IpFamily.V6);
        case "-j", "-json", "--json" -> json = true;
        case "-force" -> force = true;
        case "-batch", "-b" -> {
          if (++i >= argv.size()) {
            throw FakeRouter.notModelled(argv, "-batch without a file");
          }
          batch = argv.get(i);
        }
        default -> throw FakeRouter.notModelled(argv, "ip option " + argv.get(i));
      }
    }
    if (batch != null) {
      if (!batch.equals("-") || i < argv.size()) {
        throw FakeRouter.notModelled(argv, "ip -batch other than \"-batch -\" (standard input)");
      }
      if (family.isEmpty()) {
        throw FakeRouter.notModelled(argv, "ip -batch without -4 or -6");
      }
      return ip.batch(argv, family.get(), force, stdin, failLine);
    }
    List<String> words = argv.subList(i, argv.size());
    if (!json || words.size() < 2 || !(words.get(1).equals("show") || words.get(1).equals("list"))) {
      throw FakeRouter.notModelled(argv, "ip other than -batch and -json ... show");
    }
    IpFamily f = family.orElse(IpFamily.V4);
    switch (words.get(0)) {
      case "rule" -> {
        if (words.size() != 2) {
          throw FakeRouter.notModelled(argv, "ip rule show with a filter");
        }
        return new Result(argv, 0, FakeIpJson.rules(ip, f), "");
      }
      case "route" -> {
        if (words.size() == 2) {
          return new Result(argv, 0, FakeIpJson.routes(ip, f, Optional.of(RoutingTable.MAIN)), "");
        }
        if (words.size() == 4 && words.get(2).equals("table")) {
          if (words.get(3).equals("all")) {
            return new Result(argv, 0, FakeIpJson.routes(ip, f), "");
          }
          RoutingTable t;
          try {
            t = RoutingTable.parse(words.get(3));
          } catch (IllegalArgumentException e) {
            return new Result(argv, 1, "", "Error: argument \"" + words.get(3) + "\" is wrong: table id value is invalid\n\n");
          }
          return new Result(argv, 0, FakeIpJson.routes(ip, f, Optional.of(t)), "");
        }
        throw FakeRouter.notModelled(argv, "ip route show with a filter other than table");
      }
      case "link" -> {
        if (words.size() != 2 || family.isPresent()) {
          throw FakeRouter.notModelled(argv, "ip link show with a filter or a family");
        }
        return new Result(argv, 0, FakeIpJson.links(ip), "");
      }
      default -> throw FakeRouter.notModelled(argv, "ip " + words.get(0));
    }
  }
}
