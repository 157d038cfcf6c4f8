package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import java.util.List;

/**
 * A target extension mlb does not model, kept verbatim: {@code -j NAME ARGUMENTS...}.
 *
 * <pre>{@code
 * OpaqueTarget.of("LOG", "--log-prefix", "mlb: ")   // -j LOG --log-prefix "mlb: "
 * }</pre>
 *
 * <p>mlb treats the kernel's well-known terminating targets (REJECT, DNAT, REDIRECT, NETMAP,
 * QUEUE, NFQUEUE, TPROXY, SYNPROXY) as ending traversal, and every other as going on.
 *
 * <p>As for {@link OpaqueMatch}, {@code quoted} names the arguments that were written in double
 * quotes; they are written back so.
 *
 * @param name the target's name
 * @param arguments its options and values, in order, quotes removed
 * @param quoted the indexes of the arguments that were quoted
 */
public record OpaqueTarget(String name, ImmutableList<String> arguments, ImmutableSet<Integer> quoted)
    implements Target {

  /** Targets of the kernel that end traversal. */
  private static final ImmutableList<String> TERMINATING =
      ImmutableList.of("REJECT", "DNAT", "REDIRECT", "NETMAP", "QUEUE", "NFQUEUE", "TPROXY", "SYNPROXY");

  public OpaqueTarget {
    checkArgument(name != null && !name.isEmpty(), "target name is empty");
    arguments = ImmutableList.copyOf(arguments);
    quoted = RestoreWriter.quotedArguments(arguments, quoted);
    for (int i : quoted) {
      checkArgument(i >= 0 && i < arguments.size(), "quoted index %s is outside the %s arguments", i,
          arguments.size());
    }
  }

  /** The target with arguments written bare where they can be. */
  public OpaqueTarget(String name, ImmutableList<String> arguments) {
    this(name, arguments, ImmutableSet.of());
  }

  public static OpaqueTarget of(String name, String... arguments) {
    return of(name, ImmutableList.copyOf(arguments));
  }

  public static OpaqueTarget of(String name, List<String> arguments) {
    return new OpaqueTarget(name, ImmutableList.copyOf(arguments));
  }

  @Override
  public boolean isTerminating() {
    return TERMINATING.contains(name);
  }
}
