package dev.mlb.testkit.sim;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Protocol;
import dev.mlb.iproute.IpBatchParser;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.Ruleset;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Small helpers for simulator tests: rulesets and plans from text, flows. */
public final class Sim {
  private Sim() {}

  public static final IpAddress SERVER = IpAddress.parse("203.0.113.10");
  public static final IpAddress CLIENT = IpAddress.parse("192.0.2.100");
  public static final InterfaceName PPP0 = InterfaceName.of("ppp0");
  public static final InterfaceName PPP1 = InterfaceName.of("ppp1");

  /** The seed as posted, shared/examples/seed-rules.v4 (a copy lives in mlb-testkit/examples). */
  public static String seedText() {
    try {
      return Files.readString(Path.of("examples/seed-rules.v4"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Ruleset rules(String restoreText) {
    return RestoreParser.parse("test", restoreText, IpFamily.V4);
  }

  public static RoutingPlan plan(String... batchLines) {
    return IpBatchParser.parse("test", String.join("\n", batchLines) + "\n", IpFamily.V4);
  }

  /** The obvious routing for the seed: fwmark 1 and 2 to tables 1 and 2, main's default via ppp0. */
  public static final String[] OBVIOUS = {
    "rule add priority 100 fwmark 0x1 lookup 1",
    "rule add priority 101 fwmark 0x2 lookup 2",
    "route replace default via 198.51.100.2 dev ppp0 table 1",
    "route replace default via 198.51.100.18 dev ppp1 table 2",
    "route replace default via 198.51.100.2 dev ppp0",
  };

  public static String[] with(String[] lines, String... more) {
    List<String> all = new ArrayList<>(List.of(lines));
    all.addAll(List.of(more));
    return all.toArray(new String[0]);
  }

  public static Flow lanTcp(int clientPort, int port) {
    return Flow.fromLan(CLIENT, clientPort, Protocol.TCP, SERVER, port);
  }

  public static Flow lanUdp(int clientPort, int port) {
    return Flow.fromLan(CLIENT, clientPort, Protocol.UDP, SERVER, port);
  }

  public static Flow routerTcp(int clientPort, int port) {
    return Flow.fromRouter(Protocol.TCP, clientPort, SERVER, port);
  }

  public static Flow inboundTcp(InterfaceName uplink, IpAddress routerAddress, int clientPort, int port) {
    return Flow.inbound(uplink, SERVER, clientPort, Protocol.TCP, routerAddress, port);
  }
}
