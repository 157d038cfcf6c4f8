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
  /** Bit {@code h.ordinal()} for each of {@link #hooks}. */
  private final int hookBits;
  private final String id;

  TableName(Hook... hooks) {
    this.hooks = ImmutableList.copyOf(hooks);
    int bits = 0;
    for (Hook h : hooks) {
      bits |= 1 << h.ordinal();
    }
    this.hookBits = bits;
    this.id = name().toLowerCase(Locale.ROOT);
  }

  /** The built-in chains of this table, in the order iptables-save prints them. */
  public ImmutableList<Hook> hooks() {
    return hooks;
  }

  /** Whether {@code chain} names a built-in chain of this table. */
  public boolean isBuiltin(String chain) {
    Hook h = Hook.named(chain);
    return h != null && (hookBits & 1 << h.ordinal()) != 0;
  }

  /** The hook of the built-in chain {@code chain}, if it is one of this table. */
  public Optional<Hook> hook(String chain) {
    Hook h = Hook.named(chain);
    return h != null && (hookBits & 1 << h.ordinal()) != 0 ? Optional.of(h) : Optional.empty();
  }

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
