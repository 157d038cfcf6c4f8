package dev.mlb.api.policy;

import com.google.common.collect.ImmutableMap;
import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checks behind {@link BalancingPolicy#validate()}.
 *
 * <p>Each finding's location is the model's field path ({@code uplinks[1].weight},
 * {@code lanPrefixes[0]}, {@code balanced[2].sources[0]}, {@code markMask}); its message names the
 * offending value and what was expected. Messages refer to other fields in words ("the mark mask
 * 0xff00") or by uplink ({@code uplink isp1 (uplinks[0])}), never by another field's identifier,
 * so that a reader of a policy file can translate the location alone into its own key names.
 * A check whose inputs are themselves invalid is skipped, so one mistake gives one error.
 */
final class PolicyValidator {
  private PolicyValidator() {}

  static final int MAX_WEIGHT = 256;
  static final int MIN_RULE_PROTOCOL = 5;
  static final int MAX_PRIORITY_BASE = 32000;
  static final int MAX_CHAIN_PREFIX = 16;
  static final int MAX_UPLINK_NAME = 15;

  private static final String NAME_CHARS = "letters, digits, '_' or '-'";
  private static final String TABLE_EXPECTED =
      "expected a table 1 to 2147483647 other than 253 (default), 254 (main) and 255 (local)";

  /** Routing tables reserved by the kernel and iproute2. */
  private static final ImmutableMap<Long, String> RESERVED_TABLES =
      ImmutableMap.of(0L, "unspec", 253L, "default", 254L, "main", 255L, "local");

  /** iproute2's reserved route protocols (0 to 4), which mlb may not tag its rules with. */
  private static final ImmutableMap<Integer, String> RESERVED_PROTOCOLS =
      ImmutableMap.of(0, "unspec", 1, "redirect", 2, "kernel", 3, "boot", 4, "static");

  /** Route protocols that iproute2's rt_protos gives to routing daemons. */
  private static final ImmutableMap<Integer, String> DAEMON_PROTOCOLS =
      ImmutableMap.<Integer, String>builder()
          .put(8, "gated").put(9, "ra").put(10, "mrt").put(11, "zebra").put(12, "bird")
          .put(13, "dnrouted").put(14, "xorp").put(15, "ntk").put(16, "dhcp").put(18, "keepalived")
          .put(42, "babel").put(99, "openr").put(186, "bgp").put(187, "isis").put(188, "ospf")
          .put(189, "rip").put(192, "eigrp")
          .buildOrThrow();

  static List<Finding> validate(BalancingPolicy policy) {
    Checks c = new Checks(policy);
    c.uplinks();
    c.lan();
    c.selectors("balanced", policy.balanced());
    c.selectors("router", policy.router());
    c.selectors("exclusions", policy.exclusions());
    c.settings();
    FailoverChecks.check(policy, c.out);
    return c.out;
  }

  private static final class Checks {
    final BalancingPolicy p;
    final List<Finding> out = new ArrayList<>();
    final Set<IpFamily> families;
    final boolean maskValid;

    Checks(BalancingPolicy p) {
      this.p = p;
      this.families = p.families();
      long mask = p.markMask();
      this.maskValid = mask > 0 && mask <= Mark.FULL_MASK;
    }

    void error(String code, String location, String message) {
      out.add(Finding.error(code, location, message));
    }

    void warning(String code, String location, String message) {
      out.add(Finding.warning(code, location, message));
    }

    // ---- uplinks ----------------------------------------------------------------------------

    void uplinks() {
      List<Uplink> uplinks = p.uplinks();
      if (uplinks.isEmpty()) {
        error("no-uplinks", "uplinks", "no uplinks; expected at least one");
        return;
      }
      Map<String, Integer> names = new HashMap<>();
      Map<InterfaceName, Integer> ifaces = new HashMap<>();
      for (int i = 0; i < uplinks.size(); i++) {
        Uplink u = uplinks.get(i);
        String at = "uplinks[" + i + "]";
        String nameProblem = nameProblem(u.name(), MAX_UPLINK_NAME, false);
        if (nameProblem != null) {
          error("uplink-name", at + ".name",
              nameProblem + "; expected 1 to " + MAX_UPLINK_NAME + " " + NAME_CHARS);
        } else if (u.name().equals("multipath")) {
          error("uplink-name", at + ".name",
              "\"multipath\" is reserved (the multipath routing table is named PREFIX-multipath);"
                  + " expected another name");
        } else {
          Integer first = names.putIfAbsent(u.name(), i);
          if (first != null) {
            error("duplicate-uplink-name", at + ".name",
                quote(u.name()) + " is also the name of uplinks[" + first + "]; expected unique names");
          }
        }
        iface(u, i, at, ifaces);
        if (p.strategy() == Strategy.MULTIPATH && families.contains(IpFamily.V6) && u.gateway6().isEmpty()) {
          error("multipath-gateway6", at + ".gateway6",
              "none, but IPv6 multipath routes need a next hop for every uplink (the kernel refuses"
                  + " device-only IPv6 nexthops in a multipath route); expected the uplink's IPv6 gateway");
        }
        if (u.weight() < 1 || u.weight() > MAX_WEIGHT) {
          error("weight-range", at + ".weight",
              u.weight() + " is out of range; expected 1 to " + MAX_WEIGHT);
        }
        addresses(u, at);
      }
      marks();
      tables();
    }

    void iface(Uplink u, int i, String at, Map<InterfaceName, Integer> seen) {
      InterfaceName iface = u.iface();
      if (iface.isWildcard()) {
        error("uplink-interface-wildcard", at + ".iface",
            iface + " is a wildcard; expected the one interface the uplink's routes go through");
        return;
      }
      String name = iface.name();
      if (name.equals("all") || name.equals("default")) {
        error("uplink-interface-sysctl", at + ".iface",
            iface + " is the name of a sysctl directory (net.ipv4.conf." + name + "), not of one interface;"
                + " expected another interface name");
      } else {
        for (int k = 0; k < name.length(); k++) {
          char c = name.charAt(k);
          if ("=*?[".indexOf(c) >= 0) {
            error("uplink-interface-sysctl", at + ".iface",
                iface + " has '" + c + "' at position " + (k + 1) + ", which sysctl -p reads as "
                    + (c == '=' ? "the end of the key" : "a glob pattern")
                    + " in the uplink's rp_filter setting; expected an interface name without = * ? [");
            break;
          }
        }
      }
      Integer first = seen.putIfAbsent(iface, i);
      if (first != null) {
        error("duplicate-uplink-interface", at + ".iface",
            iface + " is also the interface of " + uplinkRef(first) + "; expected an interface per uplink");
      }
      for (InterfaceName lan : p.lanInterfaces()) {
        if (lan.matches(iface.name())) {
          error("uplink-interface-on-lan", at + ".iface",
              iface + " is also a LAN interface"
                  + (lan.isWildcard() ? " (LAN interface " + lan + " matches it)" : "")
                  + "; expected an interface that is not on the LAN");
          break;
        }
      }
    }

    void addresses(Uplink u, String at) {
      address(u, at + ".gateway", u.gateway().orElse(null), IpFamily.V4, "next hops", "gateway6");
      address(u, at + ".gateway6", u.gateway6().orElse(null), IpFamily.V6, "next hops", "gateway");
      address(u, at + ".snat", u.snat().orElse(null), IpFamily.V4, "source addresses", "snat6");
      address(u, at + ".snat6", u.snat6().orElse(null), IpFamily.V6, "source addresses", "snat");
      for (IpFamily f : IpFamily.values()) {
        if (u.snat(f).isPresent() && u.snat(f).equals(u.gateway(f)) && u.snat(f).get().family() == f) {
          error("snat-is-gateway", at + (f == IpFamily.V4 ? ".snat" : ".snat6"),
              u.snat(f).get() + " is also the uplink's next hop; expected the uplink's own address");
        }
      }
      // An uplink with a next hop in one family but none in the other is probably not
      // point-to-point; its routes of the other family would go "dev IFACE" without a next hop.
      for (IpFamily f : IpFamily.values()) {
        IpFamily other = f == IpFamily.V4 ? IpFamily.V6 : IpFamily.V4;
        if (families.contains(f) && families.contains(other) && u.gateway(f).isEmpty() && u.gateway(other).isPresent()
            && u.gateway(other).get().family() == other) {
          warning("missing-gateway", at + (f == IpFamily.V4 ? ".gateway" : ".gateway6"),
              "none, while the uplink has the " + name(other) + " next hop " + u.gateway(other).get()
                  + "; " + name(f) + " routes go dev " + u.iface()
                  + " without a next hop, which is right only for a point-to-point link");
        }
      }
    }

    void address(Uplink u, String at, IpAddress a, IpFamily family, String what, String otherField) {
      if (a == null) {
        return;
      }
      boolean gateway = what.equals("next hops");
      if (a.family() != family) {
        error(gateway ? "gateway-family" : "snat-family", at,
            a + " is an " + name(a.family()) + " address; expected an " + name(family)
                + " address (" + name(a.family()) + " " + what + " go in " + otherField + ")");
        return;
      }
      String kind = nonUnicast(a);
      if (kind != null) {
        error("address-not-unicast", at,
            a + " is " + kind + "; expected " + (gateway ? "the next hop's" : "the uplink's own")
                + " unicast address");
        return;
      }
      if (!families.contains(family)) {
        warning("unused-address", at,
            a + " is not used: " + name(family) + " is not compiled (families: " + names(families) + ")");
        return;
      }
      for (IpPrefix lan : p.lanPrefixes()) {
        if (lan.length() > 0 && lan.contains(a)) {
          error("address-on-lan", at,
              a + " lies inside the LAN prefix " + lan + "; expected "
                  + (gateway ? "a next hop" : "the uplink's own address") + " outside the LAN");
          return;
        }
      }
    }

    void marks() {
      List<Uplink> uplinks = p.uplinks();
      long mask = p.markMask();
      if (!maskValid) {
        return; // reported with the mask
      }
      int bits = Long.bitCount(mask);
      long capacity = (1L << bits) - 1;
      if (uplinks.size() > capacity) {
        error("mark-capacity", "uplinks",
            uplinks.size() + " uplinks need " + uplinks.size()
                + " distinct non-zero marks, but the mark mask " + Mark.hex(mask) + " (" + bits
                + (bits == 1 ? " bit" : " bits") + ") encodes at most " + capacity
                + "; widen the mark mask or remove uplinks");
        return;
      }
      String expected = "expected a non-zero value inside the mark mask " + Mark.hex(mask);
      if (p.autoMarkMask()) {
        for (int i = 0; i < uplinks.size(); i++) {
          if (uplinks.get(i).mark().isPresent()) {
            error("mark-auto", "uplinks[" + i + "].mark", Mark.hex(uplinks.get(i).mark().getAsLong())
                + " is an explicit mark, but the mark mask is auto (chosen on the router); expected no"
                + " explicit marks, or an explicit mark mask");
            return;
          }
        }
      }
      long[] marks = new long[uplinks.size()];
      boolean[] usable = new boolean[uplinks.size()];
      for (int i = 0; i < uplinks.size(); i++) {
        Uplink u = uplinks.get(i);
        String at = "uplinks[" + i + "].mark";
        if (u.mark().isEmpty()) {
          marks[i] = BalancingPolicy.deposit(i + 1, mask);
          usable[i] = true;
          continue;
        }
        long m = u.mark().getAsLong();
        if (m < 0 || m > Mark.FULL_MASK) {
          error("mark-range", at, hexOrDecimal(m) + " is not a 32-bit value; " + expected);
        } else if (m == 0) {
          error("mark-zero", at, "0x0 is no mark (0 means unmarked); " + expected);
        } else if ((m & ~mask) != 0) {
          error("mark-outside-mask", at,
              Mark.hex(m) + " has bits outside the mark mask " + Mark.hex(mask) + " ("
                  + Mark.hex(m & ~mask) + "); " + expected);
        } else {
          marks[i] = m;
          usable[i] = true;
        }
      }
      for (int j = 0; j < uplinks.size(); j++) {
        for (int i = 0; i < j; i++) {
          if (!usable[i] || !usable[j] || marks[i] != marks[j]) {
            continue;
          }
          boolean iExplicit = uplinks.get(i).mark().isPresent();
          boolean jExplicit = uplinks.get(j).mark().isPresent();
          // Blame the explicit mark; of two explicit ones, the later.
          int blamed = jExplicit ? j : i;
          int other = blamed == j ? i : j;
          boolean otherExplicit = other == i ? iExplicit : jExplicit;
          error("duplicate-mark", "uplinks[" + blamed + "].mark",
              Mark.hex(marks[j]) + " is also the mark " + (otherExplicit ? "of " : "assigned to ")
                  + uplinkRef(other) + "; expected a mark of its own");
          usable[blamed] = false;
          break;
        }
      }
    }

    void tables() {
      List<Uplink> uplinks = p.uplinks();
      long base = p.tableBase();
      boolean baseValid = base >= 1;
      if (!baseValid) {
        error("table-base", "tableBase", base + " is out of range; expected 1 to 2147483647");
      }
      // Tables the policy assigns: tableBase + i, and the multipath table.
      Map<Long, String> assigned = new HashMap<>();
      if (baseValid) {
        for (int i = 0; i < uplinks.size(); i++) {
          if (uplinks.get(i).table().isEmpty()) {
            assignedTable(base + i, uplinkRef(i) + " table", assigned,
                "the table assigned to " + uplinkRef(i));
          }
        }
        if (p.strategy() == Strategy.MULTIPATH) {
          assignedTable(base + uplinks.size(), "the multipath table", assigned,
              "the multipath table (the table base " + base + " plus " + uplinks.size()
                  + (uplinks.size() == 1 ? " uplink)" : " uplinks)"));
        }
      }
      Map<Long, Integer> explicit = new HashMap<>();
      for (int i = 0; i < uplinks.size(); i++) {
        if (uplinks.get(i).table().isEmpty()) {
          continue;
        }
        long t = uplinks.get(i).table().getAsInt();
        String at = "uplinks[" + i + "].table";
        if (t < 1) {
          error("table-range", at,
              t + (t == 0 ? " is the unspec table; " : " is out of range; ") + TABLE_EXPECTED);
          continue;
        }
        if (RESERVED_TABLES.containsKey(t)) {
          error("table-range", at, t + " is the " + RESERVED_TABLES.get(t) + " table; " + TABLE_EXPECTED);
          continue;
        }
        Integer first = explicit.putIfAbsent(t, i);
        if (first != null) {
          error("duplicate-table", at,
              t + " is also the table of " + uplinkRef(first) + "; expected a table of its own");
        } else if (assigned.containsKey(t)) {
          error("duplicate-table", at, t + " is also " + assigned.get(t) + "; expected a table of its own");
        }
      }
    }

    /** Checks one table the base assigns and records it. */
    void assignedTable(long table, String what, Map<Long, String> assigned, String description) {
      if (table > Integer.MAX_VALUE) {
        error("table-base", "tableBase",
            p.tableBase() + " gives " + what + " " + table
                + ", beyond 2147483647; expected a lower table base");
      } else if (RESERVED_TABLES.containsKey(table)) {
        error("table-base", "tableBase",
            p.tableBase() + " gives " + what + " " + table + ", which is reserved ("
                + RESERVED_TABLES.get(table) + "); expected a table base whose tables avoid 253 to 255");
      } else {
        assigned.put(table, description);
      }
    }

    // ---- LAN --------------------------------------------------------------------------------

    void lan() {
      List<InterfaceName> ifaces = p.lanInterfaces();
      if (ifaces.isEmpty()) {
        error("no-lan-interface", "lanInterfaces", "no LAN interface; expected at least one");
      }
      for (int j = 0; j < ifaces.size(); j++) {
        int first = ifaces.indexOf(ifaces.get(j));
        if (first < j) {
          error("duplicate-lan-interface", "lanInterfaces[" + j + "]",
              ifaces.get(j) + " is listed twice; expected each LAN interface once");
        } else if (p.strategy() == Strategy.MULTIPATH && ifaces.get(j).isWildcard()) {
          error("lan-interface-wildcard", "lanInterfaces[" + j + "]",
              ifaces.get(j) + " is a wildcard, but strategy multipath selects LAN traffic with ip rule iif,"
                  + " which takes one interface; expected an interface name without '+'");
        }
      }
      List<IpPrefix> prefixes = p.lanPrefixes();
      for (int k = 0; k < prefixes.size(); k++) {
        IpPrefix prefix = prefixes.get(k);
        String at = "lanPrefixes[" + k + "]";
        int first = prefixes.indexOf(prefix);
        if (first < k) {
          error("duplicate-lan-prefix", at, prefix + " is listed twice; expected each LAN prefix once");
          continue;
        }
        if (prefix.length() == 0) {
          error("lan-prefix-everything", at,
              prefix + " covers every address; expected the LAN's own network");
          continue;
        }
        if (!families.contains(prefix.family())) {
          warning("unused-prefix", at,
              prefix + " is not used: " + name(prefix.family()) + " is not compiled (families: "
                  + names(families) + ")");
          continue;
        }
        hostBits(at, prefix);
        for (int o = 0; o < prefixes.size(); o++) {
          IpPrefix other = prefixes.get(o);
          if (o != k && !other.equals(prefix) && other.contains(prefix.network())) {
            warning("overlapping-lan-prefix", at,
                prefix + " lies inside the LAN prefix " + other + "; it adds nothing");
            break;
          }
        }
      }
      for (IpFamily f : families) {
        if (p.lanPrefixes(f).isEmpty()) {
          error("no-lan-prefix", "lanPrefixes",
              "no " + name(f) + " LAN prefix, but " + name(f) + " is compiled (families: "
                  + names(families) + "); expected at least one");
        }
      }
    }

    void hostBits(String at, IpPrefix prefix) {
      if (!prefix.isNetwork()) {
        warning("host-bits", at, prefix + " has host bits set; it means " + prefix.network());
      }
    }

    // ---- selectors --------------------------------------------------------------------------

    void selectors(String field, List<TrafficSelector> selectors) {
      for (int k = 0; k < selectors.size(); k++) {
        TrafficSelector s = selectors.get(k);
        String at = field + "[" + k + "]";
        prefixes(at + ".sources", s.sources(), field.equals("balanced"));
        prefixes(at + ".destinations", s.destinations(), false);
        boolean appliesSomewhere = families.stream().anyMatch(s::appliesTo);
        if (!appliesSomewhere && !families.isEmpty()) {
          warning("selector-never-matches", at,
              s + " matches no connection of a compiled family (families: " + names(families)
                  + "); it has no effect");
        }
        if (field.equals("exclusions") && s.isAll()) {
          warning("exclude-everything", at, "all excludes every connection; nothing is balanced");
        }
      }
    }

    void prefixes(String at, List<IpPrefix> prefixes, boolean fromLan) {
      for (int m = 0; m < prefixes.size(); m++) {
        IpPrefix prefix = prefixes.get(m);
        String here = at + "[" + m + "]";
        if (!families.contains(prefix.family())) {
          warning("unused-prefix", here,
              prefix + " is " + name(prefix.family()) + ", which is not compiled (families: "
                  + names(families) + "); it is ignored");
          continue;
        }
        hostBits(here, prefix);
        if (fromLan && p.lanPrefixes().stream().noneMatch(lan -> lan.overlaps(prefix))
            && !p.lanPrefixes(prefix.family()).isEmpty()) {
          warning("source-outside-lan", here,
              prefix + " lies outside every LAN prefix; no balanced LAN connection comes from it");
        }
      }
    }

    // ---- settings ---------------------------------------------------------------------------

    void settings() {
      if (families.isEmpty()) {
        error("no-family", "families", "no family; expected IPv4, IPv6 or both");
      }
      long mask = p.markMask();
      String maskExpected = "expected a non-zero 32-bit mask such as 0xff00";
      if (mask == 0) {
        error("mark-mask", "markMask", "0x0 has no bits; " + maskExpected);
      } else if (!maskValid) {
        error("mark-mask", "markMask", hexOrDecimal(mask) + " is wider than 32 bits; " + maskExpected);
      }
      long foreign = p.foreignMarkBits();
      if (foreign < 0 || foreign > Mark.FULL_MASK) {
        error("foreign-mark-bits", "foreignMarkBits",
            hexOrDecimal(foreign) + " is wider than 32 bits; expected 32-bit mark bits outside the mark mask");
      } else if (maskValid && (foreign & mask) != 0) {
        error("foreign-mark-bits", "foreignMarkBits",
            Mark.hex(foreign) + " overlaps the mark mask " + Mark.hex(mask) + " in "
                + Mark.hex(foreign & mask) + "; expected bits outside the mask");
      }
      int priority = p.priorityBase();
      if (priority < 1 || priority > MAX_PRIORITY_BASE) {
        error("priority-base", "priorityBase",
            priority + " is out of range; expected 1 to " + MAX_PRIORITY_BASE
                + " (mlb's rules must come after the local table's rule at 0 and before the main"
                + " table's at 32766)");
      }
      // The routing compiler's last rule: fwmark rules at base+10+i, multipath selectors after them.
      long last = (long) priority + 10 + p.uplinks().size() - (p.strategy() == Strategy.MULTIPATH ? 0 : 1);
      if (priority >= 1 && priority <= MAX_PRIORITY_BASE && last >= 32766) {
        error("priority-range", "priorityBase",
            priority + " leaves no room for " + p.uplinks().size() + " uplinks: mlb's rules would reach priority "
                + last + "; expected them below the main table's rule at 32766");
      }
      String chainProblem = nameProblem(p.chainPrefix(), MAX_CHAIN_PREFIX, true);
      if (chainProblem != null) {
        error("chain-prefix", "chainPrefix",
            chainProblem + "; expected 1 to " + MAX_CHAIN_PREFIX + " " + NAME_CHARS
                + ", starting with a letter or digit");
      }
      int proto = p.ruleProtocol();
      String protoExpected = "expected " + MIN_RULE_PROTOCOL
          + " to 255 (0 to 4 are iproute2's unspec, redirect, kernel, boot and static)";
      if (proto < 0 || proto > 255) {
        error("rule-protocol", "ruleProtocol", proto + " is out of range; " + protoExpected);
      } else if (RESERVED_PROTOCOLS.containsKey(proto)) {
        error("rule-protocol", "ruleProtocol",
            proto + " is iproute2's " + RESERVED_PROTOCOLS.get(proto) + "; " + protoExpected);
      } else if (DAEMON_PROTOCOLS.containsKey(proto)) {
        warning("rule-protocol-shared", "ruleProtocol",
            proto + " is " + DAEMON_PROTOCOLS.get(proto)
                + "'s in iproute2's rt_protos; mlb removes every rule and route tagged with it,"
                + " so pick a number no routing daemon uses");
      }
    }

    String uplinkRef(int i) {
      return "uplink " + p.uplinks().get(i).name() + " (uplinks[" + i + "])";
    }
  }

  /**
   * What is wrong with {@code name} as an uplink name or chain prefix (letters, digits, {@code _},
   * {@code -}), or {@code null}.
   */
  static String nameProblem(String name, int max, boolean letterOrDigitFirst) {
    if (name.isEmpty()) {
      return "\"\" is empty";
    }
    if (name.length() > max) {
      return quote(name) + " is " + name.length() + " characters";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '_' || c == '-';
      if (!ok) {
        return quote(name) + " contains " + quoteChar(c) + " at position " + (i + 1);
      }
      if (i == 0 && letterOrDigitFirst && (c == '_' || c == '-')) {
        return quote(name) + " starts with " + quoteChar(c);
      }
    }
    return null;
  }

  /** {@code text} in double quotes, with quotes, backslashes and non-printable characters escaped. */
  static String quote(String text) {
    StringBuilder s = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\') {
        s.append('\\').append(c);
      } else if (c < 0x20 || c >= 0x7f) {
        s.append(String.format("\\u%04x", (int) c));
      } else {
        s.append(c);
      }
    }
    return s.append('"').toString();
  }

  private static String quoteChar(char c) {
    return c == '\'' ? "\"'\"" : c < 0x20 || c >= 0x7f ? String.format("'\\u%04x'", (int) c) : "'" + c + "'";
  }

  /** Why {@code a} is no unicast host address, or {@code null}. */
  static String nonUnicast(IpAddress a) {
    if (a.family() == IpFamily.V4) {
      long v = a.low();
      if (v == 0) {
        return "the unspecified address";
      }
      if (v == 0xFFFF_FFFFL) {
        return "the broadcast address";
      }
      if ((v >>> 24) == 127) {
        return "a loopback address";
      }
      if ((v >>> 28) == 0xe) {
        return "a multicast address";
      }
      return null;
    }
    if (a.high() == 0 && a.low() == 0) {
      return "the unspecified address";
    }
    if (a.high() == 0 && a.low() == 1) {
      return "the loopback address";
    }
    if ((a.high() >>> 56) == 0xff) {
      return "a multicast address";
    }
    return null;
  }

  static String name(IpFamily f) {
    return f == IpFamily.V4 ? "IPv4" : "IPv6";
  }

  static String names(Set<IpFamily> families) {
    if (families.isEmpty()) {
      return "none";
    }
    return families.size() == 2 ? "IPv4 and IPv6" : name(families.iterator().next());
  }

  private static String hexOrDecimal(long v) {
    return v < 0 ? Long.toString(v) : Mark.hex(v);
  }
}
