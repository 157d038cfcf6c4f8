package dev.mlb.iproute;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.Numbers;

/**
 * A routing table, by its id.
 *
 * <pre>{@code
 * RoutingTable.of(101).toString();        // "101"
 * RoutingTable.parse("main");             // main (254)
 * RoutingTable.parse("0x65").id();        // 101
 * RoutingTable.parse("0");                // IllegalArgumentException: 0 is not a table
 * }</pre>
 *
 * <p>Ids run from 1 to 2<sup>32</sup>-1. {@code default} (253), {@code main} (254) and
 * {@code local} (255) are reserved and print by name, as {@code ip} prints them; every other id
 * prints as its number, because a name only works where the machine's {@code rt_tables} has it.
 * Names for the other tables live in the {@link RoutingPlan} ({@link RoutingPlan#tableNames()}).
 *
 * @param id 1 to 4294967295
 */
public record RoutingTable(long id) implements Comparable<RoutingTable> {

  /** The largest table id. */
  public static final long MAX_ID = 0xFFFF_FFFFL;
  /** {@code default}, 253: consulted last by the default rule 32767 (IPv4). */
  public static final RoutingTable DEFAULT = new RoutingTable(253);
  /** {@code main}, 254: where routes go when no table is given. */
  public static final RoutingTable MAIN = new RoutingTable(254);
  /** {@code local}, 255: local and broadcast addresses, kept by the kernel. */
  public static final RoutingTable LOCAL = new RoutingTable(255);

  public RoutingTable {
    checkArgument(
        id >= 1 && id <= MAX_ID,
        "routing table id %s is outside 1..4294967295 (0 is unspecified, not a table)",
        id);
  }

  /** The table with this id. */
  public static RoutingTable of(long id) {
    return new RoutingTable(id);
  }

  /**
   * Parses {@code main}, {@code local}, {@code default} or a number 1 to 4294967295 (decimal or 0x
   * hex).
   *
   * @throws IllegalArgumentException naming {@code text} if it is none of these
   */
  public static RoutingTable parse(String text) {
    checkArgument(text != null, "routing table is null");
    switch (text) {
      case "main":
        return MAIN;
      case "local":
        return LOCAL;
      case "default":
        return DEFAULT;
      default:
        break;
    }
    long v = Numbers.parseUnsigned(text, MAX_ID);
    if (v < 1) {
      throw new IllegalArgumentException(
          "\"" + text + "\" is not a routing table; expected main, local, default or a number 1 to 4294967295");
    }
    return new RoutingTable(v);
  }

  /** Whether this is main, local or default. */
  public boolean isReserved() {
    return id == 253 || id == 254 || id == 255;
  }

  @Override
  public int compareTo(RoutingTable o) {
    return Long.compare(id, o.id);
  }

  /** {@code main}, {@code local}, {@code default} or the number. */
  @Override
  public String toString() {
    if (id == 253) {
      return "default";
    } else if (id == 254) {
      return "main";
    } else if (id == 255) {
      return "local";
    }
    return Long.toString(id);
  }
}
