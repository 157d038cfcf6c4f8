package dev.mlb.testkit.gen;

import static com.google.common.base.Preconditions.checkArgument;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Seeded, exact-size IPv4 rulesets shaped like the saves of real routers, as the text
 * {@code iptables-legacy-save} prints for them: for benchmarks on the shapes mlb meets in the wild.
 *
 * <pre>{@code
 * String text = RealWorldShapes.Shape.KUBE_PROXY.generate(100_000, 42);   // exactly 100,000 rules
 * RestoreParser.parse("kube", text, IpFamily.V4);                       // loads with iptables-restore too
 * }</pre>
 *
 * <ul>
 *   <li>{@link Shape#KUBE_PROXY}: kube-proxy's iptables mode: {@code KUBE-SERVICES} with comments
 *       dispatching by cluster IP and port to one {@code KUBE-SVC-*} chain per service, which marks
 *       outside traffic for masquerading ({@code KUBE-MARK-MASQ}) and picks an endpoint with
 *       {@code -m statistic --mode random --probability 1/n, 1/(n-1), ...}; one {@code KUBE-SEP-*}
 *       chain per endpoint (hairpin mark, {@code DNAT --to-destination}); {@code KUBE-POSTROUTING}
 *       masquerades marked traffic; services without endpoints are rejected in the filter table.
 *   <li>{@link Shape#DOCKER}: one bridge per network ({@code br-*}), each with its masquerade
 *       rule, its {@code DOCKER} return, its {@code FORWARD} rules and its two
 *       {@code DOCKER-ISOLATION-STAGE-*} rules; each published port a {@code DNAT} in nat's
 *       {@code DOCKER}, a hairpin {@code MASQUERADE} and an {@code ACCEPT} in filter's
 *       {@code DOCKER}; {@code DOCKER-USER} holds an admin's few rules.
 *   <li>{@link Shape#FAIL2BAN}: jails {@code f2b-sshd}, {@code f2b-nginx-http-auth}, ... reached
 *       from {@code INPUT} by {@code -m multiport --dports}, each a long list of
 *       {@code -s ADDR/32 -j REJECT --reject-with icmp-port-unreachable} ending in {@code RETURN}.
 *   <li>{@link Shape#LOG_LIMIT}: ufw-like filter chains where each service port has a rate-limited
 *       {@code LOG} ({@code -m limit --limit 5/min ... -j LOG --log-prefix "..."}) before its
 *       {@code DROP} or {@code ACCEPT}, and {@code conntrack} state rules.
 *   <li>{@link Shape#MIXED}: a quarter of each of the four in one ruleset.
 * </ul>
 *
 * <p>Addresses come from the documentation ranges only (192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24), so addresses repeat more often than on a real host. User chains are declared
 * and listed in the order {@code iptables-legacy-save} prints them (built-in chains first, then
 * the others by name), so that loading the text and saving it back gives the same text.
 */
public final class RealWorldShapes {
  private RealWorldShapes() {}

  /** The fewest rules any shape can have. */
  public static final int MIN_RULES = 40;

  /** The shapes, by the names {@code mlb bench --shape} takes. */
  public enum Shape {
    KUBE_PROXY("kube-proxy"),
    DOCKER("docker"),
    FAIL2BAN("fail2ban"),
    LOG_LIMIT("log-limit"),
    MIXED("mixed");

    private final String label;

    Shape(String label) {
      this.label = label;
    }

    /** The name {@code mlb bench --shape} takes: {@code kube-proxy}. */
    public String label() {
      return label;
    }

    /** The shape called {@code label}, or an exception naming the labels. */
    public static Shape of(String label) {
      for (Shape s : values()) {
        if (s.label.equals(label)) {
          return s;
        }
      }
      throw new IllegalArgumentException("unknown shape \"" + label + "\"; expected kube-proxy, docker, fail2ban,"
          + " log-limit or mixed");
    }

    /** A ruleset of exactly {@code rules} rules (at least {@value #MIN_RULES}), fixed by {@code seed}. */
    public String generate(int rules, long seed) {
      checkArgument(rules >= MIN_RULES, "a generated ruleset has at least %s rules, not %s", MIN_RULES, rules);
      Text t = new Text(new SplittableRandom(seed));
      switch (this) {
        case KUBE_PROXY -> t.kubeProxy(rules);
        case DOCKER -> t.docker(rules);
        case FAIL2BAN -> t.fail2ban(rules);
        case LOG_LIMIT -> t.logLimit(rules);
        case MIXED -> {
          int quarter = rules / 4;
          t.kubeProxy(quarter);
          t.docker(quarter);
          t.fail2ban(quarter);
          t.logLimit(rules - 3 * quarter);
        }
      }
      return t.render();
    }
  }

  /**
   * {@code 1/n} as the kernel keeps it (in units of 2^-31) and iptables-save prints it
   * ({@code %.11f}): {@code probabilityOneIn(3)} is {@code "0.33333333349"}.
   */
  public static String probabilityOneIn(int n) {
    long fixed = Math.round(0x80000000L / (double) n);
    return new BigDecimal(fixed).divide(new BigDecimal(0x80000000L)).setScale(11, RoundingMode.HALF_EVEN)
        .toPlainString();
  }

  private static final String[] NETWORKS = {"192.0.2.", "198.51.100.", "203.0.113."};

  /** The built-in chains of each table, in the order iptables-save prints them. */
  private static final Map<String, List<String>> BUILTIN = Map.of(
      "raw", List.of("PREROUTING", "OUTPUT"),
      "mangle", List.of("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
      "nat", List.of("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
      "filter", List.of("INPUT", "FORWARD", "OUTPUT"));

  /** One table being written: its chains' policies and rules. */
  private static final class TableText {
    final String name;
    final Map<String, String> policies = new LinkedHashMap<>();
    final Map<String, StringBuilder> builtin = new LinkedHashMap<>();
    final TreeMap<String, StringBuilder> user = new TreeMap<>();

    TableText(String name) {
      this.name = name;
      for (String c : BUILTIN.get(name)) {
        policies.put(c, "ACCEPT");
        builtin.put(c, new StringBuilder());
      }
    }

    StringBuilder chain(String chain) {
      StringBuilder b = builtin.get(chain);
      return b != null ? b : user.computeIfAbsent(chain, c -> new StringBuilder());
    }
  }

  /** The ruleset being written, table by table, with a count of its rules. */
  private static final class Text {
    final SplittableRandom random;
    final Map<String, TableText> tables = new LinkedHashMap<>();
    int count;
    int serial;

    Text(SplittableRandom random) {
      this.random = random;
    }

    /** Declares {@code chain} (empty) in {@code table}. */
    void declare(String table, String chain) {
      table(table).chain(chain);
    }

    TableText table(String name) {
      return tables.computeIfAbsent(name, TableText::new);
    }

    /** Appends {@code -A CHAIN SPEC}. */
    void add(String table, String chain, String spec) {
      table(table).chain(chain).append("-A ").append(chain).append(' ').append(spec).append('\n');
      count++;
    }

    String render() {
      StringBuilder out = new StringBuilder();
      for (String name : List.of("raw", "mangle", "nat", "filter")) {
        TableText t = tables.get(name);
        if (t == null) {
          continue;
        }
        out.append('*').append(name).append('\n');
        t.policies.forEach((c, p) -> out.append(':').append(c).append(' ').append(p).append(" [0:0]\n"));
        t.user.keySet().forEach(c -> out.append(':').append(c).append(" - [0:0]\n"));
        t.builtin.values().forEach(out::append);
        t.user.values().forEach(out::append);
        out.append("COMMIT\n");
      }
      return out.toString();
    }

    String host() {
      return NETWORKS[random.nextInt(NETWORKS.length)] + random.nextInt(256);
    }

    /** A /24 to /32 network in the documentation ranges, written as iptables-save writes it. */
    String network() {
      int length = 24 + random.nextInt(9);
      int last = random.nextInt(256) & (0xff << (32 - length));
      return NETWORKS[random.nextInt(NETWORKS.length)] + last + "/" + length;
    }

    /** A chain-name suffix as kube-proxy and docker make them: 16 or 12 upper-case hex-like characters. */
    String hash(int length) {
      String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
      StringBuilder b = new StringBuilder(length);
      long x = random.nextLong() ^ (++serial * 0x9E3779B97F4A7C15L);
      for (int i = 0; i < length; i++) {
        b.append(alphabet.charAt((int) ((x >>> (5 * (i % 12))) & 31)));
        if (i % 12 == 11) {
          x = random.nextLong();
        }
      }
      return b.toString();
    }

    // ------------------------------------------------------------ kube-proxy

    void kubeProxy(int rules) {
      int end = count + rules;
      declare("nat", "KUBE-SERVICES");
      add("nat", "PREROUTING", "-m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES");
      add("nat", "OUTPUT", "-m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES");
      add("nat", "POSTROUTING", "-m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING");
      add("nat", "KUBE-MARK-MASQ", "-j MARK --set-xmark 0x4000/0x4000");
      add("nat", "KUBE-POSTROUTING", "-m mark ! --mark 0x4000/0x4000 -j RETURN");
      add("nat", "KUBE-POSTROUTING", "-j MARK --set-xmark 0x4000/0x0");
      add("nat", "KUBE-POSTROUTING",
          "-m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully");
      declare("filter", "KUBE-SERVICES");
      int service = 0;
      while (end - count > 0) {
        int left = end - count;
        String name = "ns" + (service % 97) + "/svc-" + service + ":" + (random.nextBoolean() ? "http" : "grpc");
        String ip = host();
        int port = 1 + random.nextInt(65535);
        String proto = random.nextInt(5) == 0 ? "udp" : "tcp";
        service++;
        if (left < 5 || random.nextInt(20) == 0) {
          add("filter", "KUBE-SERVICES", "-d " + ip + "/32 -p " + proto + " -m comment --comment \"" + name
              + " has no endpoints\" -m " + proto + " --dport " + port
              + " -j REJECT --reject-with icmp-port-unreachable");
          continue;
        }
        int endpoints = Math.min(1 + random.nextInt(random.nextInt(4) == 0 ? 10 : 3), (left - 2) / 3);
        String svc = "KUBE-SVC-" + hash(16);
        add("nat", "KUBE-SERVICES", "-d " + ip + "/32 -p " + proto + " -m comment --comment \"" + name
            + " cluster IP\" -m " + proto + " --dport " + port + " -j " + svc);
        add("nat", svc, "! -s 198.51.100.0/24 -d " + ip + "/32 -p " + proto + " -m comment --comment \"" + name
            + " cluster IP\" -m " + proto + " --dport " + port + " -j KUBE-MARK-MASQ");
        List<String> seps = new ArrayList<>();
        for (int e = 0; e < endpoints; e++) {
          seps.add("KUBE-SEP-" + hash(16));
        }
        for (int e = 0; e < endpoints; e++) {
          String pod = host();
          int podPort = 1 + random.nextInt(65535);
          String sep = seps.get(e);
          String to = name + " -> " + pod + ":" + podPort;
          int remaining = endpoints - e;
          add("nat", svc, "-m comment --comment \"" + to + "\""
              + (remaining > 1 ? " -m statistic --mode random --probability " + probabilityOneIn(remaining) : "")
              + " -j " + sep);
          add("nat", sep, "-s " + pod + "/32 -m comment --comment \"" + name + "\" -j KUBE-MARK-MASQ");
          add("nat", sep, "-p " + proto + " -m comment --comment \"" + name + "\" -m " + proto
              + " -j DNAT --to-destination " + pod + ":" + podPort);
        }
      }
    }

    // ------------------------------------------------------------ docker

    void docker(int rules) {
      int end = count + rules;
      boolean first = !tables.containsKey("filter") || !table("filter").user.containsKey("DOCKER-USER");
      if (first) {
        table("filter").policies.put("FORWARD", "DROP");
        add("nat", "PREROUTING", "-m addrtype --dst-type LOCAL -j DOCKER");
        add("nat", "OUTPUT", "! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER");
        add("filter", "FORWARD", "-j DOCKER-USER");
        add("filter", "FORWARD", "-j DOCKER-ISOLATION-STAGE-1");
        add("filter", "DOCKER-USER", "-s 203.0.113.0/24 -i eth0 -j DROP");
        add("filter", "DOCKER-USER", "-j RETURN");
        declare("filter", "DOCKER");
        declare("nat", "DOCKER");
        declare("filter", "DOCKER-ISOLATION-STAGE-2");
      }
      int bridge = 0;
      while (end - count > 0) {
        int left = end - count;
        String br = bridge == 0 ? "docker0" : "br-" + hash(12).toLowerCase(Locale.ROOT);
        String subnet = NETWORKS[bridge % 3] + (bridge / 3 % 16) * 16 + "/28";
        bridge++;
        if (left >= 9 + 2) {
          add("nat", "POSTROUTING", "-s " + subnet + " ! -o " + br + " -j MASQUERADE");
          add("nat", "DOCKER", "-i " + br + " -j RETURN");
          add("filter", "FORWARD", "-o " + br + " -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
          add("filter", "FORWARD", "-o " + br + " -j DOCKER");
          add("filter", "FORWARD", "-i " + br + " ! -o " + br + " -j ACCEPT");
          add("filter", "FORWARD", "-i " + br + " -o " + br + " -j ACCEPT");
          add("filter", "DOCKER-ISOLATION-STAGE-1", "-i " + br + " ! -o " + br + " -j DOCKER-ISOLATION-STAGE-2");
          add("filter", "DOCKER-ISOLATION-STAGE-2", "-o " + br + " -j DROP");
          // Published ports of this network's containers, three rules each.
          int ports = Math.min(1 + random.nextInt(12), (end - count - 2) / 3);
          for (int p = 0; p < ports; p++) {
            String container = subnet.substring(0, subnet.lastIndexOf('.') + 1)
                + (Integer.parseInt(subnet.substring(subnet.lastIndexOf('.') + 1, subnet.indexOf('/'))) + 2 + p % 12);
            String proto = random.nextInt(6) == 0 ? "udp" : "tcp";
            int inner = 1 + random.nextInt(65535);
            int outer = 1024 + random.nextInt(64512);
            add("nat", "POSTROUTING", "-s " + container + "/32 -d " + container + "/32 -p " + proto + " -m " + proto
                + " --dport " + inner + " -j MASQUERADE");
            add("nat", "DOCKER", "! -i " + br + " -p " + proto + " -m " + proto + " --dport " + outer
                + " -j DNAT --to-destination " + container + ":" + inner);
            add("filter", "DOCKER", "-d " + container + "/32 ! -i " + br + " -o " + br + " -p " + proto + " -m " + proto
                + " --dport " + inner + " -j ACCEPT");
          }
        } else if (left > 2) {
          // An admin's own rule in DOCKER-USER, one at a time, to fill the count exactly.
          add("filter", "DOCKER-USER", "-s " + host() + "/32 -p tcp -m tcp --dport " + (1 + random.nextInt(65535))
              + " -j DROP");
        } else {
          break;
        }
      }
      add("filter", "DOCKER-ISOLATION-STAGE-1", "-j RETURN");
      add("filter", "DOCKER-ISOLATION-STAGE-2", "-j RETURN");
    }

    // ------------------------------------------------------------ fail2ban

    private static final String[][] JAILS = {
      {"sshd", "22"}, {"nginx-http-auth", "80,443"}, {"postfix", "25,465,587"}, {"dovecot", "110,143,993,995"},
      {"recidive", "0:65535"}, {"apache-badbots", "80,443"}};

    void fail2ban(int rules) {
      int end = count + rules;
      int jails = Math.max(1, Math.min(JAILS.length, rules / 2000 + 1));
      for (int j = 0; j < jails; j++) {
        add("filter", "INPUT", "-p tcp -m multiport --dports " + JAILS[j][1] + " -j f2b-" + JAILS[j][0]);
      }
      int bans = end - count - jails;
      for (int j = 0; j < jails; j++) {
        String chain = "f2b-" + JAILS[j][0];
        int n = bans / jails + (j < bans % jails ? 1 : 0);
        for (int i = 0; i < n; i++) {
          add("filter", chain, "-s " + host() + "/32 -j REJECT --reject-with icmp-port-unreachable");
        }
        add("filter", chain, "-j RETURN");
      }
    }

    // ------------------------------------------------------------ LOG and limit

    private static final String[] RATES = {"5/min", "3/min", "1/sec", "10/hour", "2/sec", "100/day", "20/min"};

    void logLimit(int rules) {
      int end = count + rules;
      add("filter", "INPUT", "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
      add("filter", "INPUT", "-m conntrack --ctstate INVALID -m limit --limit 3/min --limit-burst 10"
          + " -j LOG --log-prefix \"[fw INVALID] \"");
      add("filter", "INPUT", "-m conntrack --ctstate INVALID -j DROP");
      int chain = 0;
      while (end - count > 0) {
        String name = String.format(Locale.ROOT, "fw-in-%04d", chain++);
        int size = Math.min(10 + random.nextInt(40), end - count - 1);
        if (size < 1) {
          add("filter", "INPUT", "-s " + host() + "/32 -j DROP");
          continue;
        }
        add("filter", "INPUT", "-i eth" + (chain % 4) + " -j " + name);
        while (size > 0) {
          String from = random.nextInt(3) == 0 ? "-s " + network() + " " : "";
          String proto = random.nextInt(4) == 0 ? "udp" : "tcp";
          int port = 1 + random.nextInt(65535);
          String rate = RATES[random.nextInt(RATES.length)];
          String burst = random.nextInt(3) == 0 ? " --limit-burst " + (6 + random.nextInt(15)) : "";
          boolean drop = random.nextBoolean();
          String level = random.nextInt(3) == 0 ? " --log-level 6" : "";
          add("filter", name, from + "-p " + proto + " -m " + proto + " --dport " + port + " -m limit --limit " + rate
              + burst + " -j LOG --log-prefix \"" + (drop ? "drop" : "allow") + " " + proto + "/" + port + ": \""
              + level);
          size--;
          if (size > 0) {
            add("filter", name, from + "-p " + proto + " -m " + proto + " --dport " + port + " -j "
                + (drop ? "DROP" : "ACCEPT"));
            size--;
          }
        }
      }
    }
  }
}
