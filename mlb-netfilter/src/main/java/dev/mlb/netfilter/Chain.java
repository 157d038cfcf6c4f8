package dev.mlb.netfilter;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.MlbStyle;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * A chain: a built-in one (attached to a hook, with a policy) or a user chain (reached by jumps).
 *
 * <pre>{@code
 * Chain balance = Chain.builder()
 *     .name("balance1")
 *     .addRules(Rule.builder().target(SetConnmark.set(1)).build())
 *     .build();
 * Chain prerouting = Chain.builder().name("PREROUTING").policy(Policy.ACCEPT).build();
 * }</pre>
 *
 * <p>Whether a chain is built-in depends on its table; {@link Table} decides, fills in missing
 * built-in chains, and gives built-in chains without a policy {@code ACCEPT}.
 */
@Value.Immutable
@MlbStyle
public abstract class Chain {

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link Chain}. */
  public static final class Builder extends ImmutableChain.Builder {}

  /** An empty user chain. */
  public static Chain user(String name) {
    return builder().name(name).build();
  }

  /** The chain's name. */
  public abstract String name();

  /** The policy; present exactly for built-in chains once inside a {@link Table}. */
  public abstract Optional<Policy> policy();

  /** The rules, in order. */
  public abstract ImmutableList<Rule> rules();

  /**
   * The chains this chain's rules jump or go to, each once, in the order of their first rule;
   * worked out once when the chain is built (validation walks the jump graph, not the rules).
   */
  @Value.Derived
  @Value.Auxiliary
  ImmutableList<String> jumpTargets() {
    // Most chains jump to a few chains: those are kept in a list, searched; a set from the ninth on.
    ImmutableList.Builder<String> targets = null;
    String[] few = null;
    int count = 0;
    java.util.Set<String> many = null;
    for (Rule r : rules()) {
      if ((r.screen() & RulesetValidator.JUMP) == 0) {
        continue;
      }
      Target t = r.target().get();
      String chain = t instanceof Jump j ? j.chain() : ((Goto) t).chain();
      if (many != null) {
        if (!many.add(chain)) {
          continue;
        }
      } else {
        if (few == null) {
          few = new String[8];
          targets = ImmutableList.builder();
        }
        boolean seen = false;
        for (int i = 0; i < count && !seen; i++) {
          seen = few[i].equals(chain);
        }
        if (seen) {
          continue;
        }
        if (count == few.length) {
          many = new java.util.HashSet<>(java.util.Arrays.asList(few));
          many.add(chain);
        } else {
          few[count++] = chain;
        }
      }
      targets.add(chain);
    }
    return targets == null ? ImmutableList.of() : targets.build();
  }

  /** This chain with {@code rule} appended. */
  public Chain withRule(Rule rule) {
    return builder().from(this).addRules(rule).build();
  }
}
