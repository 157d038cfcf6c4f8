package dev.mlb.iproute;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * One kernel setting, as a line of a {@code sysctl.conf} file.
 *
 * <pre>{@code
 * new SysctlSetting("net.ipv4.ip_forward", "1").toString();                // "net.ipv4.ip_forward = 1"
 * new SysctlSetting("net/ipv4/conf/eth0.100/rp_filter", "2").toString();  // slash form: the name has a dot
 * new SysctlSetting("net.ipv4.conf.ppp*.rp_filter", "2");                  // IllegalArgumentException
 * }</pre>
 *
 * <p>The key is the dotted path below {@code /proc/sys}, or the slash form where a component
 * (an interface name) contains a dot: {@code sysctl(8)} turns dots into slashes unless the first
 * separator is a slash. Keys and values are refused where {@code sysctl -p} would read the line
 * differently: whitespace or control characters, {@code =} in the key (it ends the key), and
 * {@code *}, {@code ?} or {@code [} in the key (procps-ng 4 expands them as glob patterns, so
 * the setting would reach other interfaces).
 *
 * @param key the setting, e.g. {@code net.ipv4.conf.all.src_valid_mark}
 * @param value its value, e.g. {@code 1}
 */
public record SysctlSetting(String key, String value) {

  public SysctlSetting {
    checkArgument(key != null && value != null, "sysctl key and value must not be null");
    checkArgument(!key.isEmpty() && !value.isEmpty(), "sysctl setting \"%s = %s\" has an empty key or value", key, value);
    String keyProblem = problem(key, "=*?[");
    checkArgument(keyProblem == null, "sysctl key \"%s\" %s", key, keyProblem);
    String valueProblem = problem(value, "");
    checkArgument(valueProblem == null, "sysctl value \"%s\" of %s %s", value, key, valueProblem);
    checkArgument(key.charAt(0) != '-' && key.charAt(0) != '#' && key.charAt(0) != ';',
        "sysctl key \"%s\" starts with '%s', which sysctl -p reads as a flag or a comment", key, key.charAt(0));
  }

  /** What in {@code text} sysctl -p would not read back, or {@code null}. */
  static String problem(String text, String forbidden) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        return "contains a whitespace, control or non-ASCII character at position " + (i + 1);
      }
      if (forbidden.indexOf(c) >= 0) {
        return "contains '" + c + "' at position " + (i + 1) + ", which sysctl -p "
            + (c == '=' ? "reads as the end of the key" : "expands as a glob pattern");
      }
    }
    return null;
  }

  /** The {@code sysctl.conf} line: {@code key = value}. */
  @Override
  public String toString() {
    return key + " = " + value;
  }
}
