package dev.mlb.testkit.live;

import com.google.common.collect.ImmutableList;
import dev.mlb.testkit.live.FakeRouter.Failure;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** The failures injected into a {@link FakeRouter}: which commands fail, on which run, how. */
final class FakeFaults {
  /** What {@link FakeRouter#failOn(Predicate)} makes a command do. */
  static final Failure DEFAULT = Failure.exit(1, "injected failure\n");

  private static final class Fault {
    final Predicate<List<String>> command;
    /** The run that fails, from 1; 0 for every run. */
    final int nth;
    final Failure failure;
    int seen;

    Fault(Predicate<List<String>> command, int nth, Failure failure) {
      this.command = command;
      this.nth = nth;
      this.failure = failure;
    }
  }

  private final List<Fault> faults = new ArrayList<>();

  void add(Predicate<List<String>> command, int nth, Failure failure) {
    faults.add(new Fault(command, nth, failure));
  }

  void clear() {
    faults.clear();
  }

  /**
   * The failure for this run of {@code argv}, or null: the first fault that matches and is due
   * (every matching fault counts the run). A failure at a line is one only for a command that
   * reads lines ({@code *-restore}, {@code ip -batch}); any other command fails with exit 1.
   */
  Failure match(ImmutableList<String> argv) {
    Failure chosen = null;
    for (Fault f : faults) {
      if (f.command.test(argv)) {
        f.seen++;
        if (chosen == null && (f.nth == 0 || f.seen == f.nth)) {
          chosen = f.failure;
        }
      }
    }
    if (chosen != null && chosen.line() > 0 && !readsLines(argv)) {
      return DEFAULT;
    }
    return chosen;
  }

  private static boolean readsLines(List<String> argv) {
    return argv.get(0).endsWith("-restore") || argv.get(0).equals("ip") && argv.contains("-batch");
  }
}
