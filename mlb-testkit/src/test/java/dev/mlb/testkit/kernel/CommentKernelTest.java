package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ValidationException;
import dev.mlb.netfilter.Chain;
import dev.mlb.netfilter.CommentMatch;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Rule;
import dev.mlb.netfilter.Ruleset;
import dev.mlb.netfilter.Table;
import dev.mlb.netfilter.TableName;
import dev.mlb.netfilter.Verdict;
import dev.mlb.testkit.gen.RulesetGenerator;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * No injection through comments: a comment either comes back from the real
 * {@code iptables-restore} + {@code iptables-save} exactly as given, as one comment of one rule,
 * or mlb refuses it with a message saying why.
 *
 * <pre>{@code
 * Rule r = Rule.builder().addMatches(new CommentMatch("x\" -j DROP")).target(Verdict.ACCEPT).build();
 * // mlb:            -A INPUT -m comment --comment "x\" -j DROP" -j ACCEPT
 * // iptables-save:  the same line; the rule still ACCEPTs, and there is no other rule
 * new CommentMatch("a\n-A INPUT -j DROP")   // validate(): "contains a line break at position 2"
 * }</pre>
 *
 * <p>The comments that come back are checked twice: the saved text must equal mlb's render byte
 * for byte, and each saved comment, unquoted by this test's own reading of iptables-save's quoting
 * ({@code "..."} with {@code \"}, {@code \\} and {@code \'}), must equal the original string.
 */
class CommentKernelTest {

  /** Hand-picked comments that must come back unchanged. */
  private static final List<String> NASTY = List.of(
      "x\" -j DROP",
      "x\" -j DROP \"",
      "\" -m comment --comment \"",
      "' -j DROP '",
      "it's",
      "back\\slash",
      "ends with a backslash\\",
      "\\\" -j DROP #",
      "\\\\\\\"",
      "# not a comment",
      "#",
      "two  spaces and  a trailing one ",
      " leading space",
      "tab\there",
      "",
      "-A INPUT -j DROP",
      "COMMIT",
      "*filter",
      ":INPUT DROP [0:0]",
      "$(reboot) `id` ; | & < > {} [] * ? ~",
      "Grüße, 中文, עברית, 🙂👍🏽",
      "zero\u200Dwidth\uFEFFbom",
      "line\u2028separator and next\u0085line (not line breaks for iptables)",
      "non\u00A0breaking",
      "x".repeat(255),
      "ä".repeat(127) + "x");

  /** Comments mlb must refuse, and what the refusal must say. */
  private static final List<List<String>> REFUSED = List.of(
      List.of("a\n-A INPUT -j DROP", "contains a line break at position 2"),
      List.of("x\" -j DROP\n", "contains a line break"),
      List.of("carriage\rreturn", "contains a carriage return"),
      List.of("nul\u0000byte", "contains the control character U+0000"),
      List.of("bell\u0007", "contains the control character U+0007"),
      List.of("del\u007F", "contains the control character U+007F"),
      List.of("escape\u001B[31m", "contains the control character U+001B"),
      List.of("x".repeat(256), "comment is 256 bytes; the kernel keeps at most 255"),
      List.of("ä".repeat(128), "comment is 256 bytes; the kernel keeps at most 255"),
      List.of("lone \uD800 surrogate", "unpaired surrogate"));

  @Test
  void nastyAndGeneratedCommentsComeBackUnchanged() {
    KernelTests.requireKernel();
    List<String> comments = new ArrayList<>(NASTY);
    RulesetGenerator gen = new RulesetGenerator(0xC0FFEE);
    for (int i = 0; i < 300; i++) {
      comments.add(gen.nextComment());
    }
    for (IpFamily family : IpFamily.values()) {
      Ruleset rules = inputAccepting(family, comments);
      String text = RestoreWriter.render(rules);
      try (RestoreLab lab = RestoreLab.open(family, "comment")) {
        RestoreLab.Loaded loaded = lab.load(text);
        assertEquals(0, loaded.exitCode(), loaded::stderr);
        List<String> ruleLines = loaded.saved().lines().filter(l -> l.startsWith("-A ")).toList();
        assertEquals(comments.size(), ruleLines.size(), "one rule per comment, no more");
        for (int i = 0; i < comments.size(); i++) {
          String line = ruleLines.get(i);
          assertTrue(line.startsWith("-A INPUT -m comment --comment ") && line.endsWith(" -j ACCEPT"), line);
          assertEquals(comments.get(i), savedComment(line), "comment " + i + " as iptables kept it");
        }
        assertEquals(text, loaded.saved(), "iptables-save prints exactly mlb's render");
      }
    }
  }

  @Test
  void commentCannotInjectARuleOrAnOption() {
    KernelTests.requireKernel();
    List<String> attempts = List.of(
        "x\" -j DROP", "x\" -A INPUT -j DROP", "x\" ! --comment \"y", "\" -j DROP #\"", "x' -j DROP");
    Ruleset rules = inputAccepting(IpFamily.V4, attempts);
    String text = RestoreWriter.render(rules);
    try (RestoreLab lab = RestoreLab.open(IpFamily.V4, "inject")) {
      RestoreLab.Loaded loaded = lab.load(text);
      assertEquals(0, loaded.exitCode(), loaded::stderr);
      assertEquals(text, loaded.saved());
      List<String> ruleLines = loaded.saved().lines().filter(l -> l.startsWith("-A ")).toList();
      assertEquals(attempts.size(), ruleLines.size());
      for (int i = 0; i < attempts.size(); i++) {
        String line = ruleLines.get(i);
        assertEquals(attempts.get(i), savedComment(line));
        // What follows the comment token is the rule's own target, and nothing else.
        String afterComment = line.substring(line.indexOf(" --comment ") + " --comment ".length()
            + quotedLength(line.substring(line.indexOf(" --comment ") + " --comment ".length())));
        assertEquals(" -j ACCEPT", afterComment, line);
      }
      // The table holds exactly the chains mlb declared: nothing was added or renamed.
      assertEquals(List.of(":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"),
          loaded.saved().lines().filter(l -> l.startsWith(":")).toList());
    }
  }

  @Test
  void commentsThatCannotComeBackAreRefused() {
    KernelTests.requireKernel();
    for (List<String> refused : REFUSED) {
      String comment = refused.get(0);
      String why = refused.get(1);
      Ruleset rules = inputAccepting(IpFamily.V4, List.of(comment));
      List<Finding> errors = rules.validate().stream().filter(Finding::isError).collect(Collectors.toList());
      assertTrue(errors.stream().anyMatch(f -> f.message().contains(why)),
          () -> "comment " + escape(comment) + ": expected an error saying \"" + why + "\", got " + errors);
      ValidationException e = assertThrows(ValidationException.class, () -> RestoreWriter.render(rules));
      assertTrue(e.getMessage().contains("table filter, chain INPUT, rule 1"), e::getMessage);
    }
    // The kernel side of the first case: a raw line break in a restore file ends the rule there,
    // and what follows is read as a rule of its own. This is what mlb's refusal prevents.
    try (RestoreLab lab = RestoreLab.open(IpFamily.V4, "newline")) {
      String injected = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
          + "-A INPUT -m comment --comment \"a\n-A INPUT -j DROP\" -j ACCEPT\nCOMMIT\n";
      RestoreLab.Loaded loaded = lab.load(injected);
      assertTrue(loaded.exitCode() != 0 || loaded.saved().contains("-A INPUT -j DROP"),
          "a raw line break either breaks the file or injects the next line");
    }
  }

  private static Ruleset inputAccepting(IpFamily family, List<String> comments) {
    Chain.Builder input = Chain.builder().name("INPUT");
    for (String c : comments) {
      input.addRules(Rule.builder().addMatches(new CommentMatch(c)).target(Verdict.ACCEPT).build());
    }
    return Ruleset.builder()
        .family(family)
        .addTables(Table.builder().name(TableName.FILTER).addChains(input.build()).build())
        .build();
  }

  /** The comment of a saved rule line, read the way iptables-save quotes it (not with mlb's code). */
  private static String savedComment(String line) {
    String token = line.substring(line.indexOf(" --comment ") + " --comment ".length());
    if (!token.startsWith("\"")) {
      return token.substring(0, token.indexOf(' '));
    }
    StringBuilder b = new StringBuilder();
    for (int i = 1; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c == '\\') {
        b.append(token.charAt(++i));
      } else if (c == '"') {
        return b.toString();
      } else {
        b.append(c);
      }
    }
    throw new AssertionError("no closing quote in " + line);
  }

  /** How many characters the comment token at the start of {@code token} takes. */
  private static int quotedLength(String token) {
    if (!token.startsWith("\"")) {
      return token.indexOf(' ');
    }
    for (int i = 1; i < token.length(); i++) {
      if (token.charAt(i) == '\\') {
        i++;
      } else if (token.charAt(i) == '"') {
        return i + 1;
      }
    }
    throw new AssertionError("no closing quote in " + token);
  }

  private static String escape(String s) {
    return s.replace("\n", "\\n").replace("\r", "\\r");
  }
}
