package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChainTest {

  private static Rule jump(String chain) {
    return Rule.builder().target(new Jump(chain)).build();
  }

  @Test
  void jumpTargetsAreTheChainsJumpedToOnceEachInOrderOfFirstJump() {
    assertEquals(List.of(), Chain.builder().name("c").addRules(Rule.builder().target(Verdict.ACCEPT).build())
        .build().jumpTargets());
    assertEquals(List.of("b", "a"), Chain.builder().name("c").addRules(jump("b"),
        Rule.builder().target(Verdict.DROP).build(), Rule.builder().target(new Goto("a")).build(), jump("b"),
        jump("a")).build().jumpTargets());
  }

  @Test
  void jumpTargetsOfAChainThatJumpsToManyChains() {
    // More distinct chains than the list holds before it becomes a set, each jumped to three times.
    List<Rule> rules = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (int i = 20; i > 0; i--) {
        rules.add(round == 1 ? Rule.builder().target(new Goto("s" + i)).build() : jump("s" + i));
        if (round == 0) {
          expected.add("s" + i);
        }
      }
    }
    assertEquals(expected, Chain.builder().name("c").addAllRules(rules).build().jumpTargets());
    // Exactly eight, then a ninth after repeats.
    assertEquals(List.of("s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"), Chain.builder().name("c")
        .addRules(jump("s1"), jump("s2"), jump("s3"), jump("s4"), jump("s5"), jump("s6"), jump("s7"), jump("s8"),
            jump("s8"), jump("s1"), jump("s9"), jump("s9"), jump("s2")).build().jumpTargets());
  }
}
