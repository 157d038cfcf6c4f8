package dev.mlb.testkit.gen;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.policy.AllDown;
import dev.mlb.api.policy.BalancingPolicy;
import dev.mlb.api.policy.Strategy;
import dev.mlb.api.policy.Uplink;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Seeded sequences of failover transitions for a policy: providers die and come back, and the
 * down set follows as {@code mlb apply} resolves it.
 *
 * <pre>{@code
 * List<UplinkStates> steps = TransitionGenerator.of(6).generate(policy, new SplittableRandom(7));
 * steps.get(0);    // dead [isp2], down [isp2]
 * steps.get(1);    // dead [], down []: isp2 is back
 * }</pre>
 *
 * <p>The sequence starts from every provider alive and nothing down (not listed) and has 1 to
 * {@code maxSteps} steps. Each step: with probability 1/4 (when something is dead) every provider
 * comes back; otherwise one uplink, or with probability 1/4 two, flip between dead and alive. Half
 * of the sequences end with everything back (a recovery), if they did not already. The down set is
 * the dead set, except under {@link AllDown#KEEP_LAST} when every provider is dead: it then stays
 * the last step's (none down if that was every uplink), as {@code mlb apply} keeps it. A
 * {@link Strategy#MULTIPATH} policy cannot fail over (validation refuses a down set with it): its
 * sequence is empty.
 */
public final class TransitionGenerator {
  private final int maxSteps;

  private TransitionGenerator(int maxSteps) {
    checkArgument(maxSteps >= 1 && maxSteps <= 100, "max steps %s is outside 1..100", maxSteps);
    this.maxSteps = maxSteps;
  }

  /** Sequences of 1 to {@code maxSteps} transitions. */
  public static TransitionGenerator of(int maxSteps) {
    return new TransitionGenerator(maxSteps);
  }

  /** The transitions for {@code policy} from the random numbers of {@code random}. */
  public List<UplinkStates> generate(BalancingPolicy policy, SplittableRandom random) {
    List<UplinkStates> out = new ArrayList<>();
    if (policy.strategy() == Strategy.MULTIPATH) {
      return out;
    }
    List<String> names = policy.uplinks().stream().map(Uplink::name).toList();
    Set<String> dead = new LinkedHashSet<>();
    Set<String> down = Set.of();
    int steps = random.nextInt(1, maxSteps + 1);
    for (int s = 0; s < steps; s++) {
      if (!dead.isEmpty() && random.nextInt(4) == 0) {
        dead.clear();
      } else {
        int flips = names.size() > 1 && random.nextInt(4) == 0 ? 2 : 1;
        for (int f = 0; f < flips; f++) {
          String name = names.get(random.nextInt(names.size()));
          if (!dead.remove(name)) {
            dead.add(name);
          }
        }
      }
      down = resolve(policy, dead, down);
      out.add(new UplinkStates(inOrder(names, dead), inOrder(names, down)));
    }
    if (!dead.isEmpty() && random.nextBoolean()) {
      dead.clear();
      out.add(new UplinkStates(Set.of(), Set.of()));
    }
    return out;
  }

  /** The down set {@code mlb apply} applies for these dead providers, after {@code last}. */
  static Set<String> resolve(BalancingPolicy policy, Set<String> dead, Set<String> last) {
    boolean all = dead.size() == policy.uplinks().size();
    if (all && policy.allDown() == AllDown.KEEP_LAST) {
      return last.size() == policy.uplinks().size() ? Set.of() : last;
    }
    return Set.copyOf(dead);
  }

  private static Set<String> inOrder(List<String> names, Set<String> set) {
    Set<String> out = new LinkedHashSet<>();
    names.stream().filter(set::contains).forEach(out::add);
    return out;
  }
}
