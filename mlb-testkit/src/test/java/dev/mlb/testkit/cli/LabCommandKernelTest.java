package dev.mlb.testkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mlb.testkit.kernel.KernelTests;
import org.junit.jupiter.api.Test;

/**
 * {@code mlb lab} runs the flows of {@code mlb simulate} through the real kernel and prints them the
 * same way: on the fixed seed the kernel alternates the uplinks exactly as {@code simulate} predicts
 * (see {@code ScenarioCommandsTest.simulatePrintsEachFlowAndTheTotals} for the same four flows).
 */
class LabCommandKernelTest {
  private static final String[] ARGS = {
    "--rules", "examples/seed-fixed-rules.v4", "--routes", "examples/seed-fixed-routes.batch",
    "--lan", "eth0=192.0.2.1/24",
    "--uplink", "ppp0=198.51.100.1/28,gw=198.51.100.2", "--uplink", "ppp1=198.51.100.17/28,gw=198.51.100.18",
    "--flows", "4"
  };

  private static String[] command(String name) {
    String[] out = new String[ARGS.length + 1];
    out[0] = name;
    System.arraycopy(ARGS, 0, out, 1, ARGS.length);
    return out;
  }

  private static String run(String... args) {
    MlbRun r = MlbRun.of(args);
    assertEquals(0, r.code(), r.err());
    return r.out();
  }

  @Test
  void labPrintsWhatTheKernelDidInTheFormatOfSimulate() {
    KernelTests.requireKernel();
    String lab = run(command("lab"));
    assertEquals("flow 1: tcp lan 192.0.2.100:40000 -> 203.0.113.10:80: via ppp0 mark 0x1\n"
        + "flow 2: tcp lan 192.0.2.101:40001 -> 203.0.113.10:443: via ppp1 mark 0x2\n"
        + "flow 3: tcp lan 192.0.2.102:40002 -> 203.0.113.10:80: via ppp0 mark 0x1\n"
        + "flow 4: tcp lan 192.0.2.103:40003 -> 203.0.113.10:443: via ppp1 mark 0x2\n"
        + "totals: ppp0 2, ppp1 2, failed 0\n", lab);
    assertEquals(run(command("simulate")), lab);
  }
}
