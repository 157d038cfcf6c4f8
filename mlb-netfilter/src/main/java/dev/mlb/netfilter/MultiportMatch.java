package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.PortRange;
import java.util.List;

/**
 * {@code -m multiport [!] --dports|--sports|--ports P1,P2,FIRST:LAST,...}: up to 15 ports, a range
 * counting as two.
 *
 * <pre>{@code
 * MultiportMatch.destination(PortRange.of(80), PortRange.of(443))   // -m multiport --dports 80,443
 * }</pre>
 *
 * @param direction which port is tested
 * @param ports the ports and ranges, in order
 * @param negated whether the test is inverted
 */
public record MultiportMatch(Direction direction, ImmutableList<PortRange> ports, boolean negated)
    implements Match {

  /** The kernel's XT_MULTI_PORTS. */
  public static final int MAX_PORTS = 15;

  /** Which port a multiport match tests. */
  public enum Direction {
    SOURCE("--sports"),
    DESTINATION("--dports"),
    EITHER("--ports");

    private final String option;

    Direction(String option) {
      this.option = option;
    }

    /** The option that selects this direction. */
    public String option() {
      return option;
    }
  }

  public MultiportMatch {
    checkArgument(direction != null, "direction is null");
    checkArgument(ports != null && !ports.isEmpty(), "-m multiport needs at least one port");
    ports = ImmutableList.copyOf(ports);
  }

  public static MultiportMatch destination(PortRange... ports) {
    return new MultiportMatch(Direction.DESTINATION, ImmutableList.copyOf(ports), false);
  }

  public static MultiportMatch of(Direction direction, List<PortRange> ports, boolean negated) {
    return new MultiportMatch(direction, ImmutableList.copyOf(ports), negated);
  }

  /** How many of the kernel's 15 port slots the list takes: one per port, two per range. */
  public int slots() {
    return ports.stream().mapToInt(p -> p.isSingle() ? 1 : 2).sum();
  }

  /** Whether a packet with these ports passes. */
  public boolean test(int sourcePort, int destinationPort) {
    boolean hit = false;
    for (PortRange p : ports) {
      hit |= switch (direction) {
        case SOURCE -> p.contains(sourcePort);
        case DESTINATION -> p.contains(destinationPort);
        case EITHER -> p.contains(sourcePort) || p.contains(destinationPort);
      };
    }
    return hit != negated;
  }

  @Override
  public String module() {
    return "multiport";
  }
}
