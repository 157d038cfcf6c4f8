package dev.mlb.iproute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.strings;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.IpFamily;
import org.junit.jupiter.api.Test;

/** No word can change the structure of the batch line it is written into. */
class TokensTest {

  @Test
  void everyWritableWordReadsBackAsOneWord() {
    qt().withExamples(2000).withFixedSeed(3L)
        .forAll(strings().basicLatinAlphabet().ofLengthBetween(0, 12))
        .assuming(s -> Tokens.quote(s) != null)
        .check(s -> {
          VerbatimCommand c = VerbatimCommand.of(ImmutableList.of("link", "set", "dev", "mlb0", "alias", s));
          RoutingPlan p = IpBatchParser.parse("t", c + "\n", IpFamily.V4);
          return p.verbatim().equals(ImmutableList.of(c));
        });
  }

  @Test
  void wordsThatCannotBeWrittenAreRefused() {
    assertNull(Tokens.quote("a#b"));
    assertNull(Tokens.quote("a\nrule flush"));
    assertNull(Tokens.quote("it's \"x\""));
    assertEquals("\"a b\"", Tokens.quote("a b"));
    assertEquals("'say \"hi\"'", Tokens.quote("say \"hi\""));
    assertEquals("\"\"", Tokens.quote(""));
  }
}
