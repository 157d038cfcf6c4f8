package dev.mlb.netfilter;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import java.util.List;
import java.util.Set;

/**
 * The checks of text a rule carries: comments, names and the words of unmodelled modules and
 * targets, which must fit on one restore line and read back as they were written.
 *
 * <pre>{@code
 * TextChecks.checkText(findings, "comment", "a\nb");
 * // error [text-control-character] ...: comment "a\nb" contains a line break at position 2; ...
 * }</pre>
 */
final class TextChecks {
  private TextChecks() {}

  /** Words that iptables reads as part of the rule's structure wherever they stand. */
  private static final Set<String> STRUCTURE_WORDS = Set.of(
      "-m", "--match", "-j", "--jump", "-g", "--goto", "-s", "--source", "--src", "-d", "--destination",
      "--dst", "-i", "--in-interface", "-o", "--out-interface", "-p", "--protocol", "-A", "--append",
      "-I", "--insert", "-N", "--new-chain", "-P", "--policy", "-c", "--set-counters", "-4", "-6",
      "--ipv4", "--ipv6", "-f", "--fragment");

  /** The words of an unmodelled module or target: one line's worth each, none of the rule's own options. */
  static void checkArguments(Findings findings, String what, List<String> arguments) {
    for (String arg : arguments) {
      checkText(findings, what + " argument", arg);
      if (STRUCTURE_WORDS.contains(arg)) {
        findings.error("opaque-argument-structure", what + " argument \"" + arg
            + "\" is an option of the rule itself; iptables would read it so, quoted or not");
      }
    }
  }

  /**
   * An argument of an unmodelled module or target that a modelled module before it knows as an
   * option: iptables gives it to that module (the text mlb writes has every match before the
   * target), which then refuses it or reads it as its own.
   */
  static void checkClaimed(Findings findings, String what, List<String> arguments, List<Match> before) {
    for (String arg : arguments) {
      for (Match m : before) {
        if (Modules.options(m.module()).contains(arg)) {
          findings.error("opaque-argument-claimed", what + " argument \"" + arg + "\" is an option of -m "
              + m.module() + " in the same rule; iptables would give it to -m " + m.module());
          break;
        }
      }
    }
  }

  /** An unmodelled module or target with a modelled name must read back as itself. */
  static void checkReadsBack(Findings findings, String what, Rule probe, TableName table, IpFamily family) {
    String text = "*" + table.id() + "\n:c - [0:0]\n-A c" + RestoreWriter.renderRule(probe) + "\nCOMMIT\n";
    String readBack;
    try {
      Rule back = RestoreParser.parse("probe", text, family).table(table)
          .flatMap(t -> t.chain("c")).map(c -> c.rules().get(0)).orElseThrow();
      if (back.equals(probe)) {
        return;
      }
      readBack = "reads back as" + RestoreWriter.renderRule(back);
    } catch (ParseException e) {
      readBack = "does not read back: " + e.problem();
    }
    findings.error("opaque-not-verbatim", what + " kept verbatim as \"" + RestoreWriter.renderRule(probe).strip()
        + "\" " + readBack + "; build the modelled match or target instead");
  }

  /** No control characters (a tab is fine) and no unpaired surrogates. */
  static void checkText(Findings findings, String what, String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < ' ' && c != '\t' || c == 0x7f) {
        findings.error("text-control-character", what + " \"" + escape(text) + "\" contains "
            + describe(c) + " at position " + (i + 1)
            + "; a restore file has one rule per line and cannot carry it");
        return;
      }
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;   // a well-formed pair: one character outside the BMP
          continue;
        }
        findings.error("text-unpaired-surrogate", what + " \"" + escape(text) + "\" contains an unpaired surrogate"
            + String.format(" U+%04X", (int) c) + " at position " + (i + 1)
            + "; it has no UTF-8 form and would be written as '?'");
        return;
      }
    }
  }

  /** A module or target name: printable ASCII without blanks or quotes. */
  static void checkName(Findings findings, String what, String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == '\\') {
        findings.error("name-character", what + " \"" + escape(name) + "\" contains " + describe(c)
            + " at position " + (i + 1) + "; expected printable ASCII without blanks or quotes");
        return;
      }
    }
  }

  static String describe(char c) {
    if (c == '\n') {
      return "a line break";
    }
    if (c == '\r') {
      return "a carriage return";
    }
    if (c == ' ') {
      return "a space";
    }
    if (c < ' ' || c == 0x7f) {
      return String.format("the control character U+%04X", (int) c);
    }
    if (c > 0x7f) {
      return String.format("the non-ASCII character U+%04X", (int) c);
    }
    return "'" + c + "'";
  }

  static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
  }
}
