package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import dev.mlb.api.ValidationException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.impl.Constraint;

/**
 * Arbitrary input made of the words restore files use: the parser either reads it or throws a
 * {@link ParseException} with a position on the line (never another exception), and whatever it
 * reads renders (or fails validation) and reads back to the same ruleset.
 */
class RestoreParserFuzzTest {

  private static final List<String> STARTS = List.of(
      "*mangle", "*nat", "*filter", "*raw", "*bogus", "COMMIT", ":balance1 - [0:0]",
      ":PREROUTING DROP [0:0]", ":POSTROUTING ACCEPT [1:2]", "-A PREROUTING", "-A POSTROUTING",
      "-A balance1", "-A OUTPUT", "-I PREROUTING 1", "-I balance1", "-N x", "-N balance1",
      "-P INPUT DROP", "-P PREROUTING ACCEPT", "#c", "", "   ", "[1:2] -A PREROUTING", "-D x");

  private static final List<String> WORDS = List.of(
      "-s", "-d", "-i", "-o", "-p", "!", "-m", "-j", "-g", "--src", "--protocol", "tcp", "udp",
      "state", "conntrack", "statistic", "mark", "connmark", "multiport", "comment", "limit",
      "--dport", "--sport", "--state", "--ctstate", "--ctdir", "--mode", "nth", "random", "--every",
      "--packet", "--probability", "--mark", "--comment", "--dports", "--ports", "--sports",
      "ACCEPT", "DROP", "RETURN", "MARK", "CONNMARK", "SNAT", "MASQUERADE", "LOG", "balance1", "x",
      "--set-mark", "--set-xmark", "--and-mark", "--or-mark", "--xor-mark", "--save-mark",
      "--restore-mark", "--nfmask", "--ctmask", "--mask", "--to-source", "--to-ports", "--random",
      "--random-fully", "--persistent", "0", "1", "2", "0x10", "80", "1:2", ":5", "5:", "5-6",
      "192.0.2.1", "192.0.2.9-192.0.2.1", "10.0.0.0/8", "2001:db8::1", "[2001:db8::1]:80",
      "192.0.2.1:80-90", "1.2.3.4/255.0.0.0", "eth0", "ppp+", "+", "NEW,EST", "INVALID", "\"a b\"",
      "\"", "\\", "'", "\"\"", "0.5", "1.5", "-1", "[1:2]", "--syn", "-f", "all", "icmp",
      "--icmp-type", "8", "-A", "COMMIT", "0xffffffff", "0x100000000", "1/2", "a\"b c\"");

  /** Well-formed pieces of rules; the fuzzer strings them together in any order. */
  private static final List<String> CLAUSES = List.of(
      "-p tcp", "-p udp", "! -p tcp", "-p icmp", "-p 47", "-s 10.0.0.0/8", "! -d 192.0.2.1",
      "-d 2001:db8::/32", "-i eth0", "! -o ppp+", "-i +", "--dport 80", "! --sport 1:1023",
      "--dport :80", "-m tcp --dport 443", "-m udp --sport 53", "-m state --state NEW",
      "-m state ! --state est,rel", "-m conntrack --ctstate SNAT,NEW",
      "-m conntrack --ctstate NEW --ctdir ORIGINAL", "-m connmark ! --mark 0",
      "-m mark --mark 0x1/0xff", "-m statistic --mode nth --every 2 --packet 1",
      "-m statistic --mode nth ! --every 3 --packet 0", "-m statistic --mode random --probability 0.5",
      "-m statistic ! --probability 0.1 --mode random", "-m multiport --dports 80,443",
      "-m multiport ! --ports 1:2,3", "-m comment --comment \"a 'b' \\\"c\\\"\"",
      "-m comment --comment x", "-m limit --limit 5/sec", "-m owner ! --uid-owner 0", "--syn",
      "-j ACCEPT", "-j RETURN", "-j balance1", "-g balance1", "-j MARK --set-mark 1",
      "-j MARK --and-mark 0xff", "-j CONNMARK --save-mark", "-j CONNMARK --restore-mark --mask 0xf",
      "-j CONNMARK --set-xmark 0x1/0x3", "-j LOG --log-prefix \"x y\"", "-j MASQUERADE",
      "-j MASQUERADE --to-ports 1000-2000", "-j SNAT --to-source 192.0.2.1",
      "-j SNAT --to-source 192.0.2.1:80 --random", "-j SNAT --to-source [2001:db8::1]:80",
      "-j SNAT --to-source 2001:db8::1-2001:db8::2 --persistent", "--random", "--mask 0xff");

  private static Gen<String> texts() {
    return in -> {
      StringBuilder text = new StringBuilder();
      int lines = (int) in.next(Constraint.between(0, 12));
      for (int l = 0; l < lines; l++) {
        text.append(STARTS.get((int) in.next(Constraint.between(0, STARTS.size() - 1))));
        int words = (int) in.next(Constraint.between(0, 10));
        for (int w = 0; w < words; w++) {
          text.append(in.next(Constraint.between(0, 9)) == 0 ? "\t" : " ");
          text.append(WORDS.get((int) in.next(Constraint.between(0, WORDS.size() - 1))));
        }
        text.append(in.next(Constraint.between(0, 9)) == 0 ? "\r\n" : "\n");
      }
      return text.toString();
    };
  }

  /** Well-formed tables around random rules, so that most examples get past the file structure. */
  private static Gen<String> rulesInTables() {
    return in -> {
      boolean nat = in.next(Constraint.between(0, 1)) == 0;
      StringBuilder text = new StringBuilder(nat ? "*nat\n" : "*mangle\n").append(":balance1 - [0:0]\n");
      int lines = (int) in.next(Constraint.between(1, 6));
      for (int l = 0; l < lines; l++) {
        text.append(in.next(Constraint.between(0, 1)) == 0 ? "-A balance1"
            : nat ? "-A POSTROUTING" : "-A PREROUTING");
        int pieces = (int) in.next(Constraint.between(0, 5));
        for (int w = 0; w < pieces; w++) {
          boolean word = in.next(Constraint.between(0, 9)) == 0;
          List<String> from = word ? WORDS : CLAUSES;
          text.append(' ').append(from.get((int) in.next(Constraint.between(0, from.size() - 1))));
        }
        text.append('\n');
      }
      return text.append("COMMIT\n").toString();
    };
  }

  private static void check(String text) {
    for (IpFamily family : IpFamily.values()) {
      Ruleset parsed;
      try {
        parsed = RestoreParser.parse("fuzz", text, family);
      } catch (ParseException e) {
        String[] lines = text.split("\r?\n", -1);
        assertTrue(e.line() >= 1 && e.line() <= lines.length, e::getMessage);
        assertTrue(e.column() >= 1 && e.column() <= lines[e.line() - 1].length() + 1, e::getMessage);
        continue;
      }
      String rendered;
      try {
        rendered = RestoreWriter.render(parsed);
      } catch (ValidationException e) {
        continue;
      }
      assertEquals(parsed, RestoreParser.parse("rendered", rendered, family), rendered);
    }
  }

  @Test
  void anyInputParsesOrFailsWithAPosition() {
    qt().withExamples(2000).withFixedSeed(20261204L).forAll(texts()).checkAssert(RestoreParserFuzzTest::check);
  }

  @Test
  void anyRuleParsesOrFailsWithAPosition() {
    qt().withExamples(2000).withFixedSeed(20261205L).forAll(rulesInTables()).checkAssert(RestoreParserFuzzTest::check);
  }
}
