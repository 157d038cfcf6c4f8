package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import java.util.List;

/**
 * A match module mlb does not model, kept verbatim: {@code -m MODULE ARGUMENTS...}.
 *
 * <pre>{@code
 * OpaqueMatch.of("limit", "--limit", "5/sec")   // -m limit --limit 5/sec
 * }</pre>
 *
 * <p>The arguments are the tokens as {@code iptables-restore} splits them (quotes removed); the
 * writer quotes each again where needed. mlb neither checks nor simulates them; validation says so
 * where it matters.
 *
 * @param module the module name
 * @param arguments the module's options and values, in order
 */
public record OpaqueMatch(String module, ImmutableList<String> arguments) implements Match {

  public OpaqueMatch {
    checkArgument(module != null && !module.isEmpty(), "module name is empty");
    arguments = ImmutableList.copyOf(arguments);
  }

  public static OpaqueMatch of(String module, String... arguments) {
    return new OpaqueMatch(module, ImmutableList.copyOf(arguments));
  }

  public static OpaqueMatch of(String module, List<String> arguments) {
    return new OpaqueMatch(module, ImmutableList.copyOf(arguments));
  }

  @Override
  public <R> R accept(Visitor<R> visitor) {
    return visitor.visitOpaque(this);
  }
}
