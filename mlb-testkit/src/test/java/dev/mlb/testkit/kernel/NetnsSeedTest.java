package dev.mlb.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** How {@code MLB_MULTIPATH_HASH_SEED} is read, and that a namespace really gets the seed. */
class NetnsSeedTest {

  @Test
  void seedFromTheEnvironment() {
    assertEquals(OptionalLong.of(0x6d6c62), Netns.parseMultipathHashSeed(null));
    assertEquals(OptionalLong.of(0x6d6c62), Netns.parseMultipathHashSeed(""));
    assertEquals(OptionalLong.empty(), Netns.parseMultipathHashSeed("boot"));
    assertEquals(OptionalLong.of(8), Netns.parseMultipathHashSeed("8"));
    assertEquals(OptionalLong.of(4294967295L), Netns.parseMultipathHashSeed("4294967295"));
    for (String bad : new String[] {"0", "4294967296", "-3", "0x10", "seed", "12345678901"}) {
      assertEquals("MLB_MULTIPATH_HASH_SEED=" + bad
              + ": expected a number from 1 to 4294967295, or \"boot\" for the kernel's own seed",
          assertThrows(IllegalArgumentException.class, () -> Netns.parseMultipathHashSeed(bad)).getMessage());
    }
  }

  @Test
  void namespacesGetThePinnedSeed() {
    KernelTests.requireKernel();
    try (Netns ns = Netns.create("seed")) {
      if (!Netns.multipathHashSeedPinnable()) {
        // Before Linux 6.11: namespaces keep the boot seed, and asking to pin one says why not.
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ns.pinMultipathHashSeed(8));
        assertEquals("this kernel (" + System.getProperty("os.version")
            + ") has no net.ipv4.fib_multipath_hash_seed; Linux 6.11 and later have it", e.getMessage());
        return;
      }
      String expected = Long.toString(Netns.multipathHashSeed().orElse(0));
      assertEquals(expected, ns.run("sysctl", "-n", "net.ipv4.fib_multipath_hash_seed").check().stdout().strip());
      ns.pinMultipathHashSeed(8);
      assertEquals("8", ns.run("sysctl", "-n", "net.ipv4.fib_multipath_hash_seed").check().stdout().strip());
    }
  }
}
