package dev.mlb.netfilter;

import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.Numbers;

/**
 * Number ranges as iptables reads them for {@code XTTYPE_UINT16RC} and {@code XTTYPE_UINT32RC}
 * options ({@code --length}, {@code --mss}, {@code --espspi}, ...), and as {@code iptables-save}
 * prints them.
 *
 * <pre>{@code
 * Ranges.parse(rule, arg, "--length", 65535);   // "5" -> {5, 5}; ":10" -> {0, 10}; "5:" -> {5, 65535}
 * Ranges.write(out, 5, 5);                       // "5"
 * Ranges.write(out, 0, 10);                      // "0:10"
 * }</pre>
 *
 * <p>Each bound is read as {@code strtoul(s, &end, 0)} reads it (decimal, {@code 0x} hex,
 * {@code 0}-prefixed octal, a leading {@code +}); an empty first bound is 0 and an empty second
 * one the largest value; more than two bounds are refused, as iptables refuses them.
 */
final class Ranges {
  private Ranges() {}

  /** The range {@code arg} gives, as {@code {from, to}}. */
  static long[] parse(ModuleContext rule, Token arg, String option, long max) {
    String text = arg.text();
    String[] parts = text.split(":", -1);
    if (parts.length > 2) {
      throw rule.error(arg, "too many components in " + option + " " + quoted(text) + "; expected N or FROM:TO");
    }
    long from = parts.length == 2 && parts[0].isEmpty() ? 0 : number(parts[0], max);
    long to = parts.length == 1 ? from : parts[1].isEmpty() ? max : number(parts[1], max);
    if (from < 0 || to < 0) {
      throw rule.error(arg, "bad value " + quoted(text) + " for " + option + "; expected a number from 0 to " + max
          + ", or a range FROM:TO of them");
    }
    return new long[] {from, to};
  }

  private static long number(String text, long max) {
    return Numbers.parseUnsigned(text.startsWith("+") ? text.substring(1) : text, max);
  }

  /** Appends {@code from} alone when it equals {@code to}, else {@code from:to}. */
  static void write(StringBuilder out, long from, long to) {
    out.append(from);
    if (from != to) {
      out.append(':').append(to);
    }
  }
}
