package dev.mlb.testkit.live;

import dev.mlb.api.IpFamily;
import java.util.ArrayList;
import java.util.List;

/**
 * The command scripts {@link FakeRouterKernelTest} runs on the fake and on the kernel: iptables-restore
 * inputs that take each path of the real tools (success, every kind of refusal, several tables) and
 * ip -batch inputs (rules and routes added, refused, deleted).
 */
final class FakeRouterKernelScripts {
  private FakeRouterKernelScripts() {}

  /** The restore scripts, for one family: {input, options...}. The address is the family's. */
  static List<String[]> restoreScripts(IpFamily f) {
    String a = f == IpFamily.V4 ? "192.0.2.0/24" : "2001:db8:9::/48";
    List<String[]> s = new ArrayList<>();
    s.add(new String[] {"*mangle\n:foo - [0:0]\n:bar - [0:0]\n:empty - [0:0]\n-A foo -j ACCEPT\n-A PREROUTING -j foo\n"
        + "-A bar -s " + a + " -j MARK --set-mark 1\nCOMMIT\n*nat\n-A POSTROUTING -o eth1 -j MASQUERADE\nCOMMIT\n"});
    s.add(new String[] {"*mangle\n:foo - [0:0]\n:PREROUTING DROP [0:0]\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-A foo -j DROP\n-D foo -j RETURN\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-D PREROUTING -j ACCEPT\nCOMMIT\n", "-n"});
    s.add(new String[] {"*mangle\n-X foo\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-X bar\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-X PREROUTING\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-X nothere\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-X\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*raw\n:r - [0:0]\nCOMMIT\n*filter\n:B - [0:0]\n-D B -j ACCEPT\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*security\n:s - [0:0]\nCOMMIT\n*filter\n:B - [0:0]\n-A B -j nothere\n-A B -j ACCEPT\n\nCOMMIT\n"});
    s.add(new String[] {"*filter\n:B - [0:0]\n-A B --bogus\nCOMMIT\n"});
    s.add(new String[] {"*mangle\n-A PREROUTING -j later\n-N later\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-A foo -g nothere\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-I foo 3 -j DROP\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-I foo 2 -j DROP\n-I foo -j RETURN\n-R foo 2 -j MARK --set-mark 2\n-D foo 3\nCOMMIT\n",
        "--noflush"});
    s.add(new String[] {"*mangle\n-R foo 9 -j DROP\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-I foo 0 -j DROP\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-N foo\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-N DROP\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-N abcdefghijklmnopqrstuvwxyz123\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-P foo DROP\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-P INPUT BOGUS\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*nat\n-P POSTROUTING DROP\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n:newc DROP [0:0]\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-Z\n-Z foo\n-Z INPUT\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-A nochain -j ACCEPT\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-A PREROUTING -o eth1 -j ACCEPT\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-A bar -j foo\n-A foo -j bar\n-A PREROUTING -j bar\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n:x - [0:0]\n:y - [0:0]\n-A x -j y\n-A y -j x\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-A foo -j INPUT\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-A PREROUTING -j MASQUERADE\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*nat\n:u - [0:0]\n-A u -j MASQUERADE\n-A PREROUTING -j u\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*nat\n:u - [0:0]\n-A u -j MASQUERADE\n-A POSTROUTING -j u\n-A INPUT -j SNAT --to-source "
        + (f == IpFamily.V4 ? "198.51.100.2" : "2001:db8:1::2") + "\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-A PREROUTING -j ACCEPT\n", "--noflush"});
    s.add(new String[] {"-A PREROUTING -j ACCEPT\n", "--noflush"});
    s.add(new String[] {"*bogus\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-A PREROUTING -j ACCEPT\n*nat\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n# a comment\n\n[0:0] -A PREROUTING -j ACCEPT -c 1 2\nCOMMIT", "--noflush"});
    s.add(new String[] {"*mangle\n-F INPUT\n-F foo\n-F nothere\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*raw\n-F\n-X\n-Z\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n-F\n-X\nCOMMIT\n", "--noflush"});
    s.add(new String[] {"*mangle\n:INPUT - [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n"});
    s.add(new String[] {"*nat\nCOMMIT\n*mangle\nCOMMIT\n"});
    return s;
  }

  /** The ip -batch inputs, for one family, run one after the other. */
  static List<String> batches(IpFamily f) {
    if (f == IpFamily.V4) {
      return List.of(
          "rule add priority 100 fwmark 0x1/0xff lookup 101 proto 99\n"
              + "rule add priority 101 from 198.51.100.0/28 to 203.0.113.0/24 lookup main suppress_prefixlength 0 proto 109\n"
              + "rule add priority 102 not iif eth1 oif eth2 ipproto tcp sport 1000-2000 dport 80 goto 200\n"
              + "rule add priority 103 nop\nrule add priority 104 iif nosuch lookup 5\nrule add priority 105 fwmark 0x2 table 102\n"
              + "rule add fwmark 0x9 lookup 6\nrule add priority 105 fwmark 0x3 table 102\nrule add priority 106 blackhole\n",
          "rule add priority 105 fwmark 0x2 table 102\nrule add priority 107 lookup 7\n",
          "# routes\nroute add default via 198.51.100.1 dev eth1 table 101 proto 99\n"
              + "route add 192.0.2.0/24 dev eth2 table 101 metric 5 src 203.0.113.2\n"
              + "route add default table 102 nexthop via 198.51.100.1 dev eth1 weight 2 nexthop via 203.0.113.1 dev eth2\n"
              + "route add blackhole 192.0.2.128/25 table 103\nroute add unreachable 192.0.2.0/25 table 103 proto 109\n"
              + "route add 10.0.0.0/8 via 192.0.2.1 dev eth2 onlink table 104\n"
              + "route add 10.0.0.0/8 via 203.0.113.1 table 104 metric 7 proto static\n"
              + "route add prohibit 10.1.0.0/16 table 104 proto static\nroute add throw 10.2.0.0/16 table 104\n"
              + "route add 10.4.0.0/16 via 198.51.100.1\nroute add 10.5.0.0/16 via 198.51.100.1 table 101 metric 0\n",
          "route add 10.9.0.0/16 via 198.51.100.1 metric 5 table 110\nroute add 10.9.0.0/16 via 203.0.113.1 metric 5 table 110\n",
          "route replace 10.9.0.0/16 via 203.0.113.1 metric 5 table 110\nroute add 10.9.0.0/16 dev nosuch table 110\n",
          "route add 10.9.0.0/16 via 192.0.2.77 table 111\n",
          "route add 10.9.0.0/16 via 198.51.100.1 dev eth2 table 111\n",
          "route add 10.9.0.0/16 via 198.51.100.1 src 192.0.2.5 table 111\n",
          "route add 10.9.1.1/16 dev eth1 table 111\n",
          "route del 10.9.0.0/16 table 110\nroute del 10.9.0.0/16 table 110\n",
          "rule del priority 200\n",
          "rule del fwmark 0x3\nrule del lookup 102 priority 105\nrule del priority 107 proto 98\n",
          "rule add priority 500 goto 400\n",
          "rule flush protocol 99\nrule flush protocol 99\nrule del priority 101 proto 109\n",
          "route del default table 101\nroute del 10.0.0.0/8 table 104 metric 7\nroute del blackhole 192.0.2.0/25 table 103\n",
          "route del 10.0.0.0/8 table 104 via 192.0.2.1\nroute del unreachable 192.0.2.0/25 table 103\n",
          // A rule without a source or destination is taken for one with them (rule_exists); not for
          // another protocol, port or mark. rule del takes the first that has what it names.
          "rule add priority 120 from 198.51.100.0/28 iif eth2 ipproto tcp dport 443 lookup 7 proto 109\n"
              + "rule add priority 120 iif eth2 ipproto tcp dport 443 lookup 7 proto 109\n",
          "rule add priority 121 to 203.0.113.0/24 lookup 7\nrule add priority 121 lookup 7\n",
          "rule add priority 122 from 198.51.100.0/28 lookup 7\nrule add priority 122 not from 198.51.100.0/28 lookup 7\n",
          "rule add priority 123 lookup 7 proto 98\nrule add priority 123 from 198.51.100.0/28 lookup 7 proto 98\n"
              + "rule add priority 123 lookup 7 proto 97\nrule add priority 123 ipproto udp lookup 7 proto 97\n"
              + "rule add priority 123 fwmark 0x1/0x1 lookup 7 proto 97\n",
          "rule del priority 123 lookup 7\nrule del priority 120 iif eth2 ipproto tcp dport 443 lookup 7\n");
    }
    return List.of(
        "rule add priority 100 fwmark 0x1/0xff lookup 101 proto 99\nrule add from 2001:db8:2::/64 lookup 110 proto 99\n"
            + "rule add priority 300 from 2001:db8:3::/64 lookup 110\n",
        "route add default via 2001:db8:1::1 dev eth1 table 101 proto 99\n"
            + "route add 2001:db8:9::/48 dev eth2 table 101 metric 5\n"
            + "route add default table 102 nexthop via 2001:db8:1::1 dev eth1 weight 2 nexthop via 2001:db8:2::1 dev eth2\n"
            + "route add blackhole 2001:db8:7::/48 table 103\nroute add unreachable 2001:db8:8::/48 table 103 proto 109\n"
            + "route add 2001:db8:5::/48 via 2001:db8:1::1\nroute add 2001:db8:6::/48 via 2001:db8:1::1 dev eth1 table 101 metric 0\n",
        "route add 2001:db8:20::/48 via 2001:db8:1::1 metric 5 table 110\nroute add 2001:db8:20::/48 via 2001:db8:2::1 metric 5 table 110\n",
        "route add 2001:db8:20::/48 via 2001:db8:77::1 table 111\n",
        "route add 2001:db8:20::/48 via 2001:db8:1::1 dev eth2 table 111\n",
        "route add 2001:db8:21::/48 via 2001:db8:1::1 src 2001:db8:99::5 table 111\n",
        "route add 2001:db8:21::/48 dev nosuch table 111\n",
        "route add 2001:db8:22::/48 via 2001:db8:1::2 table 111\n",
        "route add 2001:db8:23::/48 via fe80::1 dev eth1 table 111\nroute add 2001:db8:24::/48 via fe80::1 table 111\n",
        "route del 2001:db8:20::/48 table 110\nroute del 2001:db8:20::/48 table 110\n",
        "rule flush protocol 99\nrule flush protocol 99\nrule del from 2001:db8:3::/64\nrule del from 2001:db8:3::/64\n",
        "route del default table 101 proto 99\nroute del blackhole 2001:db8:7::/48 table 103\n",
        "route add 2001:db8:30::1/48 dev eth1 table 112\nroute add 2001:db8:31::/48 dev eth1 src 2001:db8:2::2 table 112\n"
            + "rule add priority 700 lookup 112\nrule add priority 700 lookup 112\n",
        "rule add priority 720 from 2001:db8:4::/64 lookup 7\nrule add priority 720 lookup 7\n",
        "rule add priority 721 lookup 7\nrule add priority 721 from 2001:db8:4::/64 lookup 7\n"
            + "rule del priority 721 lookup 7\n");
  }
}
