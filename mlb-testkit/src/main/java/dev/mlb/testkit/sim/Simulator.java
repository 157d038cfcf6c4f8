package dev.mlb.testkit.sim;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.Protocol;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.Hook;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.netfilter.TableName;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;

/**
 * Simulates whole flows through a router with a netfilter ruleset and a policy-routing plan, with
 * the kernel's semantics (see DESIGN.md, "Kernel semantics the simulator must follow"), and says
 * which uplink carried each flow, or which packet was lost where and why.
 *
 * <pre>{@code
 * Simulator sim = Simulator.of(Topology.standard(2), ruleset, plan, 42);
 * Flow flow = Flow.fromLan(IpAddress.parse("192.0.2.100"), 40000, Protocol.TCP,
 *     IpAddress.parse("203.0.113.10"), 443);
 * FlowResult r = sim.run(flow);
 * r.uplink();                                  // Optional[ppp0]
 * System.out.println(sim.trace(flow));         // the next flow, every rule and routing decision
 * sim.outline(flow).uplinks();                 // the uplink of each packet of one more flow
 * }</pre>
 *
 * <p><b>Flows.</b> TCP: SYN, SYN-ACK, ACK, data each way, FIN each way, ACK (8 packets); UDP:
 * request, reply, request, reply. Each packet is sent by one end and must reach the other; the
 * first packet lost ends the flow ({@link FlowResult#loss()}; no retransmissions are simulated,
 * except after the masquerade kill, see "Conntrack and NAT").
 * The answering end replies to the address and port it saw the last packet come from; the router
 * answers inbound connections from the address they came to (as a TCP listener, or a UDP server
 * bound to that address, does).
 *
 * <p>A simulator is stateful, as a router is: the nth counters of the ruleset start fresh when it
 * is built and advance with every evaluation, {@code -m statistic --mode random} draws from a
 * {@link SplittableRandom} seeded with {@code seed}, and conntrack entries live while their flow
 * runs. Flows run one after the other; a flow's connection is forgotten when the flow ends (a
 * later flow with the same addresses and ports is a new connection). Not thread-safe.
 *
 * <p><b>The three ends.</b> A LAN client sits behind the LAN interface; the router itself sends
 * and receives locally; the server sits behind every provider. A packet from the server goes to
 * the provider that owns its destination address (the uplink whose router address it is) and
 * arrives on that uplink; if the destination is no uplink's address, the server cannot answer. A
 * packet the router sends out uplink X reaches provider X, which passes it on only if its source
 * is X's address (ingress filtering). A packet the router routes out of the LAN interface reaches
 * the LAN client if it is addressed to it. A LAN or router flow talks to the end that lives where
 * its destination is: the router itself for one of the router's addresses (LAN flows only), a LAN
 * host for an address in the LAN prefix, the server otherwise; as the kernel lab's listeners do.
 *
 * <p><b>Hooks.</b> Forwarded: raw, mangle and nat PREROUTING, routing, mangle, filter and security
 * FORWARD, mangle and nat POSTROUTING. Locally delivered: the PREROUTING chains, routing, mangle,
 * filter and security INPUT, nat INPUT. Locally generated: a route lookup with mark 0 first (it
 * has no source yet, so {@code from} selectors see 0.0.0.0; it chooses the source: the route's
 * {@code src}, else the output device's address; as the kernel's {@code ip_route_connect} does,
 * the route is then looked up again with that source, and so is every later packet), raw OUTPUT,
 * conntrack, mangle OUTPUT (a changed mark re-routes; the source stays), nat, filter and security
 * OUTPUT, mangle and nat POSTROUTING. Tables the ruleset lacks accept. The raw table sees packets
 * before conntrack: there {@code -m state} sees INVALID and {@code -m connmark} never matches.
 *
 * <p><b>Conntrack and NAT.</b> The first packet is NEW and original-direction packets stay NEW
 * until a reply is seen; after that, and for replies, ESTABLISHED (RELATED, INVALID and
 * UNTRACKED do not occur; mid-stream packets are NEW, see below). The packet mark is 0 for every
 * packet entering the router or generated on it; the ctmark lives on the connection. The nat chains are traversed
 * only by a connection's first packet; if no NAT rule matches, the null binding is fixed for good.
 * MASQUERADE takes the output interface's address from the topology; SNAT the first address of its
 * range; ports are kept. Replies get their destination rewritten back at nat PREROUTING (or
 * OUTPUT), before routing. As in the kernel (nf_nat_oif_changed), an original-direction packet of a
 * masqueraded connection that leaves through another interface than the one it was masqueraded
 * on is dropped and the connection deleted; SNAT and the null binding have no such check. A TCP
 * end goes on after such a loss (the lab shows it with {@code conntrack -E}): a lost pure ACK is
 * covered by the next packet, lost data or a lost FIN is retransmitted. A later packet that finds
 * no entry is, if it is an ACK or data, picked up mid-stream as a NEW connection
 * ({@code nf_conntrack_tcp_loose=1}, the default) that walks the NEW rules again (nth counters
 * advance) and gets its own NAT binding; if it is a FIN (or SYN-ACK), INVALID: untracked, no
 * connmark, no NAT. If a packet then reaches the other end from another source address or port,
 * that end has no such connection and resets it: the flow is lost there. At most three kills per
 * flow; a lost final ACK stays a loss. The flow's mark is its last connection's. DNAT,
 * REDIRECT and other targets kept verbatim are not modelled and throw {@link SimulationException}
 * when a packet reaches them (LOG, NFLOG, TRACE and ULOG are no-ops); so do match modules kept
 * verbatim.
 *
 * <p><b>Failover.</b> {@link #killUplink} makes a provider drop everything, both ways;
 * {@link #reviveUplink} brings it back. A flow can be kept open ({@link #open}, then
 * {@link #exchange} as often as wanted, {@link #close}); its conntrack entries then outlive each
 * part, and only its own packets look them up (flows have distinct addresses and ports).
 * {@link #transition} swaps in the rules and routes compiled for a new down set, keeps conntrack,
 * and deletes the entries of the uplinks that went down by mark and mask, as {@code mlb apply}
 * does ({@code SimulatorFailoverTest} shows each step).
 *
 * <p><b>Routing.</b> Besides the plan's, the kernel's rules 0 {@code lookup local}, 32766
 * {@code lookup main} and 32767 {@code lookup default} (unless the plan has them), the connected
 * routes of the LAN and every uplink in main, and the router's addresses in local. A plan rule
 * without priority gets the priority of the second rule in the list less one (or 0), as the
 * kernel's {@code fib_default_rule_pref} gives it; equal priorities keep the order of addition.
 * {@code iif} is the input interface, {@code lo} for locally generated packets; no socket is bound
 * to a device, so {@code oif} rules never match; every device is in interface group 0.
 * Multipath routes pick a nexthop by a deterministic hash of (source, destination), weighted; the
 * kernel seeds its hash at boot, so only distributions compare with it. Reverse-path filtering is
 * taken to be off ({@code rp_filter=0}; the kernel lab sets it so).
 *
 * <p><b>Traced and untraced runs.</b> {@link #trace} walks the ruleset and the routing plan as
 * they are, rule by rule, and says what each did. {@link #run} and {@link #outline} walk the same
 * rules compiled when the simulator is built: devices as numbers, header tests and the common
 * matches and targets as numbers and kind codes, for each chain and input device (and conntrack
 * state) the next rule a packet may match (a rule whose {@code -i} or first state test fails is
 * skipped; it could not have matched nor changed a counter), chains without rules and with policy
 * ACCEPT not walked at all, ip rule selectors as numbers and each table's routes ordered so that
 * the first one containing the destination is the longest match; conntrack entries and a flow's
 * packet are reused. The two give the same result for every flow ({@code SimulatorFastPathTest}
 * compares them over generated configurations, rulesets, routing plans and flows).
 */
public final class Simulator {

  /** How often one flow's TCP end goes on after the masquerade kill deleted its connection. */
  private static final int MAX_PICKUPS = 3;

  private static final String[] TCP_SCRIPT = {"SYN", "SYN-ACK", "ACK", "data", "data", "FIN", "FIN", "ACK"};
  private static final boolean[] TCP_FORWARD = {true, false, true, true, false, true, false, true};
  private static final String[] UDP_SCRIPT = {"request", "reply", "request", "reply"};
  private static final boolean[] UDP_FORWARD = {true, false, true, false};
  private static final int TCP = Protocol.TCP.number();

  /** What {@link #receive} and {@link #send} return besides a device number: the packet was lost. */
  private static final int LOST = -1;
  /** ... or it was delivered to the router itself. */
  private static final int LOCAL = -2;

  private final Topology topology;
  private final Devices devices = new Devices();
  /** The random numbers of {@code -m statistic --mode random}, one stream across transitions. */
  private final SplittableRandom random;
  private NetfilterEngine netfilter;
  private RoutingEngine routing;
  private final Conntrack conntrack;
  /** The flows kept open ({@link #open}) with their ends and connections. */
  private final OpenFlows openFlows = new OpenFlows();
  private final List<IpAddress> routerAddresses;
  /** The topology's uplinks by index, device, name and address, and which providers are dead. */
  private final UplinkTable uplinks;
  private final IpPrefix lanNetwork;
  private final String lanName;
  private final int lanDev;
  private final int loDev;
  /**
   * Whether these chains accept every packet without looking ({@link NetfilterEngine#acceptsAll}),
   * so that untraced runs skip them: raw PREROUTING; the FORWARD chains and mangle POSTROUTING;
   * the INPUT chains; raw OUTPUT; filter and security OUTPUT and mangle POSTROUTING.
   */
  private boolean rawPreroutingAcceptsAll;
  private boolean forwardAcceptsAll;
  private boolean inputAcceptsAll;
  private boolean rawOutputAcceptsAll;
  private boolean outputAcceptsAll;

  /** Flow marks as results give them, by a hash of the mark (see {@link #markOf}). */
  private final OptionalLong[] recentMarks = new OptionalLong[16];

  private Simulator(Topology topology, Ruleset ruleset, RoutingPlan plan, long seed) {
    this.topology = topology;
    this.loDev = devices.id("lo");
    this.lanName = topology.lanInterface().name();
    this.lanDev = devices.id(lanName);
    this.uplinks = new UplinkTable(topology, devices);
    this.random = new SplittableRandom(seed);
    this.conntrack = new Conntrack();
    load(ruleset, plan);
    this.routerAddresses = topology.routerAddresses();
    this.lanNetwork = topology.lanAddress().network();
  }

  /** Compiles {@code ruleset} (fresh nth counters) and {@code plan} for the untraced walks. */
  private void load(Ruleset ruleset, RoutingPlan plan) {
    checkArgument(ruleset.family() == IpFamily.V4, "the simulator runs IPv4 rulesets; this one is %s",
        ruleset.family());
    checkArgument(plan.family() == IpFamily.V4, "the simulator runs IPv4 routing plans; this one is %s",
        plan.family());
    this.netfilter = new NetfilterEngine(ruleset, random, uplinks::addressOf, devices);
    this.routing = new RoutingEngine(topology, plan, devices);
    conntrack.use(netfilter);
    this.rawPreroutingAcceptsAll = netfilter.acceptsAll(TableName.RAW, Hook.PREROUTING);
    this.forwardAcceptsAll = netfilter.acceptsAll(TableName.MANGLE, Hook.FORWARD)
        && netfilter.acceptsAll(TableName.FILTER, Hook.FORWARD)
        && netfilter.acceptsAll(TableName.SECURITY, Hook.FORWARD)
        && netfilter.acceptsAll(TableName.MANGLE, Hook.POSTROUTING);
    this.inputAcceptsAll = netfilter.acceptsAll(TableName.MANGLE, Hook.INPUT)
        && netfilter.acceptsAll(TableName.FILTER, Hook.INPUT)
        && netfilter.acceptsAll(TableName.SECURITY, Hook.INPUT);
    this.rawOutputAcceptsAll = netfilter.acceptsAll(TableName.RAW, Hook.OUTPUT);
    this.outputAcceptsAll = netfilter.acceptsAll(TableName.FILTER, Hook.OUTPUT)
        && netfilter.acceptsAll(TableName.SECURITY, Hook.OUTPUT)
        && netfilter.acceptsAll(TableName.MANGLE, Hook.POSTROUTING);
  }

  /** A fresh simulator: fresh nth counters, empty conntrack, random numbers seeded with {@code seed}. */
  public static Simulator of(Topology topology, Ruleset ruleset, RoutingPlan plan, long seed) {
    return new Simulator(topology, ruleset, plan, seed);
  }

  /** The topology the simulator was built with. */
  public Topology topology() {
    return topology;
  }

  /** Runs one flow. */
  public FlowResult run(Flow flow) {
    return simulate(flow, Mode.RESULT, null, FlowPart.WHOLE);
  }

  // ---------------------------------------------------------------- failover

  /**
   * Opens {@code flow} and keeps it open: TCP the handshake and data each way (packets 1 to 5),
   * UDP both rounds. Its conntrack entries stay, as in the kernel, until {@link #close} or a
   * {@link #transition} deletes them, whether or not the opening went through.
   *
   * @throws IllegalArgumentException if {@code flow} is open already
   */
  public FlowResult open(Flow flow) {
    checkArgument(openFlows.get(flow) == null, "flow %s is open already", flow);
    return simulate(flow, Mode.RESULT, null, FlowPart.OPEN);
  }

  /**
   * One more exchange of an open flow: TCP data each way (packets 4 and 5), UDP both rounds again
   * (the same addresses and ports, as a client that goes on talking). The result's uplink is the
   * one this exchange's first packet left through (inbound: arrived on), its mark the flow's
   * connection's. Without its entries (deleted by a transition) the first packet is NEW again: a
   * UDP flow is balanced anew, a TCP one is picked up mid-stream (see "Conntrack and NAT") and,
   * reaching the other end from another address, reset there.
   *
   * @throws IllegalArgumentException if {@code flow} is not open
   */
  public FlowResult exchange(Flow flow) {
    checkArgument(openFlows.get(flow) != null, "flow %s is not open", flow);
    return simulate(flow, Mode.RESULT, null, FlowPart.EXCHANGE);
  }

  /**
   * Closes an open flow (TCP: FIN each way and the last ACK, packets 6 to 8; UDP: nothing is sent)
   * and forgets its connections.
   *
   * @throws IllegalArgumentException if {@code flow} is not open
   */
  public FlowResult close(Flow flow) {
    checkArgument(openFlows.get(flow) != null, "flow %s is not open", flow);
    return simulate(flow, Mode.RESULT, null, FlowPart.CLOSE);
  }

  /** The flows open now, in the order they were opened. */
  public List<Flow> openFlows() {
    return openFlows.flows();
  }

  /**
   * Kills the provider behind {@code uplink}: from now on it drops every packet, both ways (the
   * router's interface stays up, as with a provider that stops forwarding). The rules, routes
   * and conntrack entries stay as they are; see {@link #transition}.
   *
   * @throws IllegalArgumentException if {@code uplink} is not an uplink of the topology
   */
  public void killUplink(InterfaceName uplink) {
    uplinks.kill(uplinks.index(uplink));
  }

  /** Brings the provider behind {@code uplink} back: it forwards again. */
  public void reviveUplink(InterfaceName uplink) {
    uplinks.revive(uplinks.index(uplink));
  }

  /** The uplinks whose provider is dead, in topology order. */
  public List<InterfaceName> deadUplinks() {
    return uplinks.deadUplinks();
  }

  /**
   * Applies a failover transition as {@code mlb apply} does it: the router now runs
   * {@code ruleset} and {@code plan} (compiled for the new down set; a full restore, so every nth
   * counter starts fresh, and random draws go on from the same stream), the conntrack entries stay,
   * and then those whose ctmark has one of {@code deleted}'s values under its mask are deleted, as
   * {@code conntrack -D -f ipv4 --mark V/M} does for each (the marks of the uplinks that went down).
   * Returns how many entries were deleted.
   */
  public int transition(Ruleset ruleset, RoutingPlan plan, Collection<Mark> deleted) {
    load(ruleset, plan);
    return openFlows.deleteMarked(List.copyOf(deleted));
  }

  /** Runs the flows in order, each to its end before the next. */
  public List<FlowResult> runAll(List<Flow> flows) {
    List<FlowResult> out = new ArrayList<>(flows.size());
    for (Flow f : flows) {
      out.add(run(f));
    }
    return out;
  }

  /** Runs one flow and returns the path of every packet. Advances the state like {@link #run}. */
  public Trace trace(Flow flow) {
    List<Trace.Packet> packets = new ArrayList<>(TCP_SCRIPT.length);
    return new Trace(simulate(flow, Mode.TRACE, packets, FlowPart.WHOLE), packets);
  }

  /**
   * Runs one flow like {@link #trace} but without the steps: each packet's description, uplink and
   * loss only. As cheap as {@link #run}; for checks over many flows (stickiness, per-packet uplinks).
   */
  public Trace outline(Flow flow) {
    List<Trace.Packet> packets = new ArrayList<>(TCP_SCRIPT.length);
    return new Trace(simulate(flow, Mode.OUTLINE, packets, FlowPart.WHOLE), packets);
  }

  /** How much to record: the result only, each packet without steps, or everything. */
  private enum Mode { RESULT, OUTLINE, TRACE }

  /** Runs {@code part} of {@code flow}; in OUTLINE and TRACE mode, adds each packet's path to {@code packets}. */
  private FlowResult simulate(Flow flow, Mode mode, List<Trace.Packet> packets, FlowPart part) {
    // The flow's ends, its packet and what happens to it: made for each flow and reset for each
    // packet. Made anew rather than kept: the per-packet stores of references then go into young
    // objects, for which the garbage collector's write barrier is cheap (G1's is not for
    // long-lived objects; reusing them was up to a third slower, depending on where GC put them).
    OpenFlows.Open kept = part.resumes ? openFlows.get(flow) : null;
    End opener = kept != null ? kept.opener : new End();
    End acceptor = kept != null ? kept.acceptor : new End();
    Pkt packet = new Pkt(flow.protocol(), null, 0, null, 0);
    Run packetRun = new Run();
    if (kept == null) {
      ends(flow, opener, acceptor);
    }
    boolean tcp = flow.protocol().number() == TCP;
    String[] script = tcp ? TCP_SCRIPT : UDP_SCRIPT;
    boolean[] forward = tcp ? TCP_FORWARD : UDP_FORWARD;
    int from = tcp ? part.tcpFrom : part.udpFrom;
    int to = tcp ? part.tcpTo : part.udpTo;

    conntrack.endFlow();
    if (kept != null) {
      conntrack.resume(kept.conns);
    }
    Optional<InterfaceName> flowUplink = flow.inboundUplink();
    Conn flowConn = kept == null || kept.conns.isEmpty() ? null : kept.conns.get(kept.conns.size() - 1);
    PacketLoss loss = null;
    int pickups = 0;
    boolean retransmission = false;
    try {
      for (int k = from; k < to; k++) {
        End sender = forward[k] ? opener : acceptor;
        End receiver = forward[k] ? acceptor : opener;
        Pkt p = packet.reset(flow.protocol(), sender.address, sender.port, sender.peer, sender.peerPort);
        Run run = packetRun.reset(k + 1, retransmission ? script[k] + " (retransmitted)" : script[k], p,
            mode == Mode.TRACE);
        retransmission = false;
        IpAddress seenAddress = receiver.peer;
        int seenPort = receiver.peerPort;
        boolean ok = transmit(flow, p, sender, receiver, run);
        if (k == from) {
          flowConn = p.conn != null || kept == null ? p.conn : flowConn;
          if (flow.origin() != Flow.Origin.INBOUND) {
            flowUplink = run.uplinkIndex < 0 ? Optional.empty() : uplinks.name(run.uplinkIndex);
          }
        }
        if (pickups > 0 || tcp && part.resumes) {
          // After the masquerade kill, or in a later part of a kept TCP flow: the packet may have
          // started a new conntrack entry mid-stream (the flow's mark is then that entry's), or
          // passed untracked (INVALID). Either way, if it reached the other end from another
          // source, that end has no such connection.
          if (p.conn != null && p.conn != flowConn && conntrack.isNewest(p.conn)) {
            flowConn = p.conn;
          }
          if (ok && (seenAddress == null || !seenAddress.equals(receiver.peer) || seenPort != receiver.peerPort)) {
            ok = run.lose(receiver.name + " " + receiver.address, receiver.name + " has no connection from "
                + receiver.peer + ":" + receiver.peerPort + " (it talks to " + seenAddress + ":" + seenPort
                + "); the packet was picked up mid-stream after its conntrack entry was deleted and left with"
                + " another source; " + receiver.name + " answers it with a reset");
          }
        }
        if (mode != Mode.RESULT) {
          packets.add(new Trace.Packet(run.number, run.description(), sender.describe(),
              run.steps == null ? List.of() : run.steps, Optional.ofNullable(run.uplink),
              Optional.ofNullable(run.loss), run.leftMark < 0 ? OptionalLong.empty() : OptionalLong.of(run.leftMark)));
        }
        if (!ok) {
          // The TCP end goes on: a lost pure ACK is covered by the next packet's acknowledgement,
          // lost data or a lost FIN is retransmitted. The next packet finds no conntrack entry: an
          // ACK or data is picked up mid-stream as NEW (nf_conntrack_tcp_loose=1, the default), a
          // FIN is INVALID (see track). A lost final ACK stays a loss.
          boolean pureAck = "ACK".equals(script[k]);
          if (tcp && run.masqueradeKill && k > from && k < to - 1 && pickups < MAX_PICKUPS) {
            pickups++;
            if (!pureAck) {
              retransmission = true;
              k--;
            }
            continue;
          }
          loss = run.loss;
          break;
        }
      }
    } finally {
      if (part.keeps) {
        openFlows.put(flow, opener, acceptor, conntrack.keep());
      } else if (part.resumes) {
        openFlows.remove(flow);
      }
      conntrack.endFlow();
    }
    return new FlowResult(flow, flowUplink,
        flowConn == null ? OptionalLong.empty() : markOf(flowConn.ctmark),
        loss == null, loss == null ? Optional.empty() : Optional.of(loss));
  }

  /** Sets up the two ends of {@code flow}: who opens it, and who answers where. */
  private void ends(Flow flow, End opener, End acceptor) {
    switch (flow.origin()) {
      case LAN -> {
        opener.reset(End.Place.LAN, "LAN client", flow.client().get(), flow.clientPort());
        answeringEnd(flow, acceptor);
      }
      case ROUTER -> {
        opener.reset(End.Place.ROUTER, "router", null, flow.clientPort());
        opener.socketMark = flow.socketMark();
        answeringEnd(flow, acceptor);
        if (acceptor.place == End.Place.ROUTER) {
          throw new SimulationException("the router sending to its own address " + flow.server() + " is not modelled");
        }
      }
      case INBOUND -> {
        InterfaceName up = flow.inboundUplink().get();
        checkArgument(uplinks.named(up.name()) >= 0, "flow %s arrives on %s, which is no uplink of the topology",
            flow, up);
        opener.reset(End.Place.INTERNET, "remote host", flow.client().get(), flow.clientPort());
        acceptor.reset(End.Place.ROUTER, "router", flow.server(), flow.serverPort());
      }
      default -> throw new AssertionError(flow.origin());
    }
    opener.peer = acceptor.address;
    opener.peerPort = acceptor.port;
  }

  /**
   * Makes {@code end} the end a LAN or router flow talks to: it lives where its address is, the
   * router itself (one of its addresses), a LAN host (an address in the LAN prefix), or else the
   * server on the internet.
   */
  private void answeringEnd(Flow flow, End end) {
    IpAddress dst = flow.server();
    if (routerAddresses.contains(dst)) {
      end.reset(End.Place.ROUTER, "router", dst, flow.serverPort());
    } else if (Prefixes.contains(lanNetwork, dst)) {
      end.reset(End.Place.LAN, "LAN host", dst, flow.serverPort());
    } else {
      end.reset(End.Place.INTERNET, "server", dst, flow.serverPort());
    }
  }

  /** Sends {@code p} from one end towards the other; false (with the run's loss) if it is lost. */
  private boolean transmit(Flow flow, Pkt p, End from, End to, Run run) {
    int egress;
    switch (from.place) {
      case LAN -> {
        if (run.steps != null) {
          run.step("LAN client sends it to the router on " + topology.lanInterface());
        }
        egress = receive(p, lanName, lanDev, run);
      }
      case INTERNET -> {
        int up;
        if (flow.origin() == Flow.Origin.INBOUND && p.dst.equals(flow.server())) {
          up = uplinks.named(flow.inboundUplink().get().name());
        } else {
          up = uplinks.withAddress(p.dst);
        }
        if (up < 0) {
          return Losses.unreachable(topology, p, from, run);
        }
        Topology.Uplink u = uplinks.get(up);
        run.uplink = u.iface();
        run.uplinkIndex = up;
        if (uplinks.isDead(up)) {
          return Losses.deadProvider(u, run);
        }
        if (run.steps != null) {
          run.step(from.name + " sends it through the provider on " + u.iface() + ", which owns " + p.dst);
        }
        egress = receive(p, u.iface().name(), uplinks.dev(up), run);
      }
      case ROUTER -> egress = send(p, from, run);
      default -> throw new AssertionError(from.place);
    }
    if (egress == LOST) {
      return false;
    }
    if (egress != LOCAL) {
      run.leftMark = p.mark;
    }
    return deliver(p, egress, to, run);
  }

  /**
   * The router got {@code p} on {@code in}: PREROUTING, routing, then INPUT or FORWARD/POSTROUTING.
   * Returns the output device's number, {@link #LOCAL} or {@link #LOST}.
   */
  private int receive(Pkt p, String in, int inDev, Run run) {
    p.in(in, inDev);
    p.out(null, Devices.NONE);
    p.mark = 0;
    if (run.steps != null) {
      run.step("in " + in + ": " + p + ", mark 0x0");
    }
    if (!(rawPreroutingAcceptsAll && run.steps == null) && !hook(TableName.RAW, Hook.PREROUTING, p, run)) {
      return LOST;
    }
    conntrack.track(p, run);
    if (!hook(TableName.MANGLE, Hook.PREROUTING, p, run) || !conntrack.destinationNat(p, Hook.PREROUTING, run)) {
      return LOST;
    }
    RoutingEngine.Decision d = route(run.lookup, p.src, p.mark, in, inDev, p, run);
    if (d.kind == RoutingEngine.Decision.Kind.LOSS) {
      run.lose(d.where, d.reason + Losses.markNote(d));
      return LOST;
    }
    if (d.kind == RoutingEngine.Decision.Kind.LOCAL) {
      return input(p, run);
    }
    p.out(d.dev, d.devId);
    int out = d.devId;
    if (!(forwardAcceptsAll && run.steps == null)
        && (!hook(TableName.MANGLE, Hook.FORWARD, p, run)
            || !hook(TableName.FILTER, Hook.FORWARD, p, run)
            || !hook(TableName.SECURITY, Hook.FORWARD, p, run)
            || !hook(TableName.MANGLE, Hook.POSTROUTING, p, run))) {
      return LOST;
    }
    if (!conntrack.sourceNat(p, Hook.POSTROUTING, run)) {
      return LOST;
    }
    return out;
  }

  /** Local delivery: the INPUT chains; {@link #LOCAL} or {@link #LOST}. */
  private int input(Pkt p, Run run) {
    if (!(inputAcceptsAll && run.steps == null)
        && (!hook(TableName.MANGLE, Hook.INPUT, p, run)
            || !hook(TableName.FILTER, Hook.INPUT, p, run)
            || !hook(TableName.SECURITY, Hook.INPUT, p, run))) {
      return LOST;
    }
    if (!conntrack.sourceNat(p, Hook.INPUT, run)) {
      return LOST;
    }
    return LOCAL;
  }

  /**
   * The router sends {@code p} itself: route, OUTPUT chains (re-route on a new mark), POSTROUTING.
   * Returns the output device's number or {@link #LOST}.
   */
  private int send(Pkt p, End from, Run run) {
    p.in(null, Devices.NONE);
    p.mark = from.socketMark;
    RoutingEngine.Decision d;
    if (p.src == null) {
      RoutingEngine.Decision first = route(new RoutingEngine.Decision(), null, p.mark, "lo", loDev, p, run);
      if (first.kind == RoutingEngine.Decision.Kind.LOSS) {
        run.lose(first.where, first.reason + Losses.markNote(first));
        return LOST;
      }
      IpAddress src;
      String why;
      if (first.kind == RoutingEngine.Decision.Kind.LOCAL) {
        src = p.dst;
        why = "the destination is local";
      } else if (first.route.src().isPresent()) {
        src = first.route.src().get();
        why = "the route's src";
      } else {
        src = uplinks.addressOf(first.devId);
        why = "the address of " + first.dev;
      }
      if (src == null) {
        run.lose(first.describe(), "the route's device " + first.dev + " has no address in the topology,"
            + " so the router has no source address for it");
        return LOST;
      }
      p.src = src;
      from.address = src;
      run.sentSrc = src;
      if (run.steps != null) {
        run.step("source address " + src + " (" + why + "); route looked up again with it");
      }
    }
    d = route(run.lookup, p.src, p.mark, "lo", loDev, p, run);
    if (d.kind == RoutingEngine.Decision.Kind.LOSS) {
      run.lose(d.where, d.reason + Losses.markNote(d));
      return LOST;
    }
    if (d.kind == RoutingEngine.Decision.Kind.LOCAL) {
      p.out("lo", loDev);
    } else {
      p.out(d.dev, d.devId);
    }
    if (run.steps != null) {
      run.step("out " + p.out + ": " + p + ", mark " + NetfilterEngine.hex(p.mark)
          + (p.mark == 0 ? "" : " (the socket's)"));
    }
    if (!(rawOutputAcceptsAll && run.steps == null) && !hook(TableName.RAW, Hook.OUTPUT, p, run)) {
      return LOST;
    }
    conntrack.track(p, run);
    long markBefore = p.mark;
    if (!hook(TableName.MANGLE, Hook.OUTPUT, p, run)) {
      return LOST;
    }
    if (p.mark != markBefore) {
      if (run.steps != null) {
        run.step("mark changed " + NetfilterEngine.hex(markBefore) + " -> " + NetfilterEngine.hex(p.mark)
            + " in mangle OUTPUT: re-route (the source " + p.src + " stays)");
      }
      d = reroute(p, run);
      if (d == null) {
        return LOST;
      }
    }
    IpAddress dstBefore = p.dst;
    if (!conntrack.destinationNat(p, Hook.OUTPUT, run)) {
      return LOST;
    }
    if (!p.dst.equals(dstBefore)) {
      if (run.steps != null) {
        run.step("destination changed in nat OUTPUT: re-route");
      }
      d = reroute(p, run);
      if (d == null) {
        return LOST;
      }
    }
    if (d.kind == RoutingEngine.Decision.Kind.LOCAL) {
      throw new SimulationException("the router sending to its own address " + p.dst + " is not modelled");
    }
    int out = d.devId;
    if (!(outputAcceptsAll && run.steps == null)
        && (!hook(TableName.FILTER, Hook.OUTPUT, p, run)
            || !hook(TableName.SECURITY, Hook.OUTPUT, p, run)
            || !hook(TableName.MANGLE, Hook.POSTROUTING, p, run))) {
      return LOST;
    }
    if (!conntrack.sourceNat(p, Hook.POSTROUTING, run)) {
      return LOST;
    }
    return out;
  }

  private RoutingEngine.Decision reroute(Pkt p, Run run) {
    RoutingEngine.Decision d = route(run.lookup, p.src, p.mark, "lo", loDev, p, run);
    if (d.kind == RoutingEngine.Decision.Kind.LOSS) {
      run.lose(d.where, d.reason + Losses.markNote(d));
      return null;
    }
    if (d.kind == RoutingEngine.Decision.Kind.LOCAL) {
      p.out("lo", loDev);
    } else {
      p.out(d.dev, d.devId);
    }
    return d;
  }

  /**
   * Looks up the route of {@code p} from {@code src} with {@code mark} arriving on {@code iif}:
   * traced when the run records steps, else untraced into {@code scratch}. The decision becomes
   * the run's route.
   */
  private RoutingEngine.Decision route(RoutingEngine.Decision scratch, IpAddress src, long mark, String iif,
      int iifDev, Pkt p, Run run) {
    RoutingEngine.Decision d = run.steps == null
        ? routing.lookup(scratch, src, p.dst, mark, iifDev, p.proto, p.sport, p.dport)
        : routing.lookup(src, p.dst, mark, iif, p.protocol, p.sport, p.dport, run.steps);
    d.markWhere = p.markWhere;
    run.route = d;
    return d;
  }

  /** The packet left the router (out of device number {@code egress}, or {@link #LOCAL}): check the next hop and whether the intended end gets it. */
  private boolean deliver(Pkt p, int egress, End to, Run run) {
    End.Place place;
    Topology.Uplink u = null;
    if (egress == LOCAL) {
      place = End.Place.ROUTER;
    } else if (egress == lanDev) {
      place = End.Place.LAN;
    } else {
      int up = uplinks.onDev(egress);
      if (up < 0) {
        String dev = devices.name(egress);
        return run.lose("interface " + dev, "the topology has no interface " + dev
            + "; the packet was routed there by " + run.routeText());
      }
      u = uplinks.get(up);
      run.uplink = u.iface();
      run.uplinkIndex = up;
      if (uplinks.isDead(up)) {
        return Losses.deadProvider(u, run);
      }
      if (!p.src.equals(uplinks.ip(up))) {
        return Losses.ingressFiltered(topology, p, u, run);
      }
      if (run.steps != null) {
        run.step("provider on " + u.iface() + ": source " + p.src + " is " + u.iface() + "'s address: passed on");
      }
      place = End.Place.INTERNET;
    }
    if (to.place == place && p.dst.equals(to.address) && p.dport == to.port) {
      to.peer = p.src;
      to.peerPort = p.sport;
      if (run.steps != null) {
        run.step("delivered to " + to.describe());
      }
      return true;
    }
    return Losses.undelivered(devices, p, egress, place, u, to, run);
  }

  // ---------------------------------------------------------------- hooks, conntrack, NAT

  private boolean hook(TableName table, Hook hook, Pkt p, Run run) {
    if (netfilter.traverse(table, hook, p, run.steps) == NetfilterEngine.Outcome.DROP) {
      return run.lose(netfilter.dropWhere, netfilter.dropReason);
    }
    return true;
  }

  /** {@code OptionalLong.of(ctmark)}, reusing a recent one: flows end with one of a few marks. */
  private OptionalLong markOf(long ctmark) {
    int slot = (int) (ctmark ^ (ctmark >>> 8) ^ (ctmark >>> 16)) & (recentMarks.length - 1);
    OptionalLong mark = recentMarks[slot];
    if (mark == null || mark.getAsLong() != ctmark) {
      mark = OptionalLong.of(ctmark);
      recentMarks[slot] = mark;
    }
    return mark;
  }
}
