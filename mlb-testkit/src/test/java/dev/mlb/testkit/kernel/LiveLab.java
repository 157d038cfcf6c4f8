package dev.mlb.testkit.kernel;

import dev.mlb.testkit.live.ProcessRunner;
import dev.mlb.testkit.live.ToolRunner;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A router namespace for the live tests: links {@code ppp0}, {@code ppp1} (uplinks), {@code eth0}
 * (LAN) and {@code wg0} (a VPN), each a veth with its peer in the same namespace, addressed in
 * both families; the real tools run inside it through a {@link ProcessRunner}.
 *
 * <pre>{@code
 * try (LiveLab lab = LiveLab.create("apply")) {
 *   lab.runner().run(List.of("iptables-nft-restore"), rules).check();
 * }
 * }</pre>
 */
public final class LiveLab implements AutoCloseable {
  private final IprouteLab lab;

  /**
   * Other software's IPv4 rules beside mlb's: a VPN's mark, fail2ban, docker and kube-proxy chains,
   * loaded as iptables-restore input (replacing the tables it names).
   */
  public static final String FOREIGN_RULES = """
      *mangle
      :PREROUTING ACCEPT [0:0]
      :INPUT ACCEPT [0:0]
      :FORWARD ACCEPT [0:0]
      :OUTPUT ACCEPT [0:0]
      :POSTROUTING ACCEPT [0:0]
      -A PREROUTING -i wg0 -j MARK --set-xmark 0x1/0x1
      COMMIT
      *filter
      :INPUT ACCEPT [0:0]
      :FORWARD ACCEPT [0:0]
      :OUTPUT ACCEPT [0:0]
      :f2b-sshd - [0:0]
      -A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd
      -A f2b-sshd -s 203.0.113.66/32 -j REJECT --reject-with icmp-port-unreachable
      -A f2b-sshd -j RETURN
      COMMIT
      *nat
      :PREROUTING ACCEPT [0:0]
      :INPUT ACCEPT [0:0]
      :OUTPUT ACCEPT [0:0]
      :POSTROUTING ACCEPT [0:0]
      :DOCKER - [0:0]
      :KUBE-MARK-MASQ - [0:0]
      :KUBE-POSTROUTING - [0:0]
      :KUBE-SERVICES - [0:0]
      :KUBE-SVC-WEB - [0:0]
      -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
      -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
      -A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
      -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
      -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
      -A DOCKER -i docker0 -j RETURN
      -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
      -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
      -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
      -A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
      -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
      -A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "default/web cluster IP" -m tcp --dport 80 -j KUBE-SVC-WEB
      -A KUBE-SVC-WEB -m statistic --mode random --probability 0.50000000000 -j KUBE-MARK-MASQ
      COMMIT
      """;

  /**
   * A policy on this lab's links: uplinks {@code isp1} on {@code ppp0} and {@code isp2} on {@code
   * ppp1}, the LAN {@code eth0} with 192.0.2.0/24, followed by {@code rest} (balance, router, mark
   * mask, ...), as policy-file YAML.
   */
  public static String policyYaml(String rest) {
    return """
        uplinks:
          - {name: isp1, interface: ppp0}
          - {name: isp2, interface: ppp1}
        lan:
          interfaces: [eth0]
          prefixes: [192.0.2.0/24]
        """ + rest;
  }


  private LiveLab(IprouteLab lab) {
    this.lab = lab;
  }

  /** A fresh namespace with the four links up and addressed. */
  public static LiveLab create(String purpose) {
    Map<String, String> veths = new LinkedHashMap<>();
    for (String l : List.of("ppp0", "ppp1", "eth0", "wg0")) {
      veths.put(l, l + "p");
    }
    return new LiveLab(IprouteLab.create(purpose, veths, List.of(
        "198.51.100.2/28 dev ppp0", "2001:db8:1::2/64 dev ppp0",
        "198.51.100.18/28 dev ppp1", "2001:db8:2::2/64 dev ppp1",
        "192.0.2.1/24 dev eth0", "2001:db8:ff::1/64 dev eth0",
        "203.0.113.201/32 dev wg0")));
  }

  /** The namespace's name, for {@code --netns}. */
  public String name() {
    return lab.ns.name();
  }

  /** The namespace, to run other commands in it (ping, counters). */
  public Netns ns() {
    return lab.ns;
  }

  /** The real tools inside the namespace. */
  public ToolRunner runner() {
    return ProcessRunner.inNamespace(name());
  }

  @Override
  public void close() {
    lab.close();
  }
}
