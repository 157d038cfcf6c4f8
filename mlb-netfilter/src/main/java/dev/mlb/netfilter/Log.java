package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.Numbers;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * {@code -j LOG [--log-prefix TEXT] [--log-level LEVEL] [--log-tcp-sequence] [--log-tcp-options]
 * [--log-ip-options] [--log-uid] [--log-macdecode]}: writes a kernel log line for the packet and
 * goes on with the next rule.
 *
 * <pre>{@code
 * Log.plain()                                  // -j LOG
 * Log.withPrefix("[UFW BLOCK] ")               // -j LOG --log-prefix "[UFW BLOCK] "
 * Log.withPrefix("drop: ").level(Log.DEBUG)    // -j LOG --log-prefix "drop: " --log-level 7
 * Log.plain().withFlags(Log.UID | Log.IP_OPTIONS)   // -j LOG --log-ip-options --log-uid
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code LOG_save} of {@code extensions/libxt_LOG.c}): the
 * prefix if there is one, the level as a number unless it is 4 (warning, the default), then the
 * flags in a fixed order. iptables reads the level as 0 to 7 or one of emerg, panic (0), alert,
 * crit, error, warning, notice, info, debug (not err or warn), and cuts the prefix to the 29 bytes
 * the kernel keeps; it refuses an empty prefix and one with a line break.
 *
 * @param prefix the log line's prefix, "" for none (at most {@link #MAX_PREFIX_BYTES} bytes)
 * @param level the syslog level, 0 (emerg) to 7 (debug)
 * @param flags what else to log: a combination of {@link #TCP_SEQUENCE}, {@link #TCP_OPTIONS},
 *     {@link #IP_OPTIONS}, {@link #UID} and {@link #MAC_DECODE}
 */
public record Log(String prefix, int level, int flags) implements Target {

  /** The level iptables fills in, and the one {@code iptables-save} leaves out (warning). */
  public static final int DEFAULT_LEVEL = 4;
  public static final int EMERG = 0;
  public static final int DEBUG = 7;
  /** The kernel keeps 30 bytes with the terminating zero. */
  public static final int MAX_PREFIX_BYTES = 29;
  /** {@code --log-tcp-sequence} (the kernel's XT_LOG_TCPSEQ). */
  public static final int TCP_SEQUENCE = 0x01;
  /** {@code --log-tcp-options}. */
  public static final int TCP_OPTIONS = 0x02;
  /** {@code --log-ip-options}. */
  public static final int IP_OPTIONS = 0x04;
  /** {@code --log-uid}. */
  public static final int UID = 0x08;
  /** {@code --log-macdecode}. */
  public static final int MAC_DECODE = 0x20;
  /** Every flag. */
  public static final int ALL_FLAGS = TCP_SEQUENCE | TCP_OPTIONS | IP_OPTIONS | UID | MAC_DECODE;

  public Log {
    checkArgument(prefix != null, "-j LOG: the prefix is null; use \"\" for none");
  }

  /** {@code -j LOG}: no prefix, level warning, no flags. */
  public static Log plain() {
    return new Log("", DEFAULT_LEVEL, 0);
  }

  /** {@code -j LOG --log-prefix PREFIX}. */
  public static Log withPrefix(String prefix) {
    return new Log(prefix, DEFAULT_LEVEL, 0);
  }

  /** This log at another level. */
  public Log level(int level) {
    return new Log(prefix, level, flags);
  }

  /** This log with these flags (replacing its own). */
  public Log withFlags(int flags) {
    return new Log(prefix, level, flags);
  }

  @Override
  public String name() {
    return "LOG";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /** {@code -j LOG}: iptables' {@code extensions/libxt_LOG.c}, as iptables-nft 1.8.9 reads it. */
  static final class LogModule extends TargetModule<Log> {
    static final LogModule INSTANCE = new LogModule();

    /** The flags' options in iptables-save's order, with their bits. */
    private static final List<String> FLAG_OPTIONS = List.of("--log-tcp-sequence", "--log-tcp-options",
        "--log-ip-options", "--log-uid", "--log-macdecode");
    private static final int[] FLAG_BITS = {TCP_SEQUENCE, TCP_OPTIONS, IP_OPTIONS, UID, MAC_DECODE};
    private static final List<String> OPTIONS = List.of("--log-prefix", "--log-level", "--log-tcp-sequence",
        "--log-tcp-options", "--log-ip-options", "--log-uid", "--log-macdecode");
    private static final List<String> LEVEL_NAMES = List.of("emerg", "alert", "crit", "error", "warning",
        "notice", "info", "debug");

    private LogModule() {
      super("LOG", List.of(Log.class));
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Set<String> flags() {
      return Set.copyOf(FLAG_OPTIONS);
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private Log log = plain();

        @Override
        void value(Token option, Token arg) {
          switch (option.text()) {
            case "--log-prefix" -> log = new Log(prefix(rule, arg), log.level(), log.flags());
            case "--log-level" -> log = log.level(level(rule, arg));
            default -> log = log.withFlags(log.flags() | FLAG_BITS[FLAG_OPTIONS.indexOf(option.text())]);
          }
        }

        @Override
        Target finish() {
          return log;
        }
      };
    }

    /** The prefix as the kernel keeps it: cut to 29 bytes; empty and line breaks refused. */
    static String prefix(ModuleContext rule, Token arg) {
      String text = arg.text();
      if (text.isEmpty()) {
        throw rule.error(arg, "--log-prefix is empty; iptables wants at least 1 character (leave the option out"
            + " for no prefix)");
      }
      if (text.indexOf('\n') >= 0) {
        throw rule.error(arg, "--log-prefix holds a line break; iptables refuses it");
      }
      return cut(rule, arg, "--log-prefix", text, MAX_PREFIX_BYTES);
    }

    /** {@code text} cut to {@code max} UTF-8 bytes as iptables cuts it, refused if that splits a character. */
    static String cut(ModuleContext rule, Token arg, String option, String text, int max) {
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      if (bytes.length <= max) {
        return text;
      }
      if ((bytes[max] & 0xC0) == 0x80) {
        throw rule.error(arg, option + " " + quoted(text) + " is longer than the " + max + " bytes the kernel"
            + " keeps, and cutting it there splits a character; shorten it");
      }
      return new String(bytes, 0, max, StandardCharsets.UTF_8);
    }

    /** 0 to 7 (decimal, 0x hex, 0 octal) or a level name. */
    private static int level(ModuleContext rule, Token arg) {
      String text = arg.text();
      long n = Numbers.parseUnsigned(text, 7);
      if (n >= 0) {
        return (int) n;
      }
      if (text.equals("panic")) {
        return EMERG;
      }
      int i = LEVEL_NAMES.indexOf(text);
      if (i < 0) {
        throw rule.error(arg, "log level " + quoted(text) + " unknown; expected 0 to 7 or one of emerg, panic, alert,"
            + " crit, error, warning, notice, info, debug");
      }
      return i;
    }

    @Override
    void write(Log t, StringBuilder out) {
      out.append(" -j LOG");
      if (!t.prefix().isEmpty()) {
        out.append(" --log-prefix");
        RestoreWriter.appendSaveString(out, t.prefix());
      }
      if (t.level() != DEFAULT_LEVEL) {
        out.append(" --log-level ").append(t.level());
      }
      for (int i = 0; i < FLAG_BITS.length; i++) {
        if ((t.flags() & FLAG_BITS[i]) != 0) {
          out.append(' ').append(FLAG_OPTIONS.get(i));
        }
      }
    }

    @Override
    boolean passes(Log t) {
      return t.level() >= 0 && t.level() <= DEBUG && (t.flags() & ~ALL_FLAGS) == 0
          && t.prefix().length() <= MAX_PREFIX_BYTES && t.prefix().chars().allMatch(c -> c >= ' ' && c < 0x7f);
    }

    @Override
    void check(Log t, RuleContext rule, Findings findings) {
      if (t.level() < 0 || t.level() > DEBUG) {
        findings.error("log-level", "-j LOG --log-level " + t.level() + " is not a syslog level; expected 0 to 7");
      }
      if ((t.flags() & ~ALL_FLAGS) != 0) {
        findings.error("log-flags", "-j LOG flags 0x" + Integer.toHexString(t.flags())
            + " include bits that are not LOG's; expected a combination of TCP_SEQUENCE, TCP_OPTIONS, IP_OPTIONS, UID"
            + " and MAC_DECODE");
      }
      int bytes = t.prefix().getBytes(StandardCharsets.UTF_8).length;
      if (bytes > MAX_PREFIX_BYTES) {
        findings.error("log-prefix", "-j LOG --log-prefix \"" + TextChecks.escape(t.prefix()) + "\" is " + bytes
            + " bytes; the kernel keeps at most " + MAX_PREFIX_BYTES + " (iptables cuts the rest off)");
      }
      TextChecks.checkText(findings, "-j LOG --log-prefix", t.prefix());
    }
  }
}
