package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mlb.api.IpFamily;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The parser against text the real tools printed: iptables v1.8.9 (nf_tables) loaded each input in
 * a throwaway network namespace, and iptables-save printed the expected text (see the README next
 * to the golden files).
 */
class RestoreParserGoldenTest {

  static String resource(String name) throws IOException {
    try (InputStream in = RestoreParserGoldenTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void iptablesSaveOutputOfTheSeedRendersBackByteForByte() throws IOException {
    String saved = resource("seed-save.v4");
    assertEquals(saved, RestoreWriter.render(RestoreParser.parse("seed-save.v4", saved, IpFamily.V4)));
  }

  @Test
  void fullIptablesSaveOutputWithHeaderFooterAndCountersIsRead() throws IOException {
    Ruleset withCounters = RestoreParser.parse("seed-save-c.v4", resource("seed-save-c.v4"), IpFamily.V4);
    assertEquals(resource("seed-save.v4"), RestoreWriter.render(withCounters));
  }

  @Test
  void handWrittenSeedParsesToTheSameRulesetAsItsSavedForm() throws IOException {
    Ruleset seed = RestoreParser.parse("seed-rules.v4", resource("seed-rules.v4"), IpFamily.V4);
    Ruleset saved = RestoreParser.parse("seed-save.v4", resource("seed-save.v4"), IpFamily.V4);
    assertEquals(saved, seed);
    assertEquals(resource("seed-save.v4"), RestoreWriter.render(seed));
  }

  @Test
  void savedSeedIsTheModelTheBuildersMake() throws IOException {
    Ruleset saved = RestoreParser.parse("seed-save.v4", resource("seed-save.v4"), IpFamily.V4);
    Table nat = saved.table(TableName.NAT).orElseThrow();
    assertEquals(
        Chain.builder().name("POSTROUTING").policy(Policy.ACCEPT)
            .addRules(
                Rule.builder().out(dev.mlb.api.InterfaceName.of("ppp0")).target(Masquerade.plain()).build(),
                Rule.builder().out(dev.mlb.api.InterfaceName.of("ppp1")).target(Masquerade.plain()).build())
            .build(),
        nat.chain("POSTROUTING").orElseThrow());
    Chain balance = saved.table(TableName.MANGLE).orElseThrow().chain("balance1").orElseThrow();
    assertEquals(
        Chain.builder().name("balance1")
            .addRules(
                Rule.builder().addMatches(ConnmarkMatch.not(dev.mlb.api.Mark.of(0))).target(Verdict.RETURN).build(),
                Rule.builder().addMatches(StateMatch.of(ConnState.ESTABLISHED, ConnState.RELATED))
                    .target(Verdict.RETURN).build(),
                Rule.builder().addMatches(StatisticMatch.nth(2, 0)).target(SetConnmark.set(1)).build(),
                Rule.builder().addMatches(StatisticMatch.nth(2, 1)).target(SetConnmark.set(2)).build())
            .build(),
        balance);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"rich.v4, rich-save.v4, V4", "rich.v6, rich-save.v6, V6"})
  void everyModelledFormReadsAsTheRealToolsSaveIt(String input, String saved, IpFamily family)
      throws IOException {
    String expected = resource(saved);
    assertEquals(expected, RestoreWriter.render(RestoreParser.parse(input, resource(input), family)));
    assertEquals(expected, RestoreWriter.render(RestoreParser.parse(saved, expected, family)));
  }

  /** Parses one rule of {@code table}/{@code chain} and renders it again. */
  static String canonical(IpFamily family, String table, String chain, String rule) {
    String text = "*" + table + "\n-A " + chain + " " + rule + "\nCOMMIT\n";
    String out = RestoreWriter.render(RestoreParser.parse("-", text, family));
    String prefix = "-A " + chain + " ";
    for (String line : out.split("\n")) {
      if (line.startsWith(prefix)) {
        return line.substring(prefix.length());
      }
    }
    throw new AssertionError("no rule in " + out);
  }

  @ParameterizedTest(name = "{0}  =>  {1}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
    "-m state ! --state new,est | -m state ! --state NEW,ESTABLISHED",
    "-m conntrack ! --ctstate INVALID,UNTRACKED,SNAT,DNAT,NEW | -m conntrack ! --ctstate INVALID,NEW,UNTRACKED,SNAT,DNAT",
    "! -s 192.0.2.1 ! -d 198.51.100.0/255.255.255.0 ! -i eth0 -p udp ! --sport 5: | ! -s 192.0.2.1/32 ! -d 198.51.100.0/24 ! -i eth0 -p udp -m udp ! --sport 5:65535",
    "-p tcp ! --dport :80 --sport 9 | -p tcp -m tcp --sport 9 --dport 81:65535",
    "-m statistic --mode random ! --probability 0.1 | -m statistic --mode random ! --probability 0.10000000009",
    "-m statistic ! --probability 0.5 --mode random | -m statistic --mode random ! --probability 0.50000000000",
    "-m statistic --mode nth ! --every 2 --packet 1 | -m statistic --mode nth ! --every 2 --packet 1",
    "-j MARK --and-mark 0x5 | -j MARK --set-xmark 0x0/0xfffffffa",
    "-j MARK --or-mark 0x5 | -j MARK --set-xmark 0x5/0x5",
    "-j MARK --xor-mark 0x5 | -j MARK --set-xmark 0x5/0x0",
    "-j MARK --set-mark 0x5 | -j MARK --set-xmark 0x5/0xffffffff",
    "-j CONNMARK --save-mark --mask 0xff | -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff",
    "-j CONNMARK --restore-mark --ctmask 0xf | -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xf",
    "`-m comment --comment \"a'b\\\"c\\\\d e#f\"` | `-m comment --comment \"a\\'b\\\"c\\\\d e#f\"`",
    "-m comment --comment abc. | `-m comment --comment \"abc.\"`",
    "`-m comment --comment \"x\" -j ACCEPT` | -m comment --comment x -j ACCEPT",
    "`-m comment --comment \"\" -j ACCEPT` | `-m comment --comment \"\" -j ACCEPT`",
    "`-m comment --comment a\\b\"x\\\"y\"` | `-m comment --comment \"a\\\\bx\\\"y\"`",
    "-p TCP --dport 1 | -p tcp -m tcp --dport 1",
    "-m tcp -p tcp --dport 1 | -p tcp -m tcp --dport 1",
    "-p 6 -m tcp --dport 1 | -p tcp -m tcp --dport 1",
    "-p tcp --dport 0x50 | -p tcp -m tcp --dport 80",
    "-j ACCEPT -m state --state NEW | -m state --state NEW -j ACCEPT",
  })
  void inputFormsAreReadAsIptablesSavePrintsThem(String input, String saved) {
    assertEquals(saved, canonical(IpFamily.V4, "mangle", "PREROUTING", input));
  }

  @Test
  void headerOptionsComeOutInIptablesSaveOrder() {
    assertEquals("-s 192.0.2.0/24 -d 10.0.0.0/8 -i eth0 -o eth1 -p tcp",
        canonical(IpFamily.V4, "filter", "FORWARD", "-p tcp -o eth1 -i eth0 -d 10.0.0.0/8 -s 192.0.2.0/24"));
  }

  @Test
  void natTargetsAsSaved() {
    assertEquals("-p tcp -j SNAT --to-source [2001:db8::1-2001:db8::5]:1024-2000",
        canonical(IpFamily.V6, "nat", "POSTROUTING",
            "-p tcp -j SNAT --to-source [2001:db8::1-2001:db8::5]:1024-2000"));
    assertEquals("-p udp -j SNAT --to-source 192.0.2.1:80",
        canonical(IpFamily.V4, "nat", "POSTROUTING", "-p udp -j SNAT --to-source 192.0.2.1:80-80"));
    assertEquals("-p tcp -j MASQUERADE --to-ports 1000",
        canonical(IpFamily.V4, "nat", "POSTROUTING", "-p tcp -j MASQUERADE --to-ports 1000-1000"));
  }
}
