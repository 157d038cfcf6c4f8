package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * {@code -j IDLETIMER --timeout SECONDS --label NAME [--alarm]}: restarts the timer called
 * {@code label}, which notifies user space (a sysfs file) when no packet restarted it for
 * {@code timeout} seconds, and goes on with the next rule.
 *
 * <pre>{@code
 * Idletimer.of(60, "wan-idle")               // -j IDLETIMER --timeout 60 --label wan-idle
 * Idletimer.of(60, "wan-idle").withAlarm()   // ... --alarm (an alarm timer, running in suspend)
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code idletimer_tg_save_v1} of iptables'
 * {@code extensions/libxt_IDLETIMER.c}): the timeout, the label bare, then {@code --alarm}.
 * iptables needs both options and cuts the label to the 27 bytes the kernel keeps; the kernel
 * refuses a timeout of 0 or from 2147483 seconds on ({@code INT_MAX / 1000}), an empty label and
 * one with a {@code /} (it names a sysfs file). mlb also refuses labels with blanks, quotes or
 * control characters: iptables-save prints the label bare, so it would not read back. The target
 * stands in any table and chain.
 *
 * @param timeout seconds without packets before the timer fires, 1 to {@link #MAX_TIMEOUT}
 * @param label the timer's name, 1 to {@link #MAX_LABEL_BYTES} bytes
 * @param alarm {@code --alarm}: an alarm timer rather than a plain one
 */
public record Idletimer(long timeout, String label, boolean alarm) implements Target {

  /** The largest timeout the kernel takes: {@code INT_MAX / 1000 - 1}. */
  public static final long MAX_TIMEOUT = Integer.MAX_VALUE / 1000 - 1;
  /** {@code MAX_IDLETIMER_LABEL_SIZE} less the terminating zero. */
  public static final int MAX_LABEL_BYTES = 27;

  public Idletimer {
    checkArgument(label != null, "-j IDLETIMER: the label is null");
  }

  /** {@code -j IDLETIMER --timeout TIMEOUT --label LABEL}. */
  public static Idletimer of(long timeout, String label) {
    return new Idletimer(timeout, label, false);
  }

  /** This timer with {@code --alarm}. */
  public Idletimer withAlarm() {
    return new Idletimer(timeout, label, true);
  }

  @Override
  public String name() {
    return "IDLETIMER";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /** {@code -j IDLETIMER}: iptables' {@code extensions/libxt_IDLETIMER.c}, as iptables-nft 1.8.9 reads it. */
  static final class IdletimerModule extends TargetModule<Idletimer> {
    static final IdletimerModule INSTANCE = new IdletimerModule();

    private IdletimerModule() {
      super("IDLETIMER", List.of(Idletimer.class));
    }

    @Override
    List<String> options() {
      return List.of("--timeout", "--label", "--alarm");
    }

    @Override
    Set<String> flags() {
      return Set.of("--alarm");
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private long timeout;
        private String label;

        @Override
        void value(Token option, Token arg) {
          switch (option.text()) {
            case "--timeout" -> timeout = Arguments.u32(rule, arg, "--timeout");
            case "--label" -> label = Log.LogModule.cut(rule, arg, "--label", arg.text(), MAX_LABEL_BYTES);
            default -> { }
          }
        }

        @Override
        Target finish() {
          if (!given.containsKey("--timeout")) {
            throw error(at, "-j IDLETIMER needs --timeout SECONDS");
          }
          if (label == null) {
            throw error(at, "-j IDLETIMER needs --label NAME");
          }
          return new Idletimer(timeout, label, given.containsKey("--alarm"));
        }
      };
    }

    @Override
    void write(Idletimer t, StringBuilder out) {
      out.append(" -j IDLETIMER --timeout ").append(t.timeout()).append(" --label ").append(t.label());
      if (t.alarm()) {
        out.append(" --alarm");
      }
    }

    @Override
    void check(Idletimer t, RuleContext rule, Findings findings) {
      if (t.timeout() < 1 || t.timeout() > MAX_TIMEOUT) {
        findings.error("idletimer-timeout", "-j IDLETIMER --timeout " + t.timeout() + " is outside 1 to "
            + MAX_TIMEOUT + " seconds; the kernel refuses it");
      }
      String label = t.label();
      int bytes = label.getBytes(StandardCharsets.UTF_8).length;
      if (label.isEmpty() || bytes > MAX_LABEL_BYTES) {
        findings.error("idletimer-label", "-j IDLETIMER --label " + quoted(TextChecks.escape(label)) + " is " + bytes
            + " bytes; the kernel takes 1 to " + MAX_LABEL_BYTES);
      } else if (label.indexOf('/') >= 0) {
        findings.error("idletimer-label", "-j IDLETIMER --label " + quoted(label) + " holds a '/'; the kernel"
            + " names a sysfs file after the label and refuses it");
      } else {
        TextChecks.checkName(findings, "-j IDLETIMER --label (printed bare by iptables-save)", label);
      }
    }
  }
}
