package dev.mlb.testkit.kernel;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.Protocol;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.FlowResult;
import dev.mlb.testkit.sim.PacketLoss;
import dev.mlb.testkit.sim.Topology.Uplink;
import dev.mlb.testkit.sim.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Why a flow of the kernel lab failed, in the simulator's terms: which packet was lost, where
 * (a provider's ingress filter, the router, the way to or from the server) and what the router's
 * conntrack and routing said about it. Asks the lab's namespaces after the flow ended.
 */
final class LossDiagnosis {
  private static final Pattern DROPPED = Pattern.compile(
      "(\\d+\\.\\d+\\.\\d+\\.\\d+) \\. (\\d+\\.\\d+\\.\\d+\\.\\d+) \\. (\\w+) \\. (\\d+) \\. (\\d+)");

  private final Topology topology;
  private final Netns router;
  private final Netns server;
  private final Map<InterfaceName, Netns> providers;
  private final BiFunction<Netns, List<String>, Netns.Result> query;

  LossDiagnosis(Topology topology, Netns router, Netns server, Map<InterfaceName, Netns> providers,
      BiFunction<Netns, List<String>, Netns.Result> query) {
    this.topology = topology;
    this.router = router;
    this.server = server;
    this.providers = providers;
    this.query = query;
  }

  private Netns.Result query(Netns ns, List<String> command) {
    return query.apply(ns, command);
  }

  /** A packet of the flow that a provider's ingress filter dropped; {@code forward}: client to server. */
  private record Drop(InterfaceName uplink, String packet, boolean forward) {}

  FlowResult failed(Flow flow, Map<String, String> r, Optional<String> ct, OptionalLong mark) {
    List<Drop> drops = providerDrops(flow);
    Optional<InterfaceName> forwardDropper = drops.stream().filter(Drop::forward).map(Drop::uplink).findFirst();
    Optional<Drop> replyDrop = drops.stream().filter(d -> !d.forward()).findFirst();
    Optional<InterfaceName> uplink = switch (flow.origin()) {
      // A provider that dropped one of its forward packets saw it leave by that uplink; else the
      // address NAT gave it names the uplink (a re-routed packet keeps its first source).
      case LAN, ROUTER -> forwardDropper.or(() -> ct.flatMap(LossDiagnosis::replyDestination)
          .flatMap(topology::uplinkWithAddress).map(Uplink::iface));
      case INBOUND -> ct.isPresent() ? flow.inboundUplink() : Optional.empty();
    };
    boolean tcp = flow.protocol().equals(Protocol.TCP);
    boolean inbound = flow.origin() == Flow.Origin.INBOUND;
    String step = r.getOrDefault("step", "?");
    String error = r.getOrDefault("error", "");
    boolean replied = ct.isPresent() && !ct.get().contains("[UNREPLIED]");
    String client = flow.client().map(IpAddress::toString).orElse("router");
    String fwd = client + ":" + flow.clientPort() + " -> " + flow.server() + ":" + flow.serverPort();
    String back = flow.server() + ":" + flow.serverPort() + " -> " + client + ":" + flow.clientPort();
    List<String> where = new ArrayList<>();
    int packet;
    String description;
    if (tcp && step.equals("connect") || !tcp && step.equals("reply1")) {
      if (error.startsWith("refused")) {
        packet = 2;
      } else if (replyDrop.isPresent()) {
        packet = 2;
      } else if (forwardDropper.isPresent()) {
        packet = 1;
      } else if (ct.isEmpty()) {
        packet = 1;
        where.add(inbound ? "between the internet host and the router" : "between the client and the router");
      } else if (replied) {
        packet = 2;
        where.add(inbound ? "after the router (it answered; the answer did not arrive)"
            : "in the router, after its conntrack saw the reply");
      } else if (inbound) {
        packet = 2;
        where.add("in the router: it did not answer (the reply never passed its conntrack)");
      } else if (reachedServer(flow)) {
        packet = 2;
        where.add("between the server and the router (the server saw packet 1; the router saw no reply)");
      } else {
        packet = 1;
        where.add("between the router and the server (the server never saw it)");
      }
      description = error.startsWith("refused") ? "RST instead of SYN-ACK " + back
          : tcp ? (packet == 1 ? "SYN " + fwd : "SYN-ACK " + back)
          : (packet == 1 ? "request " + fwd : "reply " + back);
    } else if (tcp && (step.equals("send") || step.equals("reply")) && drops.isEmpty()
        && error.contains("Connection reset")) {
      // Nothing was dropped and the server's TCP reset the connection: the client's data reached
      // it from a source it has no connection with (the simulator's "lost at the server").
      packet = 4;
      description = "data " + fwd + " (the server answered it with a reset)";
    } else if (tcp && (step.equals("send") || step.equals("reply"))) {
      packet = forwardDropper.isPresent() && replyDrop.isEmpty() ? 3 : 5;
      description = packet == 3 ? "ACK and request " + fwd : "reply " + back;
    } else if (tcp && step.equals("close")) {
      packet = forwardDropper.isPresent() ? 6 : 7;
      description = packet == 6 ? "FIN " + fwd : "FIN " + back;
    } else if (!tcp && step.equals("reply2")) {
      // The first reply passed, so the entry existed; if it is gone and no provider dropped
      // anything, the second request went with it (a masqueraded connection leaving another
      // interface is dropped and deleted, nf_nat_oif_changed).
      packet = forwardDropper.isPresent() && replyDrop.isEmpty() || drops.isEmpty() && ct.isEmpty() ? 3 : 4;
      description = packet == 3 ? "second request " + fwd : "second reply " + back;
    } else {
      packet = 1;
      description = "first packet " + fwd;
    }
    for (Drop d : drops) {
      where.add(0, "provider on " + d.uplink() + ": ingress filter dropped " + d.packet() + " (source is not "
          + topology.uplink(d.uplink()).get().ip() + ")");
    }
    if (ct.isEmpty()) {
      where.add("router conntrack: no entry");
    } else {
      where.add("router conntrack: " + ct.get().replaceAll("\\s+", " ").strip());
      if (packet == 2 && replied && !inbound) {
        routeOfReply(flow, ct.get(), mark).ifPresent(route -> where.add("router routes the reply: " + route));
      }
    }
    return new FlowResult(flow, uplink, mark, false, Optional.of(new PacketLoss(
        packet, description, String.join("; ", where), "client step " + step + ": " + error)));
  }

  /** The router's own routing decision for the reply, as {@code ip route get} shows it. */
  private Optional<String> routeOfReply(Flow flow, String ct, OptionalLong mark) {
    Matcher m = KernelLab.TUPLE.matcher(ct);
    if (!m.find() || !m.find()) {
      return Optional.empty();
    }
    String replySrc = m.group(1);
    String replyDst = m.group(2);
    Optional<Uplink> in = topology.uplinkWithAddress(IpAddress.parse(replyDst));
    if (in.isEmpty() || flow.client().isEmpty()) {
      return Optional.empty();
    }
    List<String> cmd = new ArrayList<>(List.of("ip", "-4", "route", "get", flow.client().get().toString(),
        "from", replySrc, "iif", in.get().iface().name()));
    mark.ifPresent(v -> cmd.addAll(List.of("mark", Long.toString(v))));
    Netns.Result got = query(router, cmd);
    String text = got.stdout().replaceAll("\\s+", " ").strip();
    return Optional.of("(" + String.join(" ", cmd.subList(1, cmd.size())) + ") " + text);
  }

  /** Whether the server's conntrack saw the flow (any source address, same ports). */
  private boolean reachedServer(Flow flow) {
    String proto = flow.protocol().equals(Protocol.TCP) ? "tcp" : "udp";
    Netns.Result r = query(server, List.of("conntrack", "-L", "-p", proto, "--orig-port-src",
        Integer.toString(flow.clientPort()), "--orig-port-dst", Integer.toString(flow.serverPort()),
        "--orig-dst", flow.server().toString()));
    return r.stdout().lines().anyMatch(l -> l.contains("src="));
  }

  /**
   * The flow's packets that providers dropped, from the set each provider's recorder fills (the
   * packets its ingress filter is about to drop: addresses, protocol, ports).
   */
  private List<Drop> providerDrops(Flow flow) {
    List<Drop> out = new ArrayList<>();
    String proto = flow.protocol().equals(Protocol.TCP) ? "tcp" : "udp";
    for (Uplink u : topology.uplinks()) {
      Netns.Result r = query(providers.get(u.iface()), List.of("nft", "list", "set", "ip", "mlblab", "dropped"));
      Matcher m = DROPPED.matcher(r.stdout());
      while (m.find()) {
        if (!m.group(3).equals(proto) && !m.group(3).equals(Integer.toString(flow.protocol().number()))) {
          continue;
        }
        IpAddress src = IpAddress.parse(m.group(1));
        IpAddress dst = IpAddress.parse(m.group(2));
        int sport = Integer.parseInt(m.group(4));
        int dport = Integer.parseInt(m.group(5));
        String text = proto + " " + src + ":" + sport + " -> " + dst + ":" + dport;
        if (dst.equals(flow.server()) && dport == flow.serverPort() && sport == flow.clientPort()) {
          out.add(new Drop(u.iface(), text, true));
        } else if (src.equals(flow.server()) && sport == flow.serverPort() && dport == flow.clientPort()) {
          out.add(new Drop(u.iface(), text, false));
        }
      }
    }
    return out;
  }

  /** The destination of the reply tuple: the address NAT gave the flow (or its own source). */
  private static Optional<IpAddress> replyDestination(String ct) {
    Matcher m = KernelLab.TUPLE.matcher(ct);
    if (m.find() && m.find()) {
      return Optional.of(IpAddress.parse(m.group(2)));
    }
    return Optional.empty();
  }
}
