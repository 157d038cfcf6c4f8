package dev.mlb.testkit.gen;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import dev.mlb.api.IpFamily;
import dev.mlb.iproute.RoutingPlan;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * What other software keeps on a router, from a seed, shaped like real hosts: Docker's nat chain,
 * masquerade and port forward; kube-proxy's mark chain and masquerade on a mark bit; a fail2ban
 * chain; a foreign mangle mark; a VPN's ip rule and table; a raw NOTRACK rule. Chosen so that it
 * does not stand where a policy needs to write: other priorities and tables than its routing plans',
 * mark bits outside its mask, chain names without mlb's prefixes.
 *
 * <pre>{@code
 * ForeignStateGenerator.ForeignState s = ForeignStateGenerator.generate(new SplittableRandom(7),
 *     policy.markMask(), List.of(compiled.plan(IpFamily.V4)), List.of("eth0", "ppp0"));
 * s.rules().get(IpFamily.V4);    // iptables-restore input with *filter, *nat, *mangle, *raw tables
 * s.routes().get(IpFamily.V4);   // ip -batch input: a VPN's table and rule
 * }</pre>
 *
 * <p>Each table and rule is present with some probability, so a sequence of seeds gives routers
 * from empty to busy. The rules load with {@code iptables-restore --noflush} (they only add), the
 * routes with {@code ip -batch}; routes use only the interfaces given and documentation or private
 * prefixes.
 */
public final class ForeignStateGenerator {
  private ForeignStateGenerator() {}

  /**
   * A foreign state.
   *
   * @param rules per family, {@code iptables-restore --noflush} input
   * @param routes per family, {@code ip -batch} input
   * @param markBits the mark bits the rules and ip rules use (outside the policy's mask)
   */
  public record ForeignState(ImmutableMap<IpFamily, String> rules, ImmutableMap<IpFamily, String> routes,
      long markBits) {}

  /**
   * A foreign state beside a policy with mark mask {@code mask} and routing plans {@code plans}
   * (one per family it compiles), using only {@code interfaces} (at least one).
   */
  public static ForeignState generate(SplittableRandom r, long mask, Collection<RoutingPlan> plans,
      List<String> interfaces) {
    checkArgument(!interfaces.isEmpty(), "no interfaces");
    List<Long> free = new ArrayList<>();
    for (int bit = 0; bit < 32; bit++) {
      if ((mask >>> bit & 1) == 0) {
        free.add(1L << bit);
      }
    }
    // A mask of all 32 bits leaves no bit to other software: then no foreign rule uses marks.
    long kubeBit = free.isEmpty() ? 0 : free.get(r.nextInt(free.size()));
    long mangleBit = free.isEmpty() ? 0 : free.get(r.nextInt(free.size()));
    Set<Long> priorities = new HashSet<>();
    Set<Long> tables = new HashSet<>();
    for (RoutingPlan p : plans) {
      p.rules().forEach(x -> x.priority().ifPresent(priorities::add));
      p.routes().forEach(x -> tables.add(x.table().id()));
    }
    ImmutableMap.Builder<IpFamily, String> rules = ImmutableMap.builder();
    ImmutableMap.Builder<IpFamily, String> routes = ImmutableMap.builder();
    String iface = interfaces.get(r.nextInt(interfaces.size()));
    long vpnPriority = free(r, priorities, 5000);
    long vpnTable = freeTable(r, tables);
    long bits = 0;
    for (IpFamily f : IpFamily.values()) {
      boolean v4 = f == IpFamily.V4;
      StringBuilder t = new StringBuilder();
      if (r.nextInt(4) != 0) {
        t.append("*filter\n:INPUT ACCEPT [0:0]\n:f2b-sshd - [0:0]\n")
            .append("-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd\n");
        for (int i = 1 + r.nextInt(3); i > 0; i--) {
          t.append("-A f2b-sshd -s ").append(v4 ? "203.0.113." + (1 + r.nextInt(250)) + "/32"
              : "2001:db8:bad::" + Integer.toHexString(1 + r.nextInt(250)) + "/128")
              .append(r.nextBoolean() ? " -j REJECT" + (v4 ? " --reject-with icmp-port-unreachable"
                  : " --reject-with icmp6-port-unreachable") : " -j DROP").append('\n');
        }
        t.append("-A f2b-sshd -j RETURN\nCOMMIT\n");
      }
      boolean kube = r.nextInt(3) != 0 && kubeBit != 0;
      boolean docker = r.nextInt(3) != 0;
      if (kube || docker) {
        t.append("*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n");
        if (docker) {
          t.append(":DOCKER - [0:0]\n-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n")
              .append("-A POSTROUTING -s ").append(v4 ? "172.17.0.0/16" : "fd00:17::/64").append(" ! -o docker0 -j MASQUERADE\n")
              .append("-A DOCKER -i docker0 -j RETURN\n")
              .append("-A DOCKER ! -i docker0 -p tcp -m tcp --dport ").append(8000 + r.nextInt(1000))
              .append(" -j DNAT --to-destination ").append(v4 ? "172.17.0.2:80" : "[fd00:17::2]:80").append('\n');
        }
        if (kube) {
          String m = dev.mlb.api.Mark.hex(kubeBit);
          t.append(":KUBE-MARK-MASQ - [0:0]\n:KUBE-POSTROUTING - [0:0]\n")
              .append("-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING\n")
              .append("-A KUBE-MARK-MASQ -j MARK --set-xmark ").append(m).append('/').append(m).append('\n')
              .append("-A KUBE-POSTROUTING -m mark ! --mark ").append(m).append('/').append(m).append(" -j RETURN\n")
              .append("-A KUBE-POSTROUTING -j MARK --set-xmark 0x0/").append(m).append('\n')
              .append("-A KUBE-POSTROUTING -j MASQUERADE --random-fully\n");
          bits |= kubeBit;
        }
        t.append("COMMIT\n");
      }
      if (r.nextBoolean() && mangleBit != 0) {
        String m = dev.mlb.api.Mark.hex(mangleBit);
        t.append("*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -i ").append(iface).append(" -j MARK --set-xmark ")
            .append(m).append('/').append(m).append('\n').append("COMMIT\n");
        bits |= mangleBit;
      }
      if (r.nextInt(4) == 0) {
        t.append("*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p udp -m udp --dport 123 -j CT --notrack\nCOMMIT\n");
      }
      rules.put(f, t.toString());

      StringBuilder b = new StringBuilder();
      if (r.nextInt(3) != 0) {
        b.append("route add ").append(v4 ? "10.99.0.0/16" : "2001:db8:99::/48").append(" dev ").append(iface)
            .append(" table ").append(vpnTable).append('\n');
        if (free.isEmpty()) {
          b.append("rule add priority ").append(vpnPriority).append(" from ").append(v4 ? "10.98.0.0/16"
              : "2001:db8:98::/48").append(" lookup ").append(vpnTable).append('\n');
        } else {
          long mark = free.get(r.nextInt(free.size()));
          b.append("rule add priority ").append(vpnPriority).append(" not fwmark ").append(dev.mlb.api.Mark.hex(mark))
              .append('/').append(dev.mlb.api.Mark.hex(mark)).append(" lookup ").append(vpnTable).append('\n');
          bits |= mark;
        }
      }
      routes.put(f, b.toString());
    }
    return new ForeignState(rules.build(), routes.build(), bits);
  }

  private static long free(SplittableRandom r, Set<Long> taken, long around) {
    long p = around + r.nextInt(1000);
    while (taken.contains(p)) {
      p++;
    }
    return p;
  }

  private static long freeTable(SplittableRandom r, Set<Long> taken) {
    long t = 51820 + r.nextInt(100);
    while (taken.contains(t)) {
      t++;
    }
    return t;
  }
}
