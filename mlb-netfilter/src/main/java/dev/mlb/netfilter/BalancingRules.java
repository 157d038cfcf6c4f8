package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkNotNull;

import dev.mlb.api.Compilation;
import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.TrafficSelector;
import dev.mlb.api.policy.Uplink;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Compiles a {@link BalancingPolicy} into the mangle and nat rules that realise it.
 *
 * <pre>{@code
 * Compilation<Ruleset> c = BalancingRules.compile(seed, IpFamily.V4);
 * String text = RestoreWriter.render(c.output());   // iptables-restore input
 * // -A mlb-balance -m connmark ! --mark 0x0/0xf000000 -j RETURN
 * // -A mlb-balance -m statistic --mode nth --every 2 --packet 0 -j CONNMARK --set-xmark 0x1000000/0xf000000
 * // -A mlb-balance -m statistic --mode nth --every 2 --packet 1 -j CONNMARK --set-xmark 0x2000000/0xf000000
 * c.findings();                                     // warnings and notes, never errors
 * }</pre>
 *
 * <p>Everything lives in chains named after the policy's {@link BalancingPolicy#chainPrefix()}
 * {@code P}; the built-in chains only jump there ({@code -A PREROUTING -j P-prerouting},
 * {@code -A OUTPUT -j P-output}, {@code -A POSTROUTING -j P-postrouting} in nat). Only the bits of
 * the {@link BalancingPolicy#markMask()} {@code M} are read or written.
 * <ul>
 *   <li>{@code P-prerouting}: a NEW connection arriving on an uplink gets that uplink's connection
 *       mark (if {@link BalancingPolicy#stickyInbound()}); a NEW connection from a LAN interface
 *       whose packet carries no mark ({@code -m mark --mark 0x0}) goes through {@code P-lan}; last,
 *       for each uplink, a connection that carries its value {@code V} gives it to the packet
 *       ({@code -m connmark --mark V/M -j MARK --set-xmark V/M}), so routing sees the connection's
 *       uplink. Packets of connections mlb did not balance keep their mark in every bit (mlb never
 *       clobbers another program's mark), and only mlb's own values travel from a connection to
 *       its packets (a foreign value in the mask's bits is never inherited).
 *   <li>{@code P-output}: the router's own NEW connections whose packets carry no mark (a socket
 *       mark such as WireGuard's keeps a connection out) go through {@code P-router}; then the same
 *       restores, so a marked connection is re-routed and replies of inbound connections ending on
 *       the router follow their sticky mark.
 *   <li>{@code P-lan} and {@code P-router} return for LAN-internal destinations (and loopback) and
 *       for exclusions, and send the balanced selectors to {@code P-balance}.
 *   <li>{@code P-balance} returns for a connection already marked, then marks it for one of the
 *       {@link BalancingPolicy#activeUplinks()} (the up uplinks of the best tier that has one; none
 *       while all are down, so new connections stay unmarked and take the main table): for
 *       {@link Strategy#NTH} one {@code -m statistic --mode nth} rule per slot of the smooth
 *       weighted round robin over the weights divided by their gcd (every rule sees every
 *       connection, exactly one matches); for {@link Strategy#RANDOM} one
 *       {@code --mode random} rule per uplink but the last, whose thresholds realise the weights as
 *       exactly as 31 bits allow. {@link Strategy#MULTIPATH} has no such chains: routing splits.
 *   <li>nat {@code P-postrouting}: MASQUERADE or SNAT per uplink interface.
 * </ul>
 *
 * <p>A {@link TrafficSelector} becomes one rule per source and destination of the family compiled
 * (their product), with {@code -p}, and its ports as {@code -m tcp --dport} / {@code -m udp --dport}
 * when there is one, else as {@code -m multiport --dports} rules of at most 15 ports each (a range
 * counts two). A selector that cannot match the family (only other-family prefixes, or ICMP of the
 * other family) is left out with an info finding.
 */
public final class BalancingRules {
  /** From this many nth rules on, an info finding says how many there are. */
  static final int NTH_RULES_INFO = 64;
  /** Above this many nth rules, the finding is a warning. */
  static final int NTH_RULES_WARNING = 1024;

  private final BalancingPolicy policy;
  private final IpFamily family;
  private final long mask;
  private final List<Finding> findings = new ArrayList<>();

  private final String prerouting;
  private final String output;
  private final String lan;
  private final String router;
  private final String balance;
  private final String postrouting;

  private BalancingRules(BalancingPolicy policy, IpFamily family) {
    this.policy = policy;
    this.family = family;
    this.mask = policy.markMask();
    String p = policy.chainPrefix();
    this.prerouting = p + "-prerouting";
    this.output = p + "-output";
    this.lan = p + "-lan";
    this.router = p + "-router";
    this.balance = p + "-balance";
    this.postrouting = p + "-postrouting";
  }

  /**
   * The ruleset for {@code family} ({@code iptables-restore} or {@code ip6tables-restore} input via
   * {@link RestoreWriter}), with findings such as inexact RANDOM probabilities.
   *
   * @throws IllegalArgumentException if {@code family} is not one of the policy's
   *     {@link BalancingPolicy#families()}, or if the rules would not load (naming the problems)
   */
  public static Compilation<Ruleset> compile(BalancingPolicy policy, IpFamily family) {
    checkNotNull(policy, "policy");
    checkNotNull(family, "family");
    if (!policy.families().contains(family)) {
      throw new IllegalArgumentException(
          "cannot compile " + familyName(family) + " rules: the policy's families are "
              + policy.families() + "; add " + family + " to families() to compile them");
    }
    return new BalancingRules(policy, family).compile();
  }

  private Compilation<Ruleset> compile() {
    boolean marksOutgoing = policy.strategy() != Strategy.MULTIPATH;
    List<Chain> mangleChains = new ArrayList<>();
    mangleChains.add(builtinJump("PREROUTING", prerouting));
    mangleChains.add(builtinJump("OUTPUT", output));

    Chain.Builder pre = Chain.builder().name(prerouting);
    if (policy.stickyInbound()) {
      for (Uplink u : policy.uplinks()) {
        pre.addRules(Rule.builder().in(u.iface()).addMatches(ConntrackMatch.of(ConnState.NEW))
            .target(setMark(u)).build());
      }
    }
    if (marksOutgoing) {
      for (InterfaceName i : policy.lanInterfaces()) {
        pre.addRules(Rule.builder().in(i).addMatches(UNMARKED, ConntrackMatch.of(ConnState.NEW))
            .target(new Jump(lan)).build());
      }
    }
    addRestores(pre);
    mangleChains.add(pre.build());

    Chain.Builder out = Chain.builder().name(output);
    boolean balancesRouter = marksOutgoing && !policy.router().isEmpty();
    if (balancesRouter) {
      out.addRules(Rule.builder().addMatches(UNMARKED, ConntrackMatch.of(ConnState.NEW))
          .target(new Jump(router)).build());
    }
    addRestores(out);
    mangleChains.add(out.build());

    if (marksOutgoing) {
      mangleChains.add(lanChain());
      if (balancesRouter) {
        mangleChains.add(routerChain());
      }
      mangleChains.add(policy.strategy() == Strategy.NTH ? nthChain() : randomChain());
    } else {
      noteMultipathSelectors();
    }

    Chain.Builder snat = Chain.builder().name(postrouting);
    for (Uplink u : policy.uplinks()) {
      Target t = u.snat(family).<Target>map(Snat::to).orElse(Masquerade.plain());
      snat.addRules(Rule.builder().out(u.iface()).target(t).build());
    }

    Ruleset ruleset = Ruleset.builder()
        .family(family)
        .addTables(Table.builder().name(TableName.MANGLE).addAllChains(mangleChains).build())
        .addTables(Table.builder().name(TableName.NAT)
            .addChains(builtinJump("POSTROUTING", postrouting), snat.build())
            .build())
        .build();
    List<Finding> errors = ruleset.validate().stream().filter(Finding::isError).toList();
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException("the policy compiles into " + familyName(family)
          + " rules that iptables would refuse: "
          + errors.stream().map(Finding::toString).collect(Collectors.joining("; ")));
    }
    return Compilation.of(ruleset, findings);
  }

  /** A packet no one has marked: every bit of its mark is 0 (a socket or another program's rule sets none). */
  private static final MarkMatch UNMARKED = MarkMatch.of(Mark.of(0));

  /**
   * Each uplink's mark restored from its connection to the packet, only where the connection
   * carries that uplink's value: {@code -m connmark --mark V/M -j MARK --set-xmark V/M}. Packets of
   * other connections keep their mark in every bit, and a foreign value in the mask's bits of a
   * connection mark is never copied.
   */
  private void addRestores(Chain.Builder chain) {
    for (Uplink u : policy.uplinks()) {
      Mark m = policy.mark(u);
      chain.addRules(Rule.builder().addMatches(ConnmarkMatch.of(m)).target(SetMark.set(m.value(), mask)).build());
    }
  }

  private static Chain builtinJump(String builtin, String chain) {
    return Chain.builder().name(builtin).addRules(Rule.builder().target(new Jump(chain)).build()).build();
  }

  private SetConnmark setMark(Uplink u) {
    return new SetConnmark(policy.mark(u).value(), mask);
  }

  private Rule returnTo(IpPrefix destination) {
    return Rule.builder().destination(destination).target(Verdict.RETURN).build();
  }

  private Chain lanChain() {
    Chain.Builder c = Chain.builder().name(lan);
    for (IpPrefix p : policy.lanPrefixes(family)) {
      c.addRules(returnTo(p));
    }
    addSelectors(c, "exclusions", policy.exclusions(), Verdict.RETURN);
    if (policy.balanced().isEmpty()) {
      c.addRules(Rule.builder().target(new Jump(balance)).build());
    } else {
      addSelectors(c, "balanced", policy.balanced(), new Jump(balance));
    }
    return c.build();
  }

  private Chain routerChain() {
    Chain.Builder c = Chain.builder().name(router);
    c.addRules(returnTo(IpPrefix.parse(family == IpFamily.V4 ? "127.0.0.0/8" : "::1/128")));
    for (IpPrefix p : policy.lanPrefixes(family)) {
      c.addRules(returnTo(p));
    }
    addSelectors(c, "exclusions", policy.exclusions(), Verdict.RETURN);
    addSelectors(c, "router", policy.router(), new Jump(balance));
    return c.build();
  }

  /** P-balance for NTH: the smooth weighted round robin over one period of W slots. */
  private Chain nthChain() {
    Chain.Builder c = Chain.builder().name(balance).addRules(alreadyMarked());
    List<Uplink> uplinks = policy.activeUplinks();
    if (uplinks.isEmpty()) {
      return c.build();
    }
    int[] weights = weights();
    int g = WeightedSplit.gcd(weights);
    for (int i = 0; i < weights.length; i++) {
      weights[i] /= g;
    }
    if (uplinks.size() == 1) {
      c.addRules(Rule.builder().target(setMark(uplinks.get(0))).build());
      return c.build();
    }
    int[] order = WeightedSplit.smoothOrder(weights);
    int period = order.length;
    for (int k = 0; k < period; k++) {
      c.addRules(Rule.builder().addMatches(StatisticMatch.nth(period, k))
          .target(setMark(uplinks.get(order[k]))).build());
    }
    if (period >= NTH_RULES_INFO) {
      String message = "strategy nth over the weights " + joinWeights(weights())
          + (g > 1 ? " (" + joinWeights(weights) + " after dividing by their gcd " + g + ")" : "")
          + " needs " + period
          + " -m statistic rules, one per slot of the period; every new balanced connection is"
          + " evaluated by all of them";
      if (period > NTH_RULES_WARNING) {
        findings.add(Finding.warning("nth-rules", "strategy", message
            + "; more than " + NTH_RULES_WARNING + " slows connection setup: weights with a common"
            + " factor, or strategy random (one rule per uplink), need fewer"));
      } else {
        findings.add(Finding.info("nth-rules", "strategy", message));
      }
    }
    return c.build();
  }

  /** P-balance for RANDOM: one random rule per uplink but the last, which takes the rest. */
  private Chain randomChain() {
    Chain.Builder c = Chain.builder().name(balance).addRules(alreadyMarked());
    List<Uplink> uplinks = policy.activeUplinks();
    if (uplinks.isEmpty()) {
      return c.build();
    }
    int[] weights = weights();
    long[] thresholds = WeightedSplit.randomThresholds(weights);
    ConnmarkMatch unmarked = ConnmarkMatch.of(Mark.of(0, mask));
    for (int i = 0; i < thresholds.length; i++) {
      c.addRules(Rule.builder()
          .addMatches(unmarked, new StatisticMatch(new Statistic.Random(thresholds[i]), false))
          .target(setMark(uplinks.get(i))).build());
    }
    c.addRules(Rule.builder().addMatches(unmarked).target(setMark(uplinks.get(uplinks.size() - 1))).build());

    BigDecimal[] shares = WeightedSplit.realisedShares(thresholds);
    BigDecimal total = BigDecimal.valueOf(WeightedSplit.sum(weights));
    MathContext precise = new MathContext(40, RoundingMode.HALF_EVEN);
    for (int i = 0; i < weights.length; i++) {
      BigDecimal error = shares[i].multiply(total).subtract(BigDecimal.valueOf(weights[i]))
          .divide(total, precise);
      if (error.signum() == 0) {
        continue;
      }
      BigDecimal wanted = BigDecimal.valueOf(weights[i]).divide(total, precise);
      findings.add(Finding.warning("random-inexact", "uplinks[" + policy.uplinks().indexOf(uplinks.get(i)) + "].weight",
          "uplink " + uplinks.get(i).name() + ": weight " + weights[i] + " of " + total
              + " asks for " + decimals(wanted) + " of the new balanced connections; the 31-bit"
              + " --probability thresholds give it " + decimals(shares[i]) + " (error "
              + String.format(Locale.ROOT, "%+.2e", error.doubleValue()) + ")"));
    }
    return c.build();
  }

  private Rule alreadyMarked() {
    return Rule.builder().addMatches(ConnmarkMatch.not(Mark.of(0, mask))).target(Verdict.RETURN).build();
  }

  private void noteMultipathSelectors() {
    int selectors = policy.balanced().size() + policy.router().size() + policy.exclusions().size();
    if (selectors > 0) {
      findings.add(Finding.info("multipath-selectors", "strategy",
          "strategy multipath: the routing plan's multipath route spreads the connections, not netfilter;"
              + " the balanced (" + policy.balanced().size() + "), router (" + policy.router().size()
              + ") and exclusions (" + policy.exclusions().size() + ") selectors compile into no rules"
              + " here (the mangle rules only mark inbound connections and restore marks)"));
    }
  }

  /** The weights of the uplinks that take new connections. */
  private int[] weights() {
    return policy.activeUplinks().stream().mapToInt(Uplink::weight).toArray();
  }

  private static String joinWeights(int[] weights) {
    StringBuilder s = new StringBuilder();
    for (int w : weights) {
      s.append(s.length() == 0 ? "" : ":").append(w);
    }
    return s.toString();
  }

  private static String decimals(BigDecimal x) {
    return x.setScale(12, RoundingMode.HALF_EVEN).toPlainString();
  }

  /** Appends the rules of each selector (one per source, destination and port group). */
  private void addSelectors(Chain.Builder chain, String field, List<TrafficSelector> selectors, Target target) {
    for (int i = 0; i < selectors.size(); i++) {
      chain.addAllRules(selectorRules(field + "[" + i + "]", selectors.get(i), target));
    }
  }

  private List<Rule> selectorRules(String location, TrafficSelector s, Target target) {
    List<IpPrefix> sources = ofFamily(s.sources());
    List<IpPrefix> destinations = ofFamily(s.destinations());
    String why = null;
    if (!s.sources().isEmpty() && sources.isEmpty()) {
      why = "has only " + familyName(other(family)) + " sources";
    } else if (!s.destinations().isEmpty() && destinations.isEmpty()) {
      why = "has only " + familyName(other(family)) + " destinations";
    } else if (s.protocol().isPresent() && s.protocol().get().number() == foreignIcmp(family)) {
      why = "is protocol " + s.protocol().get() + ", which " + familyName(family) + " packets never carry";
    }
    if (why != null) {
      Finding skipped = Finding.info("selector-family", location, location + " \"" + s + "\" " + why
          + "; it cannot match " + familyName(family) + " traffic and is left out of the "
          + familyName(family) + " rules");
      if (!findings.contains(skipped)) {   // exclusions go into P-lan and P-router: say it once
        findings.add(skipped);
      }
      return List.of();
    }
    List<Optional<IpPrefix>> froms = sources.isEmpty() ? List.of(Optional.empty())
        : sources.stream().map(Optional::of).toList();
    List<Optional<IpPrefix>> tos = destinations.isEmpty() ? List.of(Optional.empty())
        : destinations.stream().map(Optional::of).toList();
    List<Optional<Match>> ports = portMatches(s);
    List<Rule> rules = new ArrayList<>();
    for (Optional<IpPrefix> from : froms) {
      for (Optional<IpPrefix> to : tos) {
        for (Optional<Match> port : ports) {
          Rule.Builder r = Rule.builder().source(from).destination(to).protocol(s.protocol());
          port.ifPresent(r::addMatches);
          rules.add(r.target(target).build());
        }
      }
    }
    return rules;
  }

  /**
   * The port tests of a selector: none; one {@code -m tcp/udp --dport} for a single port or range
   * of tcp or udp; else {@code -m multiport --dports} groups of at most 15 slots, in order.
   */
  private static List<Optional<Match>> portMatches(TrafficSelector s) {
    if (s.ports().isEmpty()) {
      return List.of(Optional.empty());
    }
    Protocol protocol = s.protocol().orElseThrow();
    List<List<PortRange>> groups = new ArrayList<>();
    List<PortRange> group = new ArrayList<>();
    int slots = 0;
    for (PortRange p : s.ports()) {
      int need = p.isSingle() ? 1 : 2;
      if (slots + need > MultiportMatch.MAX_PORTS) {
        groups.add(group);
        group = new ArrayList<>();
        slots = 0;
      }
      group.add(p);
      slots += need;
    }
    groups.add(group);
    boolean portModule = protocol.equals(Protocol.TCP) || protocol.equals(Protocol.UDP);
    if (groups.size() == 1 && group.size() == 1 && portModule) {
      return List.of(Optional.of(new PortMatch(protocol, Optional.empty(),
          Optional.of(PortCriterion.is(group.get(0))))));
    }
    return groups.stream()
        .map(g -> Optional.<Match>of(MultiportMatch.of(MultiportMatch.Direction.DESTINATION, g, false)))
        .toList();
  }

  private List<IpPrefix> ofFamily(List<IpPrefix> prefixes) {
    return prefixes.stream().filter(p -> p.family() == family).toList();
  }

  /** The ICMP protocol number of the other family: 58 in IPv4, 1 in IPv6. */
  private static int foreignIcmp(IpFamily family) {
    return family == IpFamily.V4 ? Protocol.ICMPV6.number() : Protocol.ICMP.number();
  }

  private static IpFamily other(IpFamily family) {
    return family == IpFamily.V4 ? IpFamily.V6 : IpFamily.V4;
  }

  private static String familyName(IpFamily family) {
    return family == IpFamily.V4 ? "IPv4" : "IPv6";
  }
}
