package dev.mlb.testkit.live;

import com.google.common.collect.ImmutableList;
import java.util.List;

/**
 * A change refused before anything ran: the router holds something of another program where mlb
 * needs to write. The message has one line per conflict; the router is unchanged.
 */
public final class ConflictException extends LiveException {
  private static final long serialVersionUID = 1L;
  private final ImmutableList<String> conflicts;

  public ConflictException(String what, List<String> conflicts) {
    super("mlb " + what + " refused, nothing changed:\n" + String.join("\n", conflicts));
    this.conflicts = ImmutableList.copyOf(conflicts);
  }

  /** One line per conflict. */
  public List<String> conflicts() {
    return conflicts;
  }
}
