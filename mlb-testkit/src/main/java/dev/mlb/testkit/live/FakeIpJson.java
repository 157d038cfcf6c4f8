package dev.mlb.testkit.live;

import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.PortRange;
import dev.mlb.iproute.IpRule;
import dev.mlb.iproute.Nexthop;
import dev.mlb.iproute.Route;
import dev.mlb.iproute.RouteProtocol;
import dev.mlb.iproute.RouteType;
import dev.mlb.iproute.RoutingTable;
import dev.mlb.iproute.RuleAction;
import dev.mlb.testkit.live.FakeIproute.FakeInterface;
import dev.mlb.testkit.live.FakeIproute.FakeRoute;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code ip -json} (iproute2 6.1) prints for the rules, routes and links of a {@link FakeIproute}:
 * one JSON array on one line, keys in the order and forms ip prints them. Checked against
 * {@code ip -4|-6 -json rule show}, {@code ip -4|-6 -json route show table all} and {@code ip -json
 * link show} on Linux 6.18, for example:
 * <pre>
 * {"priority":100,"src":"all","fwmark":"0x1","fwmask":"0xff","table":"101","protocol":"openr"}
 * {"priority":102,"not":null,"src":"all","iif":"eth1","oif":"eth2","oif_detached":null,"ipproto":"tcp",
 *  "sport_start":1000,"sport_end":2000,"dport":80,"goto":200,"unresolved":null}
 * {"dst":"192.0.2.0/24","dev":"eth2","table":"101","scope":"link","prefsrc":"203.0.113.2","metric":5,"flags":[]}
 * {"type":"blackhole","dst":"2001:db8:7::/48","dev":"lo","table":"103","metric":1024,"flags":[],"pref":"medium"}
 * </pre>
 * Rules' protocol is left out when it is unspec or kernel (ip prints it only with -details);
 * routes' when it is boot.
 */
final class FakeIpJson {
  private FakeIpJson() {}

  static String rules(FakeIproute ip, IpFamily family) {
    List<String> items = new ArrayList<>();
    List<IpRule> rules = ip.rules.get(family);
    for (IpRule r : rules) {
      items.add(rule(ip, r, rules));
    }
    return "[" + String.join(",", items) + "]\n";
  }

  private static String rule(FakeIproute ip, IpRule r, List<IpRule> all) {
    StringBuilder b = new StringBuilder("{");
    b.append("\"priority\":").append(r.priority().orElse(0));
    if (r.not()) {
      b.append(",\"not\":null");
    }
    b.append(",\"src\":");
    if (r.from().isPresent()) {
      str(b, r.from().get().address().toString()).append(",\"srclen\":").append(r.from().get().length());
    } else {
      b.append("\"all\"");
    }
    r.to().ifPresent(p -> str(b.append(",\"dst\":"), p.address().toString()).append(",\"dstlen\":").append(p.length()));
    r.fwmark().ifPresent(m -> {
      str(b.append(",\"fwmark\":"), Mark.hex(m.value()));
      if (!m.isFullMask()) {
        str(b.append(",\"fwmask\":"), Mark.hex(m.mask()));
      }
    });
    r.iif().ifPresent(i -> {
      str(b.append(",\"iif\":"), i.name());
      if (ip.iface(i.name()).isEmpty()) {
        b.append(",\"iif_detached\":null");
      }
    });
    r.oif().ifPresent(o -> {
      str(b.append(",\"oif\":"), o.name());
      if (ip.iface(o.name()).isEmpty()) {
        b.append(",\"oif_detached\":null");
      }
    });
    r.ipproto().ifPresent(p -> str(b.append(",\"ipproto\":"), p.toString()));
    r.sport().ifPresent(p -> ports(b, "sport", p));
    r.dport().ifPresent(p -> ports(b, "dport", p));
    RuleAction a = r.action();
    if (a instanceof RuleAction.Lookup l) {
      str(b.append(",\"table\":"), l.table().toString());
    } else if (a instanceof RuleAction.Goto g) {
      b.append(",\"goto\":").append(g.priority());
      if (all.stream().noneMatch(x -> x.priority().orElse(0) == g.priority())) {
        b.append(",\"unresolved\":null");
      }
    } else if (a instanceof RuleAction.Nop) {
      b.append(",\"nop\":null");
    } else {
      str(b.append(",\"action\":"), a.toString());
    }
    r.suppressPrefixLength().ifPresent(n -> b.append(",\"suppress_prefixlen\":").append(n));
    r.suppressIfgroup().ifPresent(g -> b.append(",\"suppress_ifgroup\":").append(g));
    r.protocol().filter(p -> !p.equals(RouteProtocol.KERNEL)).ifPresent(p -> str(b.append(",\"protocol\":"),
        p.toString()));
    return b.append('}').toString();
  }

  private static void ports(StringBuilder b, String key, PortRange p) {
    if (p.isSingle()) {
      b.append(",\"").append(key).append("\":").append(p.first());
    } else {
      b.append(",\"").append(key).append("_start\":").append(p.first()).append(",\"").append(key).append("_end\":")
          .append(p.last());
    }
  }

  static String routes(FakeIproute ip, IpFamily family) {
    return routes(ip, family, java.util.Optional.empty());
  }

  /** The routes of one table, or of all. */
  static String routes(FakeIproute ip, IpFamily family, java.util.Optional<RoutingTable> table) {
    List<String> items = new ArrayList<>();
    for (FakeRoute f : ip.listed(family)) {
      if (table.isEmpty() || f.route().table().equals(table.get())) {
        items.add(route(f, family));
      }
    }
    return "[" + String.join(",", items) + "]\n";
  }

  private static String route(FakeRoute f, IpFamily family) {
    Route r = f.route();
    boolean v6 = family == IpFamily.V6;
    StringBuilder b = new StringBuilder("{");
    if (r.type() != RouteType.UNICAST) {
      str(b.append("\"type\":"), r.type().toString()).append(',');
    }
    IpPrefix d = r.destination();
    str(b.append("\"dst\":"), d.length() == 0 ? "default" : d.isHost() ? d.address().toString() : d.toString());
    r.via().ifPresent(v -> str(b.append(",\"gateway\":"), v.toString()));
    if (r.dev().isPresent()) {
      str(b.append(",\"dev\":"), r.dev().get().name());
    } else if (v6 && r.type().isReject()) {
      b.append(",\"dev\":\"lo\"");
    }
    if (!r.table().equals(RoutingTable.MAIN)) {
      str(b.append(",\"table\":"), r.table().toString());
    }
    r.protocol().ifPresent(p -> str(b.append(",\"protocol\":"), p.toString()));
    if (!v6 && r.effectiveScope().number() != 0) {
      str(b.append(",\"scope\":"), r.effectiveScope().toString());
    }
    r.src().ifPresent(s -> str(b.append(",\"prefsrc\":"), s.toString()));
    if (v6 || f.metric() != 0) {
      b.append(",\"metric\":").append(f.metric());
    }
    b.append(r.onlink() ? ",\"flags\":[\"onlink\"]" : ",\"flags\":[]");
    if (v6) {
      b.append(",\"pref\":\"medium\"");
    }
    if (!r.nexthops().isEmpty()) {
      List<String> hops = new ArrayList<>();
      for (Nexthop h : r.nexthops()) {
        StringBuilder n = new StringBuilder("{");
        h.via().ifPresent(v -> str(n.append("\"gateway\":"), v.toString()).append(','));
        h.dev().ifPresent(v -> str(n.append("\"dev\":"), v.name()).append(','));
        n.append("\"weight\":").append(h.weight()).append(h.onlink() ? ",\"flags\":[\"onlink\"]}" : ",\"flags\":[]}");
        hops.add(n.toString());
      }
      b.append(",\"nexthops\":[").append(String.join(",", hops)).append(']');
    }
    return b.append('}').toString();
  }

  /**
   * {@code ip -json link show}. Checked shapes: veth {"ifindex":3,"link":"eth1p","ifname":"eth1","flags":
   * ["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","linkmode":"DEFAULT",
   * "group":"default","txqlen":1000,"link_type":"ether","address":"...","broadcast":"ff:ff:ff:ff:ff:ff"}; lo with
   * "LOOPBACK", mtu 65536, "operstate":"UNKNOWN", "link_type":"loopback". The fake's interfaces have no peer
   * ("link") and made-up addresses; a WireGuard interface is shown as wireguard-tools' kernel module makes it
   * (point-to-point, no address), not checked here (this kernel has no wireguard module).
   */
  static String links(FakeIproute ip) {
    List<String> items = new ArrayList<>();
    for (FakeInterface i : ip.interfaces) {
      StringBuilder b = new StringBuilder("{\"ifindex\":").append(i.index()).append(",\"ifname\":");
      str(b, i.name());
      if (i.name().equals("lo")) {
        b.append(",\"flags\":[\"LOOPBACK\",\"UP\",\"LOWER_UP\"],\"mtu\":65536,\"qdisc\":\"noqueue\",\"operstate\":"
            + "\"UNKNOWN\",\"linkmode\":\"DEFAULT\",\"group\":\"default\",\"txqlen\":1000,\"link_type\":\"loopback\","
            + "\"address\":\"00:00:00:00:00:00\",\"broadcast\":\"00:00:00:00:00:00\"}");
      } else if (i.wireguard()) {
        b.append(",\"flags\":[\"POINTOPOINT\",\"NOARP\",\"UP\",\"LOWER_UP\"],\"mtu\":1420,\"qdisc\":\"noqueue\","
            + "\"operstate\":\"UNKNOWN\",\"linkmode\":\"DEFAULT\",\"group\":\"default\",\"txqlen\":1000,"
            + "\"link_type\":\"none\"}");
      } else {
        b.append(",\"flags\":[\"BROADCAST\",\"MULTICAST\",\"UP\",\"LOWER_UP\"],\"mtu\":1500,\"qdisc\":\"noqueue\","
            + "\"operstate\":\"UP\",\"linkmode\":\"DEFAULT\",\"group\":\"default\",\"txqlen\":1000,"
            + "\"link_type\":\"ether\",\"address\":\"")
            .append(String.format("02:00:00:00:%02x:%02x", i.index() >> 8 & 0xff, i.index() & 0xff))
            .append("\",\"broadcast\":\"ff:ff:ff:ff:ff:ff\"}");
      }
      items.add(b.toString());
    }
    return "[" + String.join(",", items) + "]\n";
  }

  private static StringBuilder str(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.append('"');
  }
}
