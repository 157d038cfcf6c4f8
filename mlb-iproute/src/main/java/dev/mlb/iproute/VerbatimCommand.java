package dev.mlb.iproute;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import java.util.List;

/**
 * An {@code ip -batch} command that mlb does not model, kept word for word so it renders back
 * exactly.
 *
 * <pre>{@code
 * VerbatimCommand c = VerbatimCommand.of(List.of("rule", "add", "priority", "5", "tos", "0x10", "lookup", "7"));
 * c.toString();   // "rule add priority 5 tos 0x10 lookup 7"
 * }</pre>
 *
 * <p>Each word must be writable as one batch token (see {@link IpBatchWriter}); mlb does not check
 * what the command means, so validation reports it as a warning.
 *
 * @param args the words after {@code ip}, as iproute2's batch reader splits the line
 * @param line the line it was read from, or 0 if not parsed
 */
public record VerbatimCommand(ImmutableList<String> args, int line) {

  public VerbatimCommand {
    checkArgument(args != null && !args.isEmpty(), "a verbatim command needs at least one word");
    for (String a : args) {
      checkArgument(
          Tokens.quote(a) != null,
          "word \"%s\" cannot be written into an ip -batch line as one token", a);
    }
  }

  /** The command with these words. */
  public static VerbatimCommand of(List<String> args) {
    return new VerbatimCommand(ImmutableList.copyOf(args), 0);
  }

  /** Equal when the words are; the line does not count. */
  @Override
  public boolean equals(Object o) {
    return o instanceof VerbatimCommand && ((VerbatimCommand) o).args.equals(args);
  }

  @Override
  public int hashCode() {
    return args.hashCode();
  }

  /** The words, quoted where needed, as {@link IpBatchWriter} writes them. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    for (String a : args) {
      if (b.length() > 0) {
        b.append(' ');
      }
      b.append(Tokens.quote(a));
    }
    return b.toString();
  }
}
