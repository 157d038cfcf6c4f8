package dev.mlb.api;

import com.google.common.collect.ImmutableList;
import java.util.List;

/**
 * What a compiler produced, and what it found on the way: warnings about what could not be
 * realised exactly, notes about what it chose.
 *
 * <pre>{@code
 * Compilation<Ruleset> c = BalancingRules.compile(policy, IpFamily.V4);
 * c.output();                                   // the ruleset
 * c.findings().forEach(System.out::println);    // "warning [random-inexact] uplinks[1].weight: ..."
 * }</pre>
 *
 * @param output the compiled artefact
 * @param findings warnings and notes, never errors (an invalid input throws
 *     {@link ValidationException} instead)
 * @param <T> the artefact's type
 */
public record Compilation<T>(T output, ImmutableList<Finding> findings) {
  public Compilation {
    if (output == null) {
      throw new NullPointerException("output");
    }
    findings = ImmutableList.copyOf(findings);
  }

  public static <T> Compilation<T> of(T output, List<Finding> findings) {
    return new Compilation<>(output, ImmutableList.copyOf(findings));
  }
}
