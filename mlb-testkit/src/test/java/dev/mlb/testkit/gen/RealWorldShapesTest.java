package dev.mlb.testkit.gen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.netfilter.RestoreParser;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The real-world shapes: exact sizes, fixed by the seed, the promised modules, read by mlb without errors. */
class RealWorldShapesTest {

  private static long lines(String text, String prefix) {
    return text.lines().filter(l -> l.startsWith(prefix)).count();
  }

  @Test
  void exactRuleCountsAndNoErrorsFromMlb() {
    for (RealWorldShapes.Shape shape : RealWorldShapes.Shape.values()) {
      for (int n : List.of(40, 41, 42, 43, 57, 1000, 12_345)) {
        String text = shape.generate(n, n);
        assertEquals(n, lines(text, "-A "), shape + " with " + n + " rules");
        List<Finding> errors = RestoreParser.parse("shape", text, IpFamily.V4).validate().stream()
            .filter(Finding::isError).toList();
        assertEquals(List.of(), errors, shape + " with " + n + " rules");
      }
    }
  }

  @Test
  void theSeedFixesTheText() {
    for (RealWorldShapes.Shape shape : RealWorldShapes.Shape.values()) {
      assertEquals(shape.generate(500, 3), shape.generate(500, 3), shape.label());
      assertNotEquals(shape.generate(500, 3), shape.generate(500, 4), shape.label());
    }
  }

  @Test
  void eachShapeHasWhatMakesItThatShape() {
    Map<RealWorldShapes.Shape, List<String>> promised = Map.of(
        RealWorldShapes.Shape.KUBE_PROXY, List.of("-j KUBE-SERVICES", "-m comment --comment \"",
            "-m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-", "-j DNAT --to-destination ",
            "-j KUBE-MARK-MASQ", "-j MASQUERADE --random-fully"),
        RealWorldShapes.Shape.DOCKER, List.of(":DOCKER-USER - [0:0]", "-A DOCKER-ISOLATION-STAGE-1 -i br-",
            "-A DOCKER-ISOLATION-STAGE-2 -o br-", " -j DNAT --to-destination ", " ! -o docker0 -j MASQUERADE",
            "-m addrtype --dst-type LOCAL -j DOCKER"),
        RealWorldShapes.Shape.FAIL2BAN, List.of("-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd",
            "/32 -j REJECT --reject-with icmp-port-unreachable", "-A f2b-sshd -j RETURN"),
        RealWorldShapes.Shape.LOG_LIMIT, List.of("-m limit --limit 5/min -j LOG --log-prefix \"",
            "--limit-burst", "--log-level 6", "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"));
    for (var e : promised.entrySet()) {
      String text = e.getKey().generate(10_000, 1);
      String mixed = RealWorldShapes.Shape.MIXED.generate(40_000, 1);
      for (String s : e.getValue()) {
        assertTrue(text.contains(s), e.getKey() + " has " + s);
        assertTrue(mixed.contains(s), "mixed has " + s);
      }
    }
  }

  @Test
  void kubeProxyProbabilitiesAreWhatIptablesSavePrints() {
    // iptables-save prints the kernel's 2^-31 fixed point with %.11f: 1/3 as 0.33333333349 (as
    // kube-proxy hosts show), 1/2 exactly, 1/7 as 0.14285714272.
    assertEquals("0.33333333349", RealWorldShapes.probabilityOneIn(3));
    assertEquals("0.50000000000", RealWorldShapes.probabilityOneIn(2));
    assertEquals("0.14285714272", RealWorldShapes.probabilityOneIn(7));
  }

  @Test
  void badArguments() {
    assertThrows(IllegalArgumentException.class, () -> RealWorldShapes.Shape.DOCKER.generate(39, 1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RealWorldShapes.Shape.of("ufw"));
    assertEquals("unknown shape \"ufw\"; expected kube-proxy, docker, fail2ban, log-limit or mixed", e.getMessage());
  }
}
