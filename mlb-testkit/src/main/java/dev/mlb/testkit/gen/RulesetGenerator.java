package dev.mlb.testkit.gen;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import dev.mlb.netfilter.AddrtypeMatch;
import dev.mlb.netfilter.Chain;
import dev.mlb.netfilter.CommentMatch;
import dev.mlb.netfilter.ConnState;
import dev.mlb.netfilter.ConnmarkMatch;
import dev.mlb.netfilter.ConntrackMatch;
import dev.mlb.netfilter.Goto;
import dev.mlb.netfilter.Hook;
import dev.mlb.netfilter.Jump;
import dev.mlb.netfilter.LengthMatch;
import dev.mlb.netfilter.LimitMatch;
import dev.mlb.netfilter.RateUnit;
import dev.mlb.netfilter.Log;
import dev.mlb.netfilter.Nflog;
import dev.mlb.netfilter.Reject;
import dev.mlb.netfilter.MarkMatch;
import dev.mlb.netfilter.Masquerade;
import dev.mlb.netfilter.Match;
import dev.mlb.netfilter.MultiportMatch;
import dev.mlb.netfilter.OpaqueTarget;
import dev.mlb.netfilter.PkttypeMatch;
import dev.mlb.netfilter.Policy;
import dev.mlb.netfilter.PortCriterion;
import dev.mlb.netfilter.PortMatch;
import dev.mlb.netfilter.RestoreConnmark;
import dev.mlb.netfilter.Rule;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.netfilter.SaveConnmark;
import dev.mlb.netfilter.SetConnmark;
import dev.mlb.netfilter.SetMark;
import dev.mlb.netfilter.Snat;
import dev.mlb.netfilter.StateMatch;
import dev.mlb.netfilter.Statistic;
import dev.mlb.netfilter.StatisticMatch;
import dev.mlb.netfilter.Table;
import dev.mlb.netfilter.TableName;
import dev.mlb.netfilter.Target;
import dev.mlb.netfilter.Verdict;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * A seeded factory of random, valid rulesets that use everything the netfilter model has.
 *
 * <pre>{@code
 * RulesetGenerator gen = new RulesetGenerator(42);
 * Ruleset r = gen.next(IpFamily.V4);          // same seed, same sequence of rulesets
 * String text = RestoreWriter.render(r);       // never throws: r.validate() has no errors
 * }</pre>
 *
 * <p>Every ruleset holds one or more of the mangle, raw, filter and nat tables (now and then the
 * security table too). Built-in chains get ACCEPT or DROP policies; user chains get random legal
 * names (1 to 28 letters, digits, {@code _} and {@code -}, never starting with {@code -}, never the
 * name of a target). Rules use {@code -s/-d/-i/-o/-p} (each sometimes negated, interfaces only where
 * the hook has them), every match type (state, conntrack, connmark, mark, statistic nth and random,
 * tcp/udp ports, multiport, comment with quotes, backslashes and non-ASCII text, and a few opaque
 * modules whose saved form is their input form) and every target type (verdicts, jumps and gotos,
 * MARK, CONNMARK set/save/restore, MASQUERADE, SNAT, a few opaque targets).
 *
 * <p>The rulesets are valid by construction, not by filtering: jumps and gotos only go from a user
 * chain to a user chain later in a fixed order (so there are no loops), MASQUERADE only appears in
 * nat POSTROUTING and SNAT only in nat POSTROUTING and INPUT, port matches and NAT ports only with
 * an un-negated {@code -p tcp}/{@code udp} (or another protocol with ports for multiport),
 * {@code -j DROP} never in the nat table, {@code -i}/{@code -o} only where the chain's name allows
 * them, and never {@code -m mark} again after {@code -m mark ... -m connmark} (or the other way
 * round), whose {@code --mark} iptables would give to the wrong module. The generator is plain Java;
 * {@link MlbGenerators} adapts it to QuickTheories.
 */
public final class RulesetGenerator {

  /** Names iptables refuses for user chains (targets), and names too close to them to be useful. */
  private static final ImmutableSet<String> RESERVED_NAMES =
      ImmutableSet.of(
          "ACCEPT", "DROP", "RETURN", "QUEUE", "AUDIT", "CHECKSUM", "CLASSIFY", "CLUSTERIP", "CONNMARK",
          "CONNSECMARK", "CT", "DNAT", "DNPT", "DSCP", "ECN", "HL", "HMARK", "IDLETIMER", "LED", "LOG",
          "MARK", "MASQUERADE", "NAT", "NETMAP", "NFLOG", "NFQUEUE", "NOTRACK", "RATEEST", "REDIRECT",
          "REJECT", "SECMARK", "SET", "SNAT", "SNPT", "SYNPROXY", "TCPMSS", "TCPOPTSTRIP", "TEE", "TOS",
          "TPROXY", "TRACE", "TTL", "ULOG", "MIRROR", "ERROR", "standard");

  private static final String NAME_CHARS =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";

  /** Chain names that are built-in chains of some table; a user chain may use one in another table. */
  private static final ImmutableList<String> HOOK_NAMES =
      ImmutableList.of("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING");

  private static final ImmutableList<String> V4_NETWORKS =
      ImmutableList.of("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24");

  /** Non-documentation addresses that exercise the writer: mapped, compatible, loopback, link-local. */
  private static final ImmutableList<String> V6_SPECIAL =
      ImmutableList.of(
          "::ffff:192.0.2.1", "::192.0.2.1", "::1", "fe80::1", "2001:db8:0:1::1", "2001:db8::",
          "2001:0:0:1::1", "ff02::1:ff00:1", "2001:db8:1:0:0:1::");

  private static final ImmutableList<String> INTERFACES =
      ImmutableList.of("eth0", "eth1", "ppp0", "ppp1", "ppp+", "wlan0", "br-lan", "eth0.100", "wg_0",
          "veth+", "lo", "+", "enp3s0f1", "bond0", "x");

  private static final ImmutableList<String> COMMENT_PIECES =
      ImmutableList.of(
          "\"", "'", "\\", "#", " ", "  ", "x\" -j DROP", "' -j ACCEPT '", "-A INPUT -j DROP", "COMMIT",
          "\\\"", "\\\\", "# not a comment", "ü", "中文", "🙂", "é", "$(reboot)", "`id`", ";", "|",
          "uplink a", "--comment", "!", "\t", "*filter", ":INPUT DROP [0:0]", "%s", "\\n", "{}", "\u00a0");

  private static final ImmutableList<Protocol> OTHER_PROTOCOLS =
      ImmutableList.of(Protocol.SCTP, Protocol.UDPLITE, Protocol.of(33), Protocol.of(47), Protocol.of(50),
          Protocol.of(51), Protocol.of(2), Protocol.of(200), Protocol.of(255));

  private final SplittableRandom random;

  /** A generator whose sequence of rulesets is fixed by {@code seed}. */
  public RulesetGenerator(long seed) {
    this(new SplittableRandom(seed));
  }

  /** A generator drawing from {@code random} (which it advances). */
  public RulesetGenerator(SplittableRandom random) {
    checkArgument(random != null, "random is null");
    this.random = random;
  }

  /** The next random ruleset of {@code family}; its {@link Ruleset#validate()} has no errors. */
  public Ruleset next(IpFamily family) {
    checkArgument(family != null, "family is null");
    List<TableName> names = new ArrayList<>();
    for (TableName t : List.of(TableName.MANGLE, TableName.RAW, TableName.FILTER, TableName.NAT)) {
      if (chance(0.55)) {
        names.add(t);
      }
    }
    if (chance(0.1)) {
      names.add(TableName.SECURITY);
    }
    if (names.isEmpty()) {
      names.add(pick(List.of(TableName.MANGLE, TableName.RAW, TableName.FILTER, TableName.NAT)));
    }
    Ruleset.Builder rules = Ruleset.builder().family(family);
    for (TableName t : names) {
      rules.addTables(table(family, t));
    }
    return rules.build();
  }

  private Table table(IpFamily family, TableName name) {
    // User chains in a fixed order; a chain may only jump to chains after it, so there is no loop.
    int userCount = random.nextInt(5);
    List<String> users = new ArrayList<>();
    Set<String> taken = new HashSet<>();
    for (Hook h : name.hooks()) {
      taken.add(h.name());
    }
    while (users.size() < userCount) {
      String n = chainName();
      if (taken.add(n)) {
        users.add(n);
      }
    }
    Table.Builder table = Table.builder().name(name);
    for (Hook h : name.hooks()) {
      Chain.Builder c = Chain.builder().name(h.name()).policy(chance(0.3) ? Policy.DROP : Policy.ACCEPT);
      int n = random.nextInt(6);
      for (int i = 0; i < n; i++) {
        c.addRules(rule(family, name, h.name(), Optional.of(h), users));
      }
      table.addChains(c.build());
    }
    for (int u = 0; u < users.size(); u++) {
      Chain.Builder c = Chain.builder().name(users.get(u));
      int n = random.nextInt(5);
      for (int i = 0; i < n; i++) {
        c.addRules(rule(family, name, users.get(u), Optional.empty(), users.subList(u + 1, users.size())));
      }
      table.addChains(c.build());
    }
    return table.build();
  }

  /** A legal user-chain name: 1 to 28 of [A-Za-z0-9_-], not starting with '-', not a target. */
  private String chainName() {
    while (true) {
      String name;
      int kind = random.nextInt(10);
      if (kind == 0) {
        // A built-in chain name of another table, or a near miss of a target name.
        name = pick(List.of(pick(HOOK_NAMES), "mark", "Mark", "MARK_", "snat", "log", "accept", "DROP2"));
      } else {
        int length = kind == 1 ? 28 : kind == 2 ? 1 : 1 + random.nextInt(kind < 6 ? 10 : 28);
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
          b.append(NAME_CHARS.charAt(random.nextInt(NAME_CHARS.length())));
        }
        name = b.toString();
      }
      if (name.charAt(0) != '-' && !RESERVED_NAMES.contains(name)) {
        return name;
      }
    }
  }

  private Rule rule(
      IpFamily family, TableName table, String chain, Optional<Hook> hook, List<String> jumpTargets) {
    Rule.Builder r = Rule.builder();
    if (chance(0.35)) {
      r.source(prefix(family)).sourceNegated(chance(0.3));
    }
    if (chance(0.35)) {
      r.destination(prefix(family)).destinationNegated(chance(0.3));
    }
    // iptables checks -i/-o by the chain's name, also for a user chain called like a hook.
    Optional<Hook> named = HOOK_NAMES.contains(chain) ? Optional.of(Hook.valueOf(chain)) : Optional.empty();
    boolean inAllowed = named.map(Hook::hasInputInterface).orElse(true);
    boolean outAllowed = named.map(Hook::hasOutputInterface).orElse(true);
    if (inAllowed && chance(0.3)) {
      r.in(pickInterface()).inNegated(chance(0.3));
    }
    if (outAllowed && chance(0.3)) {
      r.out(pickInterface()).outNegated(chance(0.3));
    }
    // The protocol decides which port matches and NAT ports are possible.
    Optional<Protocol> protocol = Optional.empty();
    boolean protocolNegated = false;
    int p = random.nextInt(10);
    if (p < 4) {
      protocol = Optional.of(chance(0.5) ? Protocol.TCP : Protocol.UDP);
      protocolNegated = chance(0.15);
    } else if (p < 6) {
      protocol = Optional.of(otherProtocol(family));
      protocolNegated = chance(0.3);
    }
    protocol.ifPresent(r::protocol);
    r.protocolNegated(protocolNegated);
    boolean portProtocol = protocol.isPresent() && !protocolNegated && protocol.get().hasPorts();
    boolean tcpUdp = portProtocol
        && (protocol.get().equals(Protocol.TCP) || protocol.get().equals(Protocol.UDP));

    int matchCount = random.nextInt(4);
    boolean portMatchUsed = false;
    List<Match> matches = new ArrayList<>();
    for (int i = 0; i < matchCount; i++) {
      int kind = random.nextInt(10);
      if (kind == 0 && tcpUdp && !portMatchUsed) {
        matches.add(portMatch(protocol.get()));
        portMatchUsed = true;
      } else if (kind == 1 && portProtocol) {
        matches.add(multiport());
      } else {
        Match m = simpleMatch(family);
        if (!markOptionClash(matches, m)) {
          matches.add(m);
        }
      }
    }
    if (tcpUdp && !portMatchUsed && chance(0.4)) {
      matches.add(portMatch(protocol.get()));
    }
    r.matches(matches);
    if (chance(0.92)) {
      r.target(target(family, table, hook, jumpTargets, portProtocol && natPorts(protocol.get())));
    }
    return r.build();
  }

  /**
   * Whether {@code next} would be a second -m mark after -m mark, -m connmark (or the other way
   * round): iptables then gives its --mark to the other module and refuses the rule.
   */
  private static boolean markOptionClash(List<Match> before, Match next) {
    if (!(next instanceof MarkMatch) && !(next instanceof ConnmarkMatch)) {
      return false;
    }
    List<Class<?>> kinds = before.stream()
        .filter(m -> m instanceof MarkMatch || m instanceof ConnmarkMatch)
        .<Class<?>>map(Object::getClass)
        .distinct()
        .toList();
    return kinds.size() == 2 && kinds.get(0) == next.getClass();
  }

  private static boolean natPorts(Protocol p) {
    int n = p.number();
    return n == 6 || n == 17 || n == 33 || n == 132;
  }

  private Protocol otherProtocol(IpFamily family) {
    int k = random.nextInt(4);
    if (k == 0) {
      return family == IpFamily.V4 ? Protocol.ICMP : Protocol.ICMPV6;
    }
    if (k == 1) {
      return Protocol.of(1 + random.nextInt(255));
    }
    return pick(OTHER_PROTOCOLS);
  }

  private Match simpleMatch(IpFamily family) {
    switch (random.nextInt(8)) {
      case 0:
        return new StateMatch(states(EnumSet.range(ConnState.INVALID, ConnState.UNTRACKED)), chance(0.3));
      case 1:
        return new ConntrackMatch(states(EnumSet.allOf(ConnState.class)), chance(0.3));
      case 2:
        return new ConnmarkMatch(mark(), chance(0.3));
      case 3:
        return new MarkMatch(mark(), chance(0.3));
      case 4:
        return new StatisticMatch(statistic(), chance(0.25));
      case 5:
      case 6:
        return new CommentMatch(nextComment());
      default:
        return opaqueMatch(family);
    }
  }

  private ImmutableSet<ConnState> states(EnumSet<ConnState> from) {
    List<ConnState> all = new ArrayList<>(from);
    EnumSet<ConnState> chosen = EnumSet.noneOf(ConnState.class);
    chosen.add(pick(all));
    for (ConnState s : all) {
      if (chance(0.25)) {
        chosen.add(s);
      }
    }
    return ImmutableSet.copyOf(chosen);
  }

  private Statistic statistic() {
    if (chance(0.5)) {
      long every = switch (random.nextInt(4)) {
        case 0 -> 1 + random.nextInt(4);
        case 1 -> 1 + random.nextInt(1000);
        case 2 -> 0xFFFF_FFFFL;
        default -> 1 + random.nextLong(0xFFFF_FFFFL);
      };
      long packet = chance(0.3) ? every - 1 : random.nextLong(every);
      return new Statistic.Nth(every, packet);
    }
    return switch (random.nextInt(4)) {
      case 0 -> new Statistic.Random(random.nextLong(Statistic.Random.ONE + 1));
      case 1 -> Statistic.Random.ofProbability(random.nextDouble());
      case 2 -> Statistic.Random.ofProbability(pick(List.of(0.0, 1.0, 0.5, 0.1, 1.0 / 3, 0.999999999)));
      default -> Statistic.Random.ofProbability(random.nextInt(101) / 100.0);
    };
  }

  private Mark mark() {
    long value = u32();
    long mask = switch (random.nextInt(4)) {
      case 0, 1 -> Mark.FULL_MASK;
      case 2 -> value | u32();
      default -> u32();
    };
    return Mark.of(value, mask);
  }

  private long u32() {
    return switch (random.nextInt(5)) {
      case 0 -> random.nextInt(16);
      case 1 -> 1L << random.nextInt(32);
      case 2 -> 0xFFFF_FFFFL;
      case 3 -> random.nextInt(0x10000) << 8;
      default -> random.nextLong(0x1_0000_0000L);
    };
  }

  private PortMatch portMatch(Protocol protocol) {
    Optional<PortCriterion> source = chance(0.5) ? Optional.of(portCriterion()) : Optional.empty();
    Optional<PortCriterion> destination = chance(0.7) ? Optional.of(portCriterion()) : Optional.empty();
    return new PortMatch(protocol, source, destination);
  }

  private PortCriterion portCriterion() {
    while (true) {
      PortCriterion c = new PortCriterion(portRange(), chance(0.3));
      if (!c.isNone()) {
        return c;
      }
    }
  }

  private PortRange portRange() {
    int k = random.nextInt(6);
    if (k == 0) {
      return PortRange.of(0, random.nextInt(65536));
    }
    if (k == 1) {
      return PortRange.of(random.nextInt(65536), 65535);
    }
    int a = k == 2 ? pick(List.of(22, 25, 53, 80, 443, 1024, 8080)) : random.nextInt(65536);
    if (chance(0.5)) {
      return PortRange.of(a);
    }
    int b = random.nextInt(65536);
    return PortRange.of(Math.min(a, b), Math.max(a, b));
  }

  private MultiportMatch multiport() {
    MultiportMatch.Direction direction = pick(List.of(MultiportMatch.Direction.values()));
    int budget = 1 + random.nextInt(MultiportMatch.MAX_PORTS);
    List<PortRange> ports = new ArrayList<>();
    int used = 0;
    while (used < budget) {
      PortRange r = portRange();
      int slots = r.isSingle() ? 1 : 2;
      if (used + slots > MultiportMatch.MAX_PORTS) {
        r = PortRange.of(r.first());
        slots = 1;
      }
      ports.add(r);
      used += slots;
    }
    return MultiportMatch.of(direction, ports, chance(0.3));
  }

  /**
   * A comment text of up to 255 UTF-8 bytes, full of characters that need quoting (quotes,
   * backslashes, {@code #}, blanks, a tab, non-ASCII) and of text that looks like restore syntax;
   * never a line break or another control character than tab.
   */
  public String nextComment() {
    StringBuilder b = new StringBuilder();
    int pieces = random.nextInt(8);
    for (int i = 0; i < pieces; i++) {
      if (chance(0.5)) {
        b.append(pick(COMMENT_PIECES));
      } else {
        int n = 1 + random.nextInt(12);
        for (int j = 0; j < n; j++) {
          b.append((char) (0x20 + random.nextInt(0x5f)));   // printable ASCII
        }
      }
    }
    if (chance(0.05)) {
      // Long: fill towards the 255-byte limit with two-byte characters.
      while (b.toString().getBytes(StandardCharsets.UTF_8).length < 260) {
        b.append(chance(0.5) ? 'ä' : 'x');
      }
    }
    String text = b.toString();
    while (text.getBytes(StandardCharsets.UTF_8).length > CommentMatch.MAX_BYTES) {
      int cut = text.offsetByCodePoints(text.length(), -1);
      text = text.substring(0, cut);
    }
    return text;
  }

  /**
   * A {@code -m limit}, {@code -m addrtype}, {@code -m pkttype} or {@code -m length} match: modules
   * the simulator does not model (pkttype and length were opaque matches once; they draw the same
   * random numbers as then, so seeds keep their shapes).
   */
  private Match opaqueMatch(IpFamily family) {
    return switch (random.nextInt(4)) {
      case 0 -> chance(0.5)
          ? LimitMatch.perSecond(1 + random.nextInt(100))
          : new LimitMatch(1 + random.nextInt(59), pick(List.of(RateUnit.MINUTE, RateUnit.HOUR)),
              LimitMatch.DEFAULT_BURST);
      case 1 -> {
        AddrtypeMatch m = AddrtypeMatch.destination(family == IpFamily.V4
            ? pick(List.of(AddrtypeMatch.Type.LOCAL, AddrtypeMatch.Type.UNICAST, AddrtypeMatch.Type.BROADCAST,
                AddrtypeMatch.Type.MULTICAST))
            : pick(List.of(AddrtypeMatch.Type.LOCAL, AddrtypeMatch.Type.UNICAST, AddrtypeMatch.Type.MULTICAST)));
        yield chance(0.3) ? m.negated() : m;
      }
      case 2 -> {
        PkttypeMatch m = PkttypeMatch.of(pick(List.of(PkttypeMatch.Type.UNICAST, PkttypeMatch.Type.BROADCAST,
            PkttypeMatch.Type.MULTICAST)));
        yield chance(0.3) ? m.negate() : m;
      }
      default -> {
        int a = random.nextInt(1500);
        int b = a + random.nextInt(1500);
        yield a == b ? LengthMatch.of(a) : LengthMatch.between(a, b);
      }
    };
  }

  private Target target(
      IpFamily family, TableName table, Optional<Hook> hook, List<String> jumpTargets, boolean natPorts) {
    while (true) {
      switch (random.nextInt(12)) {
        case 0:
        case 1: {
          Verdict v = pick(List.of(Verdict.values()));
          if (v == Verdict.DROP && table == TableName.NAT) {
            continue;   // iptables: "The nat table is not intended for filtering"
          }
          return v;
        }
        case 2:
        case 3:
          if (jumpTargets.isEmpty()) {
            continue;
          }
          return chance(0.7) ? new Jump(pick(jumpTargets)) : new Goto(pick(jumpTargets));
        case 4:
          return switch (random.nextInt(6)) {
            case 0 -> SetMark.set(u32());
            case 1 -> SetMark.set(u32(), u32());
            case 2 -> SetMark.and(u32());
            case 3 -> SetMark.or(u32());
            case 4 -> SetMark.xor(u32());
            default -> new SetMark(u32(), u32());
          };
        case 5:
          return switch (random.nextInt(6)) {
            case 0 -> SetConnmark.set(u32());
            case 1 -> SetConnmark.set(u32(), u32());
            case 2 -> SetConnmark.and(u32());
            case 3 -> SetConnmark.or(u32());
            case 4 -> SetConnmark.xor(u32());
            default -> new SetConnmark(u32(), u32());
          };
        case 6:
          return chance(0.3) ? SaveConnmark.all()
              : chance(0.5) ? SaveConnmark.mask(u32()) : new SaveConnmark(u32(), u32());
        case 7:
          return chance(0.3) ? RestoreConnmark.all()
              : chance(0.5) ? RestoreConnmark.mask(u32()) : new RestoreConnmark(u32(), u32());
        case 8:
          if (table != TableName.NAT || hook.orElse(null) != Hook.POSTROUTING) {
            continue;
          }
          return new Masquerade(
              natPorts && chance(0.5) ? Optional.of(natRange()) : Optional.empty(), chance(0.3), chance(0.3));
        case 9:
          if (table != TableName.NAT
              || !(hook.orElse(null) == Hook.POSTROUTING || hook.orElse(null) == Hook.INPUT)) {
            continue;
          }
          return snat(family, natPorts);
        case 10:
          if (table == TableName.RAW && chance(0.3)) {
            return OpaqueTarget.of("TRACE");   // a target mlb keeps verbatim
          }
          return chance(0.3) ? Log.plain()
              : Log.withPrefix(pick(List.of("mlb", "mlb-drop", "uplink_a", "mlb: ", "up link", "[UFW BLOCK] ",
                  "a\"b'c\\d")))
                  .level(chance(0.5) ? Log.DEFAULT_LEVEL : random.nextInt(8))
                  .withFlags(chance(0.7) ? 0 : random.nextInt(Log.ALL_FLAGS + 1) & Log.ALL_FLAGS);
        default:
          if (table == TableName.FILTER && hook.isPresent()) {
            List<Reject.With> answers = Arrays.stream(Reject.With.values())
                .filter(w -> w.family() == family).collect(Collectors.toList());
            return chance(0.5) ? Reject.of(family) : new Reject(pick(answers));
          }
          Nflog nflog = Nflog.group(chance(0.2) ? 0 : 1 + random.nextInt(100));
          if (chance(0.3)) {
            nflog = nflog.withPrefix(pick(List.of("mlb", "mlb: dropped", "x\"y")));
          }
          if (chance(0.3)) {
            nflog = nflog.withSize(random.nextInt(65536));
          }
          return chance(0.3) ? nflog.withThreshold(random.nextInt(65536)) : nflog;
      }
    }
  }

  private PortRange natRange() {
    int a = random.nextInt(65536);   // 0 too: iptables 1.8.9 takes and prints it
    if (chance(0.4)) {
      return PortRange.of(a);
    }
    int b = random.nextInt(65536);
    return PortRange.of(Math.min(a, b), Math.max(a, b));
  }

  private Snat snat(IpFamily family, boolean natPorts) {
    IpAddress first = address(family);
    IpAddress last = first;
    if (chance(0.4)) {
      IpAddress other = address(family);
      if (other.compareTo(first) < 0) {
        last = first;
        first = other;
      } else {
        last = other;
      }
    }
    Optional<PortRange> ports = natPorts && chance(0.5) ? Optional.of(natRange()) : Optional.empty();
    return new Snat(first, last, ports, chance(0.3), chance(0.3), chance(0.3));
  }

  /** A host in one of the family's documentation ranges. */
  private IpAddress address(IpFamily family) {
    if (family == IpFamily.V4) {
      IpPrefix net = IpPrefix.parse(pick(V4_NETWORKS));
      return IpAddress.v4((int) (net.address().low() | random.nextInt(256)));
    }
    long high = 0x2001_0db8_0000_0000L | (chance(0.5) ? 0 : random.nextLong() & 0xFFFF_FFFFL);
    long low = chance(0.5) ? random.nextInt(256) : random.nextLong();
    return IpAddress.v6(high, low);
  }

  private IpPrefix prefix(IpFamily family) {
    if (family == IpFamily.V4) {
      IpAddress a = chance(0.8) ? address(family) : IpAddress.v4(random.nextInt());
      return IpPrefix.of(a, prefixLength(32));
    }
    IpAddress a = chance(0.15) ? IpAddress.parse(pick(V6_SPECIAL)) : address(family);
    return IpPrefix.of(a, prefixLength(128));
  }

  /** Host prefixes often, otherwise any length 1 and up (a /0 is "any" and only valid un-negated). */
  private int prefixLength(int bits) {
    int k = random.nextInt(4);
    return k == 0 ? bits : k == 1 ? pick(List.of(8, 16, 24, bits / 2, bits - 1)) : 1 + random.nextInt(bits);
  }

  private InterfaceName pickInterface() {
    if (chance(0.7)) {
      return InterfaceName.of(pick(INTERFACES));
    }
    // Mostly the usual characters, now and then any printable ASCII the kernel allows in a name.
    String chars = chance(0.8) ? "abcdefghijklmnopqrstuvwxyz0123456789._-@" : "abcXYZ019._-@!#$%&()*,;<=>?[]^`{|}~";
    while (true) {
      int n = 1 + random.nextInt(InterfaceName.MAX_LENGTH);
      StringBuilder b = new StringBuilder(n);
      for (int i = 0; i < n; i++) {
        b.append(chars.charAt(random.nextInt(chars.length())));
      }
      if (chance(0.3)) {
        b.setCharAt(n - 1, '+');
      }
      String name = b.toString();
      if (!name.equals(".") && !name.equals("..")) {
        return InterfaceName.of(name);
      }
    }
  }

  private boolean chance(double p) {
    return random.nextDouble() < p;
  }

  private <T> T pick(List<T> items) {
    return items.get(random.nextInt(items.size()));
  }
}
