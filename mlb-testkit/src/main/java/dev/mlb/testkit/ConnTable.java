package dev.mlb.testkit;

import dev.mlb.api.IpAddress;
import java.util.Arrays;

/**
 * One direction's conntrack index: tuples to entries, with {@link java.util.HashMap}'s meaning
 * (a key maps to one entry; put replaces, remove forgets the key) but found by comparing the
 * packet's header fields, so a lookup allocates nothing. The simulator forgets a flow's entries
 * when the flow ends, so an index holds a handful of keys and a linear scan is the fastest search.
 *
 * <pre>{@code
 * ConnTable byOriginal = new ConnTable();
 * byOriginal.put(conn.original, conn);
 * byOriginal.get(6, src, 40000, dst, 443);     // conn
 * byOriginal.remove(conn.original);
 * }</pre>
 */
final class ConnTable {
  private Tuple[] keys = new Tuple[8];
  private Conn[] values = new Conn[8];
  private int size;

  /** The entry of the tuple with these fields, or null. */
  Conn get(int protocol, IpAddress src, int sport, IpAddress dst, int dport) {
    for (int i = 0; i < size; i++) {
      Tuple k = keys[i];
      if (k.sport() == sport && k.dport() == dport && k.protocol() == protocol && k.src().equals(src)
          && k.dst().equals(dst)) {
        return values[i];
      }
    }
    return null;
  }

  private int indexOf(Tuple key) {
    for (int i = 0; i < size; i++) {
      if (keys[i].equals(key)) {
        return i;
      }
    }
    return -1;
  }

  /** Maps {@code key} to {@code conn}, replacing what it mapped to. */
  void put(Tuple key, Conn conn) {
    int i = indexOf(key);
    if (i >= 0) {
      values[i] = conn;
      return;
    }
    if (size == keys.length) {
      keys = Arrays.copyOf(keys, size * 2);
      values = Arrays.copyOf(values, size * 2);
    }
    keys[size] = key;
    values[size] = conn;
    size++;
  }

  /** Forgets {@code key}, whichever entry it mapped to. */
  void remove(Tuple key) {
    int i = indexOf(key);
    if (i < 0) {
      return;
    }
    size--;
    keys[i] = keys[size];
    values[i] = values[size];
    keys[size] = null;
    values[size] = null;
  }

  /** Forgets every key. */
  void clear() {
    Arrays.fill(keys, 0, size, null);
    Arrays.fill(values, 0, size, null);
    size = 0;
  }

  /** The number of keys. */
  int size() {
    return size;
  }
}
