package dev.mlb.testkit.live;

import dev.mlb.api.IpFamily;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.Rule;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.netfilter.TableName;
import java.util.ArrayList;
import java.util.List;

/** The words of an iptables-restore line and the rule specification in it, for {@link FakeRestore}. */
final class FakeRuleSpec {
  private FakeRuleSpec() {}

  /**
   * Reads one rule specification with mlb's {@link RestoreParser}: a probe ruleset that declares the
   * rule's chain (a user chain) and {@code target} (a chain it jumps to), and holds the one rule.
   *
   * @throws dev.mlb.api.ParseException as the parser does
   */
  static Rule probe(TableName table, String chain, String target, String spec, IpFamily family) {
    StringBuilder p = new StringBuilder("*").append(table.id()).append('\n');
    if (!table.isBuiltin(chain)) {
      p.append(':').append(chain).append(" - [0:0]\n");
    }
    if (target != null && !target.equals(chain)) {
      p.append(':').append(target).append(" - [0:0]\n");
    }
    p.append("-A ").append(chain).append(' ').append(spec).append("\nCOMMIT\n");
    Ruleset r = RestoreParser.parse("iptables-restore", p.toString(), family);
    return r.table(table).flatMap(t -> t.chain(chain)).map(c -> c.rules().get(0)).orElseThrow();
  }

  /** The -j/-g flag of a rule specification and the name after it, or null. */
  static String[] jumpOf(String spec) {
    List<String> words = new ArrayList<>();
    tokenize(spec, words, new ArrayList<>());
    for (int i = 0; i + 1 < words.size(); i++) {
      String w = words.get(i);
      if (w.equals("-j") || w.equals("--jump") || w.equals("-g") || w.equals("--goto")) {
        return new String[] {w, words.get(i + 1)};
      }
    }
    return null;
  }

  /** Splits at blanks and tabs; a double-quoted part stays in its word (quotes removed). */
  static void tokenize(String s, List<String> words, List<Integer> ends) {
    int i = 0;
    while (i < s.length()) {
      while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
        i++;
      }
      if (i >= s.length()) {
        break;
      }
      StringBuilder w = new StringBuilder();
      boolean quoted = false;
      while (i < s.length() && (quoted || (s.charAt(i) != ' ' && s.charAt(i) != '\t'))) {
        char c = s.charAt(i++);
        if (c == '"') {
          quoted = !quoted;
        } else if (c == '\\' && quoted && i < s.length()) {
          w.append(s.charAt(i++));
        } else {
          w.append(c);
        }
      }
      words.add(w.toString());
      ends.add(i);
    }
  }
}
