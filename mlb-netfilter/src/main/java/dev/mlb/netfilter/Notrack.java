package dev.mlb.netfilter;

/**
 * {@code -j NOTRACK}: the packet is not tracked (raw table only).
 *
 * <pre>{@code
 * Notrack.INSTANCE     // -j NOTRACK
 * }</pre>
 *
 * <p>iptables-nft 1.8.9 keeps the name: iptables-save prints {@code -j NOTRACK}, not
 * {@code -j CT --notrack} (which is {@link Ct#notrack()}). It takes no option.
 */
public record Notrack() implements Target {
  /** The target. */
  public static final Notrack INSTANCE = new Notrack();

  @Override
  public String name() {
    return "NOTRACK";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }
}
