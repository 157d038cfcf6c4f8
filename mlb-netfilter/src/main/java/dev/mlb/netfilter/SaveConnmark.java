package dev.mlb.netfilter;

/**
 * {@code -j CONNMARK --save-mark --nfmask NF --ctmask CT}:
 * {@code ctmark = (ctmark & ~ctmask) ^ (mark & nfmask)}.
 *
 * <pre>{@code
 * SaveConnmark.all()        // --save-mark --nfmask 0xffffffff --ctmask 0xffffffff
 * SaveConnmark.mask(0xff)   // --save-mark --mask 0xff
 * }</pre>
 *
 * @param nfmask which bits of the packet mark are copied
 * @param ctmask which bits of the connection mark are cleared first
 */
public record SaveConnmark(long nfmask, long ctmask) implements Target {

  public static SaveConnmark all() {
    return new SaveConnmark(0xFFFF_FFFFL, 0xFFFF_FFFFL);
  }

  /** {@code --save-mark --mask m}: both masks {@code m}. */
  public static SaveConnmark mask(long mask) {
    return new SaveConnmark(mask, mask);
  }

  /** The connection mark after saving {@code mark} into {@code ctmark}. */
  public long apply(long mark, long ctmark) {
    return ((ctmark & ~ctmask) ^ (mark & nfmask)) & 0xFFFF_FFFFL;
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
