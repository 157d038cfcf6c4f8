package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mlb.api.IpFamily;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The API of {@link TosMatch}, {@link Tos}, {@link DscpMatch} and {@link Dscp}: values built in code
 * render as iptables-save printed the same rules (recorded in {@code tos.cases} and
 * {@code dscp.cases}), bad input gets mlb's messages, and the targets' table findings.
 */
class TosDscpTest {

  private static String render(Match m) {
    return RestoreWriter.renderRule(Rule.builder().addMatches(m).build());
  }

  private static String render(Target t) {
    return RestoreWriter.renderRule(Rule.builder().target(t).build());
  }

  @Test
  void tosMatchFactoriesRenderAsIptablesSave() {
    assertEquals(" -m tos --tos 0x10/0x3f", render(TosMatch.named("Minimize-Delay")));
    assertEquals(" -m tos --tos 0x08/0x3f", render(TosMatch.named("maximize-throughput")));
    assertEquals(" -m tos --tos 0x10/0xff", render(TosMatch.of(16)));
    assertEquals(" -m tos ! --tos 0xff/0xff", render(TosMatch.of(0xff).negate()));
    assertEquals(" -m tos --tos 0x0f/0x00", render(TosMatch.of(0x0f, 0)));
    assertEquals(TosMatch.of(0x10, 0x3f), TosMatch.named("MINIMIZE-DELAY"));
    assertEquals("-m tos: unknown name Low-Delay; expected one of [Minimize-Delay, Maximize-Throughput,"
        + " Maximize-Reliability, Minimize-Cost, Normal-Service]",
        assertThrows(IllegalArgumentException.class, () -> TosMatch.named("Low-Delay")).getMessage());
    assertEquals("-m tos: mask 256 is outside 0 to 0xff",
        assertThrows(IllegalArgumentException.class, () -> TosMatch.of(1, 256)).getMessage());
  }

  @Test
  void tosTargetFactoriesRenderAsIptablesSave() {
    assertEquals(" -j TOS --set-tos 0x1f/0xff", render(Tos.set(0x1f)));
    assertEquals(" -j TOS --set-tos 0x10/0x3f", render(Tos.named("Minimize-Delay")));
    assertEquals(" -j TOS --set-tos 0x00/0xed", render(Tos.and(0x12)));
    assertEquals(" -j TOS --set-tos 0x00/0x00", render(Tos.and(0xff)));
    assertEquals(" -j TOS --set-tos 0x12/0x12", render(Tos.or(0x12)));
    assertEquals(" -j TOS --set-tos 0x12/0x00", render(Tos.xor(0x12)));
    assertEquals("-j TOS: value 300 is outside 0 to 0xff",
        assertThrows(IllegalArgumentException.class, () -> Tos.xor(300)).getMessage());
  }

  @Test
  void tosRefusalsNameTheInput() {
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-m tos --tos wrong", "", "bad value \"wrong\" for --tos;"
        + " expected VALUE[/MASK] with numbers from 0 to 0xff, or a name (Minimize-Delay,");
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-m tos --tos 0x10/0x100", "",
        "bad mask in --tos \"0x10/0x100\"; expected VALUE/MASK with numbers from 0 to 0xff");
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-m tos", "", "-m tos needs --tos");
    ModuleForms.check(IpFamily.V4, "mangle", "OUTPUT", "-j TOS --and-tos 0x12 --or-tos 0x12", "",
        "-j TOS: option \"--or-tos\" cannot be used together with \"--and-tos\"");
    ModuleForms.check(IpFamily.V4, "mangle", "OUTPUT", "-j TOS --or-tos -1", "",
        "bad value \"-1\" for --or-tos; expected a number from 0 to 0xff");
    ModuleForms.check(IpFamily.V4, "mangle", "OUTPUT", "-j TOS", "",
        "-j TOS needs an action: --set-tos, --and-tos, --or-tos or --xor-tos");
  }

  @Test
  void dscpFactoriesRenderAsIptablesSave() {
    assertEquals(" -m dscp --dscp 0x2e", render(DscpMatch.of(46)));
    assertEquals(" -m dscp ! --dscp 0x22", render(DscpMatch.ofClass("AF41").negate()));
    assertEquals(" -m dscp --dscp 0x00", render(DscpMatch.ofClass("be")));
    assertEquals(" -j DSCP --set-dscp 0x2e", render(Dscp.ofClass("EF")));
    assertEquals(" -j DSCP --set-dscp 0x3f", render(Dscp.set(0x3f)));
    // class_to_dscp compares only the class name's length of letters.
    assertEquals(0x2e, DscpMatch.classValue("EFX"));
    assertEquals("unknown DSCP class VA; expected one of [CS0, CS1, CS2, CS3, CS4, CS5, CS6, CS7, BE, AF11, AF12,"
        + " AF13, AF21, AF22, AF23, AF31, AF32, AF33, AF41, AF42, AF43, EF]",
        assertThrows(IllegalArgumentException.class, () -> Dscp.ofClass("VA")).getMessage());
    assertEquals("-j DSCP: 64 is outside 0 to 63",
        assertThrows(IllegalArgumentException.class, () -> Dscp.set(64)).getMessage());
  }

  @Test
  void dscpRefusalsNameTheInput() {
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-m dscp --dscp 0x40", "",
        "bad value \"0x40\" for --dscp; expected a number from 0 to 63 (0x3f)");
    ModuleForms.check(IpFamily.V4, "filter", "INPUT", "-m dscp --dscp 0x3f --dscp-class CS0", "",
        "-m dscp: --dscp and --dscp-class cannot be used together; give one");
    ModuleForms.check(IpFamily.V6, "mangle", "OUTPUT", "-j DSCP --set-dscp-class XX", "",
        "unknown class \"XX\" for --set-dscp-class; expected one of CS0, CS1,");
    ModuleForms.check(IpFamily.V4, "mangle", "OUTPUT", "-j DSCP", "",
        "-j DSCP needs --set-dscp N or --set-dscp-class CLASS");
  }

  @Test
  void theTargetsAreMangleOnly() {
    assertEquals(List.of("error [target-table] table filter, chain INPUT, rule 1: -j TOS is only valid in the"
        + " mangle table, not in filter; the kernel refuses it"),
        ModuleForms.findings(IpFamily.V4, TableName.FILTER, "INPUT", Rule.builder().target(Tos.set(1)).build()));
    assertEquals(List.of("error [target-table] table nat, chain OUTPUT, rule 1: -j DSCP is only valid in the"
        + " mangle table, not in nat; the kernel refuses it"),
        ModuleForms.findings(IpFamily.V4, TableName.NAT, "OUTPUT", Rule.builder().target(Dscp.set(1)).build()));
    assertEquals(List.of(), ModuleForms.findings(IpFamily.V6, TableName.MANGLE, "FORWARD",
        Rule.builder().target(Dscp.set(1)).build()));
  }
}
