package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class LineWordsTest {

  private static List<Token> split(String line) {
    return LineWords.split(line, 0, line.length());
  }

  @Test
  void splitsAtBlanksAndTabsWithColumns() {
    assertEquals(List.of(new Token("-A", 1), new Token("INPUT", 4), new Token("-s", 11),
        new Token("192.0.2.1/32", 14), new Token("-j", 28), new Token("DROP", 31)),
        split("-A INPUT\t -s 192.0.2.1/32  -j DROP "));
  }

  @Test
  void quotedWordsKeepBlanksAndEscapes() {
    assertEquals(List.of(new Token("--comment", 1), new Token("a \"b\" c", 11, true), new Token("x", 23)),
        split("--comment \"a \\\"b\\\" c\" x"));
    assertEquals(List.of(new Token("pre fix", 1, true)), split("pre\" fix\""));
  }

  @Test
  void anUnclosedQuoteIsAnErrorAtItsColumn() {
    LineWords.UnterminatedQuote e = assertThrows(LineWords.UnterminatedQuote.class,
        () -> split("-m comment --comment \"open"));
    assertEquals(22, e.column);
  }

  @Test
  void commonWordsAreSharedAndOthersAreCopies() {
    // Literals are interned, so a shared common word is the very string of the literal.
    for (String w : List.of("-A", "-m", "!", "tcp", "--dport", "ESTABLISHED,RELATED", "--restore-mark",
        "0xffffffff", "POSTROUTING", "REJECT", "443", "1")) {
      assertSame(w, split("x " + w + " y").get(1).text(), w);
    }
    // Same length and first character as a common word, or longer than any: cut as a new string.
    for (String w : List.of("-Z", "tcq", "--dporx", "ESTABLISHED,RELATEX", "1234567890123456789012")) {
      String got = split("x " + w).get(1).text();
      assertEquals(w, got);
      assertNotSame(w, got, w);
    }
  }
}
