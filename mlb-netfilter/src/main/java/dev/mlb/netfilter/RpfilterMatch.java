package dev.mlb.netfilter;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * {@code -m rpfilter [--loose] [--validmark] [--accept-local] [--invert]}: reverse-path filtering in
 * netfilter, as firewalld and anti-spoofing rules use it: matches when a reply to the packet would
 * be routed back out of the interface it came in on (any interface with {@code --loose}).
 *
 * <pre>{@code
 * RpfilterMatch.strict()                      // -m rpfilter
 * RpfilterMatch.strict().inverted()           // -m rpfilter --invert (firewalld: -j DROP after it)
 * RpfilterMatch.looseCheck().withValidMark()       // -m rpfilter --loose --validmark
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code rpfilter_save} of iptables'
 * {@code extensions/libxt_rpfilter.c}): the flags in the order loose, validmark, accept-local,
 * invert, whatever order they were written in. No option takes an argument or {@code !}, and each
 * may be given once. The kernel takes the match only in the raw and mangle tables and only where
 * packets come from PREROUTING. The simulator does not model {@code -m rpfilter}.
 *
 * @param loose any interface with a route back will do, not only the incoming one
 * @param validMark the route back is looked up with the packet's mark
 * @param acceptLocal packets from a local address pass
 * @param invert match packets that fail the test instead
 */
public record RpfilterMatch(boolean loose, boolean validMark, boolean acceptLocal, boolean invert) implements Match {

  /** {@code -m rpfilter}: the route back must use the incoming interface. */
  public static RpfilterMatch strict() {
    return new RpfilterMatch(false, false, false, false);
  }

  /** {@code -m rpfilter --loose}. */
  public static RpfilterMatch looseCheck() {
    return new RpfilterMatch(true, false, false, false);
  }

  /** This match with {@code --validmark}. */
  public RpfilterMatch withValidMark() {
    return new RpfilterMatch(loose, true, acceptLocal, invert);
  }

  /** This match with {@code --accept-local}. */
  public RpfilterMatch withAcceptLocal() {
    return new RpfilterMatch(loose, validMark, true, invert);
  }

  /** This match with {@code --invert}: it matches the packets that fail the test. */
  public RpfilterMatch inverted() {
    return new RpfilterMatch(loose, validMark, acceptLocal, true);
  }

  @Override
  public String module() {
    return "rpfilter";
  }

  /** {@code -m rpfilter}: iptables' {@code extensions/libxt_rpfilter.c}, as iptables-nft 1.8.9 reads it. */
  static final class RpfilterModule extends FlagMatchModule<RpfilterMatch> {
    static final RpfilterModule INSTANCE = new RpfilterModule();

    private static final Set<TableName> TABLES = EnumSet.of(TableName.RAW, TableName.MANGLE);

    private RpfilterModule() {
      super("rpfilter", RpfilterMatch.class, List.of("--loose", "--validmark", "--accept-local", "--invert"));
    }

    @Override
    RpfilterMatch build(Set<String> given) {
      return new RpfilterMatch(given.contains("--loose"), given.contains("--validmark"), given.contains("--accept-local"),
          given.contains("--invert"));
    }

    @Override
    boolean has(RpfilterMatch m, String flag) {
      return switch (flag) {
        case "--loose" -> m.loose();
        case "--validmark" -> m.validMark();
        case "--accept-local" -> m.acceptLocal();
        default -> m.invert();
      };
    }

    @Override
    void check(RpfilterMatch m, RuleContext rule, Findings findings) {
      if (rule.family == null) {
        // The rule's screen knows neither the table nor the chain: have validation check it there.
        findings.warning("rpfilter-context", "checked in its chain");
        return;
      }
      if (!TABLES.contains(rule.table)) {
        findings.error("match-table", "-m rpfilter is only valid in the raw and mangle tables, not in "
            + rule.table.id() + "; the kernel refuses it");
        return;
      }
      Set<Hook> bad = EnumSet.noneOf(Hook.class);
      for (Hook h : rule.hooks) {
        if (h != Hook.PREROUTING) {
          bad.add(h);
        }
      }
      if (!bad.isEmpty()) {
        findings.error("match-hook", "-m rpfilter is only valid where packets come from PREROUTING, but chain "
            + rule.chain + " is reached from " + bad + "; the kernel refuses it");
      }
    }
  }
}
