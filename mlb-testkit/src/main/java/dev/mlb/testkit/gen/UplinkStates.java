package dev.mlb.testkit.gen;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableSet;
import java.util.Set;

/**
 * The uplinks' state after one failover transition: which providers are dead (they drop every
 * packet) and which uplinks the router takes to be down (the policy's {@code down} set, which
 * {@code mlb watch} or {@code mlb apply --down} would apply).
 *
 * <pre>{@code
 * new UplinkStates(Set.of("isp2"), Set.of("isp2"));                 // isp2 died and was taken down
 * new UplinkStates(Set.of("isp1", "isp2"), Set.of("isp2"));         // keep-last: isp1 stays in use
 * }</pre>
 *
 * <p>The two differ only under all-down keep-last, when every provider is dead: the down set then
 * stays the last one, as {@code mlb apply} keeps it.
 *
 * @param dead the uplinks (by name) whose provider is dead
 * @param down the uplinks (by name) the policy is compiled with down
 */
public record UplinkStates(Set<String> dead, Set<String> down) {
  public UplinkStates {
    checkArgument(dead != null && down != null, "null set");
    dead = ImmutableSet.copyOf(dead);
    down = ImmutableSet.copyOf(down);
  }

  @Override
  public String toString() {
    return "dead " + dead + ", down " + down;
  }
}
