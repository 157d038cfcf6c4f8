package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code -m mac --mac-source ADDRESS}: the Ethernet source address of the packet, or ({@code !})
 * every other one.
 *
 * <pre>{@code
 * MacMatch.source("aa:bb:cc:dd:ee:0f")          // -m mac --mac-source aa:bb:cc:dd:ee:0f
 * MacMatch.notSource("42:01:02:03:04:05")       // -m mac ! --mac-source 42:01:02:03:04:05
 * }</pre>
 *
 * <p>iptables 1.8.9 reads each of the six parts with strtoul (so {@code 42:01:02:03:04:5} is
 * {@code 42:01:02:03:04:05}) and iptables-save prints them as two lowercase hex digits. The kernel
 * takes the match only in chains reached from PREROUTING, INPUT and FORWARD.
 *
 * @param address the six bytes, each 0 to 255
 * @param negated whether the match is {@code ! --mac-source}
 */
public record MacMatch(List<Integer> address, boolean negated) implements Match {

  public MacMatch {
    checkArgument(address != null && address.size() == 6, "a MAC address has 6 bytes: %s", address);
    for (int b : address) {
      checkArgument(b >= 0 && b <= 255, "MAC address byte %s is outside 0 to 255", b);
    }
    address = List.copyOf(address);
  }

  /** The packets from {@code address} ({@code xx:xx:xx:xx:xx:xx}, hex). */
  public static MacMatch source(String address) {
    return new MacMatch(parse(address), false);
  }

  /** The packets not from {@code address}. */
  public static MacMatch notSource(String address) {
    return new MacMatch(parse(address), true);
  }

  /** The address as iptables-save prints it: {@code aa:bb:cc:dd:ee:0f}. */
  public String text() {
    StringBuilder s = new StringBuilder(17);
    for (int b : address) {
      if (s.length() > 0) {
        s.append(':');
      }
      s.append(String.format(Locale.ROOT, "%02x", b));
    }
    return s.toString();
  }

  @Override
  public String module() {
    return "mac";
  }

  /**
   * xtopt_parse_ethermac of iptables 1.8.9: six parts split by {@code :}, each read with
   * strtoul(part, &end, 16) and at most two characters long; null if {@code text} is not one.
   */
  static List<Integer> parseOrNull(String text) {
    Integer[] bytes = new Integer[6];
    int at = 0;
    for (int i = 0; i < 6; i++) {
      int end = at;
      while (end < text.length() && text.charAt(end) != ':') {
        end++;
      }
      if ((i < 5) != (end < text.length())) {
        return null;
      }
      Integer b = strtoulByte(text.substring(at, end));
      if (b == null) {
        return null;
      }
      bytes[i] = b;
      at = end + 1;
    }
    return List.of(bytes);
  }

  private static List<Integer> parse(String text) {
    List<Integer> bytes = parseOrNull(text);
    checkArgument(bytes != null, "bad MAC address \"%s\"; expected six hex bytes like aa:bb:cc:dd:ee:0f", text);
    return bytes;
  }

  /** strtoul(part, 16) where it must consume all of {@code part} in at most 2 characters, as a byte. */
  private static Integer strtoulByte(String part) {
    if (part.length() > 2) {
      return null;
    }
    int i = 0;
    while (i < part.length() && Character.isWhitespace(part.charAt(i))) {
      i++;
    }
    boolean minus = false;
    if (i < part.length() && (part.charAt(i) == '+' || part.charAt(i) == '-')) {
      minus = part.charAt(i) == '-';
      i++;
    }
    int digits = 0;
    long v = 0;
    while (i < part.length() && Character.digit(part.charAt(i), 16) >= 0) {
      v = v * 16 + Character.digit(part.charAt(i), 16);
      i++;
      digits++;
    }
    if (digits == 0) {
      // strtoul read nothing: end is the start of the part, which must then be empty (value 0).
      return part.isEmpty() ? 0 : null;
    }
    if (i != part.length()) {
      return null;
    }
    return (int) ((minus ? -v : v) & 0xff);
  }

  /** {@code -m mac} ({@link MacMatch}), as libxt_mac.c reads it. */
  static final class MacModule extends OneOptionMatchModule<MacMatch> {
    static final MacModule INSTANCE = new MacModule();
    /** xt_mac.c: hooks PRE_ROUTING, LOCAL_IN and FORWARD. */
    private static final Set<Hook> HOOKS = EnumSet.of(Hook.PREROUTING, Hook.INPUT, Hook.FORWARD);

    private MacModule() {
      super("mac", MacMatch.class, "--mac-source");
    }

    @Override
    MacMatch read(ModuleContext rule, Token arg, boolean negated) {
      List<Integer> bytes = parseOrNull(arg.text());
      if (bytes == null) {
        throw rule.error(arg, "bad MAC address " + Arguments.quoted(arg.text())
            + " for --mac-source; expected six hex bytes like aa:bb:cc:dd:ee:0f");
      }
      return new MacMatch(bytes, negated);
    }

    @Override
    void write(MacMatch m, StringBuilder out) {
      out.append(m.negated() ? " ! --mac-source " : " --mac-source ").append(m.text());
    }

    @Override
    void check(MacMatch m, RuleContext rule, Findings findings) {
      if (rule.family == null) {
        // The rule's screen (no chain yet): have validation look at it in its chain, as for addrtype.
        findings.warning("mac-context", "checked in its chain");
        return;
      }
      rule.checkHooks("-m mac", HOOKS, findings);
    }
  }
}
