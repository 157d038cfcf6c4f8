package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import java.util.List;

/**
 * A match module mlb does not model, kept verbatim: {@code -m MODULE ARGUMENTS...}.
 *
 * <pre>{@code
 * OpaqueMatch.of("u32", "--u32", "0x0>>0x16&0x3c@0x0>>0x10=0x50")   // -m u32 --u32 0x0>>0x16&0x3c@0x0>>0x10=0x50
 * }</pre>
 *
 * <p>The arguments are the words as {@code iptables-restore} splits them (quotes removed), and
 * {@code quoted} says which of them were written in double quotes: those are written back in
 * quotes, escaped as {@code iptables-save} escapes them, so text read from {@code iptables-save}
 * renders back byte for byte. Words that cannot be written bare (empty, or holding a blank or a
 * double quote) always count as quoted; the others are written bare. mlb neither
 * checks nor simulates unmodelled modules; validation says so.
 *
 * @param module the module name
 * @param arguments the module's options and values, in order
 * @param quoted the indexes of the arguments that were quoted
 */
public record OpaqueMatch(String module, ImmutableList<String> arguments, ImmutableSet<Integer> quoted)
    implements Match {

  public OpaqueMatch {
    checkArgument(module != null && !module.isEmpty(), "module name is empty");
    arguments = ImmutableList.copyOf(arguments);
    quoted = RestoreWriter.quotedArguments(arguments, quoted);
    for (int i : quoted) {
      checkArgument(i >= 0 && i < arguments.size(), "quoted index %s is outside the %s arguments", i,
          arguments.size());
    }
  }

  /** The module with arguments written bare where they can be. */
  public OpaqueMatch(String module, ImmutableList<String> arguments) {
    this(module, arguments, ImmutableSet.of());
  }

  public static OpaqueMatch of(String module, String... arguments) {
    return new OpaqueMatch(module, ImmutableList.copyOf(arguments));
  }

  public static OpaqueMatch of(String module, List<String> arguments) {
    return new OpaqueMatch(module, ImmutableList.copyOf(arguments));
  }
}
