package dev.mlb.testkit.check;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.Sets;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.iproute.IpBatchParser;
import dev.mlb.iproute.RoutingPlan;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.testkit.sim.Topology;
import dev.mlb.testkit.sim.Traffic;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A correct balanced configuration for a topology (the seed recipe with its defects fixed),
 * optionally with known mistakes ({@link Defect}) put back, as ruleset text, routing-batch text
 * and the {@link BalancingCheck} that describes what it must satisfy.
 *
 * <pre>{@code
 * BalancedConfig c = BalancedConfigGenerator.of(2, 8, 10).generate(new SplittableRandom(3));
 * c.check().build().assertAll();                          // holds
 * c.with(Defect.NO_LAN_REPLY_RULE).check().build()        // property 5 (and 3) fail
 *     .violations(BalancingProperty.LAN_REPLIES);
 * System.out.println(c.rulesText() + c.routesText());     // iptables-restore and ip -batch input
 * }</pre>
 *
 * <p><b>The recipe.</b> Uplink i gets mark {@code (i+1) << shift} under the mask {@code width}
 * bits wide from {@code shift}; bit 0x1 is foreign (another user of the mark field sets it on every
 * packet from the LAN, and it is outside the mask). mangle PREROUTING: set the foreign bit on LAN
 * packets; excluded destinations RETURN; a NEW connection arriving on uplink i gets connmark i;
 * NEW LAN flows of each balanced traffic jump to {@code mlb-balance}; then
 * {@code CONNMARK --restore-mark} under the mask copies the connmark into the packet mark (for NEW
 * and later packets alike). mangle OUTPUT: excluded destinations RETURN; NEW router flows of the
 * router traffic jump to {@code mlb-balance}; the same restore. {@code mlb-balance}: a RETURN guard
 * for connections that already have an uplink mark ({@code -m connmark ! --mark 0/MASK}), then one
 * rule per slot k = 0..W-1 (W the weight sum), uplink i filling w_i consecutive slots, in one of two
 * exact forms ({@link NthStyle}): {@link NthStyle#SLOTS}, non-terminating
 * {@code -m statistic --mode nth --every W --packet k -j CONNMARK --set-xmark MARK/MASK} (every rule
 * sees every balanced flow), or {@link NthStyle#CASCADE}, {@code --every W-k --packet 0} jumping to a
 * chain per uplink that sets the connmark and the mark and ends in ACCEPT (rule k sees only the
 * W-k flows per period that rules 0..k-1 left, and takes the first). Either way balanced flow m
 * (LAN and router flows count alike) gets slot m mod W.
 * nat POSTROUTING: MASQUERADE out of every uplink. Routing: {@code to LAN lookup main} before the
 * fwmark rules (replies to the LAN), {@code fwmark MARK/MASK lookup T_i} per uplink with a default
 * route via its gateway in table T_i, and main's default via uplink 0.
 *
 * @param topology the network
 * @param weights the weight of each uplink, in the topology's order, 1 or more
 * @param shift the position of the mark field's lowest bit, 1 or more
 * @param width the mark field's width in bits, enough for the number of uplinks plus one
 * @param tableBase the first uplink's routing table (uplink i uses {@code tableBase + i})
 * @param priorityBase the first fwmark rule's priority (the LAN-reply rule is 10 below)
 * @param lan the LAN traffic that is balanced, at least one
 * @param router the router-originated traffic that is balanced
 * @param excluded destinations that are never balanced
 * @param defects the mistakes put back (empty: the correct configuration)
 * @param defectUplink the uplink a one-uplink defect is about
 * @param nth the form of the nth rules
 */
public record BalancedConfig(
    Topology topology,
    List<Integer> weights,
    int shift,
    int width,
    int tableBase,
    int priorityBase,
    List<Traffic> lan,
    Traffic router,
    List<IpPrefix> excluded,
    Set<Defect> defects,
    int defectUplink,
    NthStyle nth) {

  /** The foreign mark bit another user of the mark field sets on LAN packets. */
  public static final long FOREIGN_BIT = 0x1;

  /** The two exact forms of the nth rules. */
  public enum NthStyle {
    /** {@code --every W --packet k} per slot, non-terminating CONNMARK targets. */
    SLOTS,
    /** {@code --every W-k --packet 0} per slot, jumping to per-uplink chains that end in ACCEPT. */
    CASCADE
  }

  /** Known mistakes in balancing configurations. */
  public enum Defect {
    /** (a) No {@code CONNMARK --restore-mark} in PREROUTING and OUTPUT. */
    NO_RESTORE,
    /** (b) No {@code to LAN lookup main} rule: replies to the LAN follow their fwmark into an uplink table. */
    NO_LAN_REPLY_RULE,
    /**
     * (c) {@code --every W --packet k} rules jump to per-uplink chains that end in ACCEPT (the seed's
     * form with terminating targets): later nth rules miss evaluations.
     */
    TERMINATING_NTH,
    /** (d) No MASQUERADE out of uplink {@code defectUplink}. */
    NO_NAT_ON_ONE_UPLINK,
    /** (e1) Uplink {@code defectUplink}'s rules set the next uplink's mark: two uplinks' marks collide. */
    COLLIDING_MARKS,
    /** (e2) The plan's fwmark rules compare the whole mark (no mask), so the foreign bit spoils them. */
    MASK_OVER_FOREIGN_BIT,
    /** (e3) The ruleset's mask also covers the foreign bit (nothing in this configuration reads that bit). */
    RULESET_MASK_OVER_FOREIGN_BIT
  }

  public BalancedConfig {
    int n = topology.uplinks().size();
    checkArgument(weights.size() == n, "%s weights for %s uplinks", weights.size(), n);
    weights.forEach(w -> checkArgument(w >= 1, "weight %s is below 1", w));
    checkArgument(shift >= 1 && width >= 1 && shift + width <= 32, "mark field shift %s width %s", shift, width);
    checkArgument((long) n + 1 <= 1L << width, "%s bits are too few for %s uplinks", width, n);
    checkArgument(defectUplink >= 0 && defectUplink < n, "defect uplink %s of %s", defectUplink, n);
    weights = ImmutableList.copyOf(weights);
    checkArgument(!lan.isEmpty(), "no balanced LAN traffic");
    lan = ImmutableList.copyOf(lan);
    excluded = ImmutableList.copyOf(excluded);
    defects = Sets.immutableEnumSet(defects);
  }

  /** The same configuration with {@code defect} put back. */
  public BalancedConfig with(Defect defect) {
    Set<Defect> more = EnumSet.noneOf(Defect.class);
    more.addAll(defects);
    more.add(defect);
    return new BalancedConfig(topology, weights, shift, width, tableBase, priorityBase, lan, router, excluded, more,
        defectUplink, nth);
  }

  /** The mask of the mark field. */
  public long mask() {
    return ((1L << width) - 1) << shift;
  }

  /** The mark of uplink {@code i} (under {@link #mask()}). */
  public Mark mark(int i) {
    return Mark.of((long) (i + 1) << shift, mask());
  }

  private String hex(long v) {
    return Mark.hex(v);
  }

  /** The weight sum W: the nth period. */
  public int weightSum() {
    return weights.stream().mapToInt(Integer::intValue).sum();
  }

  /** iptables-restore input. */
  public String rulesText() {
    int n = topology.uplinks().size();
    boolean full = defects.contains(Defect.RULESET_MASK_OVER_FOREIGN_BIT);
    String mask = hex(full ? mask() | FOREIGN_BIT : mask());
    String lanIf = topology.lanInterface().name();
    StringBuilder b = new StringBuilder("*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n")
        .append(":FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:mlb-balance - [0:0]\n");
    boolean terminating = defects.contains(Defect.TERMINATING_NTH) || nth == NthStyle.CASCADE;
    boolean cascade = nth == NthStyle.CASCADE && !defects.contains(Defect.TERMINATING_NTH);
    if (terminating) {
      for (int i = 0; i < n; i++) {
        b.append(":mlb-up").append(i).append(" - [0:0]\n");
      }
    }
    b.append("-A PREROUTING -i ").append(lanIf).append(" -j MARK --set-xmark ").append(hex(FOREIGN_BIT)).append('/')
        .append(hex(FOREIGN_BIT)).append('\n');
    for (IpPrefix p : excluded) {
      b.append("-A PREROUTING -d ").append(p).append(" -i ").append(lanIf).append(" -j RETURN\n");
    }
    for (int i = 0; i < n; i++) {
      b.append("-A PREROUTING -i ").append(topology.uplinks().get(i).iface())
          .append(" -m conntrack --ctstate NEW -j CONNMARK --set-xmark ").append(hex(markValue(i))).append('/')
          .append(mask).append('\n');
    }
    for (Traffic t : lan) {
      b.append("-A PREROUTING -i ").append(lanIf).append(" -p ").append(t.protocol()).append(" -m multiport --dports ")
          .append(ports(t)).append(" -m conntrack --ctstate NEW -j mlb-balance\n");
    }
    String restore = "-j CONNMARK --restore-mark --nfmask " + mask + " --ctmask " + mask + "\n";
    if (!defects.contains(Defect.NO_RESTORE)) {
      b.append("-A PREROUTING ").append(restore);
    }
    for (IpPrefix p : excluded) {
      b.append("-A OUTPUT -d ").append(p).append(" -j RETURN\n");
    }
    b.append("-A OUTPUT -p ").append(router.protocol()).append(" -m multiport --dports ").append(ports(router))
        .append(" -m conntrack --ctstate NEW -j mlb-balance\n");
    if (!defects.contains(Defect.NO_RESTORE)) {
      b.append("-A OUTPUT ").append(restore);
    }
    b.append("-A mlb-balance -m connmark ! --mark 0x0/").append(mask).append(" -j RETURN\n");
    int total = weightSum();
    int slot = 0;
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < weights.get(i); k++, slot++) {
        b.append("-A mlb-balance -m statistic --mode nth --every ").append(cascade ? total - slot : total)
            .append(" --packet ").append(cascade ? 0 : slot);
        if (terminating) {
          b.append(" -j mlb-up").append(i).append('\n');
        } else {
          b.append(" -j CONNMARK --set-xmark ").append(hex(markValue(i))).append('/').append(mask).append('\n');
        }
      }
    }
    if (terminating) {
      for (int i = 0; i < n; i++) {
        b.append("-A mlb-up").append(i).append(" -j CONNMARK --set-xmark ").append(hex(markValue(i))).append('/')
            .append(mask).append('\n');
        b.append("-A mlb-up").append(i).append(" -j MARK --set-xmark ").append(hex(markValue(i))).append('/')
            .append(mask).append('\n');
        b.append("-A mlb-up").append(i).append(" -j ACCEPT\n");
      }
    }
    b.append("COMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n")
        .append(":POSTROUTING ACCEPT [0:0]\n");
    for (int i = 0; i < n; i++) {
      if (defects.contains(Defect.NO_NAT_ON_ONE_UPLINK) && i == defectUplink) {
        continue;
      }
      b.append("-A POSTROUTING -o ").append(topology.uplinks().get(i).iface()).append(" -j MASQUERADE\n");
    }
    return b.append("COMMIT\n").toString();
  }

  /** The mark value the ruleset sets for uplink {@code i} (a colliding one for the defect). */
  private long markValue(int i) {
    if (defects.contains(Defect.COLLIDING_MARKS) && i == defectUplink) {
      return mark((i + 1) % topology.uplinks().size()).value();
    }
    return mark(i).value();
  }

  private static String ports(Traffic t) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < t.ports().size(); i++) {
      b.append(i == 0 ? "" : ",").append(t.ports().get(i));
    }
    return b.toString();
  }

  /** ip -batch input. */
  public String routesText() {
    StringBuilder b = new StringBuilder();
    if (!defects.contains(Defect.NO_LAN_REPLY_RULE)) {
      b.append("rule add priority ").append(priorityBase - 10).append(" to ").append(topology.lanAddress().network())
          .append(" lookup main\n");
    }
    for (int i = 0; i < topology.uplinks().size(); i++) {
      Mark m = mark(i);
      b.append("rule add priority ").append(priorityBase + i).append(" fwmark ").append(hex(m.value()));
      if (!defects.contains(Defect.MASK_OVER_FOREIGN_BIT)) {
        b.append('/').append(hex(m.mask()));
      }
      b.append(" lookup ").append(tableBase + i).append('\n');
    }
    for (int i = 0; i < topology.uplinks().size(); i++) {
      Topology.Uplink u = topology.uplinks().get(i);
      b.append("route replace default");
      u.gateway().ifPresent(g -> b.append(" via ").append(g));
      b.append(" dev ").append(u.iface()).append(" table ").append(tableBase + i).append('\n');
    }
    Topology.Uplink first = topology.uplinks().get(0);
    b.append("route replace default");
    first.gateway().ifPresent(g -> b.append(" via ").append(g));
    return b.append(" dev ").append(first.iface()).append('\n').toString();
  }

  public Ruleset ruleset() {
    return RestoreParser.parse("generated rules", rulesText(), IpFamily.V4);
  }

  public RoutingPlan plan() {
    return IpBatchParser.parse("generated routes", routesText(), IpFamily.V4);
  }

  /**
   * The check this configuration must pass: balanced LAN and router traffic, the weights, the
   * exclusions; the uplink marks are learnt from the plan. Add flows or a seed before building.
   */
  public BalancingCheck.Builder check() {
    BalancingCheck.Builder b = BalancingCheck.builder(topology, ruleset(), plan())
        .balancedRouter(router).strategy(BalancingCheck.Strategy.NTH);
    lan.forEach(b::balancedLan);
    for (int i = 0; i < weights.size(); i++) {
      b.weight(topology.uplinks().get(i).iface(), weights.get(i));
    }
    excluded.forEach(b::exclude);
    return b;
  }
}
