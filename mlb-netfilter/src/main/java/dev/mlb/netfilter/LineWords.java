package dev.mlb.netfilter;

import java.util.ArrayList;
import java.util.List;

/**
 * The words of a restore line, split as iptables-restore's {@code add_param_to_argv} splits them:
 * at blanks and tabs, with double quotes around a word that holds blanks and a backslash before a
 * character inside quotes.
 *
 * <pre>{@code
 * String line = "-A INPUT -m comment --comment \"a b\"";
 * LineWords.split(line, 0, line.length())
 *     // -A (column 1), INPUT (4), -m (10), comment (13), --comment (21), a b (31, quoted)
 * }</pre>
 */
final class LineWords {
  private LineWords() {}

  /** A quote that is not closed before the end of the line, at its column. */
  static final class UnterminatedQuote extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int column;

    UnterminatedQuote(int column) {
      super(null, null, false, false);
      this.column = column;
    }
  }

  /**
   * The words of the line {@code from} to {@code to} of {@code text}; columns count from {@code from}.
   *
   * @throws UnterminatedQuote if a quote is not closed before {@code to}
   */
  static List<Token> split(String text, int from, int to) {
    List<Token> out = new ArrayList<>(32);
    StringBuilder word = null;
    // An unquoted word is cut from the line directly; the builder is for words with quotes.
    boolean built = false;
    int start = -1;
    boolean quoted = false;
    boolean escaped = false;
    int quoteColumn = 0;
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (quoted) {
        if (escaped) {
          word.append(c);
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          quoted = false;
          out.add(new Token(word.toString(), start - from + 1, true));
          word.setLength(0);
          built = false;
          start = -1;
        } else {
          word.append(c);
        }
        continue;
      }
      if (c == '"') {
        quoted = true;
        quoteColumn = i - from + 1;
        if (word == null) {
          word = new StringBuilder();
        }
        if (start < 0) {
          start = i;
        } else if (!built) {
          word.append(text, start, i);
        }
        built = true;
      } else if (c == ' ' || c == '\t') {
        if (start >= 0) {
          out.add(new Token(built ? word.toString() : word(text, start, i), start - from + 1));
          if (built) {
            word.setLength(0);
          }
          built = false;
          start = -1;
        }
      } else {
        if (start < 0) {
          start = i;
        }
        if (built) {
          word.append(c);
        }
      }
    }
    if (quoted) {
      throw new UnterminatedQuote(quoteColumn);
    }
    if (start >= 0) {
      out.add(new Token(built ? word.toString() : word(text, start, to), start - from + 1));
    }
    return out;
  }

  /**
   * Words most lines repeat (commands, options, module and target names, states), held once: a
   * restore file of many rules is mostly these.
   */
  private static final String[] COMMON_WORDS = commonWords(
      "-A", "-I", "-N", "-P", "-m", "-j", "-g", "-s", "-d", "-i", "-o", "-p", "!", "tcp", "udp", "icmp", "state",
      "conntrack", "connmark", "mark", "statistic", "multiport", "comment", "--state", "--ctstate", "--mark",
      "--mode", "nth", "random", "--every", "--packet", "--probability", "--sport", "--dport", "--sports",
      "--dports", "--ports", "--comment", "MARK", "CONNMARK", "--set-xmark", "--set-mark", "--save-mark",
      "--restore-mark", "--nfmask", "--ctmask", "--mask", "ACCEPT", "DROP", "RETURN", "MASQUERADE", "SNAT",
      "--to-source", "--to-ports", "NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED", "RELATED,ESTABLISHED",
      "ESTABLISHED,RELATED", "PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING", "0x0", "0x1", "0x2",
      "0xffffffff", "0", "1", "2", "80", "443", "LOG", "REJECT");

  /**
   * Whether a common word has this length and first character: {@code length * 128 + first}. Most
   * other words (addresses, chain names, comments) fail this, and are cut without hashing.
   */
  private static final boolean[] COMMON_SHAPES = commonShapes(COMMON_WORDS);

  private static boolean[] commonShapes(String[] words) {
    boolean[] shapes = new boolean[(MAX_COMMON + 1) * 128];
    for (String w : words) {
      if (w != null) {
        shapes[w.length() * 128 + w.charAt(0)] = true;
      }
    }
    return shapes;
  }

  private static String[] commonWords(String... words) {
    String[] table = new String[256];
    for (String w : words) {
      if (w.length() > MAX_COMMON || w.charAt(0) >= 128) {
        throw new AssertionError(w);
      }
      int slot = w.hashCode() & (table.length - 1);
      while (table[slot] != null) {
        slot = (slot + 1) & (table.length - 1);
      }
      table[slot] = w;
    }
    return table;
  }

  /** The longest common word. */
  private static final int MAX_COMMON = 20;

  /** {@code text.substring(start, end)}, or the common word it spells without a new string. */
  private static String word(String text, int start, int end) {
    int length = end - start;
    char first = text.charAt(start);
    if (length <= MAX_COMMON && first < 128 && COMMON_SHAPES[length * 128 + first]) {
      int h = 0;
      for (int i = start; i < end; i++) {
        h = 31 * h + text.charAt(i);
      }
      for (int slot = h & (COMMON_WORDS.length - 1); COMMON_WORDS[slot] != null;
          slot = (slot + 1) & (COMMON_WORDS.length - 1)) {
        String w = COMMON_WORDS[slot];
        if (w.hashCode() == h && w.length() == length && text.regionMatches(start, w, 0, length)) {
          return w;
        }
      }
    }
    return text.substring(start, end);
  }

}
