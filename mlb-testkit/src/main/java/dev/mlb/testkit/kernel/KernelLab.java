package dev.mlb.testkit.kernel;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Protocol;
import dev.mlb.iproute.IpBatchWriter;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.testkit.sim.Flow;
import dev.mlb.testkit.sim.FlowResult;
import dev.mlb.testkit.sim.PacketLoss;
import dev.mlb.testkit.sim.Topology.Uplink;
import dev.mlb.testkit.sim.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * A {@link Topology} built from network namespaces and veth pairs, with a ruleset and a routing
 * plan loaded into its router by the real {@code iptables-restore} and {@code ip -batch}, driving
 * real TCP and UDP flows and answering with the same {@link FlowResult} as the simulator.
 *
 * <pre>{@code
 * try (KernelLab lab = KernelLab.start(Topology.standard(2), rulesText, routesBatch)) {
 *   FlowResult r = lab.run(Flow.fromLan(IpAddress.parse("192.0.2.100"), 40000, Protocol.TCP,
 *       IpAddress.parse("203.0.113.10"), 443));
 *   r.outcome();   // "ppp0": the server saw the flow come from ppp0's address
 *   r.mark();      // OptionalLong[1]: the connection's ctmark in the router, from conntrack
 * }
 * }</pre>
 *
 * <p>The namespaces (all made by {@link Netns}, deleted by {@link #close()} and by a failed
 * {@code start}):
 * <ul>
 *   <li><b>router</b>: the topology's LAN interface and uplinks under their own names, with their
 *       addresses; {@code ip_forward=1}; {@code rp_filter=0} on all, default and every interface
 *       (reverse-path filtering would otherwise drop replies a policy routes asymmetrically, which
 *       hides what the rules do), unless {@link Options#withRouterSysctl} gives the router's own
 *       sysctl settings: then {@code rp_filter=1} everywhere, and those settings after it. The
 *       rules and routes under test are loaded here, after the interfaces are up. Nothing else is
 *       configured in it but the SYN filter (below), in an nftables table of its own that
 *       {@code iptables-save} does not show.
 *   <li><b>lan</b>: the LAN clients' addresses on one veth (added as flows need them), default route
 *       via the router's LAN address.
 *   <li><b>provider i</b> per uplink: the uplink's gateway address on the link to the router (for an
 *       uplink without a gateway: no address, proxy ARP, and a host route to the router's address),
 *       a /30 from 203.0.113.128/25 towards the server, a default route towards the server,
 *       {@code ip_forward=1}, and ingress filtering: {@code iptables -A FORWARD -i LINK ! -s
 *       UPLINK-ADDRESS -j DROP}. An nftables set just before that rule records the addresses,
 *       protocol and ports of each packet it drops, so a failed flow says which of its packets
 *       which provider dropped.
 *   <li><b>server</b>: the server address (and any other flow endpoint) on its loopback, one link per
 *       provider, and a route to each uplink's link prefix via that uplink's provider: replies go
 *       back through the provider owning their destination. No route to the LAN: a flow that leaves
 *       without NAT cannot be answered, as on the internet. Conntrack is switched on (a rule that
 *       only counts) so the lab can tell whether a packet reached it.
 * </ul>
 *
 * <p><b>One SYN per connection.</b> Where a flow's client runs (lan, router, server), an nftables
 * output chain at priority -350, before the raw table, conntrack and every iptables table, drops a
 * TCP SYN whose addresses and ports it has seen before: a retransmitted SYN. A retransmitted SYN
 * is still NEW to conntrack and would walk the {@code --state NEW} rules (and nth counters) again,
 * but only if the client was still connecting when the kernel retransmitted (1 s after the first
 * SYN), which depends on how promptly the client gave up: dropping it makes a failed connect one
 * SYN however late that is, so what the rules count does not depend on timing. The lab runs each
 * five-tuple once, so a first SYN is never dropped.
 *
 * <p>Flows run strictly one after another in the given order, each finished before the next
 * starts, since nth rules count. A {@link Peer} process in the LAN, router and server namespaces
 * runs the clients and listeners (started once). Each flow uses its own client port; running the
 * same five-tuple twice in one lab is refused (the kernel would still hold the first one's
 * connection). After each flow the lab reads the connection from the router's conntrack table:
 * its {@code mark=} is the result's mark, its reply tuple tells which uplink's address NAT chose.
 *
 * <p>{@link FlowResult#uplink()}: for LAN and router flows the uplink whose address the server saw
 * as the source (providers forward nothing else); for a failed one, the uplink whose provider
 * dropped one of its forward packets, else the uplink whose address the router's NAT put on it.
 * For inbound flows the uplink the connection arrived on. Packet numbers in {@link PacketLoss}:
 * TCP 1 SYN, 2 SYN-ACK, 3 ACK (with the request right after), 5 the reply, 6 the client's FIN, 7
 * the server's FIN; UDP 1 and 3 the requests, 2 and 4 the replies. {@link PacketLoss#where()} lists what the lab observed: the
 * provider whose ingress filter dropped a packet of the flow (and which), the router's conntrack
 * entry, and for a lost reply the router's own {@code ip route get} for it. Where nothing dropped it
 * visibly, it says between which namespaces it vanished.
 *
 * <p>What the kernel does that a one-packet-per-step model might not: a masqueraded connection
 * whose later packet is routed out another interface is killed by NAT (the packet is dropped), and
 * the next packet starts a new conntrack entry that walks the NEW rules again; the lab shows the
 * result as it is (the new entry's mark, the uplink the server finally saw).
 *
 * <p>A flow's listener runs where its destination lives: in the router for its own addresses (LAN
 * hosts talking to the router, inbound flows), in the LAN for a LAN address (the router talking to
 * a LAN host), else on the server. Flows that stay off the uplinks complete with no uplink
 * ({@link FlowResult#outcome()} {@code local}).
 *
 * <p>Unsupported for now: IPv6; inbound flows to an address that is not on the inbound uplink's
 * link (the server routes by destination); inbound port forwarding (DNAT to a LAN host).
 */
public final class KernelLab implements AutoCloseable {
  /**
   * How long each step of a flow (connect, reply, close; each UDP round) may take. For a step that
   * succeeds it is an upper bound on an exchange over veth links that takes well under a
   * millisecond (the result lines' {@code ms=} show it); for one that cannot, it is when the flow is
   * reported failed.
   *
   * <p>The default, 800 ms, keeps failed flows quick. A failed connect sends one SYN whatever the
   * limit: the lab drops retransmitted SYNs (see the class comment), which are still NEW to
   * conntrack and would walk the {@code --state NEW} rules again (measured before that filter: with
   * 1500 ms, a flow whose SYN a provider dropped passed an unguarded nth rule pair twice and ended
   * with the other mark). Longer limits are allowed (up to 30 s); they make failed flows slower, and
   * a failed flow's data or FIN, which TCP retransmits from about 200 ms on with doubling gaps, is
   * then retransmitted more often before the client gives up.
   */
  public record Options(Duration stepTimeout, Optional<String> routerSysctl) {
    public Options {
      checkArgument(stepTimeout != null && !stepTimeout.isNegative() && !stepTimeout.isZero()
          && stepTimeout.toMillis() <= 30_000, "step timeout %s is outside (0, 30 s]", stepTimeout);
      checkArgument(routerSysctl != null, "routerSysctl is null");
    }

    /** Steps wait {@code stepTimeout}; the router keeps the lab's own sysctl settings. */
    public Options(Duration stepTimeout) {
      this(stepTimeout, Optional.empty());
    }

    /** Steps wait 800 ms. */
    public static Options defaults() {
      return new Options(Duration.ofMillis(800));
    }

    /**
     * These options with a {@code sysctl.conf} for the router (e.g. the one mlb compiles): the
     * router's reverse-path filter then starts strict, {@code rp_filter=1} on all, default and
     * every interface (as many distributions ship it), and {@code sysctl -p} applies the text
     * after that, before the rules and routes are loaded. So the lab proves that the text's own
     * settings (loose {@code rp_filter}, {@code src_valid_mark}) let the traffic through. A key
     * {@code sysctl} does not know fails the start.
     */
    public Options withRouterSysctl(String sysctlConf) {
      checkArgument(sysctlConf != null, "sysctlConf is null");
      return new Options(stepTimeout, Optional.of(sysctlConf));
    }
  }

  private static final String ROUTER_LINK = "r0";
  private static final String LAN_LINK = "r0";
  private static final IpPrefix SERVER_LINKS = IpPrefix.parse("203.0.113.128/25");
  private static final Duration SETUP = Duration.ofSeconds(20);
  private static final Pattern MARK = Pattern.compile("\\bmark=(\\d+)");
  /** Drops a retransmitted SYN the namespace sends, before anything else sees it (see the class comment). */
  private static final String SYN_FILTER = "table ip mlbsyn {\n"
      + "  set seen { type ipv4_addr . inet_service . ipv4_addr . inet_service; size 65535; flags dynamic; }\n"
      + "  chain output {\n    type filter hook output priority -350; policy accept;\n"
      + "    tcp flags & (syn | ack) == syn ip saddr . tcp sport . ip daddr . tcp dport @seen drop\n"
      + "    tcp flags & (syn | ack) == syn add @seen { ip saddr . tcp sport . ip daddr . tcp dport }\n"
      + "  }\n}\n";
  static final Pattern TUPLE = Pattern.compile("src=(\\S+) dst=(\\S+)");

  private final Topology topology;
  private final Options options;
  private final List<Netns> namespaces = Collections.synchronizedList(new ArrayList<>());
  private final List<PeerProcess> peers = new ArrayList<>();
  private final Map<Netns, NsShell> shells = new HashMap<>();
  private Thread shutdownHook;
  private Netns router;
  private Netns lan;
  private Netns server;
  private final Map<InterfaceName, Netns> providers = new HashMap<>();
  private PeerProcess lanPeer;
  private PeerProcess routerPeer;
  private PeerProcess serverPeer;
  private final Set<String> listening = new HashSet<>();
  private final Set<IpAddress> lanAddresses = new HashSet<>();
  private final Set<IpAddress> serverAddresses = new HashSet<>();
  private final Set<String> usedTuples = new HashSet<>();
  private boolean closed;

  private KernelLab(Topology topology, Options options) {
    this.topology = topology;
    this.options = options;
  }

  /**
   * Builds the lab and loads {@code rules} ({@code iptables-restore} input) and {@code routes}
   * ({@code ip -batch} input) into its router.
   *
   * @throws KernelUnavailableException if namespaces cannot be made here
   * @throws IllegalStateException if a tool refuses the rules or routes (with its message)
   */
  public static KernelLab start(Topology topology, String rules, String routes) {
    return start(topology, rules, routes, Options.defaults());
  }

  /** {@link #start(Topology, String, String)} for mlb's models, rendered by mlb's writers. */
  public static KernelLab start(Topology topology, Ruleset rules, RoutingPlan routes) {
    return start(topology, rules, routes, Options.defaults());
  }

  /** {@link #start(Topology, Ruleset, RoutingPlan)} with options. */
  public static KernelLab start(Topology topology, Ruleset rules, RoutingPlan routes, Options options) {
    checkArgument(rules.family() == IpFamily.V4, "the kernel lab is IPv4 only; the ruleset is %s", rules.family());
    checkArgument(routes.family() == IpFamily.V4, "the kernel lab is IPv4 only; the routing plan is %s",
        routes.family());
    return start(topology, RestoreWriter.render(rules), IpBatchWriter.render(routes), options);
  }

  /** {@link #start(Topology, String, String)} with options. */
  public static KernelLab start(Topology topology, String rules, String routes, Options options) {
    checkArgument(topology != null && rules != null && routes != null && options != null, "null argument");
    checkTopology(topology);
    KernelSupport.unavailableReason().ifPresent(why -> {
      throw new KernelUnavailableException(why);
    });
    if (!KernelSupport.onPath("conntrack")) {
      throw new KernelUnavailableException("conntrack is not installed (apt-get install -y conntrack); "
          + "the kernel lab reads each flow's mark from it");
    }
    if (!KernelSupport.onPath("nft")) {
      throw new KernelUnavailableException("nft is not installed (apt-get install -y nftables); the kernel lab "
          + "drops retransmitted SYNs and records what providers drop with it");
    }
    KernelLab lab = new KernelLab(topology, options);
    // A test run stopped half-way (Ctrl-C, a killed JVM with a chance to run hooks) still deletes them.
    lab.shutdownHook = new Thread(lab::close, "kernel-lab-cleanup");
    Runtime.getRuntime().addShutdownHook(lab.shutdownHook);
    try {
      lab.build(rules, routes);
      return lab;
    } catch (RuntimeException e) {
      try {
        lab.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** The topology the lab was built from. */
  public Topology topology() {
    return topology;
  }

  /** The router's namespace, for reading state (e.g. {@code iptables-save -c}); do not reconfigure it. */
  public Netns router() {
    return router;
  }

  /**
   * The namespace of the provider behind uplink {@code iface}, for tests that make it fail (drop
   * everything) and recover; its link to the router is {@code r0}.
   *
   * @throws IllegalArgumentException if the topology has no such uplink
   */
  public Netns provider(InterfaceName iface) {
    Netns p = providers.get(iface);
    if (p == null) {
      throw new IllegalArgumentException("no uplink " + iface + " in this lab; uplinks: " + providers.keySet());
    }
    return p;
  }

  /** The LAN's namespace (its clients' addresses), for long-running clients of a test. */
  public Netns lan() {
    return lan;
  }

  /** The server's namespace, for long-running listeners of a test. */
  public Netns server() {
    return server;
  }

  /** The names of every namespace this lab made, deleted by {@link #close()}. */
  public List<String> namespaceNames() {
    return namespaces.stream().map(Netns::name).toList();
  }

  // ------------------------------------------------------------------ setup

  /** What the lab cannot build, before any namespace is made. */
  static void checkTopology(Topology topology) {
    List<Uplink> uplinks = topology.uplinks();
    checkArgument(uplinks.size() <= 32, "the kernel lab has room for 32 uplinks, not %s", uplinks.size());
    checkArgument(!SERVER_LINKS.contains(topology.server()),
        "the server address %s lies in %s, which the lab uses for its provider links", topology.server(), SERVER_LINKS);
    for (Uplink u : uplinks) {
      checkArgument(!u.address().overlaps(SERVER_LINKS), "uplink %s (%s) overlaps %s, which the lab uses for its "
          + "provider links", u.iface(), u.address(), SERVER_LINKS);
    }
    checkArgument(!topology.lanAddress().overlaps(SERVER_LINKS), "the LAN %s overlaps %s, which the lab uses for its "
        + "provider links", topology.lanAddress(), SERVER_LINKS);
  }

  private Netns ns(String purpose) {
    Netns n = Netns.create(purpose);
    namespaces.add(n);
    return n;
  }

  private void build(String rules, String routes) {
    List<Uplink> uplinks = topology.uplinks();
    List<String> purposes = new ArrayList<>(List.of("labrouter", "lablan", "labserver"));
    for (int i = 0; i < uplinks.size(); i++) {
      purposes.add("labprov" + i);
    }
    Netns[] made = new Netns[purposes.size()];
    parallel(IntStream.range(0, made.length)
        .<Runnable>mapToObj(i -> () -> made[i] = ns(purposes.get(i))).toList());
    router = made[0];
    lan = made[1];
    server = made[2];
    for (int i = 0; i < uplinks.size(); i++) {
      providers.put(uplinks.get(i).iface(), made[3 + i]);
    }
    // Start the peers' JVMs now; they come up while the namespaces are wired.
    lanPeer = startPeer(lan);
    routerPeer = startPeer(router);
    serverPeer = startPeer(server);

    // Every namespace is wired by one shell script (ip -batch, sysctl, iptables-restore, nft):
    // each command through ip netns exec costs 30 ms or more (it remounts /sys).
    String lanIf = topology.lanInterface().name();
    Script r = new Script();
    r.add("link add", lanIf, "type veth peer name", LAN_LINK, "netns", lan.name());
    r.add("addr add", topology.lanAddress().toString(), "dev", lanIf);
    r.add("link set", lanIf, "up");
    Script s = new Script();
    s.add("addr add", topology.server() + "/32", "dev lo");
    serverAddresses.add(topology.server());
    List<Script> prov = new ArrayList<>();
    for (int i = 0; i < uplinks.size(); i++) {
      Uplink u = uplinks.get(i);
      Netns p = providers.get(u.iface());
      String up = u.iface().name();
      r.add("link add", up, "type veth peer name", ROUTER_LINK, "netns", p.name());
      r.add("addr add", u.address().toString(), "dev", up);
      r.add("link set", up, "up");
      Script b = new Script();
      prov.add(b);
      if (u.gateway().isPresent()) {
        b.add("addr add", u.gateway().get() + "/" + u.address().length(), "dev", ROUTER_LINK);
      }
      b.add("link set", ROUTER_LINK, "up");
      if (u.gateway().isEmpty()) {
        // A point-to-point uplink: a host route back, and proxy ARP for everything behind it.
        b.add("route add", u.ip() + "/32", "dev", ROUTER_LINK);
      }
      String serverLink = "p" + i;
      IpAddress providerSide = serverLinkAddress(i, 1);
      IpAddress serverSide = serverLinkAddress(i, 2);
      b.add("link add s0 type veth peer name", serverLink, "netns", server.name());
      b.add("addr add", providerSide + "/30", "dev s0");
      b.add("link set s0 up");
      b.add("route add default via", serverSide.toString());
      s.add("addr add", serverSide + "/30", "dev", serverLink);
      s.add("link set", serverLink, "up");
      s.add("route add", u.address().network().toString(), "via", providerSide.toString());
    }
    // Router: forwarding, no reverse-path filter; or a strict one and the settings under test.
    String rp = options.routerSysctl().isPresent() ? "1" : "0";
    r.sysctl("net/ipv4/ip_forward=1", "net/ipv4/conf/all/rp_filter=" + rp, "net/ipv4/conf/default/rp_filter=" + rp,
        "net/ipv4/conf/" + lanIf + "/rp_filter=" + rp);
    for (Uplink u : uplinks) {
      r.sysctl("net/ipv4/conf/" + u.iface().name() + "/rp_filter=" + rp);
    }
    options.routerSysctl().ifPresent(conf -> r.feed("sysctl -q -p /dev/stdin", conf));
    r.feed("nft -f -", SYN_FILTER);
    r.load(router);
    // The providers and the LAN are independent of each other: wire them side by side.
    List<Runnable> tasks = new ArrayList<>();
    for (int i = 0; i < uplinks.size(); i++) {
      Uplink u = uplinks.get(i);
      Netns p = providers.get(u.iface());
      Script b = prov.get(i);
      tasks.add(() -> wireProvider(u, p, b));
    }
    tasks.add(() -> wireLan());
    parallel(tasks);
    // The server: conntrack on (a rule that only counts), so the lab can see what reached it.
    s.feed("iptables-restore", "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        + "-A INPUT -m conntrack --ctstate NEW\nCOMMIT\n");
    s.feed("nft -f -", SYN_FILTER);
    s.load(server);

    // Then the rules and routes under test, each on its own so that a refusal says which.
    Netns.Result restored = router.run("iptables-restore").stdin(rules).timeout(SETUP).run();
    if (restored.exitCode() != 0) {
      throw new IllegalStateException("iptables-restore refused the rules: " + restored.stderr().strip());
    }
    Netns.Result batch = router.run("ip", "-4", "-batch", "-").stdin(routes).timeout(SETUP).run();
    if (batch.exitCode() != 0) {
      throw new IllegalStateException("ip -batch refused the routes: " + batch.stderr().strip());
    }
    for (PeerProcess p : List.of(lanPeer, routerPeer, serverPeer)) {
      p.awaitReady(SETUP);
    }
  }

  private void wireProvider(Uplink u, Netns p, Script b) {
    b.sysctl("net/ipv4/ip_forward=1", "net/ipv4/conf/all/rp_filter=0", "net/ipv4/conf/default/rp_filter=0",
        "net/ipv4/conf/" + ROUTER_LINK + "/rp_filter=0",
        "net/ipv4/conf/" + ROUTER_LINK + "/proxy_arp=" + (u.gateway().isPresent() ? 0 : 1),
        "net/ipv4/neigh/" + ROUTER_LINK + "/proxy_delay=0");
    b.feed("iptables-restore", "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        + "-A FORWARD -i " + ROUTER_LINK + " ! -s " + u.ip() + "/32 -j DROP\nCOMMIT\n");
    // A recorder before the filter: which packets it drops, by addresses, protocol and ports.
    b.feed("nft -f -", "table ip mlblab {\n"
        + "  set dropped { type ipv4_addr . ipv4_addr . inet_proto . inet_service . inet_service; size 65535; flags dynamic; }\n"
        + "  chain forward {\n    type filter hook forward priority -1; policy accept;\n"
        + "    iifname \"" + ROUTER_LINK + "\" ip saddr != " + u.ip() + " meta l4proto { tcp, udp } "
        + "add @dropped { ip saddr . ip daddr . meta l4proto . th sport . th dport }\n  }\n}\n");
    b.load(p);
  }

  private void wireLan() {
    // LAN: one client address to start with, default route via the router.
    IpAddress first = topology.lanClients(1).get(0);
    checkLanClient(first);
    lanAddresses.add(first);
    Script l = new Script();
    l.add("link set", LAN_LINK, "up");
    l.add("addr add", first + "/" + topology.lanAddress().length(), "dev", LAN_LINK);
    l.add("route add default via", topology.lanAddress().address().toString());
    l.feed("nft -f -", SYN_FILTER);
    l.load(lan);
  }

  /** Runs the tasks side by side (at most four at a time) and rethrows the first failure. */
  private static void parallel(List<Runnable> tasks) {
    ExecutorService pool =
        Executors.newFixedThreadPool(Math.min(4, Math.max(1, tasks.size())));
    try {
      List<Future<?>> futures = tasks.stream().<Future<?>>map(pool::submit).toList();
      RuntimeException first = null;
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (ExecutionException e) {
          RuntimeException r = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
          if (first == null) {
            first = r;
          } else {
            first.addSuppressed(r);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while building the lab", e);
        }
      }
      if (first != null) {
        throw first;
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private PeerProcess startPeer(Netns ns) {
    PeerProcess p = PeerProcess.start(ns);
    peers.add(p);
    return p;
  }

  private static IpAddress serverLinkAddress(int link, int host) {
    return new IpAddress(IpFamily.V4, 0, SERVER_LINKS.address().low() + 4L * link + host);
  }

  /**
   * The wiring of one namespace as one {@code sh} script: an {@code ip -batch}, a {@code sysctl},
   * then tools fed by here-documents. Words that name things (sysctl keys) are single-quoted.
   */
  private static final class Script {
    private final StringBuilder ip = new StringBuilder();
    private final List<String> sysctls = new ArrayList<>();
    private final StringBuilder feeds = new StringBuilder();

    void add(String... words) {
      ip.append(String.join(" ", words)).append('\n');
    }

    void sysctl(String... settings) {
      sysctls.addAll(List.of(settings));
    }

    /** Runs {@code command} (fixed words) with {@code input} on its standard input. */
    void feed(String command, String input) {
      checkArgument(!input.contains("\nMLB_EOF\n"), "input contains the here-document end");
      feeds.append(command).append(" <<'MLB_EOF'\n").append(input).append(input.endsWith("\n") ? "" : "\n")
          .append("MLB_EOF\n");
    }

    void load(Netns ns) {
      StringBuilder sh = new StringBuilder("set -e\n");
      if (ip.length() > 0) {
        sh.append("ip -batch - <<'MLB_EOF'\n").append(ip).append("MLB_EOF\n");
      }
      if (!sysctls.isEmpty()) {
        sh.append("sysctl -q -w");
        sysctls.forEach(k -> sh.append(" '").append(k.replace("'", "'\\''")).append('\''));
        sh.append('\n');
      }
      sh.append(feeds);
      Netns.Result r = ns.run("sh", "-c", sh.toString()).timeout(SETUP).run();
      if (r.exitCode() != 0) {
        throw new IllegalStateException("wiring " + ns + " failed: " + r.stderr().strip() + "\nscript:\n" + sh);
      }
    }
  }

  private void checkLanClient(IpAddress client) {
    checkArgument(topology.lanAddress().network().contains(client),
        "LAN client %s is not in the LAN %s", client, topology.lanAddress().network());
    checkArgument(!client.equals(topology.lanAddress().address()), "LAN client %s is the router's own address", client);
  }

  private void ensureLanAddress(IpAddress client) {
    checkLanClient(client);
    if (lanAddresses.add(client)) {
      checked(query(lan, List.of("ip", "addr", "add", client + "/" + topology.lanAddress().length(), "dev", LAN_LINK)));
      listening.removeIf(k -> k.startsWith("lan udp "));
    }
  }

  private void ensureServerAddress(IpAddress address) {
    checkArgument(!SERVER_LINKS.contains(address) && !topology.lanAddress().network().contains(address)
        && topology.uplinkOnLink(address).isEmpty(),
        "%s cannot be an internet address in the lab (it is on the LAN, an uplink, or in %s)", address, SERVER_LINKS);
    if (serverAddresses.add(address)) {
      checked(query(server, List.of("ip", "addr", "add", address + "/32", "dev", "lo")));
      // UDP listeners bind per address: let them bind the new one on their next use.
      listening.removeIf(k -> k.startsWith("server udp "));
    }
  }

  private void ensureListening(String where, PeerProcess peer, Protocol protocol, int port) {
    String proto = protocol.equals(Protocol.TCP) ? "tcp" : "udp";
    if (listening.add(where + " " + proto + " " + port)) {
      String answer = peer.request(proto + "-server " + port, SETUP);
      if (!answer.startsWith("listening ")) {
        listening.remove(where + " " + proto + " " + port);
        throw new IllegalStateException("cannot listen on " + proto + " port " + port + " in the " + where + ": " + answer);
      }
    }
  }

  // ------------------------------------------------------------------ flows

  /** Runs every flow in order, each finished before the next starts. */
  public List<FlowResult> runAll(List<Flow> flows) {
    List<FlowResult> out = new ArrayList<>();
    for (Flow f : flows) {
      out.add(run(f));
    }
    return out;
  }

  /**
   * Runs a UDP flow that ran before once more, from the same address and port: its conntrack
   * entry, if the router still has it, carries on (a client that goes on talking), as the
   * simulator's {@code exchange} of an open flow.
   */
  public synchronized FlowResult runAgain(Flow flow) {
    checkArgument(flow.protocol().equals(Protocol.UDP), "only a UDP flow can run again; %s is TCP", flow);
    String src = flow.client().map(IpAddress::toString).orElse("-");
    String tuple = "udp " + src + " " + flow.clientPort() + " " + flow.server() + " " + flow.serverPort();
    checkArgument(usedTuples.remove(tuple), "flow %s has not run in this lab", flow);
    return run(flow);
  }

  /** Runs one flow to its end (or its time limits) and reports what happened. */
  public synchronized FlowResult run(Flow flow) {
    if (closed) {
      throw new IllegalStateException("the kernel lab is closed");
    }
    checkArgument(flow.server().family() == IpFamily.V4, "the kernel lab is IPv4 only: %s", flow);
    String proto = flow.protocol().equals(Protocol.TCP) ? "tcp" : "udp";
    PeerProcess clientPeer;
    String src;
    switch (flow.origin()) {
      case LAN -> {
        ensureLanAddress(flow.client().get());
        clientPeer = lanPeer;
        src = flow.client().get().toString();
      }
      case ROUTER -> {
        clientPeer = routerPeer;
        src = "-";
      }
      case INBOUND -> {
        Uplink u = topology.uplink(flow.inboundUplink().get()).orElseThrow(() -> new IllegalArgumentException(
            "inbound uplink " + flow.inboundUplink().get() + " is not in the topology"));
        checkArgument(u.address().network().contains(flow.server()),
            "the kernel lab sends an inbound flow on %s only to an address on its link %s, not %s",
            u.iface(), u.address().network(), flow.server());
        ensureServerAddress(flow.client().get());
        clientPeer = serverPeer;
        src = flow.client().get().toString();
      }
      default -> throw new AssertionError(flow.origin());
    }
    // The listener lives where the destination address does: the router, a LAN host, or the internet.
    IpAddress dst = flow.server();
    if (topology.routerAddresses().contains(dst)) {
      ensureListening("router", routerPeer, flow.protocol(), flow.serverPort());
    } else if (topology.lanAddress().network().contains(dst)) {
      checkArgument(flow.origin() != Flow.Origin.LAN, "a LAN flow to the LAN (%s) does not pass the router", dst);
      ensureLanAddress(dst);
      ensureListening("lan", lanPeer, flow.protocol(), flow.serverPort());
    } else {
      ensureServerAddress(dst);
      ensureListening("server", serverPeer, flow.protocol(), flow.serverPort());
    }
    String tuple = proto + " " + src + " " + flow.clientPort() + " " + flow.server() + " " + flow.serverPort();
    checkArgument(usedTuples.add(tuple),
        "this lab already ran a flow %s; give each flow its own client port", tuple);

    long step = options.stepTimeout().toMillis();
    String answer = clientPeer.request(
        proto + "-client " + src + " " + flow.clientPort() + " " + flow.server() + " " + flow.serverPort() + " " + step,
        Duration.ofMillis(4 * step + 10_000));
    if (!answer.startsWith("result ")) {
      throw new IllegalStateException("the client for " + flow + " failed: " + answer);
    }
    Map<String, String> r = parseResult(answer);
    Optional<String> ct = conntrack(flow, proto);
    OptionalLong mark = ct.flatMap(KernelLab::markOf).map(OptionalLong::of).orElse(OptionalLong.empty());

    if ("true".equals(r.get("ok"))) {
      Optional<InterfaceName> uplink = switch (flow.origin()) {
        case LAN, ROUTER -> endpoint(r.get("seen")).flatMap(topology::uplinkWithAddress).map(Uplink::iface);
        case INBOUND -> flow.inboundUplink();
      };
      return new FlowResult(flow, uplink, mark, true, Optional.empty());
    }
    return new LossDiagnosis(topology, router, server, providers, this::query).failed(flow, r, ct, mark);
  }

  private Optional<String> conntrack(Flow flow, String proto) {
    List<String> cmd = new ArrayList<>(List.of("conntrack", "-L", "-p", proto,
        "--orig-port-src", Integer.toString(flow.clientPort()),
        "--orig-port-dst", Integer.toString(flow.serverPort()),
        "--orig-dst", flow.server().toString()));
    flow.client().ifPresent(c -> cmd.addAll(List.of("--orig-src", c.toString())));
    Netns.Result r = query(router, cmd);
    // A router flow names no source: keep the entries that start at one of the router's addresses.
    List<IpAddress> own = topology.routerAddresses();
    return r.stdout().lines().filter(l -> l.contains("src=")).filter(l -> {
      if (flow.client().isPresent()) {
        return true;
      }
      Matcher m = TUPLE.matcher(l);
      return m.find() && own.contains(IpAddress.parse(m.group(1)));
    }).findFirst();
  }

  private static void checked(Netns.Result r) {
    if (r.exitCode() != 0) {
      throw new IllegalStateException(String.join(" ", r.command()) + " exited " + r.exitCode() + ": " + r.stdout().strip());
    }
  }

  /** A small command in {@code ns}, through the shell kept open there. */
  private Netns.Result query(Netns ns, List<String> command) {
    NsShell sh = shells.computeIfAbsent(ns, NsShell::start);
    return sh.run(command, SETUP);
  }

  static Optional<Long> markOf(String ct) {
    Matcher m = MARK.matcher(ct);
    return m.find() ? Optional.of(Long.parseLong(m.group(1))) : Optional.empty();
  }

  private static Optional<IpAddress> endpoint(String hostPort) {
    if (hostPort == null || !hostPort.contains(":")) {
      return Optional.empty();
    }
    return Optional.of(IpAddress.parse(hostPort.substring(0, hostPort.lastIndexOf(':'))));
  }

  static Map<String, String> parseResult(String line) {
    Map<String, String> out = new HashMap<>();
    String rest = line;
    int e = rest.indexOf(" error=");
    if (e >= 0) {
      out.put("error", rest.substring(e + " error=".length()));
      rest = rest.substring(0, e);
    }
    for (String w : rest.split(" ")) {
      int eq = w.indexOf('=');
      if (eq > 0) {
        out.put(w.substring(0, eq), w.substring(eq + 1));
      }
    }
    return out;
  }

  /** Stops the peers and deletes every namespace, even after a failed start. Safe to call twice. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException ignored) {
        // The JVM is shutting down; the hook runs this anyway.
      }
    }
    for (NsShell sh : shells.values()) {
      try {
        sh.close();
      } catch (RuntimeException ignored) {
        // The namespace's close kills what is left.
      }
    }
    for (PeerProcess p : peers) {
      try {
        p.close();
      } catch (RuntimeException ignored) {
        // The namespace's close kills what is left.
      }
    }
    RuntimeException first = null;
    for (Netns n : ImmutableList.copyOf(namespaces).reverse()) {
      try {
        n.close();
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
