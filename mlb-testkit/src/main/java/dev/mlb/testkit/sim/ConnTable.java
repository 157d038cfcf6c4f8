package dev.mlb.testkit.sim;

import dev.mlb.api.IpAddress;
import java.util.Arrays;

/**
 * One direction's conntrack index: the tuples of that direction to entries, with
 * {@link java.util.HashMap}'s meaning (a tuple maps to one entry; put replaces, remove forgets the
 * tuple), the tuple being read from the entry (which the simulator does not change while it is
 * indexed). A lookup compares the packet's header fields and allocates nothing. The simulator
 * forgets a flow's entries when the flow ends, so an index holds a handful of entries and a
 * linear scan is the fastest search.
 *
 * <pre>{@code
 * ConnTable byOriginal = new ConnTable(false);
 * byOriginal.put(conn);
 * byOriginal.get(6, src, 40000, dst, 443);     // conn
 * byOriginal.remove(conn);
 * }</pre>
 */
final class ConnTable {
  /** Whether the keys are the entries' reply tuples (else their original tuples). */
  private final boolean reply;
  private Conn[] entries = new Conn[8];
  private int size;

  ConnTable(boolean reply) {
    this.reply = reply;
  }

  /** The entry whose tuple of this direction has these fields, or null. */
  Conn get(int protocol, IpAddress src, int sport, IpAddress dst, int dport) {
    for (int i = 0; i < size; i++) {
      Conn c = entries[i];
      if (reply ? c.isReply(protocol, src, sport, dst, dport) : c.isOriginal(protocol, src, sport, dst, dport)) {
        return c;
      }
    }
    return null;
  }

  private int indexOf(Conn conn) {
    for (int i = 0; i < size; i++) {
      if (reply ? entries[i].sameReply(conn) : entries[i].sameOriginal(conn)) {
        return i;
      }
    }
    return -1;
  }

  /** Maps the tuple of {@code conn} to {@code conn}, replacing the entry it mapped to. */
  void put(Conn conn) {
    int i = indexOf(conn);
    if (i >= 0) {
      entries[i] = conn;
      return;
    }
    if (size == entries.length) {
      entries = Arrays.copyOf(entries, size * 2);
    }
    entries[size++] = conn;
  }

  /** Forgets the tuple of {@code conn}, whichever entry it mapped to. */
  void remove(Conn conn) {
    int i = indexOf(conn);
    if (i < 0) {
      return;
    }
    size--;
    entries[i] = entries[size];
    entries[size] = null;
  }

  /** Forgets every tuple. */
  void clear() {
    Arrays.fill(entries, 0, size, null);
    size = 0;
  }
}
