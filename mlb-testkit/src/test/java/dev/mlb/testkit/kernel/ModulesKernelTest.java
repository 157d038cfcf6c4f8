package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import dev.mlb.api.ValidationException;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.RestoreWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The modules issue 16 added (LOG, REJECT, DNAT, REDIRECT, NFLOG, TCPMSS, addrtype) against the running kernel: each input form is read by mlb
 * as iptables-nft reads it (the same saved text, or a refusal of both), and mlb's text of every
 * accepted form loads and saves back unchanged, in v4 and v6 where the module has both.
 *
 * <p>The forms are those of the modules' unit tests in mlb-netfilter (LogTest, RejectTest, DnatTest, RedirectTest,
 * NflogTest, TcpmssTest, AddrtypeMatchTest), which record
 * what iptables printed or said for each. A form whose kernel module is missing here is left out
 * and counted with the reason (the test says so on standard output).
 */
class ModulesKernelTest {

  /**
   * One form a line: the families ({@code 4}, {@code 6} or {@code 46}), the table, the chain and
   * the rule after {@code -A CHAIN}. A chain that is not built in is declared and reached from
 * nowhere (the kernel checks a target's hooks only where a chain is reached, its table always).
   */
  private static final String FORMS = """
      46 filter INPUT -j LOG
      46 filter INPUT -j LOG --log-level 4
      46 filter INPUT -j LOG --log-level warning
      46 filter INPUT -j LOG --log-level 0
      46 filter INPUT -j LOG --log-level emerg
      46 filter INPUT -j LOG --log-level panic
      46 filter INPUT -j LOG --log-level alert
      46 filter INPUT -j LOG --log-level crit
      46 filter INPUT -j LOG --log-level error
      46 filter INPUT -j LOG --log-level notice
      46 filter INPUT -j LOG --log-level info
      46 filter INPUT -j LOG --log-level debug
      46 filter INPUT -j LOG --log-level 7
      46 filter INPUT -j LOG --log-level 0x3
      46 filter INPUT -j LOG --log-level 03
      46 filter INPUT -j LOG --log-prefix abc
      46 filter INPUT -j LOG --log-prefix "x y"
      46 filter INPUT -j LOG --log-prefix "[UFW BLOCK] "
      46 filter INPUT -j LOG --log-prefix "a#b"
      46 filter INPUT -j LOG --log-prefix "a\\"b"
      46 filter INPUT -j LOG --log-prefix "a'b"
      46 filter INPUT -j LOG --log-prefix "a\\\\b"
      46 filter INPUT -j LOG --log-prefix 12345678901234567890123456789
      46 filter INPUT -j LOG --log-prefix 123456789012345678901234567890
      46 filter INPUT -j LOG --log-tcp-sequence
      46 filter INPUT -j LOG --log-tcp-options
      46 filter INPUT -j LOG --log-ip-options
      46 filter INPUT -j LOG --log-uid
      46 filter INPUT -j LOG --log-macdecode
      46 filter INPUT -j LOG --log-macdecode --log-uid --log-ip-options --log-tcp-options --log-tcp-sequence --log-level 1 --log-prefix p
      46 mangle PREROUTING -p tcp -j LOG --log-prefix "mangled: " --log-level 6
      46 filter INPUT -j LOG --log-level warn
      46 filter INPUT -j LOG --log-level err
      46 filter INPUT -j LOG --log-level 8
      46 filter INPUT -j LOG --log-level DEBUG
      46 filter INPUT -j LOG --log-level -1
      46 filter INPUT -j LOG --log-level none
      46 filter INPUT -j LOG --log-prefix ""
      46 filter INPUT -j LOG --log-level 1 --log-level 2
      46 filter INPUT -j LOG --log-uid --log-uid
      46 filter INPUT -j LOG ! --log-uid
      46 filter INPUT -j LOG --log-prefix
      46 filter INPUT -j LOG --log-tcp-sequence 1
      4 filter INPUT -j REJECT
      4 filter INPUT -j REJECT --reject-with icmp-port-unreachable
      4 filter INPUT -j REJECT --reject-with icmp-net-unreachable
      4 filter INPUT -j REJECT --reject-with icmp-host-unreachable
      4 filter INPUT -j REJECT --reject-with icmp-proto-unreachable
      4 filter INPUT -j REJECT --reject-with icmp-net-prohibited
      4 filter INPUT -j REJECT --reject-with icmp-host-prohibited
      4 filter INPUT -j REJECT --reject-with icmp-admin-prohibited
      4 filter INPUT -j REJECT --reject-with net-unreach
      4 filter INPUT -j REJECT --reject-with host-unreach
      4 filter INPUT -j REJECT --reject-with proto-unreach
      4 filter INPUT -j REJECT --reject-with port-unreach
      4 filter INPUT -j REJECT --reject-with net-prohib
      4 filter INPUT -j REJECT --reject-with host-prohib
      4 filter INPUT -j REJECT --reject-with admin-prohib
      4 filter INPUT -j REJECT --reject-with ICMP-HOST-PROHIBITED
      4 filter INPUT -j REJECT --reject-with icmp
      4 filter INPUT -j REJECT --reject-with icmp-h
      4 filter INPUT -j REJECT --reject-with ""
      4 filter INPUT -j REJECT --reject-with port
      4 filter INPUT -p tcp -j REJECT --reject-with tcp-reset
      4 filter INPUT -p tcp -j REJECT --reject-with tcp-rst
      4 filter INPUT -p 6 -j REJECT --reject-with t
      4 filter INPUT -j REJECT --reject-with tcp-reset
      4 filter INPUT ! -p tcp -j REJECT --reject-with tcp-reset
      4 filter INPUT -p udp -j REJECT --reject-with tcp-reset
      4 filter INPUT -j REJECT --reject-with icmp-port-unreachablex
      4 filter INPUT -j REJECT --reject-with echo-reply
      4 filter INPUT -j REJECT --reject-with icmp6-port-unreachable
      4 filter INPUT -j REJECT --reject-with icmp-port-unreachable --reject-with icmp-port-unreachable
      4 filter INPUT -j REJECT --reject-with
      6 filter INPUT -j REJECT
      6 filter INPUT -j REJECT --reject-with icmp6-no-route
      6 filter INPUT -j REJECT --reject-with icmp6-adm-prohibited
      6 filter INPUT -j REJECT --reject-with icmp6-addr-unreachable
      6 filter INPUT -j REJECT --reject-with icmp6-port-unreachable
      6 filter INPUT -j REJECT --reject-with icmp6-policy-fail
      6 filter INPUT -j REJECT --reject-with icmp6-reject-route
      6 filter INPUT -j REJECT --reject-with no-route
      6 filter INPUT -j REJECT --reject-with adm-prohibited
      6 filter INPUT -j REJECT --reject-with addr-unreach
      6 filter INPUT -j REJECT --reject-with port-unreach
      6 filter INPUT -j REJECT --reject-with policy-fail
      6 filter INPUT -j REJECT --reject-with reject-route
      6 filter INPUT -j REJECT --reject-with icmp6
      6 filter INPUT -j REJECT --reject-with ""
      6 filter INPUT -j REJECT --reject-with a
      6 filter INPUT -j REJECT --reject-with p
      6 filter INPUT -p tcp -j REJECT --reject-with tcp-reset
      6 filter INPUT -p tcp -j REJECT --reject-with t
      6 filter INPUT -j REJECT --reject-with tcp-reset
      6 filter INPUT -j REJECT --reject-with icmp6-not-neighbor
      6 filter INPUT -j REJECT --reject-with icmp-port-unreachable
      46 filter FORWARD -j REJECT
      46 filter OUTPUT -j REJECT
      46 filter X -j REJECT
      46 mangle INPUT -j REJECT
      46 security INPUT -j REJECT
      46 raw OUTPUT -j REJECT
      46 mangle X -j REJECT
      4 nat PREROUTING -j DNAT --to-destination 192.0.2.1
      4 nat PREROUTING -j DNAT --to-destination 192.0.2.1-192.0.2.9
      4 nat PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1:80
      4 nat PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1:80-90
      4 nat PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1-192.0.2.9:80-90
      4 nat PREROUTING -p tcp -j DNAT --to-destination :80
      4 nat PREROUTING -p tcp -j DNAT --to-destination :80-90
      4 nat PREROUTING -p udp -j DNAT --to-destination 192.0.2.1:0
      4 nat PREROUTING -p sctp -j DNAT --to-destination 192.0.2.1:53
      4 nat PREROUTING -p dccp -j DNAT --to-destination 192.0.2.1:53
      4 nat PREROUTING -p icmp -j DNAT --to-destination 192.0.2.1:53
      4 nat PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1:80-90/100
      4 nat PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1:0x50
      4 nat PREROUTING ! -p tcp -j DNAT --to-destination 192.0.2.1:80
      4 nat PREROUTING -j DNAT --to-destination 192.0.2.9-192.0.2.1
      4 nat PREROUTING -j DNAT --to-destination 192.0.2.1 --random
      4 nat PREROUTING -j DNAT --to-destination 192.0.2.1 --persistent
      4 nat PREROUTING -j DNAT --persistent --random --to-destination 192.0.2.1
      4 nat OUTPUT -j DNAT --to-destination 192.0.2.1
      4 nat PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1:90-80
      4 nat PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1:80:90
      4 nat PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1:http
      4 nat PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1:65536
      4 nat PREROUTING -j DNAT --to-destination 192.0.2.1:80
      4 nat PREROUTING -j DNAT --to-destination 192.0.2.1 --random-fully
      4 nat PREROUTING -j DNAT
      4 nat PREROUTING -j DNAT --random
      4 nat PREROUTING -j DNAT --to-destination 192.0.2.1 --to-destination 192.0.2.2
      4 nat PREROUTING -j DNAT --to-destination 2001:db8::1
      4 nat PREROUTING -j DNAT --to-destination [192.0.2.1]
      4 nat PREROUTING -j DNAT --to-destination 192.0.2
      4 nat PREROUTING -j DNAT --to-destination 192.0.2.1/24
      4 nat PREROUTING -j DNAT --to-destination ""
      4 nat PREROUTING -j DNAT --to-destination 192.0.2.1-
      4 nat POSTROUTING -j DNAT --to-destination 192.0.2.1
      4 nat INPUT -j DNAT --to-destination 192.0.2.1
      6 nat PREROUTING -j DNAT --to-destination 2001:db8::1
      6 nat PREROUTING -j DNAT --to-destination 2001:db8::1-2001:db8::9
      6 nat PREROUTING -j DNAT --to-destination [2001:db8::1]
      6 nat PREROUTING -p tcp -j DNAT --to-destination [2001:db8::1]:80
      6 nat PREROUTING -p tcp -j DNAT --to-destination [2001:db8::1-2001:db8::9]:80-90
      6 nat PREROUTING -p tcp -j DNAT --to-destination [2001:db8::1]:80-90/85
      6 nat PREROUTING -p tcp -j DNAT --to-destination :80
      6 nat PREROUTING -p tcp -j DNAT --to-destination []:80
      6 nat PREROUTING -p udp -j DNAT --to-destination [2001:DB8:0::1]:53
      6 nat PREROUTING -p icmp -j DNAT --to-destination [2001:db8::1]:53
      6 nat PREROUTING -j DNAT --to-destination 2001:db8::1 --random --persistent
      6 nat PREROUTING -j DNAT --to-destination ::ffff:192.0.2.1
      6 nat PREROUTING -j DNAT --to-destination 2001:db8::1:80
      6 nat PREROUTING -p icmpv6 -j DNAT --to-destination [2001:db8::1]:53
      6 nat PREROUTING -j DNAT --to-destination 192.0.2.1
      6 nat PREROUTING -j DNAT --to-destination [2001:db8::1
      6 nat POSTROUTING -j DNAT --to-destination 2001:db8::1
      4 nat PREROUTING -j REDIRECT
      4 nat PREROUTING -p tcp -j REDIRECT --to-ports 8080
      4 nat PREROUTING -p tcp -j REDIRECT --to-ports 8080-8090
      4 nat PREROUTING -p udp -j REDIRECT --to-ports 0
      4 nat PREROUTING -p tcp -j REDIRECT --to-ports 8080 --random
      4 nat PREROUTING -p tcp -j REDIRECT --random --to-ports 8080
      4 nat PREROUTING -j REDIRECT --random
      4 nat PREROUTING -p icmp -j REDIRECT --to-ports 8080
      4 nat PREROUTING ! -p tcp -j REDIRECT --to-ports 8080
      4 nat PREROUTING -p tcp -j REDIRECT --to-ports 0x50
      4 nat OUTPUT -j REDIRECT
      6 nat OUTPUT -p tcp -j REDIRECT --to-ports 8080
      6 nat PREROUTING -j REDIRECT
      4 nat PREROUTING -j REDIRECT --random-fully
      4 nat PREROUTING -j REDIRECT --to-ports 8080
      4 nat PREROUTING -p tcp -j REDIRECT --to-ports 8090-8080
      4 nat PREROUTING -p tcp -j REDIRECT --to-ports 8080:8090
      4 nat PREROUTING -p tcp -j REDIRECT --to-ports http
      4 nat PREROUTING -p udp -j REDIRECT --to-ports ftp-data
      4 nat PREROUTING -p tcp -j REDIRECT --to-ports ftp-data-ssh
      4 nat PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1:10-20/ftp
      4 nat PREROUTING -p tcp -j REDIRECT --to-ports 8080-8090/8085
      4 nat PREROUTING -p tcp -j REDIRECT --to-ports :80
      4 nat PREROUTING -p tcp -j REDIRECT --to-ports 65536
      4 nat PREROUTING -p tcp -j REDIRECT --to-ports 80 --to-ports 81
      4 nat POSTROUTING -j REDIRECT
      46 filter INPUT -j NFLOG
      46 filter INPUT -j NFLOG --nflog-group 0
      46 filter INPUT -j NFLOG --nflog-group 5
      46 filter INPUT -j NFLOG --nflog-group 65535
      46 filter INPUT -j NFLOG --nflog-group 0x10
      46 filter INPUT -j NFLOG --nflog-prefix abc
      46 filter INPUT -j NFLOG --nflog-prefix "x y"
      46 filter INPUT -j NFLOG --nflog-prefix "a'b"
      46 filter INPUT -j NFLOG --nflog-size 0
      46 filter INPUT -j NFLOG --nflog-size 128
      46 filter INPUT -j NFLOG --nflog-size 4294967295
      46 filter INPUT -j NFLOG --nflog-size 0x10
      46 filter INPUT -j NFLOG --nflog-size 010
      46 filter INPUT -j NFLOG --nflog-range 128
      46 filter INPUT -j NFLOG --nflog-range 0x10
      46 filter INPUT -j NFLOG --nflog-threshold 0
      46 filter INPUT -j NFLOG --nflog-threshold 1
      46 filter INPUT -j NFLOG --nflog-threshold 65535
      46 filter INPUT -j NFLOG --nflog-threshold 10 --nflog-size 100 --nflog-group 2 --nflog-prefix p
      46 filter INPUT -j NFLOG --nflog-group 65536
      46 filter INPUT -j NFLOG --nflog-group -1
      46 filter INPUT -j NFLOG --nflog-prefix ""
      46 filter INPUT -j NFLOG --nflog-size 4294967296
      46 filter INPUT -j NFLOG --nflog-range -1
      46 filter INPUT -j NFLOG --nflog-range 128 --nflog-size 64
      46 filter INPUT -j NFLOG --nflog-threshold 65536
      46 filter INPUT -j NFLOG --nflog-group 1 --nflog-group 2
      46 filter INPUT -j NFLOG ! --nflog-group 1
      46 filter INPUT -j NFLOG --nflog-group
      46 filter INPUT -j NFLOG --nflog-prefix aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
      46 filter INPUT -j NFLOG --nflog-prefix aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab
      46 mangle PREROUTING -j NFLOG --nflog-group 3 --nflog-threshold 2
      4 filter INPUT -m addrtype --dst-type LOCAL -j ACCEPT
      4 filter INPUT -m addrtype --src-type LOCAL -j ACCEPT
      4 filter INPUT -m addrtype ! --dst-type LOCAL -j ACCEPT
      4 filter INPUT -m addrtype --dst-type local -j ACCEPT
      4 filter INPUT -m addrtype --dst-type LOC -j ACCEPT
      4 filter INPUT -m addrtype --dst-type U -j ACCEPT
      4 filter INPUT -m addrtype --dst-type UNI -j ACCEPT
      4 filter INPUT -m addrtype --dst-type LOCAL,UNICAST -j ACCEPT
      4 filter INPUT -m addrtype --dst-type UNICAST,LOCAL,BROADCAST,MULTICAST -j ACCEPT
      4 filter INPUT -m addrtype --dst-type UNSPEC,UNICAST,LOCAL,BROADCAST,ANYCAST,MULTICAST,BLACKHOLE,UNREACHABLE,PROHIBIT,THROW,NAT,XRESOLVE -j ACCEPT
      4 filter INPUT -m addrtype --dst-type LOCAL,LOCAL -j ACCEPT
      4 filter INPUT -m addrtype --src-type LOCAL --dst-type UNICAST -j ACCEPT
      4 filter INPUT -m addrtype --dst-type UNICAST --src-type LOCAL -j ACCEPT
      4 filter INPUT -m addrtype ! --src-type LOCAL ! --dst-type LOCAL -j ACCEPT
      4 filter INPUT -m addrtype --dst-type LOCAL --limit-iface-in -j ACCEPT
      4 filter OUTPUT -m addrtype --dst-type LOCAL --limit-iface-out -j ACCEPT
      4 filter FORWARD -m addrtype --dst-type LOCAL --limit-iface-out -j ACCEPT
      4 filter FORWARD -m addrtype --dst-type LOCAL --limit-iface-in -j ACCEPT
      4 filter INPUT -m addrtype --dst-type LOCAL --limit-iface-out -j ACCEPT
      4 filter OUTPUT -m addrtype --dst-type LOCAL --limit-iface-in -j ACCEPT
      4 filter INPUT -m addrtype --dst-type LOCAL --limit-iface-in --limit-iface-out -j ACCEPT
      4 filter INPUT -m addrtype --limit-iface-in -j ACCEPT
      4 filter INPUT -m addrtype -j ACCEPT
      4 filter INPUT -m addrtype --dst-type -j ACCEPT
      4 filter INPUT -m addrtype --dst-type FOO -j ACCEPT
      4 filter INPUT -m addrtype --dst-type "" -j ACCEPT
      4 filter INPUT -m addrtype --dst-type LOCAL, -j ACCEPT
      4 filter INPUT -m addrtype --dst-type ,LOCAL -j ACCEPT
      4 filter INPUT -m addrtype --dst-type LOCAL --dst-type UNICAST -j ACCEPT
      4 filter INPUT -m addrtype --dst-type LOCAL ! --limit-iface-in -j ACCEPT
      6 filter INPUT -m addrtype --dst-type LOCAL -j ACCEPT
      6 filter INPUT -m addrtype --dst-type UNREACHABLE -j ACCEPT
      6 filter INPUT -m addrtype --dst-type UNSPEC,UNICAST,LOCAL,ANYCAST,MULTICAST -j ACCEPT
      6 filter INPUT -m addrtype --dst-type UNREACHABLE,LOCAL -j ACCEPT
      6 filter INPUT -m addrtype --dst-type BROADCAST -j ACCEPT
      6 filter INPUT -m addrtype --dst-type BLACKHOLE -j ACCEPT
      6 filter INPUT -m addrtype --dst-type PROHIBIT -j ACCEPT
      6 filter INPUT -m addrtype --src-type THROW -j ACCEPT
      6 filter INPUT -m addrtype --dst-type NAT -j ACCEPT
      6 filter INPUT -m addrtype --dst-type XRESOLVE -j ACCEPT
      46 nat PREROUTING -m addrtype --dst-type LOCAL -j RETURN
      4 nat OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j RETURN
      46 nat PREROUTING -m addrtype --dst-type LOCAL --limit-iface-out -j RETURN
      4 mangle FORWARD -p tcp -j TCPMSS --clamp-mss-to-pmtu
      4 mangle FORWARD -p tcp -j TCPMSS --set-mss 1400
      4 mangle FORWARD -p tcp -j TCPMSS --set-mss 0x10
      4 mangle FORWARD -p tcp -j TCPMSS --set-mss 0
      4 filter OUTPUT -p tcp -j TCPMSS --set-mss 65515
      4 mangle FORWARD -p tcp -j TCPMSS --set-mss 1400 --clamp-mss-to-pmtu
      4 filter OUTPUT -p tcp -j TCPMSS --clamp-mss-to-pmtu --set-mss 1400
      4 nat POSTROUTING -p tcp -j TCPMSS --clamp-mss-to-pmtu
      4 mangle PREROUTING -p tcp -j TCPMSS --set-mss 1220
      6 mangle FORWARD -p tcp -j TCPMSS --set-mss 65495
      6 filter FORWARD -p tcp -j TCPMSS --clamp-mss-to-pmtu
      6 mangle FORWARD -p tcp -j TCPMSS --set-mss 1400 --clamp-mss-to-pmtu
      4 mangle FORWARD -p tcp -j TCPMSS --set-mss 65516
      4 mangle FORWARD -p tcp -j TCPMSS --set-mss x
      6 mangle FORWARD -p tcp -j TCPMSS --set-mss 65496
      4 mangle FORWARD -p tcp -j TCPMSS
      4 mangle FORWARD -p tcp -j TCPMSS --set-mss 1400 --set-mss 1300
      4 mangle FORWARD -j TCPMSS --clamp-mss-to-pmtu
      6 mangle FORWARD ! -p tcp -j TCPMSS --set-mss 1400
      6 mangle FORWARD -p udp -j TCPMSS --set-mss 1400
      4 mangle INPUT -p tcp -j TCPMSS --clamp-mss-to-pmtu
      4 mangle PREROUTING -p tcp -j TCPMSS --clamp-mss-to-pmtu
      """;

  /** What iptables-restore says when the kernel lacks the module a rule needs. */
  private static final Pattern MISSING_MODULE =
      Pattern.compile("(?i)missing kernel module|No such file or directory|revision \\d+ not supported");

  private record Form(IpFamily family, String table, String chain, String rule) {
    String text() {
      boolean builtin = Set.of("INPUT", "OUTPUT", "FORWARD", "PREROUTING", "POSTROUTING").contains(chain);
      return "*" + table + "\n" + (builtin ? "" : ":" + chain + " - [0:0]\n") + "-A " + chain + " " + rule
          + "\nCOMMIT\n";
    }

    String module() {
      String[] words = rule.split(" ");
      for (int i = 0; i < words.length - 1; i++) {
        if (words[i].equals("-m")) {
          return "-m " + words[i + 1];
        }
      }
      for (int i = words.length - 2; i >= 0; i--) {
        if (words[i].equals("-j")) {
          return "-j " + words[i + 1];
        }
      }
      return "?";
    }

    @Override
    public String toString() {
      return (family == IpFamily.V4 ? "v4 " : "v6 ") + table + " " + chain + " " + rule;
    }
  }

  private static List<Form> forms(IpFamily family) {
    List<Form> out = new ArrayList<>();
    for (String line : FORMS.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.strip().split(" ", 4);
      if (f[0].contains(family == IpFamily.V4 ? "4" : "6")) {
        out.add(new Form(family, f[1], f[2], f[3]));
      }
    }
    return out;
  }

  @Test
  void everyFormReadsAsTheKernelKeepsItAndMlbsTextSavesBackUnchanged() {
    KernelTests.requireKernel();
    List<String> problems = new ArrayList<>();
    Map<String, int[]> counts = new TreeMap<>();   // module: accepted by both, refused by both, skipped
    Map<String, Integer> skipped = new LinkedHashMap<>();
    for (IpFamily family : IpFamily.values()) {
      List<Form> forms = forms(family);
      List<String> texts = new ArrayList<>();
      List<String> mlbTexts = new ArrayList<>();
      for (Form form : forms) {
        texts.add(form.text());
        String mlb;
        try {
          mlb = RestoreWriter.render(RestoreParser.parse("form", form.text(), family));
        } catch (ParseException | ValidationException e) {
          mlb = null;
        }
        mlbTexts.add(mlb);
      }
      try (RestoreLab lab = RestoreLab.open(family, "mods")) {
        List<RestoreLab.Loaded> loaded = lab.loadAll(texts);
        List<String> again = new ArrayList<>();
        for (String mlb : mlbTexts) {
          again.add(mlb == null ? "*filter\nCOMMIT\n" : mlb);
        }
        List<RestoreLab.Loaded> reloaded = lab.loadAll(again);
        for (int i = 0; i < forms.size(); i++) {
          Form form = forms.get(i);
          String mlb = mlbTexts.get(i);
          RestoreLab.Loaded kernel = loaded.get(i);
          int[] count = counts.computeIfAbsent(form.module(), k -> new int[3]);
          boolean kernelTakes = kernel.exitCode() == 0;
          if (!kernelTakes && MISSING_MODULE.matcher(kernel.stderr()).find()) {
            count[2]++;
            skipped.merge(form.module() + ": " + kernel.stderr().strip().split("\n")[0], 1, Integer::sum);
            continue;
          }
          if (kernelTakes != (mlb != null)) {
            problems.add(form + ": iptables " + (kernelTakes ? "takes it" : "refuses it (" + kernel.stderr().strip()
                + ")") + ", mlb " + (mlb != null ? "takes it" : "refuses it"));
          } else if (kernelTakes && !kernel.saved().equals(mlb)) {
            problems.add(form + ": iptables-save printed\n" + kernel.saved() + "mlb wrote\n" + mlb);
          } else if (kernelTakes && !reloaded.get(i).saved().equals(mlb)) {
            problems.add(form + ": mlb's text\n" + mlb + "saves back as\n" + reloaded.get(i).saved());
          } else {
            count[kernelTakes ? 0 : 1]++;
          }
        }
      }
    }
    StringBuilder report = new StringBuilder("forms checked against the kernel (accepted by both, refused by both,"
        + " left out for a missing kernel module):\n");
    counts.forEach((module, c) -> report.append("  ").append(module).append(": ").append(c[0]).append(", ")
        .append(c[1]).append(", ").append(c[2]).append('\n'));
    skipped.forEach((why, n) -> report.append("  left out ×").append(n).append(": ").append(why).append('\n'));
    System.out.print(report);
    assertEquals(List.of(), problems);
    assertTrue(counts.values().stream().mapToInt(c -> c[0]).sum() > 0, report::toString);
  }
}
