package dev.mlb.netfilter;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The options a module or target of one rule was given, by canonical name, in the order given: a map
 * kept in two short arrays. A rule's module gets one to a few options, so a scan beats hashing (the
 * names are the modules' own constants, so the scan mostly compares references).
 *
 * <pre>{@code
 * GivenOptions given = new GivenOptions();
 * given.put("--dport", token);
 * given.containsKey("--dport")   // true
 * }</pre>
 */
final class GivenOptions extends AbstractMap<String, Token> {
  private String[] names = new String[4];
  private Token[] tokens = new Token[4];
  private int size;

  private int indexOf(Object name) {
    for (int i = 0; i < size; i++) {
      if (names[i] == name) {
        return i;
      }
    }
    for (int i = 0; i < size; i++) {
      if (names[i].equals(name)) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public boolean containsKey(Object name) {
    return indexOf(name) >= 0;
  }

  @Override
  public Token get(Object name) {
    int i = indexOf(name);
    return i < 0 ? null : tokens[i];
  }

  @Override
  public Token put(String name, Token token) {
    if (name == null || token == null) {
      throw new NullPointerException(name == null ? "name" : "token");
    }
    int i = indexOf(name);
    if (i >= 0) {
      Token before = tokens[i];
      tokens[i] = token;
      return before;
    }
    if (size == names.length) {
      names = Arrays.copyOf(names, size * 2);
      tokens = Arrays.copyOf(tokens, size * 2);
    }
    names[size] = name;
    tokens[size++] = token;
    return null;
  }

  @Override
  public Token remove(Object name) {
    int i = indexOf(name);
    if (i < 0) {
      return null;
    }
    Token before = tokens[i];
    System.arraycopy(names, i + 1, names, i, size - i - 1);
    System.arraycopy(tokens, i + 1, tokens, i, size - i - 1);
    size--;
    names[size] = null;
    tokens[size] = null;
    return before;
  }

  @Override
  public Set<Entry<String, Token>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public int size() {
        return size;
      }

      @Override
      public Iterator<Entry<String, Token>> iterator() {
        return new Iterator<>() {
          private int next;
          private boolean removable;

          @Override
          public boolean hasNext() {
            return next < size;
          }

          @Override
          public Entry<String, Token> next() {
            if (next >= size) {
              throw new NoSuchElementException();
            }
            removable = true;
            return new SimpleImmutableEntry<>(names[next], tokens[next++]);
          }

          @Override
          public void remove() {
            if (!removable) {
              throw new IllegalStateException();
            }
            removable = false;
            GivenOptions.this.remove(names[--next]);
          }
        };
      }
    };
  }
}
