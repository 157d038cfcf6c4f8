package dev.mlb.testkit.live;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.IpFamily;
import dev.mlb.testkit.live.ToolRunner.Result;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * The connection tracking table of a {@link FakeRouter} and {@code conntrack -L} / {@code -D} on it
 * (conntrack-tools 1.4.7), with the {@code -m MARK[/MASK]} and {@code -f ipv4|ipv6} filters.
 */
final class FakeConntrack {
  private static final String PREFIX = "conntrack v1.4.7 (conntrack-tools): ";

  private final List<FakeConnection> entries = new ArrayList<>();

  void add(FakeConnection c) {
    entries.add(c);
  }

  ImmutableList<FakeConnection> entries() {
    return ImmutableList.copyOf(entries);
  }

  /** {@code conntrack -L|-D [-m MARK[/MASK]] [-f ipv4|ipv6]}. */
  Result run(ImmutableList<String> command) {
    String op = null;
    Optional<long[]> mark = Optional.empty();
    Optional<IpFamily> family = Optional.empty();
    for (int i = 1; i < command.size(); i++) {
      String a = command.get(i);
      switch (a) {
        case "-L", "--dump", "-D", "--delete" -> {
          if (op != null) {
            throw FakeRouter.notModelled(command, "two commands");
          }
          op = a.equals("-L") || a.equals("--dump") ? "L" : "D";
        }
        case "-m", "--mark" -> {
          if (++i >= command.size()) {
            throw FakeRouter.notModelled(command, "-m without a mark");
          }
          mark = Optional.of(mark(command.get(i)));
        }
        case "-f", "--family" -> {
          if (++i >= command.size()) {
            throw FakeRouter.notModelled(command, "-f without a family");
          }
          family = Optional.of(switch (command.get(i)) {
            case "ipv4" -> IpFamily.V4;
            case "ipv6" -> IpFamily.V6;
            default -> throw FakeRouter.notModelled(command, "family " + command.get(i));
          });
        }
        default -> throw FakeRouter.notModelled(command, "option " + a);
      }
    }
    if (op == null) {
      throw FakeRouter.notModelled(command, "conntrack without -L or -D");
    }
    StringBuilder out = new StringBuilder();
    int n = 0;
    for (Iterator<FakeConnection> it = entries.iterator(); it.hasNext(); ) {
      FakeConnection c = it.next();
      if (family.isPresent() && c.family() != family.get()) {
        continue;
      }
      if (mark.isPresent() && (c.mark() & mark.get()[1]) != mark.get()[0]) {
        continue;
      }
      // Checked: -D prints every entry it deletes on stdout, as -L lists it.
      out.append(c.line()).append('\n');
      n++;
      if (op.equals("D")) {
        it.remove();
      }
    }
    // Checked with conntrack v1.4.7: the count goes to stderr; -L exits 0 even when it lists nothing,
    // -D exits 1 when it deletes nothing ("0 flow entries have been deleted.").
    if (op.equals("L")) {
      return new Result(command, 0, out.toString(), PREFIX + n + " flow entries have been shown.\n");
    }
    return new Result(command, n > 0 ? 0 : 1, out.toString(), PREFIX + n + " flow entries have been deleted.\n");
  }

  /**
   * VALUE[/MASK] as conntrack reads it ({@code strtoul} with base 0, stopping at the first character
   * that is not a digit: "bogus" is 0, and "5/" is 5 with mask 0). The kernel then keeps the
   * entries whose {@code (mark & mask) == value}.
   */
  static long[] mark(String text) {
    int slash = text.indexOf('/');
    long value = strtoul(slash < 0 ? text : text.substring(0, slash));
    long mask = slash < 0 ? 0xFFFF_FFFFL : strtoul(text.substring(slash + 1));
    return new long[] {value & 0xFFFF_FFFFL, mask & 0xFFFF_FFFFL};
  }

  private static long strtoul(String s) {
    int radix = 10;
    int i = 0;
    if (s.length() > 2 && s.charAt(0) == '0' && (s.charAt(1) == 'x' || s.charAt(1) == 'X')
        && Character.digit(s.charAt(2), 16) >= 0) {
      radix = 16;
      i = 2;
    } else if (s.length() > 1 && s.charAt(0) == '0') {
      radix = 8;
    }
    long v = 0;
    for (; i < s.length(); i++) {
      int d = s.charAt(i) < 128 ? Character.digit(s.charAt(i), radix) : -1;
      if (d < 0) {
        break;
      }
      v = Math.min(v * radix + d, 0xFFFF_FFFF_FFFFL);
    }
    return v;
  }
}
