package dev.mlb.testkit.live;

import dev.mlb.api.IpFamily;

/**
 * The two ways {@code iptables} reaches the kernel: the nftables compatibility layer
 * ({@code iptables-nft}, the default of current distributions) and the old x_tables interface
 * ({@code iptables-legacy}). A router uses one; rules loaded through the other live in separate
 * kernel tables that the first one's {@code iptables-save} does not show.
 *
 * <pre>{@code
 * Backend.NFT.save(IpFamily.V6);      // "ip6tables-nft-save"
 * Backend.LEGACY.restore(IpFamily.V4); // "iptables-legacy-restore"
 * }</pre>
 */
public enum Backend {
  /** {@code iptables-nft}: rules in nftables tables, shown by {@code iptables-nft-save}. */
  NFT("nft", "nf_tables"),
  /** {@code iptables-legacy}: rules in x_tables, shown by {@code iptables-legacy-save}. */
  LEGACY("legacy", "legacy");

  private final String suffix;
  private final String versionWord;

  Backend(String suffix, String versionWord) {
    this.suffix = suffix;
    this.versionWord = versionWord;
  }

  /** {@code iptables-nft-save} or {@code ip6tables-legacy-save}. */
  public String save(IpFamily family) {
    return tool(family) + "-" + suffix + "-save";
  }

  /** {@code iptables-nft-restore} or {@code ip6tables-legacy-restore}. */
  public String restore(IpFamily family) {
    return tool(family) + "-" + suffix + "-restore";
  }

  /** What {@code iptables -V} prints in brackets for this backend: {@code nf_tables} or {@code legacy}. */
  public String versionWord() {
    return versionWord;
  }

  private static String tool(IpFamily family) {
    return family == IpFamily.V4 ? "iptables" : "ip6tables";
  }

  @Override
  public String toString() {
    return "iptables-" + suffix;
  }
}
