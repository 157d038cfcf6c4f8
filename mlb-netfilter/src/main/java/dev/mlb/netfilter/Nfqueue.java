package dev.mlb.netfilter;

import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.Numbers;
import java.util.List;
import java.util.Set;

/**
 * {@code -j NFQUEUE [--queue-num N | --queue-balance FIRST:LAST [--queue-cpu-fanout]]
 * [--queue-bypass]}: hands the packet to a user-space program listening on a netlink queue; the
 * program gives the verdict.
 *
 * <pre>{@code
 * Nfqueue.queue(3)                              // -j NFQUEUE --queue-num 3
 * Nfqueue.balance(0, 3).withBypass()            // -j NFQUEUE --queue-balance 0:3 --queue-bypass
 * Nfqueue.balance(0, 3).withCpuFanout()         // -j NFQUEUE --queue-balance 0:3 --queue-cpu-fanout
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code NFQUEUE_save_v3} of iptables'
 * {@code extensions/libxt_NFQUEUE.c}): {@code --queue-num N} for one queue (0 when none was given),
 * {@code --queue-balance FIRST:LAST} for several, then {@code --queue-bypass}, then
 * {@code --queue-cpu-fanout}. iptables reads queue numbers from 0 to 65535 ({@code 0x} hex and
 * {@code 0} octal too), a balance as {@code FIRST:LAST} with either side left out ({@code :4} is
 * {@code 0:4}, {@code 4:} is {@code 4:65535}) and FIRST below LAST; {@code --queue-cpu-fanout}
 * needs {@code --queue-balance}. The kernel keeps the number of queues in 16 bits, so it refuses
 * {@code 0:65535} (65536 queues). There is no {@code --fail-open} option: failing open is a flag
 * the listening program sets on its queue. The target may stand in any table and chain.
 *
 * @param first the (first) queue
 * @param last the last queue of a balance; {@code first} for a single queue
 * @param bypass {@code --queue-bypass}: accept the packet when no program listens on the queue
 * @param cpuFanout {@code --queue-cpu-fanout}: pick the queue by CPU rather than by flow hash
 */
public record Nfqueue(int first, int last, boolean bypass, boolean cpuFanout) implements Target {

  /** The largest queue number. */
  public static final int MAX_QUEUE = 0xFFFF;

  /** {@code -j NFQUEUE --queue-num queue}. */
  public static Nfqueue queue(int queue) {
    return new Nfqueue(queue, queue, false, false);
  }

  /** {@code -j NFQUEUE --queue-balance first:last}: flows spread over the queues first to last. */
  public static Nfqueue balance(int first, int last) {
    return new Nfqueue(first, last, false, false);
  }

  /** This target with {@code --queue-bypass}. */
  public Nfqueue withBypass() {
    return new Nfqueue(first, last, true, cpuFanout);
  }

  /** This target with {@code --queue-cpu-fanout} (for a balance). */
  public Nfqueue withCpuFanout() {
    return new Nfqueue(first, last, bypass, true);
  }

  /** Whether packets are spread over several queues. */
  public boolean balances() {
    return last != first;
  }

  @Override
  public String name() {
    return "NFQUEUE";
  }

  @Override
  public boolean isTerminating() {
    return true;
  }

  /** {@code -j NFQUEUE}: iptables' {@code extensions/libxt_NFQUEUE.c}, as iptables-nft 1.8.9 reads it. */
  static final class NfqueueModule extends TargetModule<Nfqueue> {
    static final NfqueueModule INSTANCE = new NfqueueModule();

    private static final List<String> OPTIONS = List.of("--queue-num", "--queue-balance", "--queue-bypass",
        "--queue-cpu-fanout");
    private static final Set<String> FLAGS = Set.of("--queue-bypass", "--queue-cpu-fanout");

    private NfqueueModule() {
      super("NFQUEUE", List.of(Nfqueue.class));
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Set<String> flags() {
      return FLAGS;
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private int first;
        private int last;

        @Override
        void value(Token option, Token arg) {
          switch (option.text()) {
            case "--queue-num" -> {
              exclusive(option, "--queue-balance");
              first = number(arg, arg.text(), "--queue-num");
              last = first;
            }
            case "--queue-balance" -> {
              exclusive(option, "--queue-num");
              balance(arg);
            }
            default -> { }
          }
        }

        private void exclusive(Token option, String other) {
          if (given.containsKey(other)) {
            throw error(option, "-j NFQUEUE: --queue-num and --queue-balance cannot be given together");
          }
        }

        private int number(Token arg, String text, String option) {
          long n = Numbers.parseUnsigned(text, MAX_QUEUE);
          if (n < 0) {
            throw error(arg, "bad value " + quoted(text) + " for " + option + "; expected a queue number from 0 to "
                + MAX_QUEUE + (text.equals(arg.text()) ? "" : " in " + quoted(arg.text())));
          }
          return (int) n;
        }

        /** {@code FIRST:LAST}, either side may be left out (xtopt_parse_mint of XTTYPE_UINT16RC). */
        private void balance(Token arg) {
          String text = arg.text();
          int colon = text.indexOf(':');
          if (colon < 0) {
            throw error(arg, "bad range " + quoted(text) + " for --queue-balance; expected FIRST:LAST");
          }
          String a = text.substring(0, colon);
          String b = text.substring(colon + 1);
          if (b.indexOf(':') >= 0) {
            throw error(arg, "bad range " + quoted(text) + " for --queue-balance; expected FIRST:LAST, one colon");
          }
          first = a.isEmpty() ? 0 : number(arg, a, "--queue-balance");
          last = b.isEmpty() ? MAX_QUEUE : number(arg, b, "--queue-balance");
          if (first >= last) {
            throw error(arg, "--queue-balance " + text + ": " + first + " should be less than " + last
                + "; expected FIRST:LAST with FIRST below LAST");
          }
        }

        @Override
        Target finish() {
          Token fanout = given.get("--queue-cpu-fanout");
          if (fanout != null && !given.containsKey("--queue-balance")) {
            throw error(fanout, "-j NFQUEUE --queue-cpu-fanout needs --queue-balance FIRST:LAST");
          }
          return new Nfqueue(first, last, given.containsKey("--queue-bypass"), fanout != null);
        }
      };
    }

    @Override
    void write(Nfqueue t, StringBuilder out) {
      out.append(" -j NFQUEUE");
      if (t.balances()) {
        out.append(" --queue-balance ").append(t.first()).append(':').append(t.last());
      } else {
        out.append(" --queue-num ").append(t.first());
      }
      if (t.bypass()) {
        out.append(" --queue-bypass");
      }
      if (t.cpuFanout()) {
        out.append(" --queue-cpu-fanout");
      }
    }

    @Override
    boolean passes(Nfqueue t) {
      return t.first() >= 0 && t.last() <= MAX_QUEUE && t.first() <= t.last() && t.last() - t.first() < MAX_QUEUE
          && (!t.cpuFanout() || t.balances());
    }

    @Override
    void check(Nfqueue t, RuleContext rule, Findings findings) {
      if (t.first() < 0 || t.first() > MAX_QUEUE || t.last() < 0 || t.last() > MAX_QUEUE) {
        findings.error("nfqueue-range", "-j NFQUEUE queue " + t.first() + (t.balances() ? ":" + t.last() : "")
            + " is outside 0 to " + MAX_QUEUE);
      } else if (t.first() > t.last()) {
        findings.error("nfqueue-range", "-j NFQUEUE --queue-balance " + t.first() + ":" + t.last()
            + " is empty; expected FIRST below LAST");
      } else if (t.last() - t.first() >= MAX_QUEUE) {
        findings.error("nfqueue-range", "-j NFQUEUE --queue-balance " + t.first() + ":" + t.last()
            + " is 65536 queues; the kernel keeps the count in 16 bits and refuses it");
      }
      if (t.cpuFanout() && !t.balances()) {
        findings.error("nfqueue-fanout", "-j NFQUEUE --queue-cpu-fanout needs a balance over several queues;"
            + " iptables refuses it with --queue-num");
      }
    }
  }
}
