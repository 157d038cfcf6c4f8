package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.PortRange;

/**
 * A port test of {@code -m tcp} / {@code -m udp}: {@code [!] --sport RANGE} or {@code --dport}.
 *
 * <pre>{@code
 * PortCriterion.is(PortRange.of(80))        // --dport 80
 * PortCriterion.not(PortRange.of(7, 9))     // ! --dport 7:9
 * }</pre>
 *
 * @param range the ports
 * @param negated whether the test is inverted
 */
public record PortCriterion(PortRange range, boolean negated) {

  public PortCriterion {
    checkArgument(range != null, "port range is null");
  }

  public static PortCriterion is(PortRange range) {
    return new PortCriterion(range, false);
  }

  public static PortCriterion not(PortRange range) {
    return new PortCriterion(range, true);
  }

  /** Whether {@code port} passes the test. */
  public boolean test(int port) {
    return range.contains(port) != negated;
  }

  /** Whether the test passes every port (0:65535, not negated). */
  public boolean isAny() {
    return !negated && range.first() == 0 && range.last() == 65535;
  }

  /** Whether the test passes no port at all (! 0:65535). */
  public boolean isNone() {
    return negated && range.first() == 0 && range.last() == 65535;
  }

  /**
   * The form the kernel keeps under iptables-nft: {@code ! 0:N} (N below 65535) is stored and
   * printed as {@code N+1:65535}.
   */
  PortCriterion canonical() {
    if (negated && range.first() == 0 && range.last() < 65535) {
      return new PortCriterion(PortRange.of(range.last() + 1, 65535), false);
    }
    return this;
  }
}
