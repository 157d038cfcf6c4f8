package dev.mlb.testkit.sim;

import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Protocol;
import dev.mlb.netfilter.CommentMatch;
import dev.mlb.netfilter.ConnState;
import dev.mlb.netfilter.ConnmarkMatch;
import dev.mlb.netfilter.ConntrackMatch;
import dev.mlb.netfilter.Goto;
import dev.mlb.netfilter.Jump;
import dev.mlb.netfilter.MarkMatch;
import dev.mlb.netfilter.Match;
import dev.mlb.netfilter.MultiportMatch;
import dev.mlb.netfilter.PortMatch;
import dev.mlb.netfilter.RestoreConnmark;
import dev.mlb.netfilter.Rule;
import dev.mlb.netfilter.SaveConnmark;
import dev.mlb.netfilter.SetConnmark;
import dev.mlb.netfilter.SetMark;
import dev.mlb.netfilter.StateMatch;
import dev.mlb.netfilter.Statistic;
import dev.mlb.netfilter.StatisticMatch;
import dev.mlb.netfilter.Target;
import dev.mlb.netfilter.Verdict;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * One rule compiled for the untraced walk: the header tests as numbers (IPv4 network and mask,
 * protocol number; for {@code -i}/{@code -o}, the verdict for each device number, worked out
 * from the name and its wildcard on the device's first packet and kept), the matches as kind
 * codes with their operands (multiport as an array of ranges), the target as a kind code.
 * Comments are left out; what it does not compile it hands to {@link MatchTests} and
 * {@link TargetEffects}, with the match's index so that nth counters stay the same. The untraced
 * walk ({@link NetfilterEngine}) runs these.
 *
 * <pre>{@code
 * FastRule r = new FastRule(rule);   // -i eth0 -m state --state NEW -j balance
 * r.matches(engine, chain, 4, p);    // the header tests but -i, then the state test
 * }</pre>
 */
final class FastRule {
  /** The match kinds a {@link FastRule} evaluates itself; the rest go to {@link MatchTests}. */
  private static final int STATE = 0;
  private static final int CONNTRACK = 1;
  private static final int CONNMARK = 2;
  private static final int MARK = 3;
  private static final int NTH = 4;
  private static final int RANDOM = 5;
  private static final int PORT = 6;
  private static final int MULTIPORT = 7;
  private static final int OTHER_MATCH = 8;

  private static final long SNAT_BIT = 1L << ConnState.SNAT.ordinal();
  /** Room for every conntrack state's ordinal in {@link CompiledChain#next}'s keys. */
  static final int STATE_SLOTS = 8;

  static {
    if (ConnState.values().length > STATE_SLOTS) {
      throw new AssertionError("more conntrack states than STATE_SLOTS");
    }
  }
  private static final int TCP_NUMBER = Protocol.TCP.number();
  private static final int UDP_NUMBER = Protocol.UDP.number();
  private static final int SOURCE_PORTS = MultiportMatch.Direction.SOURCE.ordinal();
  private static final int DESTINATION_PORTS = MultiportMatch.Direction.DESTINATION.ordinal();

  /** The target kinds a {@link FastRule} applies itself; the rest go to {@link TargetEffects}. */
  private static final int NO_TARGET = 0;
  private static final int VERDICT_ACCEPT = 1;
  private static final int VERDICT_DROP = 2;
  private static final int VERDICT_RETURN = 3;
  private static final int JUMP_TARGET = 4;
  private static final int GOTO_TARGET = 5;
  private static final int SET_MARK = 6;
  private static final int SET_CONNMARK = 7;
  private static final int SAVE_CONNMARK = 8;
  private static final int RESTORE_CONNMARK = 9;
  private static final int OTHER_TARGET = 10;

  final Rule rule;
  final Target target;
  /** The rule's prefixes, or null (kept: the rule's accessors make a new Optional each call). */
  final IpPrefix source;
  final IpPrefix destination;
  /** -1: no test; 0: test with the prefix itself (not IPv4); 1: IPv4 network and mask. */
  final int sourceKind;
  final long sourceNetwork;
  final long sourceMask;
  final boolean sourceNegated;
  final int destinationKind;
  final long destinationNetwork;
  final long destinationMask;
  final boolean destinationNegated;
  final String in;
  final boolean inWildcard;
  final boolean inNegated;
  final String out;
  final boolean outWildcard;
  final boolean outNegated;
  /** The protocol number, or -1 for no test. */
  final int protocol;
  final boolean protocolNegated;
  /** An IPv6 -s or -d mask that is not a run of leading ones, or null. */
  final IpAddress sourceMaskV6;
  final IpAddress destinationMaskV6;
  /** {@code -f}: no simulated packet is a second or later fragment, so the rule never matches. */
  final boolean fragmentOnly;
  /** Whether {@code -i} (or {@code -o}) lets the device numbered k through: 1 yes, -1 no, 0 not yet known. */
  private byte[] inVerdicts = new byte[8];
  private byte[] outVerdicts = new byte[8];
  final int[] matchKinds;
  /** The index of each compiled match in the rule's matches (for counters and {@link MatchTests}). */
  final int[] matchIndexes;
  final long[] operandA;
  final long[] operandB;
  final long[] operandC;
  final boolean[] negated;
  /** For a multiport match: its port ranges, each as first << 16 | last; else null. */
  final int[][] ports;
  final int targetKind;
  final long targetA;
  final long targetB;
  /**
   * The conntrack states (bit i: the state of ordinal i) for which the rule's first match, a
   * state test that depends on the state alone, fails; 0 if the first match is no such test.
   */
  final int failingStates;
  /** Whether the rule tests source, destination, {@code -o} or protocol. */
  final boolean headerTests;
  /** Whether the rule has neither such tests nor matches: every packet the walk brings here matches. */
  final boolean bare;
  /**
   * For a target that changes nothing (none, a verdict, a jump, a goto): what the walk does
   * next ({@link TargetEffects#CONTINUE} ... {@link TargetEffects#GOTO}); else -1.
   */
  final int plainAction;

  FastRule(Rule rule) {
    this.rule = rule;
    IpPrefix src = rule.source().orElse(null);
    source = src;
    sourceKind = src == null ? -1 : src.family() == IpFamily.V4 ? 1 : 0;
    sourceNetwork = src == null ? 0 : src.address().low();
    sourceMask = src == null ? 0 : rule.sourceMask().map(IpAddress::low).orElse(v4Mask(src.length()));
    sourceMaskV6 = src == null || sourceKind != 0 ? null : rule.sourceMask().orElse(null);
    sourceNegated = rule.sourceNegated();
    IpPrefix dst = rule.destination().orElse(null);
    destination = dst;
    destinationKind = dst == null ? -1 : dst.family() == IpFamily.V4 ? 1 : 0;
    destinationNetwork = dst == null ? 0 : dst.address().low();
    destinationMask = dst == null ? 0 : rule.destinationMask().map(IpAddress::low).orElse(v4Mask(dst.length()));
    destinationMaskV6 = dst == null || destinationKind != 0 ? null : rule.destinationMask().orElse(null);
    destinationNegated = rule.destinationNegated();
    InterfaceName inIf = rule.in().orElse(null);
    in = inIf == null ? null : inIf.isWildcard() ? inIf.name().substring(0, inIf.name().length() - 1) : inIf.name();
    inWildcard = inIf != null && inIf.isWildcard();
    inNegated = rule.inNegated();
    InterfaceName outIf = rule.out().orElse(null);
    out = outIf == null ? null : outIf.isWildcard() ? outIf.name().substring(0, outIf.name().length() - 1) : outIf.name();
    outWildcard = outIf != null && outIf.isWildcard();
    outNegated = rule.outNegated();
    protocol = rule.protocol().map(Protocol::number).orElse(-1);
    protocolNegated = rule.protocolNegated();

    List<Match> ms = rule.matches();
    int n = 0;
    for (Match m : ms) {
      if (!(m instanceof CommentMatch)) {
        n++;
      }
    }
    matchKinds = new int[n];
    matchIndexes = new int[n];
    operandA = new long[n];
    operandB = new long[n];
    operandC = new long[n];
    negated = new boolean[n];
    ports = new int[n][];
    int k = 0;
    for (int index = 0; index < ms.size(); index++) {
      Match m = ms.get(index);
      if (m instanceof CommentMatch) {
        continue;
      }
      matchIndexes[k] = index;
      if (m instanceof StateMatch sm) {
        matchKinds[k] = STATE;
        operandA[k] = stateBits(sm.states());
        negated[k] = sm.negated();
      } else if (m instanceof ConntrackMatch cm && cm.isStateOnly()) {
        matchKinds[k] = CONNTRACK;
        operandA[k] = stateBits(cm.states());
        negated[k] = cm.negated();
      } else if (m instanceof ConnmarkMatch cm) {
        matchKinds[k] = CONNMARK;
        operandA[k] = cm.mark().value();
        operandB[k] = cm.mark().mask();
        negated[k] = cm.negated();
      } else if (m instanceof MarkMatch mm) {
        matchKinds[k] = MARK;
        operandA[k] = mm.mark().value();
        operandB[k] = mm.mark().mask();
        negated[k] = mm.negated();
      } else if (m instanceof StatisticMatch st && st.mode() instanceof Statistic.Nth nth && nth.every() != 0) {
        matchKinds[k] = NTH;
        operandA[k] = nth.every();
        operandB[k] = nth.packet();
        negated[k] = st.negated();
      } else if (m instanceof StatisticMatch st && st.mode() instanceof Statistic.Random r) {
        matchKinds[k] = RANDOM;
        operandA[k] = r.threshold();
        negated[k] = st.negated();
      } else if (m instanceof PortMatch pm && pm.isPortsOnly()) {
        matchKinds[k] = PORT;
        // The protocol, then each criterion as first, last and negation (none: 0..65535, not negated).
        operandA[k] = pm.protocol().number();
        operandB[k] = pm.source().map(c -> range(c.range().first(), c.range().last(), c.negated()))
            .orElse(range(0, 65535, false));
        operandC[k] = pm.destination().map(c -> range(c.range().first(), c.range().last(), c.negated()))
            .orElse(range(0, 65535, false));
      } else if (m instanceof MultiportMatch mp) {
        matchKinds[k] = MULTIPORT;
        operandA[k] = mp.direction().ordinal();
        negated[k] = mp.negated();
        ports[k] = new int[mp.ports().size()];
        for (int r = 0; r < ports[k].length; r++) {
          ports[k][r] = mp.ports().get(r).first() << 16 | mp.ports().get(r).last();
        }
      } else {
        matchKinds[k] = OTHER_MATCH;
      }
      k++;
    }

    target = rule.target().orElse(null);
    if (target == null) {
      targetKind = NO_TARGET;
      targetA = 0;
      targetB = 0;
    } else if (target == Verdict.ACCEPT) {
      targetKind = VERDICT_ACCEPT;
      targetA = 0;
      targetB = 0;
    } else if (target == Verdict.DROP) {
      targetKind = VERDICT_DROP;
      targetA = 0;
      targetB = 0;
    } else if (target == Verdict.RETURN) {
      targetKind = VERDICT_RETURN;
      targetA = 0;
      targetB = 0;
    } else if (target instanceof Jump) {
      targetKind = JUMP_TARGET;
      targetA = 0;
      targetB = 0;
    } else if (target instanceof Goto) {
      targetKind = GOTO_TARGET;
      targetA = 0;
      targetB = 0;
    } else if (target instanceof SetMark t) {
      targetKind = SET_MARK;
      targetA = t.value();
      targetB = t.mask();
    } else if (target instanceof SetConnmark t) {
      targetKind = SET_CONNMARK;
      targetA = t.value();
      targetB = t.mask();
    } else if (target instanceof SaveConnmark t) {
      targetKind = SAVE_CONNMARK;
      targetA = t.nfmask();
      targetB = t.ctmask();
    } else if (target instanceof RestoreConnmark t) {
      targetKind = RESTORE_CONNMARK;
      targetA = t.nfmask();
      targetB = t.ctmask();
    } else {
      targetKind = OTHER_TARGET;
      targetA = 0;
      targetB = 0;
    }
    fragmentOnly = rule.fragment() && !rule.fragmentNegated();
    headerTests = sourceKind >= 0 || destinationKind >= 0 || out != null || protocol >= 0 || fragmentOnly;
    bare = !headerTests && matchKinds.length == 0;
    int failing = 0;
    // -m conntrack with SNAT also depends on the connection's binding: not the state alone.
    if (matchKinds.length > 0 && (matchKinds[0] == STATE
        || (matchKinds[0] == CONNTRACK && (operandA[0] & SNAT_BIT) == 0))) {
      for (ConnState state : ConnState.values()) {
        boolean hit = ((operandA[0] >>> state.ordinal()) & 1) != 0;
        if (hit == negated[0]) {
          failing |= 1 << state.ordinal();
        }
      }
    }
    failingStates = failing;
    plainAction = switch (targetKind) {
      case NO_TARGET -> TargetEffects.CONTINUE;
      case VERDICT_ACCEPT -> TargetEffects.ACCEPT;
      case VERDICT_DROP -> TargetEffects.DROP;
      case VERDICT_RETURN -> TargetEffects.RETURN;
      case JUMP_TARGET -> TargetEffects.JUMP;
      case GOTO_TARGET -> TargetEffects.GOTO;
      default -> -1;
    };
  }

  private static long v4Mask(int length) {
    return length == 0 ? 0 : (0xFFFF_FFFFL << (32 - length)) & 0xFFFF_FFFFL;
  }

  private static long stateBits(Set<ConnState> states) {
    long bits = 0;
    for (ConnState s : states) {
      bits |= 1L << s.ordinal();
    }
    return bits;
  }

  /** A port criterion packed into a long: first (16 bits), last (16 bits), negated (bit 32). */
  private static long range(int first, int last, boolean negated) {
    return first | ((long) last << 16) | (negated ? 1L << 32 : 0);
  }

  private static boolean inRange(long range, int port) {
    boolean hit = port >= (range & 0xFFFF) && port <= ((range >>> 16) & 0xFFFF);
    return hit != ((range >>> 32) != 0);
  }

  /** Whether {@code address} with {@code mask} applied is {@code prefix}'s address (a mask with holes). */
  static boolean maskTest(IpPrefix prefix, IpAddress mask, IpAddress address) {
    IpAddress a = prefix.address();
    return address.family() == a.family() && (address.high() & mask.high()) == a.high()
        && (address.low() & mask.low()) == a.low();
  }

  private static boolean prefixTest(int kind, long network, long mask, IpPrefix prefix, IpAddress address) {
    if (kind == 0) {
      return Prefixes.contains(prefix, address);
    }
    return address.family() == IpFamily.V4 && ((network ^ address.low()) & mask) == 0;
  }

  private static boolean interfaceTest(String name, boolean wildcard, String device) {
    return device != null && (wildcard ? device.startsWith(name) : name.equals(device));
  }

  /** Whether {@code -i} lets the device numbered {@code dev} through (the negation included). */
  boolean inPasses(Devices devices, int dev) {
    byte[] verdicts = inVerdicts;
    if (dev < verdicts.length && verdicts[dev] != 0) {
      return verdicts[dev] > 0;
    }
    boolean passes = interfaceTest(in, inWildcard, devices.name(dev)) != inNegated;
    inVerdicts = remember(verdicts, dev, passes);
    return passes;
  }

  /** Whether {@code -o} lets the device numbered {@code dev} through (the negation included). */
  private boolean outPasses(Devices devices, int dev) {
    byte[] verdicts = outVerdicts;
    if (dev < verdicts.length && verdicts[dev] != 0) {
      return verdicts[dev] > 0;
    }
    boolean passes = interfaceTest(out, outWildcard, devices.name(dev)) != outNegated;
    outVerdicts = remember(verdicts, dev, passes);
    return passes;
  }

  private static byte[] remember(byte[] verdicts, int dev, boolean passes) {
    byte[] out = dev < verdicts.length ? verdicts : Arrays.copyOf(verdicts, Math.max(dev + 1, verdicts.length * 2));
    out[dev] = (byte) (passes ? 1 : -1);
    return out;
  }

  /** {@link MultiportMatch#test} over the packed ranges. */
  private static boolean multiport(int[] ranges, int direction, boolean negated, int sport, int dport) {
    boolean hit = false;
    for (int range : ranges) {
      int first = range >>> 16;
      int last = range & 0xFFFF;
      boolean source = sport >= first && sport <= last;
      boolean destination = dport >= first && dport <= last;
      if (direction == SOURCE_PORTS ? source : direction == DESTINATION_PORTS ? destination : source || destination) {
        hit = true;
        break;
      }
    }
    return hit != negated;
  }

  /**
   * Whether the packet passes the rule's header tests (but {@code -i}, which the walk tests with
   * {@link CompiledChain#next}) and matches. Kept small so that the walk inlines it.
   */
  boolean matches(NetfilterEngine engine, CompiledChain chain, int index, Pkt p) {
    if (headerTests && !headerPasses(engine.devices, p)) {
      return false;
    }
    int[] kinds = matchKinds;
    for (int k = 0; k < kinds.length; k++) {
      int kind = kinds[k];
      boolean hit;
      // The commonest kinds here, the rest in matchPasses (so that this method stays small enough to inline).
      if (kind == STATE) {
        hit = ((operandA[k] & p.stateBit) != 0) != negated[k];
      } else if (kind == CONNMARK) {
        hit = p.conn != null && ((p.conn.ctmark & operandB[k]) == operandA[k]) != negated[k];
      } else {
        hit = matchPasses(engine, chain, index, p, k, kind);
      }
      if (!hit) {
        return false;
      }
    }
    return true;
  }

  /** The source, destination, {@code -o} and protocol tests. */
  private boolean headerPasses(Devices devices, Pkt p) {
    if (sourceKind >= 0
        && (sourceMaskV6 != null ? maskTest(source, sourceMaskV6, p.src)
            : prefixTest(sourceKind, sourceNetwork, sourceMask, source, p.src)) == sourceNegated) {
      return false;
    }
    if (destinationKind >= 0 && (destinationMaskV6 != null ? maskTest(destination, destinationMaskV6, p.dst)
        : prefixTest(destinationKind, destinationNetwork, destinationMask, destination, p.dst)) == destinationNegated) {
      return false;
    }
    if (out != null && !outPasses(devices, p.outDev)) {
      return false;
    }
    return !fragmentOnly && (protocol < 0 || (p.proto == protocol) != protocolNegated);
  }

  /** Whether match number {@code k} (of kind {@code kind}) matches. */
  private boolean matchPasses(NetfilterEngine engine, CompiledChain chain, int index, Pkt p, int k, int kind) {
    switch (kind) {
      case STATE:
        return ((operandA[k] & p.stateBit) != 0) != negated[k];
      case CONNTRACK: {
        long bits = operandA[k];
        boolean in = (bits & p.stateBit) != 0
            || (p.conn != null && p.conn.isSourceNatted() && (bits & SNAT_BIT) != 0);
        return in != negated[k];
      }
      case CONNMARK:
        return p.conn != null && ((p.conn.ctmark & operandB[k]) == operandA[k]) != negated[k];
      case MARK:
        return ((p.mark & operandB[k]) == operandA[k]) != negated[k];
      case NTH: {
        long n = nextNth(chain.counters[index], matchIndexes[k], operandA[k]);
        return (n == operandB[k]) != negated[k];
      }
      case RANDOM:
        return ((engine.random.nextInt() & 0x7fff_ffffL) < operandA[k]) != negated[k];
      case PORT:
        return p.proto == operandA[k] && inRange(operandB[k], p.sport) && inRange(operandC[k], p.dport);
      case MULTIPORT:
        return (p.proto == TCP_NUMBER || p.proto == UDP_NUMBER)
            && multiport(ports[k], (int) operandA[k], negated[k], p.sport, p.dport);
      default: {
        MatchTests tests = engine.fastTests;
        tests.p = p;
        tests.chain = chain;
        tests.rule = index;
        tests.match = matchIndexes[k];
        return tests.test(rule.matches().get(matchIndexes[k]));
      }
    }
  }

  /**
   * Applies a target that changes the packet or its connection, or one {@link TargetEffects} applies
   * (for the others, {@link #plainAction} says what to do); what the walk does next.
   */
  int change(NetfilterEngine engine, CompiledChain chain, int index, Pkt p) {
    switch (targetKind) {
      case SET_MARK:
        p.mark = ((p.mark & ~targetB) ^ targetA) & 0xFFFF_FFFFL;
        p.markWhere = chain.where(index);
        return TargetEffects.CONTINUE;
      case SET_CONNMARK:
        if (p.conn != null) {
          p.conn.ctmark = ((p.conn.ctmark & ~targetB) ^ targetA) & 0xFFFF_FFFFL;
        }
        return TargetEffects.CONTINUE;
      case SAVE_CONNMARK:
        if (p.conn != null) {
          p.conn.ctmark = ((p.conn.ctmark & ~targetB) ^ (p.mark & targetA)) & 0xFFFF_FFFFL;
        }
        return TargetEffects.CONTINUE;
      case RESTORE_CONNMARK:
        if (p.conn != null) {
          p.mark = ((p.mark & ~targetA) ^ (p.conn.ctmark & targetB)) & 0xFFFF_FFFFL;
          p.markWhere = chain.where(index);
        }
        return TargetEffects.CONTINUE;
      default:
        return visit(engine, chain, index, p);
    }
  }

  /** A target the compiled rule does not apply itself: its effect's action, as a code. */
  private int visit(NetfilterEngine engine, CompiledChain chain, int index, Pkt p) {
    return engine.effects.apply(target, p, chain, index, null).ordinal();
  }

  /**
   * The number of this evaluation of an nth match, modulo {@code every} (which is what the match
   * tests: evaluation k matches when k mod every is its packet), and the counter advanced. The
   * counters hold that remainder rather than k, so no division is needed.
   */
  static long nextNth(long[] counters, int match, long every) {
    long n = counters[match];
    counters[match] = n + 1 == every ? 0 : n + 1;
    return n;
  }
}
