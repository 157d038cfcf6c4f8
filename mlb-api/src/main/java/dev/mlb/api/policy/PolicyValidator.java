package dev.mlb.api.policy;

import dev.mlb.api.Finding;
import java.util.ArrayList;
import java.util.List;

/** The checks behind {@link BalancingPolicy#validate()}. */
final class PolicyValidator {
  private PolicyValidator() {}

  static List<Finding> validate(BalancingPolicy policy) {
    List<Finding> out = new ArrayList<>();
    // TODO(policy-model helper): every check; see BalancingPolicy's class comment.
    return out;
  }
}
