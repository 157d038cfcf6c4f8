package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.Protocol;
import java.util.Optional;

/**
 * {@code -m tcp} or {@code -m udp} with source and destination ports.
 *
 * <pre>{@code
 * PortMatch.tcpDestination(PortRange.of(443))   // -m tcp --dport 443
 * }</pre>
 *
 * <p>The rule must also say {@code -p tcp} (or udp); validation checks it, and the parser adds the
 * {@code -m tcp} that iptables adds for {@code -p tcp --dport 80}. Ports are kept the way the kernel
 * keeps them under iptables-nft: {@code ! --dport 0:80} becomes {@code --dport 81:65535}, and
 * {@code --dport 0:65535} disappears, leaving a bare {@code -m tcp}; {@code ! --dport 0:65535} (no
 * port) disappears too, as iptables-nft 1.8.9 drops it (the parser then drops a {@code -m tcp} left
 * with nothing, as iptables-save shows it).
 *
 * @param protocol {@link Protocol#TCP} or {@link Protocol#UDP}
 * @param source the source-port test, if any
 * @param destination the destination-port test, if any
 * @param flags tcp's {@code --tcp-flags} (or {@code --syn}) test, if any
 * @param option tcp's {@code [!] --tcp-option N} test, if any
 */
public record PortMatch(Protocol protocol, Optional<PortCriterion> source, Optional<PortCriterion> destination,
    Optional<TcpFlags> flags, Optional<TcpOption> option) implements Match {

  /** A TCP option test: {@code [!] --tcp-option KIND} with KIND 1 to 255. */
  public record TcpOption(int kind, boolean negated) {
    public TcpOption {
      checkArgument(kind >= 1 && kind <= 255, "TCP option %s is outside 1..255", kind);
    }
  }

  /** Ports alone. */
  public PortMatch(Protocol protocol, Optional<PortCriterion> source, Optional<PortCriterion> destination) {
    this(protocol, source, destination, Optional.empty(), Optional.empty());
  }

  public PortMatch {
    checkArgument(flags != null && option != null, "flags or option is null; use Optional.empty()");
    checkArgument(Protocol.TCP.equals(protocol) || (flags.isEmpty() && option.isEmpty()),
        "--tcp-flags and --tcp-option are tcp's");
    flags = flags.filter(f -> !f.isEmpty());
    checkArgument(
        Protocol.TCP.equals(protocol) || Protocol.UDP.equals(protocol),
        "-m tcp/udp: protocol must be tcp or udp, not %s",
        protocol);
    source = canonical(source);
    destination = canonical(destination);
  }

  private static Optional<PortCriterion> canonical(Optional<PortCriterion> c) {
    checkArgument(c != null, "port criterion is null; use Optional.empty()");
    return c.map(PortCriterion::canonical).filter(p -> !p.isAny() && !p.isNone());
  }

  public static PortMatch tcpDestination(dev.mlb.api.PortRange ports) {
    return new PortMatch(Protocol.TCP, Optional.empty(), Optional.of(PortCriterion.is(ports)));
  }

  public static PortMatch udpDestination(dev.mlb.api.PortRange ports) {
    return new PortMatch(Protocol.UDP, Optional.empty(), Optional.of(PortCriterion.is(ports)));
  }

  /** Whether a packet with these ports passes. */
  public boolean test(int sourcePort, int destinationPort) {
    return source.map(c -> c.test(sourcePort)).orElse(true)
        && destination.map(c -> c.test(destinationPort)).orElse(true);
  }

  /** Whether the match tests ports only (no TCP flags or options), which the simulator models. */
  public boolean isPortsOnly() {
    return flags.isEmpty() && option.isEmpty();
  }

  @Override
  public String module() {
    return protocol.toString();
  }
}
