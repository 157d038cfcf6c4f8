package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * {@code -g CHAIN}: continue in the user chain and do not come back; a RETURN there returns to the
 * chain that jumped to this one.
 *
 * <pre>{@code
 * new Goto("uplink_a")   // -g uplink_a
 * }</pre>
 *
 * @param chain the user chain's name
 */
public record Goto(String chain) implements Target {
  public Goto {
    checkArgument(chain != null && !chain.isEmpty(), "goto target chain is empty");
  }

  @Override
  public String name() {
    return chain;
  }

  @Override
  public boolean isTerminating() {
    return true;
  }
}
