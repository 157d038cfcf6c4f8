package dev.mlb.netfilter;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.ParseException;
import dev.mlb.api.Protocol;

/**
 * What a module's reader may ask of the rule it is read in ({@link RestoreParser}'s rule grammar
 * implements it): errors at a word of the line, the ruleset's family and the rule's {@code -p} so far.
 *
 * <pre>{@code
 * throw rule.error(arg, "bad value \"x\" for --mark; ...");   // line 3, column 17: bad value ...
 * }</pre>
 */
interface ModuleContext {

  /** An error at {@code at}, naming the source, the line and the column. */
  ParseException error(Token at, String problem);

  /** The next word of the rule, the argument of {@code option}; an error if the line ends. */
  Token argumentOf(Token option);

  /** The ruleset's family. */
  IpFamily family();

  /** The rule's {@code -p} read so far, or null. */
  Protocol protocol();

  /** Whether that {@code -p} is negated. */
  boolean protocolNegated();

  /** {@code text} (part of {@code arg}) as an address, or an error at {@code arg}. */
  IpAddress address(Token arg, String text);

  /**
   * An error at {@code arg} unless {@code address} is of the ruleset's family; the message names
   * {@code option} and {@code value} (the message is made only when it is needed).
   */
  void checkFamily(Token arg, String option, String value, IpAddress address);
}
