package dev.mlb.netfilter;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;
import org.quicktheories.impl.Constraint;

/**
 * Generates rulesets that {@link Ruleset#validate()} accepts (no errors), with every match and
 * target type, random names and values, IPv4 and IPv6.
 *
 * <pre>{@code
 * qt().withExamples(1000).withFixedSeed(1L).forAll(RulesetGen.rulesets()).checkAssert(r -> ...);
 * }</pre>
 */
final class RulesetGen {
  private RulesetGen() {}

  /** Valid rulesets of either family; unmodelled modules and targets get random words. */
  static Gen<Ruleset> rulesets() {
    return in -> new Draw(in, false).ruleset();
  }

  /**
   * Valid rulesets that the real iptables-restore 1.8.9 also loads: unmodelled modules and targets
   * are real ones, written as iptables-save prints them, so that iptables-save prints the render.
   */
  static Gen<Ruleset> loadableRulesets() {
    return in -> new Draw(in, true).ruleset();
  }

  /** Draws values from the randomness source, so that QuickTheories can shrink them. */
  private static final class Draw {
    private final RandomnessSource in;
    private final boolean loadable;
    private IpFamily family;

    Draw(RandomnessSource in, boolean loadable) {
      this.in = in;
      this.loadable = loadable;
    }

    long between(long min, long max) {
      return in.next(Constraint.between(min, max));
    }

    int anInt(int min, int max) {
      return (int) between(min, max);
    }

    boolean chance(int percent) {
      return between(0, 99) < percent;
    }

    <T> T pick(List<T> items) {
      return items.get(anInt(0, items.size() - 1));
    }

    String word(String first, String rest, int min, int max) {
      StringBuilder b = new StringBuilder();
      int n = anInt(min, max);
      for (int i = 0; i < n; i++) {
        String from = i == 0 ? first : rest;
        b.append(from.charAt(anInt(0, from.length() - 1)));
      }
      return b.toString();
    }

    Ruleset ruleset() {
      family = chance(50) ? IpFamily.V4 : IpFamily.V6;
      Ruleset.Builder b = Ruleset.builder().family(family);
      for (TableName t : List.of(TableName.MANGLE, TableName.NAT, TableName.FILTER, TableName.RAW,
          TableName.SECURITY)) {
        if (chance(t == TableName.MANGLE || t == TableName.NAT ? 70 : 25)) {
          b.addTables(table(t));
        }
      }
      return b.build();
    }

    Table table(TableName name) {
      List<String> users = new ArrayList<>();
      int n = anInt(0, 3);
      for (int i = 0; i < n; i++) {
        String c = word("abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz0123456789_-.", 1, 28);
        if (!users.contains(c) && !name.isBuiltin(c)) {
          users.add(c);
        }
      }
      Table.Builder t = Table.builder().name(name);
      for (Hook h : name.hooks()) {
        Chain.Builder c = Chain.builder().name(h.name());
        if (chance(30)) {
          c.policy(chance(50) ? Policy.ACCEPT : Policy.DROP);
        }
        int rules = anInt(0, 4);
        for (int i = 0; i < rules; i++) {
          c.addRules(rule(name, Optional.of(h), users));
        }
        t.addChains(c.build());
      }
      for (int u = 0; u < users.size(); u++) {
        Chain.Builder c = Chain.builder().name(users.get(u));
        int rules = anInt(0, 3);
        for (int i = 0; i < rules; i++) {
          // Jumps only go to later chains: no loops.
          c.addRules(rule(name, Optional.empty(), users.subList(u + 1, users.size())));
        }
        t.addChains(c.build());
      }
      return t.build();
    }

    Rule rule(TableName table, Optional<Hook> hook, List<String> jumpable) {
      Rule.Builder r = Rule.builder();
      if (chance(30)) {
        r.source(prefix()).sourceNegated(chance(30));
      }
      if (chance(30)) {
        r.destination(prefix()).destinationNegated(chance(30));
      }
      // In user chains, interfaces are only warned about; in built-in ones they must fit the hook.
      if (chance(30) && hook.map(Hook::hasInputInterface).orElse(true)) {
        r.in(iface()).inNegated(chance(30));
      }
      if (chance(30) && hook.map(Hook::hasOutputInterface).orElse(true)) {
        r.out(iface()).outNegated(chance(30));
      }
      Protocol protocol = null;
      boolean protocolNegated = false;
      if (chance(60)) {
        protocol = pick(List.of(Protocol.TCP, Protocol.UDP, Protocol.ICMP, Protocol.of(47),
            Protocol.of(anInt(1, 255))));
        protocolNegated = chance(15);
        r.protocol(protocol).protocolNegated(protocolNegated);
      }
      boolean ports = protocol != null && !protocolNegated
          && (protocol.equals(Protocol.TCP) || protocol.equals(Protocol.UDP));
      boolean portMatchUsed = false;
      List<String> markModules = new ArrayList<>();
      int matches = anInt(0, 4);
      for (int i = 0; i < matches; i++) {
        int kind = anInt(0, 9);
        if (kind == 2 || kind == 3) {
          // iptables gives --mark to the module loaded first most recently: after -m connmark,
          // -m mark, a second -m connmark cannot get its --mark. Leave such rules out.
          String module = kind == 2 ? "connmark" : "mark";
          if (!markModules.contains(module)) {
            markModules.add(module);
          } else if (!markModules.get(markModules.size() - 1).equals(module)) {
            continue;
          }
        }
        switch (kind) {
          case 0 -> r.addMatches(new StateMatch(states(false), chance(30)));
          case 1 -> r.addMatches(new ConntrackMatch(states(true), chance(30)));
          case 2 -> r.addMatches(new ConnmarkMatch(mark(), chance(30)));
          case 3 -> r.addMatches(new MarkMatch(mark(), chance(30)));
          case 4 -> r.addMatches(statistic());
          case 5 -> {
            if (ports && !portMatchUsed) {
              portMatchUsed = true;
              r.addMatches(new PortMatch(protocol, portCriterion(), portCriterion()));
            }
          }
          case 6 -> {
            if (ports) {
              r.addMatches(multiport());
            }
          }
          case 7 -> r.addMatches(new CommentMatch(comment()));
          case 8 -> r.addMatches(limit());
          default -> r.addMatches(opaqueMatch());
        }
      }
      if (chance(85)) {
        r.target(target(table, hook, jumpable, ports));
      }
      return r.build();
    }

    IpAddress address() {
      if (family == IpFamily.V4) {
        return IpAddress.v4((int) between(Integer.MIN_VALUE, Integer.MAX_VALUE));
      }
      return IpAddress.v6(between(Long.MIN_VALUE, Long.MAX_VALUE), chance(50) ? 1 : between(Long.MIN_VALUE, Long.MAX_VALUE));
    }

    IpPrefix prefix() {
      // Length 0 is left out unless negated, and "! -s ::/0" is an error; keep lengths >= 1.
      return IpPrefix.of(address(), anInt(1, family.bits()));
    }

    InterfaceName iface() {
      if (chance(10)) {
        return InterfaceName.of("+");
      }
      String name = word("abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz0123456789._-", 1, 14);
      return InterfaceName.of(name.equals(".") ? "x" : chance(20) ? name + "+" : name);
    }

    ImmutableSet<ConnState> states(boolean conntrack) {
      EnumSet<ConnState> s = EnumSet.noneOf(ConnState.class);
      int n = anInt(1, 4);
      for (int i = 0; i < n; i++) {
        ConnState c = pick(List.of(ConnState.values()));
        if (conntrack || c.isStateMatchState()) {
          s.add(c);
        }
      }
      if (s.isEmpty()) {
        s.add(ConnState.NEW);
      }
      return ImmutableSet.copyOf(s);
    }

    long u32() {
      return chance(30) ? anInt(0, 16) : between(0, Mark.FULL_MASK);
    }

    Mark mark() {
      return chance(50) ? Mark.of(u32()) : Mark.of(u32(), u32());
    }

    StatisticMatch statistic() {
      if (chance(50)) {
        long every = chance(70) ? between(1, 10) : between(1, Mark.FULL_MASK);
        return new StatisticMatch(new Statistic.Nth(every, between(0, every - 1)), chance(20));
      }
      return new StatisticMatch(new Statistic.Random(between(0, Statistic.Random.ONE)), chance(20));
    }

    PortRange portRange() {
      int a = anInt(0, 65535);
      return chance(50) ? PortRange.of(a) : PortRange.of(a, anInt(a, 65535));
    }

    Optional<PortCriterion> portCriterion() {
      if (chance(40)) {
        return Optional.empty();
      }
      PortRange range = portRange();
      boolean negated = chance(30) && !(range.first() == 0 && range.last() == 65535);
      return Optional.of(new PortCriterion(range, negated));
    }

    MultiportMatch multiport() {
      List<PortRange> ports = new ArrayList<>();
      int slots = 0;
      int n = anInt(1, 8);
      for (int i = 0; i < n; i++) {
        PortRange p = portRange();
        int s = p.isSingle() ? 1 : 2;
        if (slots + s <= MultiportMatch.MAX_PORTS) {
          ports.add(p);
          slots += s;
        }
      }
      return MultiportMatch.of(pick(List.of(MultiportMatch.Direction.values())), ports, chance(30));
    }

    LimitMatch limit() {
      RateUnit unit = pick(List.of(RateUnit.values()));
      LimitMatch m = new LimitMatch(anInt(1, 10_000), unit, LimitMatch.DEFAULT_BURST);
      return chance(50) ? m : m.withBurst(anInt(0, (int) LimitMatch.MAX_BURST));
    }

    String comment() {
      return word(" abcXYZ019\"'\\#!-_.:/\t$`", " abcXYZ019\"'\\#!-_.:/\t$`", 0, 40);
    }

    Match opaqueMatch() {
      if (loadable) {
        return pick(List.of(
            PkttypeMatch.of(pick(List.of(PkttypeMatch.Type.UNICAST, PkttypeMatch.Type.BROADCAST,
                PkttypeMatch.Type.MULTICAST))),
            addrtype(),
            LengthMatch.between(anInt(0, 100), anInt(101, 1500))));
      }
      if (chance(20)) {
        return addrtype();
      }
      String module = pick(List.of("u32", "u32x", "xmatch"));
      List<String> args = new ArrayList<>();
      int n = anInt(0, 4);
      for (int i = 0; i < n; i++) {
        args.add(i % 2 == 0 ? "--" + word("abcdefghij", "abcdefghij-", 1, 8) : argument());
      }
      return OpaqueMatch.of(module, args);
    }

    AddrtypeMatch addrtype() {
      List<AddrtypeMatch.Type> v6 = List.of(AddrtypeMatch.Type.LOCAL, AddrtypeMatch.Type.UNICAST,
          AddrtypeMatch.Type.MULTICAST, AddrtypeMatch.Type.ANYCAST, AddrtypeMatch.Type.UNREACHABLE);
      AddrtypeMatch m = chance(50) ? AddrtypeMatch.destination(pick(v6), pick(v6)) : AddrtypeMatch.source(pick(v6));
      return chance(30) ? m.negated() : m;
    }

    String argument() {
      return word("abcXYZ019/'\\\".: ", "abcXYZ019/'\\\".:- ", 0, 10);
    }

    Target target(TableName table, Optional<Hook> hook, List<String> jumpable, boolean ports) {
      boolean natPostrouting = table == TableName.NAT && hook.equals(Optional.of(Hook.POSTROUTING));
      int kinds = natPostrouting ? 11 : 9;
      switch (anInt(0, kinds - 1)) {
        case 0:
          // iptables refuses DROP in the nat table.
          return table == TableName.NAT ? pick(List.of(Verdict.ACCEPT, Verdict.RETURN))
              : pick(List.of(Verdict.values()));
        case 1:
          if (!jumpable.isEmpty()) {
            return new Jump(pick(jumpable));
          }
          return Verdict.ACCEPT;
        case 2:
          if (!jumpable.isEmpty()) {
            return new Goto(pick(jumpable));
          }
          return Verdict.RETURN;
        case 3:
          return new SetMark(u32(), u32());
        case 4:
          return new SetConnmark(u32(), u32());
        case 5:
          return new SaveConnmark(u32(), u32());
        case 6:
          return new RestoreConnmark(u32(), u32());
        case 7:
        case 8:
          return opaqueTarget();
        case 9:
          return new Masquerade(ports && chance(50) ? Optional.of(natPorts(0)) : Optional.empty(),
              chance(30), chance(30));
        default:
          IpAddress first = address();
          IpAddress last = chance(50) ? first : address();
          if (first.compareTo(last) > 0) {
            IpAddress t = first;
            first = last;
            last = t;
          }
          return new Snat(first, last, ports && chance(50) ? Optional.of(natPorts(0)) : Optional.empty(),
              chance(30), chance(30), chance(30));
      }
    }

    Log log() {
      String prefix = chance(50) ? "" : word(" abcXYZ019\"'\\#!-_.:/[]", " abcXYZ019\"'\\#!-_.:/[]", 1, Log.MAX_PREFIX_BYTES);
      return new Log(prefix, anInt(0, Log.DEBUG), chance(50) ? 0 : anInt(0, Log.ALL_FLAGS) & Log.ALL_FLAGS);
    }

    PortRange natPorts(int min) {
      int a = anInt(min, 65535);
      return chance(50) ? PortRange.of(a) : PortRange.of(a, anInt(a, 65535));
    }

    Target opaqueTarget() {
      if (loadable) {
        return pick(List.of(
            Log.withPrefix(word("abcXYZ019_-", "abcXYZ019_-", 1, 20)),
            Nflog.group(anInt(0, 65535)).withThreshold(chance(50) ? 0 : anInt(0, 65535)),
            log()));
      }
      if (chance(30)) {
        return log();
      }
      // Targets mlb keeps verbatim (LED stays unmodelled on purpose).
      String name = pick(List.of("TRACE", "LED"));
      List<String> args = new ArrayList<>();
      int n = anInt(0, 4);
      for (int i = 0; i < n; i++) {
        args.add(i % 2 == 0 ? "--" + word("abcdefghij", "abcdefghij-", 1, 8) : argument());
      }
      return OpaqueTarget.of(name, ImmutableList.copyOf(args));
    }
  }
}
