package dev.mlb.netfilter;

import dev.mlb.api.Finding;
import java.util.List;

/**
 * Where the findings of one rule (or chain) go: errors and warnings at its location, whose text
 * is made only when there is a finding (most rules have none).
 *
 * <pre>{@code
 * findings.error("mark-range", "MARK --set-xmark value 4294967296 ... does not fit in 32 bits; ...");
 * // error [mark-range] table mangle, chain PREROUTING, rule 3: MARK --set-xmark value ...
 * }</pre>
 */
final class Findings {
  private final List<Finding> errors;
  private final List<Finding> warnings;
  private final TableName table;
  private final String chain;
  /** The rule's number in its chain, from 1. */
  private final int index;

  Findings(List<Finding> errors, List<Finding> warnings, TableName table, String chain, int index) {
    this.errors = errors;
    this.warnings = warnings;
    this.table = table;
    this.chain = chain;
    this.index = index;
  }

  /** The location text: {@code table mangle, chain PREROUTING, rule 3}. */
  String location() {
    return RulesetValidator.location(table, chain, index);
  }

  void error(String code, String message) {
    errors.add(Finding.error(code, location(), message));
  }

  void warning(String code, String message) {
    warnings.add(Finding.warning(code, location(), message));
  }
}
