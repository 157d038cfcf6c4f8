package dev.mlb.netfilter;

import dev.mlb.api.Finding;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole-ruleset check of the kernel state that matches share by name: {@code -m hashlimit}'s
 * hash tables ({@code --hashlimit-name}, one per name and family) and {@code -m recent}'s lists
 * ({@code --name}, one per name). The kernel makes the table or list when the first rule naming it
 * is loaded and hands it to every later rule with that name without comparing their settings (it
 * refuses none of them): a later rule with other settings silently counts with the first one's.
 *
 * <pre>{@code
 * -A INPUT   -m hashlimit --hashlimit-upto 1/sec --hashlimit-burst 5 --hashlimit-name web
 * -A FORWARD -m hashlimit --hashlimit-upto 5/min --hashlimit-burst 5 --hashlimit-name web
 * // warning [hashlimit-name-shared] table filter, chain FORWARD, rule 1: -m hashlimit --hashlimit-name web
 * //   is also made by table filter, chain INPUT, rule 1 with other settings; ...
 * }</pre>
 */
final class SharedTables {
  private SharedTables() {}

  /** A rule naming a table, where it is and its match. */
  private record First(String location, Match match) {}

  /** Adds a warning for each rule whose shared table or list the kernel makes from another rule's settings. */
  static void check(Ruleset ruleset, List<Finding> warnings) {
    Map<String, First> hashlimit = null;
    Map<String, First> recent = null;
    for (Table table : ruleset.tables()) {
      for (Chain chain : table.chains()) {
        List<Rule> rules = chain.rules();
        for (int i = 0; i < rules.size(); i++) {
          if ((rules.get(i).screen() & RulesetValidator.SHARED_TABLE) == 0) {
            continue;
          }
          for (Match m : rules.get(i).matches()) {
            if (m instanceof HashlimitMatch h) {
              hashlimit = hashlimit == null ? new HashMap<>() : hashlimit;
              String where = RulesetValidator.location(table.name(), chain.name(), i + 1);
              First first = hashlimit.putIfAbsent(h.name(), new First(where, h));
              if (first != null && !h.sameTable((HashlimitMatch) first.match())) {
                warnings.add(Finding.warning("hashlimit-name-shared", where, "-m hashlimit --hashlimit-name "
                    + TextChecks.escape(h.name()) + " is also made by " + first.location() + " with other settings"
                    + " (rate, burst, mode, masks or table); the kernel keeps one table per name and counts this"
                    + " rule with the settings of the rule loaded first"));
              }
            } else if (m instanceof RecentMatch r) {
              recent = recent == null ? new HashMap<>() : recent;
              String where = RulesetValidator.location(table.name(), chain.name(), i + 1);
              First first = recent.putIfAbsent(r.name(), new First(where, r));
              if (first != null && !r.mask().equals(((RecentMatch) first.match()).mask())) {
                warnings.add(Finding.warning("recent-name-shared", where, "-m recent --name "
                    + TextChecks.escape(r.name()) + " has another --mask than " + first.location() + "; the"
                    + " kernel keeps one list per name and masks addresses with the mask of the rule loaded first"));
              }
            }
          }
        }
      }
    }
  }
}
