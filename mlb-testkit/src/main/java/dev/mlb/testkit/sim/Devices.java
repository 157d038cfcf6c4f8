package dev.mlb.testkit.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Interface names as small numbers, for the untraced walks: a packet's input and output device,
 * a rule's {@code -i}/{@code -o} and an ip rule's {@code iif} are compared as numbers there.
 *
 * <pre>{@code
 * Devices devices = new Devices();
 * int eth0 = devices.id("eth0");   // 1: the first name gets 1, the next 2, ...
 * devices.id("eth0");              // 1 again
 * devices.id(null);                // 0: no interface
 * devices.name(eth0);              // "eth0"
 * }</pre>
 *
 * <p>Numbers are given out on first sight and never change, so tables indexed by them (the
 * {@code -i}/{@code -o} verdict caches of the compiled rules) only ever grow. Not thread-safe.
 */
final class Devices {

  /** The number of "no interface" (a locally generated packet's input, an unrouted packet's output). */
  static final int NONE = 0;

  private final Map<String, Integer> ids = new HashMap<>();
  private final List<String> names = new ArrayList<>();

  Devices() {
    names.add(null);
  }

  /** The number of {@code name}, given out now if it has none yet; {@link #NONE} for null. */
  int id(String name) {
    if (name == null) {
      return NONE;
    }
    Integer id = ids.get(name);
    if (id == null) {
      id = names.size();
      names.add(name);
      ids.put(name, id);
    }
    return id;
  }

  /** The name numbered {@code id}; null for {@link #NONE}. */
  String name(int id) {
    return names.get(id);
  }
}
