package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * {@code -j CHAIN}: traverse the user chain, then come back to the next rule (unless the chain
 * ended in a verdict).
 *
 * <pre>{@code
 * new Jump("balance1")   // -j balance1
 * }</pre>
 *
 * @param chain the user chain's name
 */
public record Jump(String chain) implements Target {
  public Jump {
    checkArgument(chain != null && !chain.isEmpty(), "jump target chain is empty");
  }

  @Override
  public String name() {
    return chain;
  }

  @Override
  public boolean isTerminating() {
    return false;
  }
}
