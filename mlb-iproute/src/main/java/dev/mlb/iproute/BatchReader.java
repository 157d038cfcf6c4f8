package dev.mlb.iproute;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.ParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits {@code ip -batch} text into commands exactly as iproute2 6.1 does ({@code getcmdline} and
 * {@code makeargs} in {@code lib/utils.c}), keeping where each word came from.
 *
 * <ul>
 *   <li>A {@code #} anywhere in a physical line (even inside quotes) ends it: the rest is a comment.
 *   <li>A line whose text (after that cut) ends in a backslash directly before the line break
 *       continues on the next line; the backslash and the line break are removed. A comment on a
 *       line also removes its line break, so a commented line never continues.
 *   <li>Words are separated by spaces, tabs, carriage returns and line breaks. A word that starts
 *       with {@code '} or {@code "} runs to the next same quote, without escapes; the quotes are
 *       removed, and the closing quote also ends the word ({@code "a"b} is two words). Quotes
 *       inside a word are ordinary characters.
 *   <li>An unterminated quote, a continuation at the end of the input, or more than 99 words is an
 *       error, as it is for {@code ip}.
 * </ul>
 */
final class BatchReader {
  /** One word with its position. */
  record Word(String text, int line, int column, String lineText) {}

  /** One logical command: its words, and its comment-free first physical line. */
  record Command(ImmutableList<Word> words, int line, String lineText) {}

  /** A {@code #mlb:} directive line. */
  record Directive(String text, int line, String lineText) {}

  private final String source;
  private final List<Object> items = new ArrayList<>();

  private BatchReader(String source) {
    this.source = source;
  }

  /** Commands and directives in file order. */
  static List<Object> read(String source, String text) {
    BatchReader r = new BatchReader(source);
    r.split(text);
    return r.items;
  }

  private void split(String text) {
    List<String> physical = new ArrayList<>();
    int start = 0;
    while (start < text.length()) {
      int nl = text.indexOf('\n', start);
      if (nl < 0) {
        physical.add(text.substring(start));
        break;
      }
      physical.add(text.substring(start, nl + 1));
      start = nl + 1;
    }
    int i = 0;
    while (i < physical.size()) {
      int firstLine = i + 1;
      String raw = physical.get(i);
      if (raw.startsWith("#mlb:")) {
        items.add(new Directive(raw.substring(5).strip(), firstLine, display(raw)));
        i++;
        continue;
      }
      StringBuilder logical = new StringBuilder();
      List<int[]> pos = new ArrayList<>(2); // per physical part: its first index in the logical line, its line
      String current = cut(raw);
      i++;
      int lineNo = firstLine;
      while (true) {
        int cont = current.indexOf("\\\n");
        if (cont < 0) {
          append(logical, pos, current, lineNo);
          break;
        }
        append(logical, pos, current.substring(0, cont), lineNo);
        if (i >= physical.size()) {
          throw new ParseException(
              source, lineNo, cont + 1,
              "the line ends in a backslash but no line follows; expected a continuation line",
              display(physical.get(lineNo - 1)));
        }
        lineNo = i + 1;
        current = cut(physical.get(i));
        i++;
      }
      makeargs(logical.toString(), pos, physical);
    }
  }

  private static String display(String raw) {
    String s = raw;
    if (s.endsWith("\n")) {
      s = s.substring(0, s.length() - 1);
    }
    if (s.endsWith("\r")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }

  private static String cut(String raw) {
    int hash = raw.indexOf('#');
    return hash < 0 ? raw : raw.substring(0, hash);
  }

  private static void append(StringBuilder logical, List<int[]> pos, String part, int line) {
    pos.add(new int[] {logical.length(), line});
    logical.append(part);
  }

  /** The line and column of character {@code k} of the logical line: of the last part starting at or before it. */
  private static int[] position(List<int[]> pos, int k) {
    for (int i = pos.size() - 1; ; i--) {
      int[] part = pos.get(i);
      if (part[0] <= k) {
        return new int[] {part[1], k - part[0] + 1};
      }
    }
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }

  private void makeargs(String line, List<int[]> pos, List<String> physical) {
    List<Word> words = new ArrayList<>();
    int k = 0;
    int n = line.length();
    int shownLine = -1;
    String shown = null;
    while (k < n) {
      while (k < n && isSpace(line.charAt(k))) {
        k++;
      }
      if (k >= n) {
        break;
      }
      int[] at = position(pos, k);
      if (at[0] != shownLine) {
        shownLine = at[0];
        shown = display(physical.get(at[0] - 1));
      }
      String lineText = shown;
      if (words.size() >= 99) {
        throw new ParseException(
            source, at[0], at[1], "more than 99 words in one command; ip -batch allows at most 99", lineText);
      }
      char c = line.charAt(k);
      if (c == '\'' || c == '"') {
        int end = line.indexOf(c, k + 1);
        if (end < 0) {
          throw new ParseException(
              source, at[0], at[1],
              "unterminated quoted string; expected a closing " + c + " on the same command line", lineText);
        }
        words.add(new Word(line.substring(k + 1, end), at[0], at[1], lineText));
        k = end + 1; // makeargs overwrites the closing quote with the word's end
      } else {
        int end = k;
        while (end < n && !isSpace(line.charAt(end))) {
          end++;
        }
        words.add(new Word(line.substring(k, end), at[0], at[1], lineText));
        k = end + 1;
      }
    }
    if (!words.isEmpty()) {
      Command c = new Command(ImmutableList.copyOf(words), words.get(0).line(), words.get(0).lineText());
      items.add(c);
    }
  }
}
