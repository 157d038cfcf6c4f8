package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The lab's {@link Peer} on the loopback interface: no root, no namespaces.
 *
 * <p>This runs in the machine's own namespace, beside whatever else uses its ports. Every port a
 * test names is held by a socket of the test for as long as the test runs, so the ports differ
 * from each other and no other program gets them meanwhile (not even by picking a free port, the
 * kernel's choice for a port-0 bind): a port the Peer binds is held by a bound socket with
 * {@code SO_REUSEADDR} that neither listens nor receives (the Peer sets {@code SO_REUSEADDR} too,
 * so it may bind it beside the holder); a port that must be closed is held by a socket that does
 * not listen (TCP: the SYN is answered with a reset) or is connected elsewhere (UDP: it takes no
 * datagram from the client, which gets ICMP port unreachable).
 */
class KernelLabPeerTest {
  private final Peer peer = new Peer(new PrintStream(PrintStream.nullOutputStream()));

  /** A TCP port the Peer may bind: held by a bound socket with SO_REUSEADDR that does not listen. */
  static Socket heldTcp() throws IOException {
    Socket s = new Socket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(0));
    return s;
  }

  /** A TCP port nothing listens on: held by a bound socket that does not listen. */
  static Socket closedTcp() throws IOException {
    Socket s = new Socket();
    s.bind(new InetSocketAddress(0));
    return s;
  }

  /** A UDP port the Peer may bind: held by a socket with SO_REUSEADDR connected to port 1, so it takes no datagram. */
  static DatagramSocket heldUdp() throws IOException {
    DatagramSocket s = new DatagramSocket(null);
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(0));
    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), 1));
    return s;
  }

  /** A UDP port no socket takes the client's datagrams on: held by a socket connected to port 1. */
  static DatagramSocket closedUdp() throws IOException {
    DatagramSocket s = new DatagramSocket(null);
    s.bind(new InetSocketAddress(0));
    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), 1));
    return s;
  }

  @Test
  void tcpFlowReportsTheAddressTheServerSaw() throws IOException {
    try (Socket server = heldTcp(); Socket client = heldTcp()) {
      tcpFlow(server.getLocalPort(), client.getLocalPort());
    }
  }

  private void tcpFlow(int port, int sport) {
    assertEquals("listening proto=tcp port=" + port, peer.command("tcp-server " + port));
    String line = peer.command("tcp-client 127.0.0.1 " + sport + " 127.0.0.1 " + port + " 800");
    Map<String, String> r = KernelLab.parseResult(line);
    assertEquals("true", r.get("ok"), line);
    assertEquals("done", r.get("step"));
    assertEquals("127.0.0.1:" + sport, r.get("seen"));
    assertEquals("127.0.0.1:" + port, r.get("local"));
  }

  @Test
  void udpFlowIsTwoRoundsAnsweredFromTheAddressAsked() throws IOException {
    try (DatagramSocket server = heldUdp(); DatagramSocket client = heldUdp()) {
      udpFlow(server.getLocalPort(), client.getLocalPort());
    }
  }

  private void udpFlow(int port, int sport) {
    assertTrue(peer.command("udp-server " + port).startsWith("listening proto=udp port=" + port + " bound="));
    String line = peer.command("udp-client 127.0.0.1 " + sport + " 127.0.0.1 " + port + " 800");
    Map<String, String> r = KernelLab.parseResult(line);
    assertEquals("true", r.get("ok"), line);
    assertEquals("127.0.0.1:" + sport, r.get("seen"));
    assertEquals("127.0.0.1:" + port, r.get("local"));
  }

  @Test
  void failuresNameTheStepAndWhatWasSeen() throws IOException {
    String tcp;
    try (Socket client = heldTcp(); Socket closed = closedTcp()) {
      tcp = peer.command("tcp-client - " + client.getLocalPort() + " 127.0.0.1 " + closed.getLocalPort() + " 800");
    }
    Map<String, String> r = KernelLab.parseResult(tcp);
    assertEquals("false", r.get("ok"), tcp);
    assertEquals("connect", r.get("step"));
    assertTrue(r.get("error").startsWith("refused ("), tcp);

    String udp;
    try (DatagramSocket client = heldUdp(); DatagramSocket closed = closedUdp()) {
      udp = peer.command("udp-client - " + client.getLocalPort() + " 127.0.0.1 " + closed.getLocalPort() + " 800");
    }
    r = KernelLab.parseResult(udp);
    assertEquals("false", r.get("ok"), udp);
    assertEquals("reply1", r.get("step"));
    assertEquals("ICMP port unreachable", r.get("error"));
  }

  @Test
  void badLinesGetOneErrorLineEach() {
    assertTrue(peer.command("tcp-client 1 2").startsWith("error usage: tcp-client SRC|- SPORT DST DPORT"));
    assertEquals("error unknown command: hello", peer.command("hello"));
    assertTrue(peer.command("tcp-server x").startsWith("error java.lang.NumberFormatException"));
  }

  @Test
  void resultLinesParseWithTheErrorLast() {
    Map<String, String> r = KernelLab.parseResult(
        "result proto=tcp ok=false step=reply seen=198.51.100.1:40000 local=203.0.113.10:443 ms=801 "
            + "error=timeout: nothing received within 800 ms");
    assertEquals("reply", r.get("step"));
    assertEquals("198.51.100.1:40000", r.get("seen"));
    assertEquals("timeout: nothing received within 800 ms", r.get("error"));
  }
}
