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
    int i = from;
    while (i < to) {
      char c = text.charAt(i);
      if (c == ' ' || c == '\t') {
        i++;
        continue;
      }
      int start = i;
      while (i < to && (c = text.charAt(i)) != ' ' && c != '\t' && c != '"') {
        i++;
      }
      if (i == to || c != '"') {
        int slot = commonSlot(text, start, i);
        int column = start - from + 1;
        out.add(slot >= 0 ? commonToken(slot, column) : new Token(text.substring(start, i), column));
        continue;
      }
      // A quote at i: the word is what came before it and the quoted text, up to the closing quote.
      int quoteColumn = i - from + 1;
      int open = i + 1;
      int close = open;
      while (close < to && (c = text.charAt(close)) != '"' && c != '\\') {
        close++;
      }
      String value;
      if (close < to && c == '"') {
        // No backslash: the text is cut, not copied character by character.
        value = start == i ? text.substring(open, close)
            : new StringBuilder(close - start).append(text, start, i).append(text, open, close).toString();
        i = close + 1;
      } else {
        StringBuilder word = new StringBuilder(Math.max(16, close - start + 16)).append(text, start, i)
            .append(text, open, close);
        boolean escaped = false;
        int j = close;
        for (; j < to; j++) {
          c = text.charAt(j);
          if (escaped) {
            word.append(c);
            escaped = false;
          } else if (c == '\\') {
            escaped = true;
          } else if (c == '"') {
            break;
          } else {
            word.append(c);
          }
        }
        if (j == to) {
          throw new UnterminatedQuote(quoteColumn);
        }
        value = word.toString();
        i = j + 1;
      }
      // The closing quote ends the word, as in iptables-restore: a"b c"d is "ab c" and "d".
      out.add(new Token(value, start - from + 1, true));
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
      "0xffffffff", "0", "1", "2", "80", "443", "LOG", "REJECT",
      // The modules and targets routers use most (issue 16's count of real saves), with their options.
      "DNAT", "--to-destination", "REDIRECT", "--reject-with", "icmp-port-unreachable", "icmp-host-prohibited",
      "tcp-reset", "limit", "--limit", "--limit-burst", "--log-prefix", "--log-level", "NFLOG", "--nflog-group",
      "--nflog-prefix", "addrtype", "--src-type", "--dst-type", "LOCAL", "set", "--match-set", "src", "dst",
      "src,dst", "recent", "--name", "--set", "--rcheck", "--update", "--seconds", "--hitcount", "--rsource",
      "hashlimit", "--hashlimit-name", "--hashlimit-mode", "--hashlimit-upto", "--hashlimit-above", "owner",
      "--uid-owner", "mac", "--mac-source", "physdev", "--physdev-in", "--physdev-out", "--physdev-is-bridged",
      "pkttype", "--pkt-type", "multicast", "broadcast", "length", "--length", "iprange", "--src-range",
      "--dst-range", "--tcp-flags", "--syn", "SYN", "SYN,RST", "FIN,SYN,RST,ACK", "TCPMSS", "--clamp-mss-to-pmtu",
      "--set-mss", "CT", "--notrack", "NOTRACK", "--zone", "icmp-type", "--icmp-type", "echo-request",
      "ipv6-icmp", "--icmpv6-type", "connlimit", "--connlimit-above", "--connlimit-mask", "udplite", "sctp",
      "22", "53", "123", "3", "4", "6", "7", "8", "0/0", "0.0.0.0/0", "127.0.0.0/8", "lo", "eth0", "docker0",
      // The chains docker and kube-proxy make on every host, whose names their rules repeat.
      "DOCKER", "DOCKER-USER", "DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2", "KUBE-SERVICES",
      "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ", "KUBE-MARK-DROP", "KUBE-FORWARD", "KUBE-FIREWALL",
      "KUBE-PROXY-FIREWALL", "KUBE-EXTERNAL-SERVICES", "KUBE-PROXY-CANARY", "0x4000/0x4000", "0x8000/0x8000");

  /**
   * Whether a common word has this length and first character: {@code length * 128 + first}. Most
   * other words (addresses, chain names, comments) fail this, and are cut without hashing.
   */
  private static final boolean[] COMMON_SHAPES = commonShapes(COMMON_WORDS);

  /** The hash of each slot's word, so that a probe compares ints before it reads the word. */
  private static final int[] COMMON_HASHES = commonHashes(COMMON_WORDS);

  private static int[] commonHashes(String[] words) {
    int[] hashes = new int[words.length];
    for (int i = 0; i < words.length; i++) {
      hashes[i] = words[i] == null ? 0 : words[i].hashCode();
    }
    return hashes;
  }

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
    String[] table = new String[512];
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
  private static final int MAX_COMMON = 24;

  /** The slot of the common word that {@code text} spells from {@code start} to {@code end}, or -1. */
  private static int commonSlot(String text, int start, int end) {
    int length = end - start;
    char first = text.charAt(start);
    if (length <= MAX_COMMON && first < 128 && COMMON_SHAPES[length * 128 + first]) {
      int h = 0;
      for (int i = start; i < end; i++) {
        h = 31 * h + text.charAt(i);
      }
      for (int slot = h & (COMMON_WORDS.length - 1); COMMON_WORDS[slot] != null;
          slot = (slot + 1) & (COMMON_WORDS.length - 1)) {
        if (COMMON_HASHES[slot] == h) {
          String w = COMMON_WORDS[slot];
          if (w.length() == length && text.regionMatches(start, w, 0, length)) {
            return slot;
          }
        }
      }
    }
    return -1;
  }

  /** Columns up to this have their tokens of common words kept ({@link #commonToken}). */
  private static final int KEPT_COLUMNS = 256;

  /**
   * The tokens of common words by slot and column, made when first needed: the lines of a large
   * ruleset repeat the same words at the same columns ("-A" at 1, "-j" and its target wherever the
   * rule's shape puts them), and a token is an immutable value, so one serves them all. Threads
   * that read pieces of a ruleset share it; a race makes at worst an equal token twice (a row is
   * only ever read for its tokens, and a token's fields are final).
   */
  private static final Token[][] COMMON_TOKENS = new Token[COMMON_WORDS.length][];

  private static Token commonToken(int slot, int column) {
    if (column >= KEPT_COLUMNS) {
      return new Token(COMMON_WORDS[slot], column);
    }
    Token[] row = COMMON_TOKENS[slot];
    if (row == null) {
      row = new Token[KEPT_COLUMNS];
      COMMON_TOKENS[slot] = row;
    }
    Token token = row[column];
    if (token == null) {
      token = new Token(COMMON_WORDS[slot], column);
      row[column] = token;
    }
    return token;
  }
}
