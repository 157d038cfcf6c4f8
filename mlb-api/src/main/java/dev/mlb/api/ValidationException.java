package dev.mlb.api;

import com.google.common.collect.ImmutableList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Thrown when something is rendered or applied while validation reports errors. Carries every
 * finding, errors first.
 *
 * <pre>{@code
 * try {
 *   IptablesWriter.render(ruleset);
 * } catch (ValidationException e) {
 *   e.findings().forEach(System.err::println);
 * }
 * }</pre>
 */
public final class ValidationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ImmutableList<Finding> findings;

  public ValidationException(List<Finding> findings) {
    super(describe(findings));
    this.findings = ImmutableList.copyOf(findings);
  }

  /** The findings, errors and warnings alike. */
  public ImmutableList<Finding> findings() {
    return findings;
  }

  private static String describe(List<Finding> findings) {
    List<Finding> errors = findings.stream().filter(Finding::isError).collect(Collectors.toList());
    return errors.size() + (errors.size() == 1 ? " error" : " errors") + ":\n"
        + errors.stream().map(Finding::toString).collect(Collectors.joining("\n"));
  }
}
