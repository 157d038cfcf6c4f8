package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramSocket;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The lab's {@link Peer} on the loopback interface: no root, no namespaces. */
class KernelLabPeerTest {
  private final Peer peer = new Peer(new PrintStream(PrintStream.nullOutputStream()));

  static int freeTcpPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static int freeUdpPort() throws IOException {
    try (DatagramSocket s = new DatagramSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void tcpFlowReportsTheAddressTheServerSaw() throws IOException {
    int port = freeTcpPort();
    int sport = freeTcpPort();
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
    int port = freeUdpPort();
    int sport = freeUdpPort();
    assertTrue(peer.command("udp-server " + port).startsWith("listening proto=udp port=" + port + " bound="));
    String line = peer.command("udp-client 127.0.0.1 " + sport + " 127.0.0.1 " + port + " 800");
    Map<String, String> r = KernelLab.parseResult(line);
    assertEquals("true", r.get("ok"), line);
    assertEquals("127.0.0.1:" + sport, r.get("seen"));
    assertEquals("127.0.0.1:" + port, r.get("local"));
  }

  @Test
  void failuresNameTheStepAndWhatWasSeen() throws IOException {
    String tcp = peer.command("tcp-client - " + freeTcpPort() + " 127.0.0.1 " + freeTcpPort() + " 800");
    Map<String, String> r = KernelLab.parseResult(tcp);
    assertEquals("false", r.get("ok"), tcp);
    assertEquals("connect", r.get("step"));
    assertTrue(r.get("error").startsWith("refused ("), tcp);

    String udp = peer.command("udp-client - " + freeUdpPort() + " 127.0.0.1 " + freeUdpPort() + " 800");
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
