package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.IpFamily;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code -j LOG}: its canonical forms and refusals, as iptables-nft 1.8.9 has them. */
class LogTest {

  /**
   * Each row: the rule after {@code -A INPUT}; what {@code iptables-save} printed after
   * {@code iptables-restore} loaded it into the filter table (or "refused:" and what iptables-restore
   * said); what mlb reads it as ("same" when it is the saved text, else the start of mlb's refusal).
   *
   * <p>Made with iptables v1.8.9 (nf_tables) on Linux 6.18, in a network namespace made for it
   * ({@code ip netns add NS; ip netns exec NS iptables-restore < rules; ip netns exec NS
   * iptables-save}, then {@code ip netns del NS}), and read against the option table, {@code LOG_save}
   * of iptables' {@code extensions/libxt_LOG.c} and the level names of {@code xtopt_parse_sysloglevel}
   * ({@code libxtables/xtoptions.c}). ModulesKernelTest (mlb-testkit) checks these forms against the
   * running kernel, v4 and v6.
   */
  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
    "-j LOG                                | -j LOG                                | same",
    "-j LOG --log-level 4                  | -j LOG                                | same",
    "-j LOG --log-level warning            | -j LOG                                | same",
    "-j LOG --log-level 0                  | -j LOG --log-level 0                  | same",
    "-j LOG --log-level emerg              | -j LOG --log-level 0                  | same",
    "-j LOG --log-level panic              | -j LOG --log-level 0                  | same",
    "-j LOG --log-level alert              | -j LOG --log-level 1                  | same",
    "-j LOG --log-level crit               | -j LOG --log-level 2                  | same",
    "-j LOG --log-level error              | -j LOG --log-level 3                  | same",
    "-j LOG --log-level notice             | -j LOG --log-level 5                  | same",
    "-j LOG --log-level info               | -j LOG --log-level 6                  | same",
    "-j LOG --log-level debug              | -j LOG --log-level 7                  | same",
    "-j LOG --log-level 7                  | -j LOG --log-level 7                  | same",
    "-j LOG --log-level 0x3                | -j LOG --log-level 3                  | same",
    "-j LOG --log-level 03                 | -j LOG --log-level 3                  | same",
    "-j LOG --log-prefix abc               | -j LOG --log-prefix abc               | same",
    "`-j LOG --log-prefix \"x y\"`         | `-j LOG --log-prefix \"x y\"`         | same",
    "`-j LOG --log-prefix \"[UFW BLOCK] \"` | `-j LOG --log-prefix \"[UFW BLOCK] \"` | same",
    "`-j LOG --log-prefix \"a#b\"`         | `-j LOG --log-prefix \"a#b\"`         | same",
    "`-j LOG --log-prefix \"a\\\"b\"`      | `-j LOG --log-prefix \"a\\\"b\"`      | same",
    "`-j LOG --log-prefix \"a'b\"`         | `-j LOG --log-prefix \"a\\'b\"`       | same",
    "`-j LOG --log-prefix 12345678901234567890123456789` | `-j LOG --log-prefix 12345678901234567890123456789` | same",
    "`-j LOG --log-prefix 123456789012345678901234567890` | `-j LOG --log-prefix 12345678901234567890123456789` | same",
    "-j LOG --log-tcp-sequence             | -j LOG --log-tcp-sequence             | same",
    "-j LOG --log-tcp-options              | -j LOG --log-tcp-options              | same",
    "-j LOG --log-ip-options               | -j LOG --log-ip-options               | same",
    "-j LOG --log-uid                      | -j LOG --log-uid                      | same",
    "-j LOG --log-macdecode                | -j LOG --log-macdecode                | same",
    "-j LOG --log-macdecode --log-uid --log-ip-options --log-tcp-options --log-tcp-sequence --log-level 1"
        + " --log-prefix p | -j LOG --log-prefix p --log-level 1 --log-tcp-sequence --log-tcp-options --log-ip-options"
        + " --log-uid --log-macdecode | same",
    "-j LOG --log-level warn               | `refused: log level \"warn\" unknown`  | `log level \"warn\" unknown`",
    "-j LOG --log-level err                | `refused: log level \"err\" unknown`   | `log level \"err\" unknown`",
    "-j LOG --log-level 8                  | `refused: log level \"8\" unknown`     | `log level \"8\" unknown`",
    "-j LOG --log-level DEBUG              | `refused: log level \"DEBUG\" unknown` | `log level \"DEBUG\" unknown`",
    "-j LOG --log-level -1                 | `refused: log level \"-1\" unknown`    | `log level \"-1\" unknown`",
    "-j LOG --log-level none               | `refused: log level \"none\" unknown`  | `log level \"none\" unknown`",
    "`-j LOG --log-prefix \"\"`            | `refused: Argument must have a minimum length of 1 characters` "
        + "| `--log-prefix is empty`",
    "-j LOG --log-level 1 --log-level 2    | `refused: LOG: option \"--log-level\" can only be used once.` "
        + "| `-j LOG: option \"--log-level\" can only be given once`",
    "-j LOG --log-uid --log-uid            | `refused: LOG: option \"--log-uid\" can only be used once.` "
        + "| `-j LOG: option \"--log-uid\" can only be given once`",
    "-j LOG ! --log-uid                    | `refused: LOG: option \"--log-uid\" cannot be inverted.` "
        + "| `\"!\" cannot negate --log-uid`",
    "-j LOG --log-prefix                   | `refused: option \"--log-prefix\" requires an argument` "
        + "| `option \"--log-prefix\" requires an argument`",
    "-j LOG --log-tcp-sequence 1           | `refused: Bad argument `1'` | `unexpected argument \"1\"`",
  })
  void canonicalFormsAndRefusals(String rule, String iptablesSave, String mlb) {
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", rule, iptablesSave, mlb);
  }

  @Test
  void factoriesAndWriting() {
    assertEquals(new Log("", 4, 0), Log.plain());
    assertEquals(new Log("x", 7, Log.UID), Log.withPrefix("x").level(Log.DEBUG).withFlags(Log.UID));
    assertEquals(" -j LOG --log-prefix \"drop: \" --log-level 0 --log-ip-options --log-uid",
        RestoreWriter.renderRule(Rule.builder()
            .target(Log.withPrefix("drop: ").level(Log.EMERG).withFlags(Log.UID | Log.IP_OPTIONS)).build()));
    assertEquals("LOG", Log.plain().name());
    assertEquals(false, Log.plain().isTerminating());
    assertThrows(IllegalArgumentException.class, () -> new Log(null, 4, 0));
  }

  @Test
  void validationRefusesWhatTheKernelCannotKeep() {
    assertEquals(List.of("error [log-level] table filter, chain INPUT, rule 1: -j LOG --log-level 8 is not a syslog"
        + " level; expected 0 to 7"), errors(Log.plain().level(8)));
    assertEquals(List.of("error [log-flags] table filter, chain INPUT, rule 1: -j LOG flags 0x10 include bits that are"
        + " not LOG's; expected a combination of TCP_SEQUENCE, TCP_OPTIONS, IP_OPTIONS, UID and MAC_DECODE"),
        errors(Log.plain().withFlags(0x10)));
    assertEquals(List.of("error [log-prefix] table filter, chain INPUT, rule 1: -j LOG --log-prefix"
        + " \"123456789012345678901234567890\" is 30 bytes; the kernel keeps at most 29 (iptables cuts the rest off)"),
        errors(Log.withPrefix("123456789012345678901234567890")));
    assertTrue(errors(Log.withPrefix("a\nb")).get(0).startsWith("error [text-control-character]"));
    assertEquals(List.of(), errors(Log.withPrefix("é".repeat(14))));
    assertEquals(1, errors(Log.withPrefix("é".repeat(15))).size());
  }

  @Test
  void aPrefixCutInsideACharacterIsRefused() {
    // 28 ASCII bytes and a two-byte character: iptables would keep half of it.
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-j LOG --log-prefix " + "a".repeat(28) + "é", "",
        "--log-prefix \"" + "a".repeat(28) + "é\" is longer than the 29 bytes");
  }

  @Test
  void anOpaqueLogNoLongerReadsBackAsItself() {
    List<String> found = ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT",
        Rule.builder().target(OpaqueTarget.of("LOG", "--log-level", "4")).build());
    assertEquals("error [opaque-not-verbatim] table filter, chain INPUT, rule 1: -j LOG kept verbatim as"
        + " \"-j LOG --log-level 4\" reads back as -j LOG; build the modelled match or target instead", found.get(0));
  }

  private static List<String> errors(Target t) {
    return ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT", Rule.builder().target(t).build());
  }
}
