package dev.mlb.testkit.gen;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import dev.mlb.netfilter.Chain;
import dev.mlb.netfilter.ConnState;
import dev.mlb.netfilter.ConnmarkMatch;
import dev.mlb.netfilter.Jump;
import dev.mlb.netfilter.Masquerade;
import dev.mlb.netfilter.Match;
import dev.mlb.netfilter.PortCriterion;
import dev.mlb.netfilter.PortMatch;
import dev.mlb.netfilter.RestoreConnmark;
import dev.mlb.netfilter.Rule;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.netfilter.SaveConnmark;
import dev.mlb.netfilter.SetConnmark;
import dev.mlb.netfilter.SetMark;
import dev.mlb.netfilter.StateMatch;
import dev.mlb.netfilter.StatisticMatch;
import dev.mlb.netfilter.Table;
import dev.mlb.netfilter.TableName;
import dev.mlb.netfilter.Verdict;
import dev.mlb.testkit.sim.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * A seeded factory of large, valid IPv4 rulesets of an exact size, shaped like a per-subscriber
 * balancing ruleset: for benchmarks, and for checks that costs grow linearly.
 *
 * <pre>{@code
 * Ruleset big = new ScaleRulesetGenerator(42).generate(100_000);   // exactly 100,000 rules
 * String text = RestoreWriter.render(big);                          // valid: renders, no errors
 * }</pre>
 *
 * <p>The mangle table holds the bulk: {@code PREROUTING} first restores the connmark of established
 * connections, then dispatches to one user chain per subscriber group ({@code -s PREFIX -j subN});
 * each group chain holds about {@value #RULES_PER_CHAIN} rules mixing source and destination
 * prefixes, {@code -p tcp/udp} with {@code --sport}/{@code --dport} (single ports and ranges),
 * {@code -m state}, {@code -m connmark}, {@code -m statistic} (nth and random), {@code -i}, and the
 * targets {@code MARK} and {@code CONNMARK} (set, save, restore), {@code RETURN}, {@code ACCEPT} and
 * jumps. An even-numbered group chain may jump to the next one, so jumps nest at most two deep and
 * never loop; every user chain is reached from {@code PREROUTING}. The nat table masquerades out of
 * {@code ppp0} and {@code ppp1}, as the seed policy does, so that flows of
 * {@link Topology#standard(int) Topology.standard(2)} leave with an uplink's address. Addresses come
 * from the documentation ranges only. Marks are 1 or 2 (or bits above them), so with the seed routes
 * they select the uplink tables.
 */
public final class ScaleRulesetGenerator {

  /** About how many rules each subscriber group chain holds. */
  public static final int RULES_PER_CHAIN = 50;

  /** The fewest rules a generated ruleset can have: the nat rules, the restore and one dispatch. */
  public static final int MIN_RULES = 4;

  private static final String[] NETWORKS = {"192.0.2.", "198.51.100.", "203.0.113."};
  private static final InterfaceName LAN = InterfaceName.of("eth0");

  private final SplittableRandom random;

  /** A generator whose rulesets are fixed by {@code seed}: the same seed and size, the same ruleset. */
  public ScaleRulesetGenerator(long seed) {
    this.random = new SplittableRandom(seed);
  }

  /** A ruleset of exactly {@code rules} rules (at least {@value #MIN_RULES}). */
  public Ruleset generate(int rules) {
    checkArgument(rules >= MIN_RULES, "a generated ruleset has at least %s rules, not %s", MIN_RULES, rules);
    Table nat = Table.builder()
        .name(TableName.NAT)
        .addChains(Chain.builder().name("POSTROUTING")
            .addRules(Rule.builder().out(InterfaceName.of("ppp0")).target(Masquerade.plain()).build())
            .addRules(Rule.builder().out(InterfaceName.of("ppp1")).target(Masquerade.plain()).build())
            .build())
        .build();
    int bulk = rules - 3;
    // One dispatch rule per group chain, RULES_PER_CHAIN - 1 rules (at least one) in each.
    int groups = Math.max(1, bulk / RULES_PER_CHAIN);
    int inChains = bulk - groups;
    List<String> names = new ArrayList<>(groups);
    for (int g = 0; g < groups; g++) {
      names.add(String.format("sub%06d", g));
    }
    Chain.Builder prerouting = Chain.builder().name("PREROUTING")
        .addRules(Rule.builder()
            .addMatches(StateMatch.of(ConnState.ESTABLISHED, ConnState.RELATED))
            .target(RestoreConnmark.all())
            .build());
    Table.Builder mangle = Table.builder().name(TableName.MANGLE);
    for (int g = 0; g < groups; g++) {
      prerouting.addRules(Rule.builder().source(subscriberPrefix()).target(new Jump(names.get(g))).build());
      int count = inChains / groups + (g < inChains % groups ? 1 : 0);
      Optional<String> next = g % 2 == 0 && g + 1 < groups ? Optional.of(names.get(g + 1)) : Optional.empty();
      List<Rule> chainRules = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        chainRules.add(groupRule(next));
      }
      mangle.addChains(Chain.builder().name(names.get(g)).addAllRules(chainRules).build());
    }
    mangle.addChains(prerouting.build());
    return Ruleset.builder().family(IpFamily.V4).addTables(mangle.build(), nat).build();
  }

  /** A subscriber group's prefix: a /24 to /32 in 192.0.2.0/24. */
  private IpPrefix subscriberPrefix() {
    return IpPrefix.of(IpAddress.parse("192.0.2." + random.nextInt(256)), 24 + random.nextInt(9));
  }

  private IpPrefix anyPrefix() {
    String net = NETWORKS[random.nextInt(NETWORKS.length)];
    return IpPrefix.of(IpAddress.parse(net + random.nextInt(256)), 24 + random.nextInt(9));
  }

  private long markValue() {
    return 1 + random.nextInt(2) + (random.nextInt(4) == 0 ? 0x100L * random.nextInt(16) : 0);
  }

  private PortRange ports() {
    int first = 1 + random.nextInt(65535);
    if (random.nextInt(4) != 0) {
      return PortRange.of(first);
    }
    return PortRange.of(first, first + random.nextInt(65536 - first));
  }

  private Rule groupRule(Optional<String> next) {
    Rule.Builder r = Rule.builder();
    int kind = random.nextInt(8);
    switch (kind) {
      case 0 -> r.source(anyPrefix()).destination(anyPrefix()).protocol(Protocol.TCP)
          .addMatches(new PortMatch(Protocol.TCP, Optional.empty(), Optional.of(PortCriterion.is(ports()))))
          .addMatches(StateMatch.of(ConnState.NEW))
          .target(SetConnmark.set(markValue()));
      case 1 -> r.destination(anyPrefix()).protocol(Protocol.UDP)
          .addMatches(new PortMatch(Protocol.UDP, Optional.of(PortCriterion.is(ports())), Optional.empty()))
          .addMatches(ConnmarkMatch.of(Mark.of(markValue())))
          .target(SetMark.set(markValue()));
      case 2 -> r.protocol(Protocol.TCP)
          .addMatches(new PortMatch(Protocol.TCP, Optional.empty(), Optional.of(PortCriterion.is(ports()))))
          .addMatches(StateMatch.of(ConnState.NEW))
          .addMatches(nth())
          .target(SetConnmark.set(markValue()));
      case 3 -> r.addMatches(ConnmarkMatch.not(Mark.of(0))).target(Verdict.RETURN);
      case 4 -> {
        r.addMatches(StatisticMatch.random(0.0625 * (1 + random.nextInt(15))));
        if (next.isPresent()) {
          r.target(new Jump(next.get()));
        } else {
          r.target(SetMark.set(markValue(), 0xff));
        }
      }
      case 5 -> r.source(anyPrefix())
          .addMatches(StateMatch.of(ConnState.NEW))
          .addMatches(ConnmarkMatch.not(Mark.of(0)))
          .target(SaveConnmark.all());
      case 6 -> r.in(LAN).destination(anyPrefix()).protocol(Protocol.TCP)
          .addMatches(new PortMatch(Protocol.TCP, Optional.of(PortCriterion.not(ports())), Optional.empty()))
          .target(Verdict.ACCEPT);
      default -> r.source(anyPrefix())
          .addMatches(ConnmarkMatch.of(Mark.of(markValue() & 0xff, 0xff)))
          .addMatches(StateMatch.of(ConnState.ESTABLISHED, ConnState.RELATED))
          .target(SetMark.set(markValue()));
    }
    return r.build();
  }

  private Match nth() {
    int every = 2 + random.nextInt(4);
    return StatisticMatch.nth(every, random.nextInt(every));
  }
}
