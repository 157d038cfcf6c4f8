package dev.mlb.netfilter;

import dev.mlb.api.IpFamily;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * Runs new connections through a compiled {@code P-balance} chain the way the kernel does: matches
 * left to right, stopping at the first that fails; every {@code -m statistic --mode nth} rule has
 * its own counter, which advances only when that match is evaluated, and evaluation {@code k}
 * matches when {@code k mod every == packet}; {@code --mode random} matches when
 * {@code (random & 0x7fffffff) < threshold}; CONNMARK goes on with the next rule, RETURN ends.
 *
 * <pre>{@code
 * BalanceChainRun run = BalanceChainRun.of(RestoreWriter.render(ruleset), IpFamily.V4, "mlb-balance", rnd::nextInt);
 * long ctmark = run.traverse(0);   // the new connection's mark
 * run.marksSet();                  // how many CONNMARK rules fired for it
 * }</pre>
 *
 * <p>The chain is read back from the rendered text, so what runs is what iptables-restore loads.
 */
final class BalanceChainRun {
  private final List<Rule> rules;
  private final long[] counters;
  private final IntSupplier random;
  private int marksSet;

  private BalanceChainRun(Chain chain, IntSupplier random) {
    this.rules = chain.rules();
    this.counters = new long[rules.size()];
    this.random = random;
  }

  static BalanceChainRun of(String restoreText, IpFamily family, String chain, IntSupplier random) {
    Ruleset parsed = RestoreParser.parse("compiled", restoreText, family);
    return new BalanceChainRun(parsed.table(TableName.MANGLE).orElseThrow().chain(chain).orElseThrow(), random);
  }

  /** The connection mark after one traversal by a packet of a connection marked {@code ctmark}. */
  long traverse(long ctmark) {
    marksSet = 0;
    long mark = ctmark;
    for (int r = 0; r < rules.size(); r++) {
      Rule rule = rules.get(r);
      if (!matches(r, rule, mark)) {
        continue;
      }
      Target t = rule.target().orElseThrow();
      if (t == Verdict.RETURN) {
        return mark;
      }
      if (!(t instanceof SetConnmark set)) {
        throw new AssertionError("unexpected target in a balance chain: " + RestoreWriter.renderRule(rule));
      }
      mark = ((mark & ~set.mask()) ^ set.value()) & 0xFFFF_FFFFL;
      marksSet++;
    }
    return mark;
  }

  /** How many CONNMARK rules fired in the last traversal. */
  int marksSet() {
    return marksSet;
  }

  private boolean matches(int index, Rule rule, long ctmark) {
    for (Match m : rule.matches()) {
      boolean hit;
      if (m instanceof ConnmarkMatch c) {
        hit = ((ctmark & c.mark().mask()) == c.mark().value()) != c.negated();
      } else if (m instanceof StatisticMatch s && s.mode() instanceof Statistic.Nth nth) {
        long k = counters[index]++;
        hit = (Long.remainderUnsigned(k, nth.every()) == nth.packet()) != s.negated();
      } else if (m instanceof StatisticMatch s && s.mode() instanceof Statistic.Random rnd) {
        hit = ((random.getAsInt() & 0x7fff_ffffL) < rnd.threshold()) != s.negated();
      } else {
        throw new AssertionError("unexpected match in a balance chain: " + RestoreWriter.renderRule(rule));
      }
      if (!hit) {
        return false;
      }
    }
    return true;
  }
}
