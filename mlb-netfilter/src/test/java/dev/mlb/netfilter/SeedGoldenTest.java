package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The seed recipe built with mlb's builders renders exactly what the real iptables-save printed. */
class SeedGoldenTest {

  @Test
  void builtSeedRendersAsIptablesSaveDid() {
    assertEquals(Golden.read("seed-rules.v4.save"), RestoreWriter.render(SeedRuleset.build()));
  }

  @Test
  void builtSeedIsValidButHasAnUnusedChainWarningOnlyWhenUnused() {
    // balance1 is jumped to from PREROUTING and OUTPUT, so there is nothing to report.
    assertEquals(java.util.List.of(), SeedRuleset.build().validate());
  }
}
