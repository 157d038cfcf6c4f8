package dev.mlb.iproute;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import dev.mlb.api.Numbers;
import java.util.Map;

/**
 * A routing protocol number (the kernel's {@code rtm_protocol}): who made a route or an ip rule.
 *
 * <pre>{@code
 * RouteProtocol.parse("static");             // static (4)
 * RouteProtocol.parse("99").toString();       // "openr"
 * RouteProtocol.of(200).toString();           // "200"
 * }</pre>
 *
 * <p>mlb uses it as an ownership tag: every rule and route of a plan carries the plan's protocol, so
 * {@code rule flush protocol TAG} removes exactly mlb's rules before they are added again.
 * {@link #toString()} prints the name {@code ip} prints: iproute2's table of Debian's
 * {@code /etc/iproute2/rt_protos} (iproute2 6.1), the number for every other value. A name is
 * also accepted by the real {@code ip} only where that file has it, so mlb writes only those names.
 *
 * @param number 0 to 255
 */
public record RouteProtocol(int number) implements Comparable<RouteProtocol> {

  /** Unspecified, 0: what a rule without {@code protocol} gets. */
  public static final RouteProtocol UNSPEC = new RouteProtocol(0);
  /** Made by the kernel itself (connected and local routes), 2. */
  public static final RouteProtocol KERNEL = new RouteProtocol(2);
  /** {@code ip route add} without {@code proto}, 3. */
  public static final RouteProtocol BOOT = new RouteProtocol(3);
  /** Set by an administrator, 4. */
  public static final RouteProtocol STATIC = new RouteProtocol(4);

  private static final ImmutableMap<Integer, String> NAMES =
      ImmutableMap.<Integer, String>builder()
          .put(0, "unspec").put(1, "redirect").put(2, "kernel").put(3, "boot").put(4, "static")
          .put(8, "gated").put(9, "ra").put(10, "mrt").put(11, "zebra").put(12, "bird")
          .put(13, "dnrouted").put(14, "xorp").put(15, "ntk").put(16, "dhcp")
          .put(18, "keepalived").put(42, "babel").put(99, "openr").put(186, "bgp")
          .put(187, "isis").put(188, "ospf").put(189, "rip").put(192, "eigrp")
          .buildOrThrow();

  private static final ImmutableMap<String, Integer> NUMBERS;

  static {
    ImmutableMap.Builder<String, Integer> b = ImmutableMap.builder();
    for (Map.Entry<Integer, String> e : NAMES.entrySet()) {
      b.put(e.getValue(), e.getKey());
    }
    NUMBERS = b.buildOrThrow();
  }

  public RouteProtocol {
    checkArgument(number >= 0 && number <= 255, "route protocol %s is outside 0..255", number);
  }

  /** The protocol with this number. */
  public static RouteProtocol of(int number) {
    return new RouteProtocol(number);
  }

  /**
   * Parses a name from iproute2's rt_protos table or a number 0 to 255 (decimal or 0x hex).
   *
   * @throws IllegalArgumentException naming {@code text} if it is neither
   */
  public static RouteProtocol parse(String text) {
    checkArgument(text != null, "route protocol is null");
    Integer n = NUMBERS.get(text);
    if (n != null) {
      return new RouteProtocol(n);
    }
    long v = Numbers.parseUnsigned(text, 255);
    if (v < 0) {
      throw new IllegalArgumentException(
          "unknown route protocol \"" + text
              + "\"; expected a number 0 to 255 or a name such as static, kernel, boot, dhcp");
    }
    return new RouteProtocol((int) v);
  }

  @Override
  public int compareTo(RouteProtocol o) {
    return Integer.compare(number, o.number);
  }

  /** The name {@code ip} prints, or the number. */
  @Override
  public String toString() {
    String name = NAMES.get(number);
    return name != null ? name : Integer.toString(number);
  }
}
