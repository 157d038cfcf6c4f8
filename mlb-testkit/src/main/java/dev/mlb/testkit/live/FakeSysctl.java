package dev.mlb.testkit.live;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedMap;
import dev.mlb.testkit.live.ToolRunner.Result;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sysctl keys of a {@link FakeRouter}, and the {@code sysctl} command on them (procps-ng 4.0.2).
 *
 * <p>Keys are held in their path form under {@code /proc/sys} ({@code net/ipv4/conf/eth1.100/rp_filter}).
 * The router has exactly the keys it was given: the usual ones with the values a fresh network
 * namespace shows, per interface, and whatever a test adds; any other key is missing, as on a
 * kernel without it.
 */
final class FakeSysctl {
  /** How the kernel reads a value written to a key. */
  enum Kind {
    /** {@code proc_dointvec}: any 32-bit signed number. */
    INT,
    /** {@code proc_douintvec}: 0 to 4294967295. */
    U32,
    /** {@code proc_dou8vec_minmax} with 0..3 (fib_multipath_hash_policy). */
    POLICY,
    /** A key a test added: any text, kept as written. */
    TEXT
  }

  private record Key(Kind kind, String value) {}

  private final Map<String, Key> keys = new LinkedHashMap<>();
  private final List<String> interfaces = new ArrayList<>();

  FakeSysctl() {
    // Checked with procps-ng 4.0.2 on Linux 6.18 in a fresh namespace (net.core.devconf_inherit_init_net
    // = 0, so IPv4 all/default come from the host's own, here all 0): every one of these reads 0.
    keys.put("net/ipv4/ip_forward", new Key(Kind.INT, "0"));
    keys.put("net/ipv4/fib_multipath_hash_policy", new Key(Kind.POLICY, "0"));
    keys.put("net/ipv4/fib_multipath_hash_seed", new Key(Kind.U32, "0"));
    keys.put("net/ipv6/fib_multipath_hash_policy", new Key(Kind.POLICY, "0"));
    for (String dev : List.of("all", "default")) {
      addConf(dev);
    }
  }

  private void addConf(String dev) {
    for (String leaf : List.of("forwarding", "rp_filter", "src_valid_mark")) {
      String defaultValue = dev.equals("all") || dev.equals("default") ? "0"
          : keys.get("net/ipv4/conf/default/" + leaf).value();
      keys.put("net/ipv4/conf/" + dev + "/" + leaf, new Key(Kind.INT, defaultValue));
    }
    for (String leaf : List.of("forwarding", "disable_ipv6")) {
      // Checked: a fresh namespace has 0 in all, default and lo; a new interface takes default's.
      String v6 = dev.equals("all") || dev.equals("default") ? "0" : keys.get("net/ipv6/conf/default/" + leaf).value();
      keys.put("net/ipv6/conf/" + dev + "/" + leaf, new Key(Kind.INT, v6));
    }
  }

  /** Adds the per-interface keys of a new interface, with the values of {@code default} (as the kernel does). */
  void addInterface(String name) {
    interfaces.add(name);
    addConf(name);
  }

  /** The path form of a key as sysctl reads it: dots and slashes swapped unless the first separator is a slash. */
  static String path(String key) {
    int first = -1;
    for (int i = 0; i < key.length(); i++) {
      if (key.charAt(i) == '.' || key.charAt(i) == '/') {
        first = i;
        break;
      }
    }
    if (first < 0 || key.charAt(first) == '/') {
      return key;
    }
    StringBuilder b = new StringBuilder(key.length());
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      b.append(c == '.' ? '/' : c == '/' ? '.' : c);
    }
    return b.toString();
  }

  /** The dotted form sysctl prints for a path (its own {@code slashdot} the other way). */
  static String display(String path) {
    StringBuilder b = new StringBuilder(path.length());
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      b.append(c == '/' ? '.' : c == '.' ? '/' : c);
    }
    return b.toString();
  }

  /** Sets a key for a test, creating it as a text key if the router lacks it. */
  void seed(String key, String value) {
    String p = path(key);
    Key k = keys.get(p);
    if (k == null) {
      keys.put(p, new Key(Kind.TEXT, value.strip()));
      return;
    }
    String v = parse(k.kind(), value);
    checkArgument(v != null, "sysctl %s: the kernel refuses the value \"%s\"", key, value);
    store(p, v);
  }

  /** Removes a key, as on a kernel that lacks it (fib_multipath_hash_seed before Linux 6.11). */
  void remove(String key) {
    checkArgument(keys.remove(path(key)) != null, "sysctl %s: the fake router has no such key", key);
  }

  /** Every key in dotted form, with its value, sorted. */
  ImmutableSortedMap<String, String> values() {
    ImmutableSortedMap.Builder<String, String> b = ImmutableSortedMap.naturalOrder();
    keys.forEach((k, v) -> b.put(display(k), v.value()));
    return b.build();
  }

  /** The value of a key in path form, or null. */
  String get(String path) {
    Key k = keys.get(path);
    return k == null ? null : k.value();
  }

  /**
   * The value as the kernel stores it, or null if it refuses it: {@code proc_get_long} skips no
   * leading blank, reads an optional sign and a number in base 0, and allows trailing blanks.
   */
  static String parse(Kind kind, String text) {
    if (kind == Kind.TEXT) {
      return text.strip();
    }
    String t = text.stripTrailing();
    boolean negative = t.startsWith("-");
    if (negative) {
      t = t.substring(1);
    }
    long v = dev.mlb.api.Numbers.parseUnsigned(t, 0xFFFF_FFFFL);
    if (v < 0) {
      return null;
    }
    long signed = negative ? -v : v;
    return switch (kind) {
      // Checked: rp_filter=7, =-1 and =0x2 are taken (read back 7, -1, 2); 99999999999 is refused.
      case INT -> signed >= Integer.MIN_VALUE && signed <= Integer.MAX_VALUE ? Long.toString(signed) : null;
      // Checked: fib_multipath_hash_seed takes 4294967295 and refuses 4294967296 and -1.
      case U32 -> negative && v != 0 ? null : Long.toString(v);
      // Checked: fib_multipath_hash_policy takes 3 and refuses 4.
      case POLICY -> signed >= 0 && signed <= 3 ? Long.toString(signed) : null;
      case TEXT -> text.strip();
    };
  }

  private void store(String path, String value) {
    Key k = keys.get(path);
    if (path.endsWith("/disable_ipv6") && !value.equals(k.value())) {
      throw new IllegalArgumentException("FakeRouter does not model: changing " + display(path)
          + " (the kernel then adds or removes the interfaces' IPv6 addresses and routes)");
    }
    keys.put(path, new Key(k.kind(), value));
    // Checked: writing net.ipv4.ip_forward or net.ipv4.conf.all.forwarding sets both, default's and
    // every interface's (lo too); writing default's or one interface's forwarding changes nothing else.
    if (path.equals("net/ipv4/ip_forward") || path.equals("net/ipv4/conf/all/forwarding")) {
      keys.put("net/ipv4/ip_forward", new Key(Kind.INT, value));
      for (String dev : allDevices()) {
        keys.put("net/ipv4/conf/" + dev + "/forwarding", new Key(Kind.INT, value));
      }
    }
    // Checked: writing net.ipv6.conf.all.forwarding sets default's and every interface's (lo too).
    if (path.equals("net/ipv6/conf/all/forwarding")) {
      for (String dev : allDevices()) {
        keys.put("net/ipv6/conf/" + dev + "/forwarding", new Key(Kind.INT, value));
      }
    }
  }

  private List<String> allDevices() {
    List<String> all = new ArrayList<>(List.of("all", "default"));
    all.addAll(interfaces);
    return all;
  }

  /** Whether IPv6 forwarding is on for {@code dev} (the kernel then adds subnet-router anycast routes). */
  boolean ipv6Forwarding(String dev) {
    String v = get("net/ipv6/conf/" + dev + "/forwarding");
    return v != null && !v.equals("0");
  }

  /** {@code sysctl [-n] [-q] [-w] [-e] KEY[=VALUE]...}. */
  Result run(ImmutableList<String> command) {
    boolean values = false;
    boolean quiet = false;
    boolean write = false;
    boolean ignore = false;
    List<String> args = new ArrayList<>();
    for (String a : command.subList(1, command.size())) {
      if (args.isEmpty() && a.startsWith("--")) {
        switch (a) {
          case "--values" -> values = true;
          case "--quiet" -> quiet = true;
          case "--write" -> write = true;
          case "--ignore" -> ignore = true;
          default -> throw FakeRouter.notModelled(command, "option " + a);
        }
      } else if (args.isEmpty() && a.startsWith("-") && a.length() > 1) {
        for (char c : a.substring(1).toCharArray()) {
          switch (c) {
            case 'n' -> values = true;
            case 'q' -> quiet = true;
            case 'w' -> write = true;
            case 'e' -> ignore = true;
            default -> throw FakeRouter.notModelled(command, "option -" + c);
          }
        }
      } else {
        args.add(a);
      }
    }
    if (args.isEmpty()) {
      throw FakeRouter.notModelled(command, "sysctl without keys (sysctl -a)");
    }
    StringBuilder out = new StringBuilder();
    StringBuilder err = new StringBuilder();
    int rc = 0;
    for (String a : args) {
      int eq = a.indexOf('=');
      if (write && eq < 0) {
        // Checked: "sysctl -w net.ipv4.conf.all.rp_filter" prints this and exits 1.
        err.append("sysctl: command line(0): invalid syntax, continuing...\n");
        rc = 1;
        continue;
      }
      String key = eq < 0 ? a : a.substring(0, eq);
      String p = path(key);
      Key k = keys.get(p);
      if (k == null) {
        // Checked: an unknown key, read or written: this message, exit 1 after the other keys.
        if (!ignore) {
          err.append("sysctl: cannot stat /proc/sys/").append(p).append(": No such file or directory\n");
          rc = 1;
        }
        continue;
      }
      String shown = display(p);
      if (eq < 0) {
        out.append(values ? k.value() + "\n" : shown + " = " + k.value() + "\n");
        continue;
      }
      String text = a.substring(eq + 1);
      String v = parse(k.kind(), text);
      if (v == null || text.isEmpty()) {
        // Checked: rp_filter=abc, "=" with nothing after it, hash_policy=4: this message, exit 1.
        err.append("sysctl: setting key \"").append(shown).append("\": Invalid argument\n");
        rc = 1;
        continue;
      }
      store(p, v);
      if (!quiet) {
        // Checked: the echo shows the value as written ("rp_filter = 0x2"), the key dotted as given.
        out.append(values ? text + "\n" : shown + " = " + text + "\n");
      }
    }
    return new Result(command, rc, out.toString(), err.toString());
  }
}
