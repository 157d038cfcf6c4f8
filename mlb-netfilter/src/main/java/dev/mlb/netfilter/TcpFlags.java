package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * The TCP flag test of {@code -m tcp}: {@code [!] --tcp-flags MASK COMP} (the flags in MASK must be
 * set as in COMP); {@code --syn} is {@code --tcp-flags FIN,SYN,RST,ACK SYN}.
 *
 * <pre>{@code
 * TcpFlags.SYN                           // --tcp-flags FIN,SYN,RST,ACK SYN
 * new TcpFlags(0x3F, 0, false)           // --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE
 * }</pre>
 *
 * @param mask the flags looked at: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20
 * @param compare the flags of {@code mask} that must be set
 * @param negated whether the test is inverted
 */
public record TcpFlags(int mask, int compare, boolean negated) {
  /** The flag names by bit, in the order iptables prints them. */
  static final String[] NAMES = {"FIN", "SYN", "RST", "PSH", "ACK", "URG"};

  /** {@code --syn}: SYN set, FIN, RST and ACK clear. */
  public static final TcpFlags SYN = new TcpFlags(0x17, 0x02, false);

  public TcpFlags {
    checkArgument(mask >= 0 && mask <= 0x3F, "TCP flag mask 0x%s is outside 0..0x3f", Integer.toHexString(mask));
    checkArgument(compare >= 0 && compare <= 0x3F, "TCP flags 0x%s are outside 0..0x3f",
        Integer.toHexString(compare));
  }

  /** Whether the test looks at nothing and is not negated: iptables leaves it out. */
  boolean isEmpty() {
    return mask == 0 && !negated;
  }

  /** {@code FIN,SYN} or {@code NONE}, as iptables prints a set of flags. */
  static String names(int flags) {
    if (flags == 0) {
      return "NONE";
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < NAMES.length; i++) {
      if ((flags & (1 << i)) != 0) {
        out.append(out.length() == 0 ? "" : ",").append(NAMES[i]);
      }
    }
    return out.toString();
  }

  /** The canonical text after {@code --tcp-flags}: {@code FIN,SYN,RST,ACK SYN}. */
  @Override
  public String toString() {
    return names(mask) + " " + names(compare);
  }
}
