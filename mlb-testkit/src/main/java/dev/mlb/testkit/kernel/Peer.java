package dev.mlb.testkit.kernel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The kernel lab's client and server: a small program without dependencies that runs inside a
 * network namespace ({@code ip netns exec NS java -cp CLASSES dev.mlb.testkit.kernel.Peer ...}).
 *
 * <pre>{@code
 * Peer tcp-server 443 80                       # listens on 0.0.0.0 until killed
 * Peer udp-server 53                           # one socket per local IPv4 address, so replies leave from it
 * Peer tcp-client 192.0.2.100 40000 203.0.113.10 443
 * result proto=tcp ok=true step=done seen=198.51.100.1:40000 local=203.0.113.10:443 ms=4
 * Peer batch                                   # the commands above, one per line on stdin
 * }</pre>
 *
 * <p>A TCP flow is: bind (address or {@code -} for any, and port), connect, send one request line,
 * read the reply line, shut down the sending side, read the server's close, close. A UDP flow is two
 * request/reply rounds. The server answers with {@code seen=ADDR:PORT local=ADDR:PORT}: the
 * client's address as the server saw it (after any NAT) and the address the server was reached at.
 * Every step has a time limit (default 800 ms; the kernel lab drops retransmitted SYNs, so a failed
 * connect is one SYN whatever the limit). A client prints one {@code result} line:
 * {@code ok=false step=STEP} names the step that failed ({@code bind}, {@code connect},
 * {@code send}, {@code reply}, {@code close} for TCP; {@code reply1}, {@code reply2} for UDP) and
 * {@code error=} (always last) says what was observed.
 *
 * <p>In {@code batch} mode every command line gets exactly one answer line, in order: {@code result
 * ...} for a client, {@code listening proto=P port=N} for a server (listeners keep running in the
 * background; repeating {@code udp-server PORT} binds addresses added since), {@code error ...} for a
 * bad line. The first line printed is {@code ready}. End of input ends the program.
 */
public final class Peer {
  static final int DEFAULT_TIMEOUT_MS = 800;
  private static final int SERVER_IDLE_MS = 10_000;

  private final PrintStream out;
  private final Set<Integer> tcpPorts = Collections.synchronizedSet(new HashSet<>());
  private final Set<String> udpBound = Collections.synchronizedSet(new HashSet<>());

  Peer(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) throws IOException {
    PrintStream stdout = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
        StandardCharsets.UTF_8);
    Peer peer = new Peer(stdout);
    if (args.length == 0) {
      System.err.println("usage: Peer batch | tcp-server PORT... | udp-server PORT... | "
          + "tcp-client SRC|- SPORT DST DPORT [TIMEOUT_MS] | udp-client SRC|- SPORT DST DPORT [TIMEOUT_MS]");
      System.exit(2);
    }
    switch (args[0]) {
      case "batch" -> peer.batch();
      case "tcp-server", "udp-server" -> {
        for (int i = 1; i < args.length; i++) {
          stdout.println(peer.command(args[0] + " " + args[i]));
        }
        sleepForever();
      }
      default -> {
        String answer = peer.command(String.join(" ", args));
        stdout.println(answer);
        System.exit(answer.startsWith("result proto=") && answer.contains(" ok=true ") ? 0 : 1);
      }
    }
  }

  private void batch() throws IOException {
    out.println("ready");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.isBlank()) {
        continue;
      }
      if (line.strip().equals("quit")) {
        break;
      }
      out.println(command(line.strip()));
    }
    System.exit(0);
  }

  private static void sleepForever() {
    try {
      Thread.sleep(Long.MAX_VALUE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Runs one command line and returns its one answer line. */
  String command(String line) {
    String[] w = line.split("\\s+");
    try {
      switch (w[0]) {
        case "tcp-server":
          return tcpServer(Integer.parseInt(w[1]));
        case "udp-server":
          return udpServer(Integer.parseInt(w[1]));
        case "tcp-client":
        case "udp-client": {
          if (w.length != 5 && w.length != 6) {
            return "error usage: " + w[0] + " SRC|- SPORT DST DPORT [TIMEOUT_MS]";
          }
          InetAddress src = w[1].equals("-") ? null : InetAddress.getByName(w[1]);
          int sport = Integer.parseInt(w[2]);
          InetAddress dst = InetAddress.getByName(w[3]);
          int dport = Integer.parseInt(w[4]);
          int timeout = w.length == 6 ? Integer.parseInt(w[5]) : DEFAULT_TIMEOUT_MS;
          return w[0].equals("tcp-client")
              ? tcpClient(src, sport, dst, dport, timeout)
              : udpClient(src, sport, dst, dport, timeout);
        }
        default:
          return "error unknown command: " + line;
      }
    } catch (RuntimeException | IOException e) {
      return "error " + e;
    }
  }

  // ---------------------------------------------------------------- servers

  private String tcpServer(int port) throws IOException {
    if (tcpPorts.add(port)) {
      ServerSocket server = new ServerSocket();
      server.setReuseAddress(true);
      try {
        server.bind(new InetSocketAddress(port), 128);
      } catch (IOException e) {
        tcpPorts.remove(port);
        server.close();
        throw e;
      }
      daemon("tcp-server-" + port, () -> {
        while (true) {
          Socket s;
          try {
            s = server.accept();
          } catch (IOException e) {
            return;
          }
          daemon("tcp-conn", () -> serveTcp(s));
        }
      });
    }
    return "listening proto=tcp port=" + port;
  }

  private static void serveTcp(Socket s) {
    try (s) {
      s.setSoTimeout(SERVER_IDLE_MS);
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String request = in.readLine();
      if (request == null) {
        return;
      }
      OutputStream o = s.getOutputStream();
      o.write(("seen=" + addr((InetSocketAddress) s.getRemoteSocketAddress())
          + " local=" + addr((InetSocketAddress) s.getLocalSocketAddress()) + "\n").getBytes(StandardCharsets.UTF_8));
      o.flush();
      while (in.read() >= 0) {
        // Wait for the client's close (its FIN); then close ours.
      }
    } catch (IOException e) {
      // The client went away or timed out; nothing to report on the server side.
    }
  }

  private String udpServer(int port) throws IOException {
    List<String> bound = new ArrayList<>();
    for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress a : Collections.list(nif.getInetAddresses())) {
        if (!(a instanceof Inet4Address)) {
          continue;
        }
        String key = a.getHostAddress() + ":" + port;
        if (!udpBound.add(key)) {
          continue;
        }
        DatagramSocket socket = new DatagramSocket(null);
        socket.setReuseAddress(true);
        try {
          socket.bind(new InetSocketAddress(a, port));
        } catch (SocketException e) {
          udpBound.remove(key);
          socket.close();
          throw e;
        }
        bound.add(a.getHostAddress());
        daemon("udp-server-" + key, () -> serveUdp(socket));
      }
    }
    return "listening proto=udp port=" + port + (bound.isEmpty() ? "" : " bound=" + String.join(",", bound));
  }

  private static void serveUdp(DatagramSocket socket) {
    byte[] buf = new byte[1500];
    while (true) {
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      try {
        socket.receive(p);
        byte[] reply = ("seen=" + addr((InetSocketAddress) p.getSocketAddress())
            + " local=" + addr((InetSocketAddress) socket.getLocalSocketAddress()) + "\n")
            .getBytes(StandardCharsets.UTF_8);
        socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
      } catch (IOException e) {
        if (socket.isClosed()) {
          return;
        }
      }
    }
  }

  // ---------------------------------------------------------------- clients

  private static String tcpClient(InetAddress src, int sport, InetAddress dst, int dport, int timeout) {
    long start = System.nanoTime();
    String step = "bind";
    String reply = null;
    try (Socket s = new Socket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(src, sport));
      step = "connect";
      s.connect(new InetSocketAddress(dst, dport), timeout);
      s.setSoTimeout(timeout);
      step = "send";
      OutputStream o = s.getOutputStream();
      o.write(("hello " + dport + "\n").getBytes(StandardCharsets.UTF_8));
      o.flush();
      step = "reply";
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      reply = in.readLine();
      if (reply == null || !reply.startsWith("seen=")) {
        return result("tcp", false, step, reply, start, reply == null ? "connection closed before the reply" : "bad reply");
      }
      step = "close";
      s.shutdownOutput();
      if (in.read() >= 0) {
        return result("tcp", false, step, reply, start, "data after the reply");
      }
      return result("tcp", true, "done", reply, start, null);
    } catch (IOException | RuntimeException e) {
      return result("tcp", false, step, reply, start, describe(e, timeout));
    }
  }

  private static String udpClient(InetAddress src, int sport, InetAddress dst, int dport, int timeout) {
    long start = System.nanoTime();
    String step = "bind";
    String reply = null;
    try (DatagramSocket s = new DatagramSocket(null)) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(src, sport));
      s.connect(new InetSocketAddress(dst, dport));
      s.setSoTimeout(timeout);
      for (int round = 1; round <= 2; round++) {
        step = "reply" + round;
        byte[] req = ("request " + round + "\n").getBytes(StandardCharsets.UTF_8);
        s.send(new DatagramPacket(req, req.length));
        byte[] buf = new byte[1500];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        s.receive(p);
        String got = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8).strip();
        if (!got.startsWith("seen=")) {
          return result("udp", false, step, reply, start, "bad reply");
        }
        reply = got;
      }
      return result("udp", true, "done", reply, start, null);
    } catch (IOException | RuntimeException e) {
      return result("udp", false, step, reply, start, describe(e, timeout));
    }
  }

  private static String describe(Exception e, int timeout) {
    if (e instanceof SocketTimeoutException) {
      return "timeout: nothing received within " + timeout + " ms";
    }
    if (e instanceof PortUnreachableException) {
      return "ICMP port unreachable";
    }
    if (e instanceof NoRouteToHostException) {
      return "no route to host (" + e.getMessage() + ")";
    }
    if (e instanceof ConnectException) {
      return "refused (" + e.getMessage() + ")";
    }
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  private static String result(String proto, boolean ok, String step, String reply, long start, String error) {
    StringBuilder b = new StringBuilder("result proto=").append(proto).append(" ok=").append(ok)
        .append(" step=").append(step);
    if (reply != null) {
      b.append(' ').append(reply.strip());
    }
    b.append(" ms=").append((System.nanoTime() - start) / 1_000_000);
    if (error != null) {
      b.append(" error=").append(error.replace('\n', ' '));
    }
    return b.toString();
  }

  private static String addr(InetSocketAddress a) {
    return a.getAddress().getHostAddress() + ":" + a.getPort();
  }

  private static void daemon(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }
}
