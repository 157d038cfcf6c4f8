package dev.mlb.testkit.live;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Protocol;

/**
 * One entry of a {@link FakeRouter}'s connection tracking table, as {@code conntrack -L} lists it.
 *
 * <pre>{@code
 * FakeConnection c = FakeConnection.tcp("192.0.2.10", 40000, "203.0.113.80", 443)
 *     .withReply("203.0.113.80", 443, "198.51.100.2", 40000)   // masqueraded behind 198.51.100.2
 *     .withMark(0x100);
 * c.line();
 * // "tcp      6 432000 ESTABLISHED src=192.0.2.10 dst=203.0.113.80 sport=40000 dport=443 src=203.0.113.80
 * //  dst=198.51.100.2 sport=443 dport=40000 [ASSURED] mark=256 use=1"
 * }</pre>
 *
 * @param protocol TCP or UDP
 * @param state the TCP state ({@code ESTABLISHED}, {@code SYN_SENT}, ...); empty for UDP
 * @param timeout the seconds left, as listed (the fake's clock stands still)
 * @param src the original direction's source
 * @param dst the original direction's destination
 * @param sport the original direction's source port
 * @param dport the original direction's destination port
 * @param replySrc the reply direction's source (the original destination, unless DNAT changed it)
 * @param replyDst the reply direction's destination (the original source, unless SNAT changed it)
 * @param replySport the reply direction's source port
 * @param replyDport the reply direction's destination port
 * @param replied whether a reply was seen (else the entry is {@code [UNREPLIED]})
 * @param assured whether the entry is {@code [ASSURED]}
 * @param mark the connection mark, 0 to 4294967295
 */
public record FakeConnection(Protocol protocol, String state, long timeout, IpAddress src, IpAddress dst,
    int sport, int dport, IpAddress replySrc, IpAddress replyDst, int replySport, int replyDport,
    boolean replied, boolean assured, long mark) {

  public FakeConnection {
    checkArgument(protocol.equals(Protocol.TCP) || protocol.equals(Protocol.UDP),
        "the fake conntrack table holds TCP and UDP connections, not %s", protocol);
    checkArgument(protocol.equals(Protocol.TCP) != state.isEmpty(), "a TCP connection has a state, a UDP one none");
    checkArgument(src.family() == dst.family() && src.family() == replySrc.family()
        && src.family() == replyDst.family(), "addresses of two families in one connection");
    for (int port : new int[] {sport, dport, replySport, replyDport}) {
      checkArgument(port >= 0 && port <= 65535, "port %s is outside 0..65535", port);
    }
    checkArgument(mark >= 0 && mark <= 0xFFFF_FFFFL, "mark %s is outside 0..0xffffffff", mark);
    checkArgument(timeout >= 0, "negative timeout");
  }

  /** An established TCP connection that has seen replies, without NAT, mark 0. */
  public static FakeConnection tcp(String src, int sport, String dst, int dport) {
    IpAddress s = IpAddress.parse(src);
    IpAddress d = IpAddress.parse(dst);
    return new FakeConnection(Protocol.TCP, "ESTABLISHED", 432000, s, d, sport, dport, d, s, dport, sport, true,
        true, 0);
  }

  /** A UDP flow that has seen replies, without NAT, mark 0. */
  public static FakeConnection udp(String src, int sport, String dst, int dport) {
    IpAddress s = IpAddress.parse(src);
    IpAddress d = IpAddress.parse(dst);
    return new FakeConnection(Protocol.UDP, "", 120, s, d, sport, dport, d, s, dport, sport, true, true, 0);
  }

  /** This connection with the connection mark {@code mark}. */
  public FakeConnection withMark(long mark) {
    return new FakeConnection(protocol, state, timeout, src, dst, sport, dport, replySrc, replyDst, replySport,
        replyDport, replied, assured, mark);
  }

  /** This connection with another reply tuple (NAT). */
  public FakeConnection withReply(String replySrc, int replySport, String replyDst, int replyDport) {
    return new FakeConnection(protocol, state, timeout, src, dst, sport, dport, IpAddress.parse(replySrc),
        IpAddress.parse(replyDst), replySport, replyDport, replied, assured, mark);
  }

  /** This connection before any reply: {@code [UNREPLIED]}, not assured (TCP: {@code SYN_SENT}). */
  public FakeConnection unreplied() {
    return new FakeConnection(protocol, protocol.equals(Protocol.TCP) ? "SYN_SENT" : "", timeout, src, dst, sport,
        dport, replySrc, replyDst, replySport, replyDport, false, false, mark);
  }

  /** IPv4 or IPv6. */
  public IpFamily family() {
    return src.family();
  }

  /**
   * The line {@code conntrack -L} prints for the entry. Checked with conntrack v1.4.7 on Linux 6.18
   * (entries made with {@code conntrack -I}): {@code %-8s %u %lu}, the TCP state, the original tuple,
   * {@code [UNREPLIED]} before a reply, the reply tuple, {@code [ASSURED]}, {@code mark=} in decimal,
   * {@code use=1}.
   */
  public String line() {
    StringBuilder b = new StringBuilder();
    String name = protocol.equals(Protocol.TCP) ? "tcp" : "udp";
    b.append(String.format("%-8s %d %d ", name, protocol.number(), timeout));
    if (!state.isEmpty()) {
      b.append(state).append(' ');
    }
    b.append("src=").append(src).append(" dst=").append(dst).append(" sport=").append(sport)
        .append(" dport=").append(dport).append(' ');
    if (!replied) {
      b.append("[UNREPLIED] ");
    }
    b.append("src=").append(replySrc).append(" dst=").append(replyDst).append(" sport=").append(replySport)
        .append(" dport=").append(replyDport).append(' ');
    if (assured) {
      b.append("[ASSURED] ");
    }
    b.append("mark=").append(mark).append(" use=1");
    return b.toString();
  }

  @Override
  public String toString() {
    return line();
  }
}
