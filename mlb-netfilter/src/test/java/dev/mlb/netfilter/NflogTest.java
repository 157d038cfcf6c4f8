package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code -j NFLOG}: its canonical forms and refusals, as iptables-nft 1.8.9 has them. */
class NflogTest {

  private static final String P127 = "a".repeat(127);

  /**
   * Each row: the rule after {@code -A INPUT}; what {@code iptables-save} printed after
   * {@code iptables-restore} loaded it into the filter table (or "refused:" and what it said); what
   * mlb reads it as ("same", or the start of mlb's refusal).
   *
   * <p>Made with iptables v1.8.9 (nf_tables) on Linux 6.18, in a network namespace made for it
   * ({@code ip netns add NS; ip netns exec NS iptables-restore < rules; ip netns exec NS
   * iptables-save}, then {@code ip netns del NS}), and read against the option table and
   * {@code nflog_print} of iptables' {@code extensions/libxt_NFLOG.c}. iptables-nft differs from
   * that file (and from iptables-legacy) as nftables' log statement keeps NFLOG: no threshold is 0
   * (not 1) and is left out, {@code --nflog-range} is dropped, the prefix keeps 127 bytes (not 63).
   * ModulesKernelTest (mlb-testkit) checks these forms against the running kernel.
   */
  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
    "-j NFLOG                              | -j NFLOG                              | same",
    "-j NFLOG --nflog-group 0              | -j NFLOG                              | same",
    "-j NFLOG --nflog-group 5              | -j NFLOG --nflog-group 5              | same",
    "-j NFLOG --nflog-group 65535          | -j NFLOG --nflog-group 65535          | same",
    "-j NFLOG --nflog-group 0x10           | -j NFLOG --nflog-group 16             | same",
    "-j NFLOG --nflog-prefix abc           | -j NFLOG --nflog-prefix abc           | same",
    "`-j NFLOG --nflog-prefix \"x y\"`     | `-j NFLOG --nflog-prefix \"x y\"`     | same",
    "`-j NFLOG --nflog-prefix \"a'b\"`     | `-j NFLOG --nflog-prefix \"a\\'b\"`  | same",
    "-j NFLOG --nflog-size 0               | -j NFLOG --nflog-size 0               | same",
    "-j NFLOG --nflog-size 128             | -j NFLOG --nflog-size 128             | same",
    "-j NFLOG --nflog-size 4294967295      | -j NFLOG --nflog-size 4294967295      | same",
    "-j NFLOG --nflog-size 0x10            | -j NFLOG --nflog-size 16              | same",
    "-j NFLOG --nflog-size 010             | -j NFLOG --nflog-size 8               | same",
    "-j NFLOG --nflog-range 128            | -j NFLOG                              | same",
    "-j NFLOG --nflog-range 0x10           | -j NFLOG                              | same",
    "-j NFLOG --nflog-threshold 0          | -j NFLOG                              | same",
    "-j NFLOG --nflog-threshold 1          | -j NFLOG --nflog-threshold 1          | same",
    "-j NFLOG --nflog-threshold 65535      | -j NFLOG --nflog-threshold 65535      | same",
    "-j NFLOG --nflog-threshold 10 --nflog-size 100 --nflog-group 2 --nflog-prefix p "
        + "| -j NFLOG --nflog-prefix p --nflog-group 2 --nflog-size 100 --nflog-threshold 10 | same",
    "-j NFLOG --nflog-group 65536 "
        + "| `refused: NFLOG: bad value for option \"--nflog-group\", or out of range (0-65535).` "
        + "| `bad value \"65536\" for --nflog-group; expected a number from 0 to 65535`",
    "-j NFLOG --nflog-group -1 "
        + "| `refused: NFLOG: bad value for option \"--nflog-group\", or out of range (0-65535).` "
        + "| `bad value \"-1\" for --nflog-group`",
    "`-j NFLOG --nflog-prefix \"\"` | `refused: Argument must have a minimum length of 1 characters` "
        + "| `--nflog-prefix is empty`",
    "-j NFLOG --nflog-size 4294967296 "
        + "| `refused: NFLOG: bad value for option \"--nflog-size\", or out of range (0-4294967295).` "
        + "| `bad value \"4294967296\" for --nflog-size`",
    "-j NFLOG --nflog-range -1 "
        + "| `refused: NFLOG: bad value for option \"--nflog-range\", or out of range (0-4294967295).` "
        + "| `bad value \"-1\" for --nflog-range`",
    "-j NFLOG --nflog-range 128 --nflog-size 64 "
        + "| `refused: warn: --nflog-range has never worked and is no longer supported, please use --nflog-size"
        + " instead` | `-j NFLOG: --nflog-size and --nflog-range cannot be given together`",
    "-j NFLOG --nflog-threshold 65536 "
        + "| `refused: NFLOG: bad value for option \"--nflog-threshold\", or out of range (0-65535).` "
        + "| `bad value \"65536\" for --nflog-threshold`",
    "-j NFLOG --nflog-group 1 --nflog-group 2 | `refused: NFLOG: option \"--nflog-group\" can only be used once.` "
        + "| `-j NFLOG: option \"--nflog-group\" can only be given once`",
    "-j NFLOG ! --nflog-group 1 | `refused: NFLOG: option \"--nflog-group\" cannot be inverted.` "
        + "| `\"!\" cannot negate --nflog-group`",
    "-j NFLOG --nflog-group | `refused: option \"--nflog-group\" requires an argument` "
        + "| `option \"--nflog-group\" requires an argument`",
  })
  void canonicalFormsAndRefusals(String rule, String iptablesSave, String mlb) {
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", rule, iptablesSave, mlb);
  }

  @Test
  void aPrefixKeeps127Bytes() {
    // Recorded as the rows above: 127 bytes are saved as given, a 128th is cut off.
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-j NFLOG --nflog-prefix " + P127,
        "-j NFLOG --nflog-prefix " + P127, "same");
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-j NFLOG --nflog-prefix " + P127 + "b",
        "-j NFLOG --nflog-prefix " + P127, "same");
  }

  @Test
  void factoriesWritingAndFindings() {
    assertEquals(new Nflog("x", 2, OptionalLong.of(128), 10), Nflog.group(2).withPrefix("x").withSize(128)
        .withThreshold(10));
    assertEquals(" -j NFLOG --nflog-prefix \"mlb: x\" --nflog-group 2 --nflog-size 0",
        RestoreWriter.renderRule(Rule.builder().target(Nflog.group(2).withPrefix("mlb: x").withSize(0)).build()));
    assertEquals(false, Nflog.group(1).isTerminating());
    assertThrows(IllegalArgumentException.class, () -> new Nflog("", 0, null, 0));
    assertEquals(List.of("error [nflog-group] table filter, chain INPUT, rule 1: -j NFLOG --nflog-group 65536 is outside"
        + " 0 to 65535"), errors(Nflog.group(65536)));
    assertEquals(List.of("error [nflog-threshold] table filter, chain INPUT, rule 1: -j NFLOG --nflog-threshold -1 is"
        + " outside 0 to 65535"), errors(Nflog.group(1).withThreshold(-1)));
    assertEquals(List.of("error [nflog-size] table filter, chain INPUT, rule 1: -j NFLOG --nflog-size 4294967296 is"
        + " outside 0 to 4294967295"), errors(Nflog.group(1).withSize(1L << 32)));
    assertEquals(List.of("error [nflog-prefix] table filter, chain INPUT, rule 1: -j NFLOG --nflog-prefix \"" + P127
        + "b\" is 128 bytes; the kernel keeps at most 127 (iptables cuts the rest off)"),
        errors(Nflog.group(1).withPrefix(P127 + "b")));
  }

  private static List<String> errors(Target t) {
    return ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT", Rule.builder().target(t).build());
  }
}
