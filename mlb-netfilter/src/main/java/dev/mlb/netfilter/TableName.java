package dev.mlb.netfilter;

import com.google.common.collect.ImmutableList;
import java.util.Locale;
import java.util.Optional;

/**
 * The iptables tables mlb models. The declaration order is the order in which
 * {@code iptables-save} (iptables-nft 1.8) prints tables, whatever order they were loaded in.
 */
public enum TableName {
  MANGLE(Hook.PREROUTING, Hook.INPUT, Hook.FORWARD, Hook.OUTPUT, Hook.POSTROUTING),
  SECURITY(Hook.INPUT, Hook.FORWARD, Hook.OUTPUT),
  RAW(Hook.PREROUTING, Hook.OUTPUT),
  FILTER(Hook.INPUT, Hook.FORWARD, Hook.OUTPUT),
  NAT(Hook.PREROUTING, Hook.INPUT, Hook.OUTPUT, Hook.POSTROUTING);

  private final ImmutableList<Hook> hooks;
  private final String id;

  TableName(Hook... hooks) {
    this.hooks = ImmutableList.copyOf(hooks);
    this.id = name().toLowerCase(Locale.ROOT);
  }

  /** The built-in chains of this table, in the order iptables-save prints them. */
  public ImmutableList<Hook> hooks() {
    return hooks;
  }

  /** Whether {@code chain} names a built-in chain of this table. */
  public boolean isBuiltin(String chain) {
    // Built-in chain names are upper case; most user chains are not, and fail at the first character.
    if (chain.isEmpty() || chain.charAt(0) < 'F' || chain.charAt(0) > 'P') {
      return false;
    }
    for (Hook h : hooks) {
      if (h.name().equals(chain)) {
        return true;
      }
    }
    return false;
  }

  /** The hook of the built-in chain {@code chain}, if it is one of this table. */
  public Optional<Hook> hook(String chain) {
    for (Hook h : hooks) {
      if (h.name().equals(chain)) {
        return Optional.of(h);
      }
    }
    return Optional.empty();
  }

  /** The table's name as iptables writes it: {@code mangle}, {@code nat}, ... */
  public String id() {
    return id;
  }

  /** The table called {@code id}, if mlb models it. */
  public static Optional<TableName> fromId(String id) {
    for (TableName t : values()) {
      if (t.id().equals(id)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return id();
  }
}
