package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.PortRange;
import dev.mlb.api.Protocol;
import dev.mlb.api.ValidationException;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link RestoreWriter#write} streams the ruleset in pieces; {@link RestoreWriter#render} joins them. */
class RestoreWriterStreamTest {

  @Test
  void whatIsWrittenReadsBackAsTheRuleset() {
    qt().withExamples(300).withFixedSeed(20261204L).forAll(RulesetGen.rulesets()).checkAssert(r -> {
      TextPieces out = new TextPieces();
      try {
        RestoreWriter.write(r, out);
      } catch (IOException e) {
        throw new AssertionError(e);
      }
      assertEquals(r, RestoreParser.parse("-", out.text(), r.family()), out.text());
    });
  }

  @Test
  void largeRulesetsGoOutInPiecesOfAboutSixtyFourKibibytes() throws IOException {
    Chain.Builder chain = Chain.builder().name("FORWARD");
    for (int i = 0; i < 20_000; i++) {
      chain.addRules(Rule.builder()
          .source(IpPrefix.parse("198.51.100." + (i % 256) + "/32"))
          .protocol(Protocol.TCP)
          .addMatches(PortMatch.tcpDestination(PortRange.of(1 + i % 65535)))
          .addMatches(ConnmarkMatch.of(Mark.of(i % 256, 0xff)))
          .target(SetMark.set(i % 256, 0xff))
          .build());
    }
    Ruleset r = Ruleset.builder().family(IpFamily.V4)
        .addTables(Table.builder().name(TableName.MANGLE).addChains(chain.build()).build())
        .build();
    TextPieces out = new TextPieces();
    RestoreWriter.write(r, out);
    String text = RestoreWriter.render(r);
    assertEquals(text, out.text());
    assertTrue(out.pieces().size() > 10, "pieces: " + out.pieces().size());
    for (int i = 0; i < out.pieces().size() - 1; i++) {
      String piece = out.pieces().get(i);
      assertTrue(piece.length() >= RestoreWriter.CHUNK && piece.length() < RestoreWriter.CHUNK + 200,
          "piece " + i + " has " + piece.length() + " characters");
      assertTrue(piece.endsWith("\n"), "piece " + i + " ends within a line");
    }
    System.out.printf("RestoreWriter.write: %d characters in %d pieces%n", text.length(), out.pieces().size());
  }

  @Test
  void invalidRulesetsWriteNothing() {
    Ruleset r = Ruleset.builder().family(IpFamily.V4)
        .addTables(Table.builder().name(TableName.FILTER).addChains(Chain.builder().name("INPUT")
            .addRules(Rule.builder().target(new Jump("missing")).build()).build()).build())
        .build();
    TextPieces out = new TextPieces();
    ValidationException e = assertThrows(ValidationException.class, () -> RestoreWriter.write(r, out));
    assertEquals("1 error:\nerror [jump-undefined] table filter, chain INPUT, rule 1: -j missing: table filter has"
        + " no chain \"missing\"", e.getMessage());
    assertEquals(List.of(), out.pieces());
  }

  @Test
  void theSinksFailureComesThrough() {
    IOException full = new IOException("No space left on device");
    Appendable failing = new Appendable() {
      @Override
      public Appendable append(CharSequence csq) throws IOException {
        throw full;
      }

      @Override
      public Appendable append(CharSequence csq, int start, int end) throws IOException {
        throw full;
      }

      @Override
      public Appendable append(char c) throws IOException {
        throw full;
      }
    };
    Ruleset r = Ruleset.builder().family(IpFamily.V4)
        .addTables(Table.builder().name(TableName.FILTER).build()).build();
    assertSame(full, assertThrows(IOException.class, () -> RestoreWriter.write(r, failing)));
  }
}
