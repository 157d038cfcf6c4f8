package dev.mlb.netfilter;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code -m comment --comment TEXT} ({@link CommentMatch}).
 *
 * <pre>{@code
 * -m comment --comment "uplink a"   // reads as new CommentMatch("uplink a"), written back so
 * }</pre>
 */
final class CommentModule extends MatchModule<CommentMatch> {
  static final CommentModule INSTANCE = new CommentModule();

  private static final List<String> OPTIONS = List.of("--comment");

  private CommentModule() {
    super("comment", CommentMatch.class);
  }

  @Override
  List<String> options() {
    return OPTIONS;
  }

  @Override
  String canonical(String option) {
    return option.equals("--comment") ? option : null;
  }

  @Override
  boolean negatable(String option) {
    return false;
  }

  @Override
  Reader reader(ModuleContext rule, String name, Token at) {
    return new Reader(this, "comment", at, rule) {
      private String text;

      @Override
      void value(String option, Token optionToken, Token arg) {
        text = arg.text();
      }

      @Override
      Match finish() {
        require("--comment");
        return new CommentMatch(text);
      }
    };
  }

  @Override
  void write(CommentMatch m, StringBuilder out) {
    out.append(" --comment");
    RestoreWriter.appendSaveString(out, m.text());
  }

  @Override
  void check(CommentMatch m, RuleContext rule, Findings findings) {
    int bytes = m.text().getBytes(StandardCharsets.UTF_8).length;
    if (bytes > CommentMatch.MAX_BYTES) {
      findings.error("comment-length", "comment is " + bytes + " bytes; the kernel keeps at most 255");
    }
    TextChecks.checkText(findings, "comment", m.text());
  }
}
