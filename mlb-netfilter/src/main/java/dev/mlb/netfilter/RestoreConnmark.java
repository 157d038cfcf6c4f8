package dev.mlb.netfilter;

/**
 * {@code -j CONNMARK --restore-mark --nfmask NF --ctmask CT}:
 * {@code mark = (mark & ~nfmask) ^ (ctmark & ctmask)}.
 *
 * <pre>{@code
 * RestoreConnmark.all()   // --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff
 * }</pre>
 *
 * @param nfmask which bits of the packet mark are cleared first
 * @param ctmask which bits of the connection mark are copied
 */
public record RestoreConnmark(long nfmask, long ctmask) implements Target {

  public static RestoreConnmark all() {
    return new RestoreConnmark(0xFFFF_FFFFL, 0xFFFF_FFFFL);
  }

  /** {@code --restore-mark --mask m}: both masks {@code m}. */
  public static RestoreConnmark mask(long mask) {
    return new RestoreConnmark(mask, mask);
  }

  /** The packet mark after restoring from {@code ctmark}. */
  public long apply(long mark, long ctmark) {
    return ((mark & ~nfmask) ^ (ctmark & ctmask)) & 0xFFFF_FFFFL;
  }

  @Override
  public String name() {
    return "CONNMARK";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }
}
