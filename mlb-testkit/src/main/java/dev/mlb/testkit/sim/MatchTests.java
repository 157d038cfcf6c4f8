package dev.mlb.testkit.sim;

import dev.mlb.api.Protocol;
import dev.mlb.netfilter.CommentMatch;
import dev.mlb.netfilter.ConnState;
import dev.mlb.netfilter.ConnmarkMatch;
import dev.mlb.netfilter.ConntrackMatch;
import dev.mlb.netfilter.MarkMatch;
import dev.mlb.netfilter.Match;
import dev.mlb.netfilter.MultiportMatch;
import dev.mlb.netfilter.PortMatch;
import dev.mlb.netfilter.StateMatch;
import dev.mlb.netfilter.Statistic;
import dev.mlb.netfilter.StatisticMatch;
import java.util.SplittableRandom;

/**
 * What each match type the simulator models says of a packet: one {@code instanceof} test per
 * type, in one place. Every other type (unmodelled modules kept verbatim, and modules mlb reads
 * but the simulator does not model, such as {@code -m limit}) throws a {@link SimulationException}.
 *
 * <pre>{@code
 * MatchTests tests = new MatchTests(random, p);
 * tests.chain = chain; tests.rule = 3; tests.match = 0;
 * tests.test(StateMatch.of(ConnState.NEW));   // whether p is in state NEW
 * }</pre>
 *
 * <p>{@code chain}, {@code rule} and {@code match} say where the match is: its nth counter, and
 * the rule messages name.
 */
final class MatchTests {
  private final SplittableRandom random;
  Pkt p;
  CompiledChain chain;
  int rule;
  int match;

  MatchTests(SplittableRandom random, Pkt p) {
    this.random = random;
    this.p = p;
  }

  /** Whether the packet passes {@code m}; nth matches advance their counter, random ones draw. */
  boolean test(Match m) {
    if (m instanceof StateMatch s) {
      return s.test(p.state());
    } else if (m instanceof ConnmarkMatch c) {
      if (p.conn == null) {
        return false;
      }
      return c.mark().matches(p.conn.ctmark) != c.negated();
    } else if (m instanceof MarkMatch mm) {
      return mm.mark().matches(p.mark) != mm.negated();
    } else if (m instanceof StatisticMatch st) {
      return statistic(st);
    } else if (m instanceof ConntrackMatch c && c.isStateOnly()) {
      ConnState s = p.state();
      boolean hit = c.states().contains(s)
          || (p.conn != null && p.conn.isSourceNatted() && c.states().contains(ConnState.SNAT));
      return hit != c.negated();
    } else if (m instanceof PortMatch pm && pm.isPortsOnly()) {
      return pm.protocol().equals(p.protocol) && pm.test(p.sport, p.dport);
    } else if (m instanceof MultiportMatch mp) {
      return (Protocol.TCP.equals(p.protocol) || Protocol.UDP.equals(p.protocol)) && mp.test(p.sport, p.dport);
    } else if (m instanceof CommentMatch) {
      return true;
    }
    throw new SimulationException("the simulator does not model -m " + m.module()
        + " (at " + chain.where(rule) + "); mlb-testkit cannot say what this rule matches");
  }

  private boolean statistic(StatisticMatch m) {
    boolean hit;
    if (m.mode() instanceof Statistic.Nth nth) {
      if (nth.every() == 0) {
        throw new SimulationException(chain.where(rule) + ": --every 0 is refused by iptables; validate the ruleset");
      }
      hit = nth.matches(FastRule.nextNth(chain.counters[rule], match, nth.every()));
    } else {
      Statistic.Random r = (Statistic.Random) m.mode();
      hit = r.matches(random.nextInt());
    }
    return hit != m.negated();
  }
}
