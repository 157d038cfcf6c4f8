package dev.mlb.netfilter;

/**
 * {@code -j HL --hl-set N | --hl-dec N | --hl-inc N}: sets, decrements or increments the IPv6
 * hop limit and goes on with the next rule. Only in the mangle table of IPv6 ({@link Ttl} is
 * IPv4's).
 *
 * <pre>{@code
 * HopLimit.set(64)          // -j HL --hl-set 64
 * HopLimit.decrement(1)     // -j HL --hl-dec 1
 * }</pre>
 *
 * <p>iptables takes 0 to 255 for {@code --hl-set} and 1 to 255 for the others.
 *
 * @param mode set, decrement or increment
 * @param value the hop limit to set, or the step
 */
public record HopLimit(Ttl.Mode mode, int value) implements Target {

  public HopLimit {
    Ttl.checkValue("HL", mode, value);
  }

  public static HopLimit set(int hopLimit) {
    return new HopLimit(Ttl.Mode.SET, hopLimit);
  }

  public static HopLimit decrement(int by) {
    return new HopLimit(Ttl.Mode.DECREMENT, by);
  }

  public static HopLimit increment(int by) {
    return new HopLimit(Ttl.Mode.INCREMENT, by);
  }

  @Override
  public String name() {
    return "HL";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }
}
