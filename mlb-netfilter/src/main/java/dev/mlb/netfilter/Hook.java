package dev.mlb.netfilter;

/**
 * A netfilter hook: where in the kernel's path a built-in chain is attached. The declaration order
 * is the order {@code iptables-save} prints built-in chains in.
 */
public enum Hook {
  PREROUTING,
  INPUT,
  FORWARD,
  OUTPUT,
  POSTROUTING;

  /** Whether a packet at this hook has an input interface ({@code -i} is allowed). */
  /** The hook called {@code chain} (a built-in chain's name), or null. */
  static Hook named(String chain) {
    // Most user chains fail at the length or the first letter, before the switch hashes the name.
    int length = chain.length();
    if (length < 5 || length > 11) {
      return null;
    }
    char first = chain.charAt(0);
    if (first != 'P' && first != 'I' && first != 'F' && first != 'O') {
      return null;
    }
    switch (chain) {
      case "PREROUTING":
        return PREROUTING;
      case "INPUT":
        return INPUT;
      case "FORWARD":
        return FORWARD;
      case "OUTPUT":
        return OUTPUT;
      case "POSTROUTING":
        return POSTROUTING;
      default:
        return null;
    }
  }

  public boolean hasInputInterface() {
    return this == PREROUTING || this == INPUT || this == FORWARD;
  }

  /** Whether a packet at this hook has an output interface ({@code -o} is allowed). */
  public boolean hasOutputInterface() {
    return this == FORWARD || this == OUTPUT || this == POSTROUTING;
  }
}
