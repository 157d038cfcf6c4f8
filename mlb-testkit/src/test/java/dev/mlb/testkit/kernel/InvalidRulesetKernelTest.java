package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import dev.mlb.api.ValidationException;
import dev.mlb.netfilter.RestoreParser;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Ruleset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Invalid restore files: the real {@code iptables-restore} refuses each, and so does mlb, naming
 * the problem.
 *
 * <pre>{@code
 * // iptables-restore: "statistic: bad value for option "--every", or out of range (1-4294967295)"
 * RestoreParser.parse("-", "... -m statistic --mode nth --every 0 --packet 0 ...", IpFamily.V4);
 * // ParseException: line 7, column 47: --every 0 is out of range; expected 1 to 4294967295
 * }</pre>
 *
 * <p>Each case is first loaded for real: {@code iptables-restore --test} passes jumps to missing
 * chains, jump loops and MASQUERADE or SNAT in the wrong table or chain, which only a real load
 * refuses. That happens in one private namespace per family, reset before each case. Then mlb
 * must reject it too: either {@link RestoreParser} throws a {@link ParseException} at the expected
 * line and column with a message naming the problem, or the parsed ruleset's {@code validate()}
 * has an error with the expected code and message, and {@link RestoreWriter#render} refuses it.
 *
 * <p>Some inputs one would expect iptables to refuse, it accepts (iptables 1.8.9, nf_tables);
 * mlb rejects them anyway, and {@link #mlbRejectsWhatIptablesAccepts} pins both facts: a chain
 * called MARK or SNAT (only ACCEPT, DROP, RETURN and QUEUE are refused by {@code iptables-restore},
 * though {@code iptables -N MARK} is refused), an unterminated double quote (iptables takes the
 * rest of the line, line break included, into the comment), a 256-byte comment (silently cut to
 * 255), a policy on a user chain, a chain declared twice and chain counters that are not numbers.
 */
class InvalidRulesetKernelTest {

  private static final String FILTER = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  private static final String MANGLE = "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n"
      + ":FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n";
  private static final String NAT = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n"
      + ":OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n";
  private static final String RAW = "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n";

  /** What mlb must say about a case. */
  private sealed interface Expect {}

  /** RestoreParser throws at this line and column, with {@code problem} in its message. */
  private record ParseError(int line, int column, String problem) implements Expect {}

  /** The ruleset parses, and validate() has an error with this code and {@code message} in its text. */
  private record Invalid(String code, String message) implements Expect {}

  private record Case(String name, IpFamily family, String text, Expect mlb) {}

  private static Case v4(String name, String text, Expect mlb) {
    return new Case(name, IpFamily.V4, text, mlb);
  }

  private static Case v6(String name, String text, Expect mlb) {
    return new Case(name, IpFamily.V6, text, mlb);
  }

  private static List<Case> bothReject() {
    String long29 = "a".repeat(29);
    String ports16 = "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16";
    return List.of(
        v4("chain name of 29 characters", FILTER + ":" + long29 + " - [0:0]\nCOMMIT\n",
            new Invalid("chain-name-length", "is 29 characters; iptables allows at most 28")),
        v4("chain name starting with -", FILTER + ":-x - [0:0]\nCOMMIT\n",
            new Invalid("chain-name-start", "chain name \"-x\" starts with '-'")),
        v4("chain name starting with !", FILTER + ":!x - [0:0]\nCOMMIT\n",
            new Invalid("chain-name-start", "chain name \"!x\" starts with '!'")),
        v4("chain named like a target (ACCEPT)", FILTER + ":ACCEPT - [0:0]\nCOMMIT\n",
            new Invalid("chain-name-target", "chain name \"ACCEPT\" is the name of a target")),
        v4("jump to an undefined chain", FILTER + "-A INPUT -j nowhere\nCOMMIT\n",
            new ParseError(5, 13, "no chain \"nowhere\" in table filter")),
        v4("jump loop a -> b -> a",
            FILTER + ":a - [0:0]\n:b - [0:0]\n-A INPUT -j a\n-A a -j b\n-A b -j a\nCOMMIT\n",
            new Invalid("jump-loop", "a -> b -> a")),
        v4("MASQUERADE in mangle", MANGLE + "-A POSTROUTING -j MASQUERADE\nCOMMIT\n",
            new Invalid("target-table", "MASQUERADE is only valid in the nat table, not in mangle")),
        v4("MASQUERADE in nat PREROUTING", NAT + "-A PREROUTING -j MASQUERADE\nCOMMIT\n",
            new Invalid("target-hook", "MASQUERADE is only valid in [POSTROUTING]")),
        v4("SNAT in nat PREROUTING", NAT + "-A PREROUTING -j SNAT --to-source 192.0.2.1\nCOMMIT\n",
            new Invalid("target-hook", "SNAT is only valid in [INPUT, POSTROUTING]")),
        v6("SNAT in mangle (IPv6)", MANGLE + "-A POSTROUTING -j SNAT --to-source 2001:db8::1\nCOMMIT\n",
            new Invalid("target-table", "SNAT is only valid in the nat table, not in mangle")),
        v4("--every 0",
            MANGLE + "-A PREROUTING -m statistic --mode nth --every 0 --packet 0 -j ACCEPT\nCOMMIT\n",
            new ParseError(7, 47, "--every 0 is out of range")),
        v4("--packet 2 --every 2",
            MANGLE + "-A PREROUTING -m statistic --mode nth --every 2 --packet 2 -j ACCEPT\nCOMMIT\n",
            new ParseError(7, 49, "--packet 2 is not below --every 2")),
        v4("--probability 1.5",
            MANGLE + "-A PREROUTING -m statistic --mode random --probability 1.5 -j ACCEPT\nCOMMIT\n",
            new ParseError(7, 56, "--probability 1.5 is out of range")),
        v4("mark 0x100000000", MANGLE + "-A PREROUTING -m mark --mark 0x100000000 -j ACCEPT\nCOMMIT\n",
            new ParseError(7, 30, "\"0x100000000\" is not an unsigned 32-bit number")),
        v6("IPv4 address in ip6tables", FILTER + "-A INPUT -s 192.0.2.1 -j ACCEPT\nCOMMIT\n",
            new ParseError(5, 13, "IPv4 address in an IPv6 ruleset")),
        v4("SNAT to an IPv6 address in iptables",
            NAT + "-A POSTROUTING -j SNAT --to-source 2001:db8::1\nCOMMIT\n",
            new ParseError(6, 36, "IPv6 address in an IPv4 ruleset")),
        v4("-o in PREROUTING", MANGLE + "-A PREROUTING -o eth0 -j ACCEPT\nCOMMIT\n",
            new Invalid("interface-direction", "-o eth0 in chain PREROUTING")),
        v4("-i in POSTROUTING", MANGLE + "-A POSTROUTING -i eth0 -j ACCEPT\nCOMMIT\n",
            new Invalid("interface-direction", "-i eth0 in chain POSTROUTING")),
        v4("-o in a user chain called INPUT", RAW + ":INPUT - [0:0]\n-A INPUT -o eth0 -j ACCEPT\nCOMMIT\n",
            new Invalid("interface-direction", "-o eth0 in chain INPUT")),
        v4("-m tcp without -p tcp", FILTER + "-A INPUT -m tcp --dport 80 -j ACCEPT\nCOMMIT\n",
            new ParseError(5, 10, "-m tcp needs -p tcp")),
        v4("multiport with 16 ports", FILTER + "-A INPUT -p tcp -m multiport --dports " + ports16
                + " -j ACCEPT\nCOMMIT\n",
            new ParseError(5, 39, "lists 16 ports")),
        v4("MASQUERADE --to-ports without -p", NAT + "-A POSTROUTING -j MASQUERADE --to-ports 1000\nCOMMIT\n",
            new ParseError(6, 41, "--to-ports 1000: ports need -p tcp")),
        v4("unknown match option",
            MANGLE + "-A PREROUTING -m statistic --mode nth --evry 2 --packet 0 -j ACCEPT\nCOMMIT\n",
            new ParseError(7, 39, "unknown option \"--evry\" for -m statistic")),
        v4("unknown target option", MANGLE + "-A PREROUTING -j MARK --set-mork 1\nCOMMIT\n",
            new ParseError(7, 23, "unknown option \"--set-mork\" for -j MARK")),
        v4("unknown state", FILTER + "-A INPUT -m state --state FOO -j ACCEPT\nCOMMIT\n",
            new ParseError(5, 27, "unknown state \"FOO\"")),
        v4("interface name of 16 characters", FILTER + "-A INPUT -i abcdefghijklmnop -j ACCEPT\nCOMMIT\n",
            new ParseError(5, 13, "is 16 characters; the kernel allows at most 15")),
        v4("-j DROP in the nat table", NAT + "-A PREROUTING -j DROP\nCOMMIT\n",
            new ParseError(6, 18, "iptables refuses DROP there")),
        v4("-m mark again after -m mark, -m connmark",
            MANGLE + "-A PREROUTING -m mark --mark 1 -m connmark --mark 2 -m mark --mark 3 -j ACCEPT\nCOMMIT\n",
            new ParseError(7, 61, "option \"--mark\" can only be given once")),
        v4("! -s 0.0.0.0/0", FILTER + "-A INPUT ! -s 0.0.0.0/0 -j ACCEPT\nCOMMIT\n",
            new Invalid("address-negated-any", "! -s 0.0.0.0/0 matches no packet")),
        v4("jump to a built-in chain", FILTER + "-A INPUT -j OUTPUT\nCOMMIT\n",
            new Invalid("jump-builtin", "OUTPUT is a built-in chain")),
        v4("missing COMMIT", FILTER + "-A INPUT -j ACCEPT\n",
            new ParseError(1, 1, "table filter is never committed")),
        v4("single-quoted comment", FILTER + "-A INPUT -m comment --comment 'two words' -j ACCEPT\nCOMMIT\n",
            new ParseError(5, 36, "unexpected argument \"words'\"")),
        v4("text glued to a closing quote", FILTER + "-A INPUT -m comment --comment \"a\"b -j ACCEPT\nCOMMIT\n",
            new ParseError(5, 34, "unexpected argument \"b\"")),
        v4("bad table name", "*flter\n:INPUT ACCEPT [0:0]\nCOMMIT\n",
            new ParseError(1, 2, "unknown table \"flter\"")),
        v4("bad policy", "*filter\n:INPUT REJECT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n",
            new ParseError(2, 8, "unknown policy \"REJECT\"")),
        v4("rule counters without ]", FILTER + "[0:0 -A INPUT -j ACCEPT\nCOMMIT\n",
            new ParseError(5, 1, "bad counters \"[0:0\"")),
        v4("rule before any table", ":INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n",
            new ParseError(1, 1, "expected a table")),
        v4("rule in an undeclared chain", FILTER + "-A nochain -j ACCEPT\nCOMMIT\n",
            new ParseError(5, 4, "chain \"nochain\" does not exist in table filter")));
  }

  private static List<Case> onlyMlbRejects() {
    return List.of(
        v4("chain named MARK", FILTER + ":MARK - [0:0]\nCOMMIT\n",
            new Invalid("chain-name-target", "chain name \"MARK\" is the name of a target")),
        v4("unterminated double quote", FILTER + "-A INPUT -m comment --comment \"open -j ACCEPT\nCOMMIT\n",
            new ParseError(5, 31, "unterminated quote")),
        v4("comment of 256 bytes", FILTER + "-A INPUT -m comment --comment " + "x".repeat(256) + " -j ACCEPT\nCOMMIT\n",
            new Invalid("comment-length", "comment is 256 bytes; the kernel keeps at most 255")),
        v4("policy on a user chain", FILTER + ":x DROP [0:0]\nCOMMIT\n",
            new ParseError(5, 4, "chain \"x\" is a user chain, which has no policy")),
        v4("chain declared twice", FILTER + ":x - [0:0]\n:x - [0:0]\nCOMMIT\n",
            new ParseError(6, 2, "chain \"x\" is declared twice")),
        v4("chain counters not numbers", "*filter\n:INPUT ACCEPT [0:x]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n",
            new ParseError(2, 15, "bad counters \"[0:x]\"")));
  }

  @TestFactory
  Stream<DynamicTest> iptablesAndMlbBothReject() {
    KernelTests.requireKernel();
    List<Case> cases = bothReject();
    List<RestoreLab.Loaded> loaded = loadForReal(cases);
    List<DynamicTest> tests = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      Case c = cases.get(i);
      RestoreLab.Loaded real = loaded.get(i);
      tests.add(DynamicTest.dynamicTest(c.name(), () -> {
        assertNotEquals(0, real.exitCode(), () -> "iptables-restore accepted \"" + c.name() + "\":\n" + c.text());
        assertMlbRejects(c);
      }));
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> mlbRejectsWhatIptablesAccepts() {
    KernelTests.requireKernel();
    List<Case> cases = onlyMlbRejects();
    List<RestoreLab.Loaded> loaded = loadForReal(cases);
    List<DynamicTest> tests = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      Case c = cases.get(i);
      RestoreLab.Loaded real = loaded.get(i);
      tests.add(DynamicTest.dynamicTest(c.name(), () -> {
        assertEquals(0, real.exitCode(), () -> "iptables-restore now refuses \"" + c.name()
            + "\" (" + real.stderr().strip() + "); move the case to bothReject()");
        assertMlbRejects(c);
      }));
    }
    return tests.stream();
  }

  /** Loads every case with the real restore tool of its family; the results in case order. */
  private static List<RestoreLab.Loaded> loadForReal(List<Case> cases) {
    RestoreLab.Loaded[] results = new RestoreLab.Loaded[cases.size()];
    for (IpFamily family : IpFamily.values()) {
      List<Integer> mine = new ArrayList<>();
      for (int i = 0; i < cases.size(); i++) {
        if (cases.get(i).family() == family) {
          mine.add(i);
        }
      }
      if (mine.isEmpty()) {
        continue;
      }
      try (RestoreLab lab = RestoreLab.open(family, family == IpFamily.V4 ? "invalid4" : "invalid6")) {
        List<RestoreLab.Loaded> got =
            lab.loadAll(mine.stream().map(i -> cases.get(i).text()).collect(Collectors.toList()));
        for (int k = 0; k < mine.size(); k++) {
          results[mine.get(k)] = got.get(k);
        }
      }
    }
    return List.of(results);
  }

  private static void assertMlbRejects(Case c) {
    if (c.mlb() instanceof ParseError e) {
      ParseException thrown = assertThrows(ParseException.class,
          () -> RestoreParser.parse(c.name(), c.text(), c.family()), () -> "mlb accepted:\n" + c.text());
      assertTrue(thrown.problem().contains(e.problem()),
          () -> "message \"" + thrown.getMessage() + "\" does not say \"" + e.problem() + "\"");
      assertEquals(List.of(e.line(), e.column()), List.of(thrown.line(), thrown.column()),
          () -> "line and column of \"" + thrown.getMessage() + "\"");
      assertTrue(thrown.getMessage().startsWith("line " + e.line() + ", column " + e.column() + ": "));
    } else {
      Invalid e = (Invalid) c.mlb();
      Ruleset r = RestoreParser.parse(c.name(), c.text(), c.family());
      List<Finding> errors = r.validate().stream().filter(Finding::isError).collect(Collectors.toList());
      assertTrue(errors.stream().anyMatch(f -> f.code().equals(e.code()) && f.message().contains(e.message())),
          () -> "expected an error [" + e.code() + "] saying \"" + e.message() + "\", got " + errors);
      ValidationException refused = assertThrows(ValidationException.class, () -> RestoreWriter.render(r));
      assertTrue(refused.getMessage().contains(e.message()), refused::getMessage);
    }
  }
}
