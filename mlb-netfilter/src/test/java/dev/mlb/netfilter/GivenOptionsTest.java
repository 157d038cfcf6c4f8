package dev.mlb.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GivenOptionsTest {
  private static final Token A = new Token("--a", 1);
  private static final Token B = new Token("--b", 5);
  private static final Token C = new Token("--c", 9);

  @Test
  void actsAsAnInsertionOrderedMap() {
    GivenOptions given = new GivenOptions();
    Map<String, Token> expected = new LinkedHashMap<>();
    // More than the initial capacity of four, and names equal but not the same string.
    for (int i = 0; i < 9; i++) {
      String name = new String("--o" + i);
      Token t = new Token(name, i + 1);
      assertNull(given.put(name, t));
      expected.put(name, t);
    }
    assertEquals(expected, given);
    assertEquals(List.copyOf(expected.keySet()), List.copyOf(given.keySet()));
    assertTrue(given.containsKey("--o8"));
    assertFalse(given.containsKey("--o9"));
    assertEquals(new Token("--o3", 4), given.get("--o3"));
    assertNull(given.get("--o9"));
  }

  @Test
  void putReplacesAndRemoveCloses() {
    GivenOptions given = new GivenOptions();
    given.put("--a", A);
    given.put("--b", B);
    given.put("--c", C);
    assertSame(A, given.put("--a", C));
    assertSame(C, given.get("--a"));
    assertSame(B, given.remove("--b"));
    assertNull(given.remove("--b"));
    assertEquals(List.of("--a", "--c"), List.copyOf(given.keySet()));
    assertEquals(2, given.size());
    Iterator<String> names = given.keySet().iterator();
    assertThrows(IllegalStateException.class, names::remove);
    names.next();
    names.remove();
    assertEquals(Map.of("--c", C), given);
    names.next();
    names.remove();
    assertTrue(given.isEmpty());
    assertThrows(java.util.NoSuchElementException.class, names::next);
  }

  @Test
  void refusesNulls() {
    GivenOptions given = new GivenOptions();
    assertEquals("name", assertThrows(NullPointerException.class, () -> given.put(null, A)).getMessage());
    assertEquals("token", assertThrows(NullPointerException.class, () -> given.put("--a", null)).getMessage());
  }
}
