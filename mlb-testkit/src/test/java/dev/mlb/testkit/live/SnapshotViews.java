package dev.mlb.testkit.live;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSortedMap;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.mlb.api.IpFamily;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Views of a {@link FakeRouter.Snapshot} for the live acceptance tests: the whole state with the
 * tables that hold nothing left out (iptables-legacy keeps a table once the kernel made it), and
 * the part of it that other software owns.
 */
final class SnapshotViews {
  private SnapshotViews() {}

  /**
   * {@code s} with the iptables tables that hold nothing (built-in chains with policy ACCEPT and no
   * rule) left out of every store; the rest as it is.
   */
  static FakeRouter.Snapshot withoutEmptyTables(FakeRouter.Snapshot s) {
    ImmutableMap.Builder<String, String> ipt = ImmutableMap.builder();
    s.iptables().forEach((k, v) -> ipt.put(k, dropEmpty(v)));
    return new FakeRouter.Snapshot(ipt.build(), s.rules(), s.routes(), s.sysctl(), s.conntrack(), s.wireguard());
  }

  /**
   * What other software owns in {@code s}: the saves without lines that name a chain with {@code
   * prefix} (mlb's chains, their rules and the jumps into them) and without tables left empty; the
   * ip rules and routes without those of protocol {@code protocol} (mlb's) and the kernel's own
   * (IPv6 forwarding makes the kernel add anycast routes); the sysctl values without the keys in
   * {@code keys} (the policy's) and, when {@code forwarding}, every {@code forwarding} key (the
   * kernel sets each interface's when ip_forward or all.forwarding is written); conntrack and
   * WireGuard as they are.
   */
  static FakeRouter.Snapshot foreign(FakeRouter.Snapshot s, String prefix, String protocol, Set<String> keys,
      boolean forwarding) {
    ImmutableMap.Builder<String, String> ipt = ImmutableMap.builder();
    s.iptables().forEach((k, v) -> {
      StringBuilder kept = new StringBuilder();
      v.lines().filter(l -> !l.contains(prefix)).forEach(l -> kept.append(l).append('\n'));
      ipt.put(k, dropEmpty(kept.toString()));
    });
    ImmutableMap.Builder<IpFamily, String> rules = ImmutableMap.builder();
    ImmutableMap.Builder<IpFamily, String> routes = ImmutableMap.builder();
    for (IpFamily f : IpFamily.values()) {
      rules.put(f, withoutProtocols(s.rules().get(f), List.of(protocol)));
      routes.put(f, withoutProtocols(s.routes().get(f), List.of(protocol, "kernel")));
    }
    ImmutableSortedMap.Builder<String, String> sysctl = ImmutableSortedMap.naturalOrder();
    s.sysctl().forEach((k, v) -> {
      if (!keys.contains(k) && !keys.contains(FakeSysctl.display(FakeSysctl.path(k)))
          && !(forwarding && k.endsWith(".forwarding"))) {
        sysctl.put(k, v);
      }
    });
    return new FakeRouter.Snapshot(ipt.build(), rules.build(), routes.build(), sysctl.build(), s.conntrack(),
        s.wireguard());
  }

  /** {@code s} with each family's ip rules sorted (their order within a priority left out). */
  static FakeRouter.Snapshot rulesAsSets(FakeRouter.Snapshot s) {
    ImmutableMap.Builder<IpFamily, String> rules = ImmutableMap.builder();
    s.rules().forEach((f, json) -> {
      List<String> all = new ArrayList<>();
      JsonParser.parseString(json).getAsJsonArray().forEach(e -> all.add(e.toString()));
      all.sort(null);
      rules.put(f, String.join(",\n", all));
    });
    return new FakeRouter.Snapshot(s.iptables(), rules.build(), s.routes(), s.sysctl(), s.conntrack(), s.wireguard());
  }

  private static String withoutProtocols(String json, List<String> protocols) {
    JsonArray all = JsonParser.parseString(json).getAsJsonArray();
    List<String> kept = new ArrayList<>();
    for (JsonElement e : all) {
      JsonElement p = e.getAsJsonObject().get("protocol");
      if (p == null || !protocols.contains(p.getAsString())) {
        kept.add(e.toString());
      }
    }
    return String.join(",\n", kept);
  }

  private static String dropEmpty(String save) {
    StringBuilder out = new StringBuilder();
    for (String table : save.split("(?<=COMMIT\n)")) {
      boolean empty = table.lines().allMatch(l -> l.startsWith("*") || l.equals("COMMIT")
          || l.matches(":[A-Z]+ ACCEPT \\[0:0\\]"));
      if (!empty) {
        out.append(table);
      }
    }
    return out.toString();
  }

  /** The keys of {@code settings}, dotted as sysctl prints them. */
  static Set<String> keys(List<dev.mlb.iproute.SysctlSetting> settings) {
    Set<String> out = new java.util.TreeSet<>();
    settings.forEach(x -> out.add(FakeSysctl.display(FakeSysctl.path(x.key()))));
    return out;
  }
}
