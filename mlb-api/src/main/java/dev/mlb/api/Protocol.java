package dev.mlb.api;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import java.util.Locale;
import java.util.Map;

/**
 * An IP protocol number, printed by name where the system's protocol table has one.
 *
 * <pre>{@code
 * Protocol.TCP.number();            // 6
 * Protocol.parse("udp");            // udp
 * Protocol.parse("47").toString();  // "gre"
 * Protocol.parse("200").toString(); // "200"
 * }</pre>
 *
 * <p>{@code iptables-save} and {@code ip rule} print a protocol by the first name that
 * {@code getprotobynumber(3)} finds in {@code /etc/protocols}. mlb carries the table of Debian's
 * {@code netbase} package (the one the golden files were made with), so its output is the same on
 * any machine. Protocol 0 is not a protocol here: "all" / "any" is the absence of {@code -p}.
 *
 * @param number the protocol number, 1 to 255
 */
public record Protocol(int number) implements Comparable<Protocol> {

  public static final Protocol ICMP = new Protocol(1);
  public static final Protocol TCP = new Protocol(6);
  public static final Protocol UDP = new Protocol(17);
  public static final Protocol ICMPV6 = new Protocol(58);
  public static final Protocol SCTP = new Protocol(132);
  public static final Protocol UDPLITE = new Protocol(136);

  /** Number to first name, from Debian netbase's /etc/protocols. */
  private static final ImmutableMap<Integer, String> NAMES =
      ImmutableMap.<Integer, String>builder()
          .put(1, "icmp").put(2, "igmp").put(3, "ggp").put(4, "ipencap").put(5, "st")
          .put(6, "tcp").put(8, "egp").put(9, "igp").put(12, "pup").put(17, "udp")
          .put(20, "hmp").put(22, "xns-idp").put(27, "rdp").put(29, "iso-tp4").put(33, "dccp")
          .put(36, "xtp").put(37, "ddp").put(38, "idpr-cmtp").put(41, "ipv6").put(43, "ipv6-route")
          .put(44, "ipv6-frag").put(45, "idrp").put(46, "rsvp").put(47, "gre").put(50, "esp")
          .put(51, "ah").put(57, "skip").put(58, "ipv6-icmp").put(59, "ipv6-nonxt")
          .put(60, "ipv6-opts").put(73, "rspf").put(81, "vmtp").put(88, "eigrp").put(89, "ospf")
          .put(93, "ax.25").put(94, "ipip").put(97, "etherip").put(98, "encap").put(103, "pim")
          .put(108, "ipcomp").put(112, "vrrp").put(115, "l2tp").put(124, "isis").put(132, "sctp")
          .put(133, "fc").put(135, "mobility-header").put(136, "udplite").put(137, "mpls-in-ip")
          .put(138, "manet").put(139, "hip").put(140, "shim6").put(141, "wesp").put(142, "rohc")
          .put(143, "ethernet")
          .buildOrThrow();

  private static final ImmutableMap<String, Integer> NUMBERS;

  static {
    ImmutableMap.Builder<String, Integer> b = ImmutableMap.builder();
    for (Map.Entry<Integer, String> e : NAMES.entrySet()) {
      b.put(e.getValue(), e.getKey());
    }
    // Aliases that iptables, ip and /etc/protocols also accept.
    b.put("icmpv6", 58).put("ipv6-mh", 135).put("mh", 135).put("ipv6-icmp6", 58)
        .put("ipip4", 4).put("ip-in-ip", 4);
    NUMBERS = b.buildKeepingLast();
  }

  public Protocol {
    checkArgument(
        number >= 1 && number <= 255,
        "protocol number %s is outside 1..255 (0 means any protocol: leave the protocol out)",
        number);
  }

  /** The protocol with this number. */
  public static Protocol of(int number) {
    return new Protocol(number);
  }

  /**
   * Parses a protocol name (case-insensitive) or number 1 to 255.
   *
   * @throws IllegalArgumentException naming {@code text} if it is neither
   */
  public static Protocol parse(String text) {
    checkArgument(text != null, "protocol is null");
    // The names rulesets spell most, as written (no lower-casing, no map).
    switch (text) {
      case "tcp":
        return TCP;
      case "udp":
        return UDP;
      case "icmp":
        return ICMP;
      default:
        break;
    }
    if (!text.isEmpty() && text.length() <= 3 && Numbers.isDigits(text)) {
      int n = Integer.parseInt(text);
      if (n >= 1 && n <= 255) {
        return new Protocol(n);
      }
    }
    Integer n = NUMBERS.get(text.toLowerCase(Locale.ROOT));
    if (n == null) {
      throw new IllegalArgumentException(
          "unknown protocol \"" + text + "\"; expected a name such as tcp, udp, icmp or a number 1 to 255");
    }
    return new Protocol(n);
  }

  /** Whether {@code text} names "any protocol" ({@code all}, {@code any}, {@code ip}, {@code 0}). */
  public static boolean isAny(String text) {
    switch (text) {
      case "tcp", "udp", "icmp":
        return false;
      case "all", "any", "0", "ip", "hopopt":
        return true;
      default:
        String t = text.toLowerCase(Locale.ROOT);
        return t.equals("all") || t.equals("any") || t.equals("0") || t.equals("ip") || t.equals("hopopt");
    }
  }

  /** Whether the protocol has 16-bit ports (tcp, udp, udplite, sctp, dccp). */
  public boolean hasPorts() {
    return number == 6 || number == 17 || number == 136 || number == 132 || number == 33;
  }

  @Override
  public int compareTo(Protocol o) {
    return Integer.compare(number, o.number);
  }

  /** The protocol's name from the protocol table, or its number. */
  @Override
  public String toString() {
    String name = number >= 0 && number < TEXTS.length ? TEXTS[number] : null;
    return name != null ? name : Integer.toString(number);
  }

  /** The names by number, for a {@link #toString()} without boxing or hashing (writers call it per rule). */
  private static final String[] TEXTS = new String[256];

  static {
    for (Map.Entry<Integer, String> e : NAMES.entrySet()) {
      TEXTS[e.getKey()] = e.getValue();
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Protocol p && p.number == number;
  }

  @Override
  public int hashCode() {
    // What the record's own hashCode gives for its one int, spelled out next to equals.
    return number;
  }
}
