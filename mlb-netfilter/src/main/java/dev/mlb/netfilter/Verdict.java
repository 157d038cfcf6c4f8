package dev.mlb.netfilter;

/** The built-in verdicts: {@code -j ACCEPT}, {@code -j DROP}, {@code -j RETURN}. */
public enum Verdict implements Target {
  ACCEPT,
  DROP,
  RETURN;

  @Override
  public boolean isTerminating() {
    return true;
  }
}
