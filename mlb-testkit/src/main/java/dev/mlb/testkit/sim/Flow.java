package dev.mlb.testkit.sim;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.Protocol;
import java.util.Optional;

/**
 * One whole exchange to simulate or to drive through the kernel lab: for TCP the handshake, data
 * both ways and the close; for UDP a request and its reply, twice.
 *
 * <pre>{@code
 * Flow.fromLan(IpAddress.parse("192.0.2.100"), 40000, Protocol.TCP, IpAddress.parse("203.0.113.10"), 443);
 * Flow.fromRouter(Protocol.TCP, 40001, IpAddress.parse("203.0.113.10"), 80);
 * Flow.inbound(InterfaceName.of("ppp1"), IpAddress.parse("203.0.113.10"), 40002, Protocol.TCP,
 *     IpAddress.parse("198.51.100.17"), 22);
 * }</pre>
 *
 * @param origin where the first packet starts: a LAN host, the router itself, or the internet
 *     arriving on one uplink
 * @param inboundUplink for {@link Origin#INBOUND}, the uplink the connection arrives on
 * @param protocol TCP or UDP
 * @param client the address that opens the flow (for router flows: empty, the router picks it)
 * @param clientPort the opener's source port
 * @param server the address it talks to
 * @param serverPort the destination port
 * @param socketMark for a router flow, the mark its socket sets on every packet it sends
 *     ({@code SO_MARK}, as WireGuard's or a VPN client's socket does); 0 for none
 */
public record Flow(
    Origin origin,
    Optional<InterfaceName> inboundUplink,
    Protocol protocol,
    Optional<IpAddress> client,
    int clientPort,
    IpAddress server,
    int serverPort,
    long socketMark) {

  /** Where a flow starts. */
  public enum Origin {
    /** A host in the LAN opens it; the router forwards it. */
    LAN,
    /** A program on the router opens it. */
    ROUTER,
    /** A host on the internet opens it to the router's address on an uplink. */
    INBOUND
  }

  public Flow {
    checkArgument(origin != null && inboundUplink != null && client != null && server != null, "null field");
    checkArgument(Protocol.TCP.equals(protocol) || Protocol.UDP.equals(protocol),
        "a flow is TCP or UDP, not %s", protocol);
    checkArgument(clientPort >= 1 && clientPort <= 65535, "client port %s is outside 1..65535", clientPort);
    checkArgument(serverPort >= 1 && serverPort <= 65535, "server port %s is outside 1..65535", serverPort);
    checkArgument(inboundUplink.isPresent() == (origin == Origin.INBOUND),
        "an inbound uplink is given exactly for inbound flows");
    checkArgument(client.isPresent() == (origin != Origin.ROUTER),
        "the client address is given exactly for LAN and inbound flows (the router picks its own)");
    checkArgument(socketMark >= 0 && socketMark <= 0xFFFF_FFFFL, "socket mark %s is not a 32-bit value", socketMark);
    checkArgument(socketMark == 0 || origin == Origin.ROUTER, "only the router's own flows have a socket mark");
  }

  /** A flow without a socket mark. */
  public Flow(Origin origin, Optional<InterfaceName> inboundUplink, Protocol protocol, Optional<IpAddress> client,
      int clientPort, IpAddress server, int serverPort) {
    this(origin, inboundUplink, protocol, client, clientPort, server, serverPort, 0);
  }

  /** This router flow, its socket marking every packet it sends with {@code mark}. */
  public Flow withSocketMark(long mark) {
    return new Flow(origin, inboundUplink, protocol, client, clientPort, server, serverPort, mark);
  }

  public static Flow fromLan(IpAddress client, int clientPort, Protocol protocol, IpAddress server, int serverPort) {
    return new Flow(Origin.LAN, Optional.empty(), protocol, Optional.of(client), clientPort, server, serverPort);
  }

  public static Flow fromRouter(Protocol protocol, int clientPort, IpAddress server, int serverPort) {
    return new Flow(Origin.ROUTER, Optional.empty(), protocol, Optional.empty(), clientPort, server, serverPort);
  }

  public static Flow inbound(
      InterfaceName uplink, IpAddress client, int clientPort, Protocol protocol, IpAddress routerAddress, int port) {
    return new Flow(Origin.INBOUND, Optional.of(uplink), protocol, Optional.of(client), clientPort, routerAddress, port);
  }

  @Override
  public String toString() {
    String from = switch (origin) {
      case LAN -> "lan " + client.get() + ":" + clientPort;
      case ROUTER -> "router :" + clientPort + (socketMark == 0 ? "" : " (socket mark 0x" + Long.toHexString(socketMark) + ")");
      case INBOUND -> "inbound on " + inboundUplink.get() + " " + client.get() + ":" + clientPort;
    };
    return protocol + " " + from + " -> " + server + ":" + serverPort;
  }
}
