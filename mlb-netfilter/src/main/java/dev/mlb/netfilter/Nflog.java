package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.Numbers;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalLong;

/**
 * {@code -j NFLOG [--nflog-prefix TEXT] [--nflog-group N] [--nflog-size N] [--nflog-threshold N]}:
 * hands the packet to a netlink log group (ulogd, tcpdump's nflog interface) and goes on with the
 * next rule.
 *
 * <pre>{@code
 * Nflog.group(5)                              // -j NFLOG --nflog-group 5
 * Nflog.group(5).withPrefix("dropped")        // -j NFLOG --nflog-prefix dropped --nflog-group 5
 * Nflog.group(2).withSize(128).withThreshold(10)   // ... --nflog-group 2 --nflog-size 128 --nflog-threshold 10
 * }</pre>
 *
 * <p>As iptables-nft 1.8.9 keeps and prints it (it makes NFLOG nftables' own log statement):
 * the prefix (at most 127 bytes; iptables cuts the rest), the group unless 0, the size if one was
 * given, the threshold unless 0. Unlike iptables-legacy, a rule without {@code --nflog-threshold}
 * keeps threshold 0, and {@code --nflog-range} (which never worked) is read and dropped.
 *
 * @param prefix the log prefix, "" for none
 * @param group the netlink group, 0 to 65535
 * @param size how many bytes of the packet to copy, if limited (0 to 4294967295)
 * @param threshold how many packets to queue in the kernel before sending, 0 to 65535
 */
public record Nflog(String prefix, int group, OptionalLong size, int threshold) implements Target {

  /** The prefix bytes nftables' log statement keeps. */
  public static final int MAX_PREFIX_BYTES = 127;

  public Nflog {
    checkArgument(prefix != null, "-j NFLOG: the prefix is null; use \"\" for none");
    checkArgument(size != null, "-j NFLOG: the size is null; use OptionalLong.empty()");
  }

  /** {@code -j NFLOG --nflog-group N}. */
  public static Nflog group(int group) {
    return new Nflog("", group, OptionalLong.empty(), 0);
  }

  /** This log with another prefix. */
  public Nflog withPrefix(String prefix) {
    return new Nflog(prefix, group, size, threshold);
  }

  /** This log copying at most {@code size} bytes of each packet. */
  public Nflog withSize(long size) {
    return new Nflog(prefix, group, OptionalLong.of(size), threshold);
  }

  /** This log with another queue threshold. */
  public Nflog withThreshold(int threshold) {
    return new Nflog(prefix, group, size, threshold);
  }

  @Override
  public String name() {
    return "NFLOG";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /** {@code -j NFLOG}: iptables' {@code extensions/libxt_NFLOG.c}, as iptables-nft 1.8.9 reads it. */
  static final class NflogModule extends TargetModule<Nflog> {
    static final NflogModule INSTANCE = new NflogModule();

    private static final List<String> OPTIONS = List.of("--nflog-group", "--nflog-prefix", "--nflog-range",
        "--nflog-size", "--nflog-threshold");

    private NflogModule() {
      super("NFLOG", List.of(Nflog.class));
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private Nflog nflog = group(0);

        @Override
        void value(Token option, Token arg) {
          switch (option.text()) {
            case "--nflog-group" -> nflog = new Nflog(nflog.prefix(), (int) number(arg, "--nflog-group", 65535),
                nflog.size(), nflog.threshold());
            case "--nflog-prefix" -> {
              if (arg.text().isEmpty()) {
                throw error(arg, "--nflog-prefix is empty; iptables wants at least 1 character (leave the option out"
                    + " for no prefix)");
              }
              if (arg.text().indexOf('\n') >= 0) {
                throw error(arg, "--nflog-prefix holds a line break; iptables refuses it");
              }
              nflog = nflog.withPrefix(Log.LogModule.cut(rule, arg, "--nflog-prefix", arg.text(), MAX_PREFIX_BYTES));
            }
            case "--nflog-range" -> {
              exclusive(option, "--nflog-size");
              number(arg, "--nflog-range", 0xFFFF_FFFFL);   // read and dropped, as iptables-nft does
            }
            case "--nflog-size" -> {
              exclusive(option, "--nflog-range");
              nflog = nflog.withSize(number(arg, "--nflog-size", 0xFFFF_FFFFL));
            }
            default -> nflog = nflog.withThreshold((int) number(arg, "--nflog-threshold", 65535));
          }
        }

        private void exclusive(Token option, String other) {
          if (given.containsKey(other)) {
            throw error(option, "-j NFLOG: " + option.text() + " and " + other + " cannot be given together"
                + " (--nflog-range never worked; use --nflog-size)");
          }
        }

        private long number(Token arg, String option, long max) {
          long n = Numbers.parseUnsigned(arg.text(), max);
          if (n < 0) {
            throw error(arg, "bad value " + Arguments.quoted(arg.text()) + " for " + option + "; expected a number"
                + " from 0 to " + max);
          }
          return n;
        }

        @Override
        Target finish() {
          return nflog;
        }
      };
    }

    @Override
    void write(Nflog t, StringBuilder out) {
      out.append(" -j NFLOG");
      if (!t.prefix().isEmpty()) {
        out.append(" --nflog-prefix");
        RestoreWriter.appendSaveString(out, t.prefix());
      }
      if (t.group() != 0) {
        out.append(" --nflog-group ").append(t.group());
      }
      if (t.size().isPresent()) {
        out.append(" --nflog-size ").append(t.size().getAsLong());
      }
      if (t.threshold() != 0) {
        out.append(" --nflog-threshold ").append(t.threshold());
      }
    }

    @Override
    boolean passes(Nflog t) {
      return t.group() >= 0 && t.group() <= 65535 && t.threshold() >= 0 && t.threshold() <= 65535
          && (t.size().isEmpty() || RuleContext.isU32(t.size().getAsLong()))
          && t.prefix().length() <= MAX_PREFIX_BYTES && t.prefix().chars().allMatch(c -> c >= ' ' && c < 0x7f);
    }

    @Override
    void check(Nflog t, RuleContext rule, Findings findings) {
      if (t.group() < 0 || t.group() > 65535) {
        findings.error("nflog-group", "-j NFLOG --nflog-group " + t.group() + " is outside 0 to 65535");
      }
      if (t.threshold() < 0 || t.threshold() > 65535) {
        findings.error("nflog-threshold", "-j NFLOG --nflog-threshold " + t.threshold() + " is outside 0 to 65535");
      }
      if (t.size().isPresent() && !RuleContext.isU32(t.size().getAsLong())) {
        findings.error("nflog-size", "-j NFLOG --nflog-size " + t.size().getAsLong() + " is outside 0 to 4294967295");
      }
      int bytes = t.prefix().getBytes(StandardCharsets.UTF_8).length;
      if (bytes > MAX_PREFIX_BYTES) {
        findings.error("nflog-prefix", "-j NFLOG --nflog-prefix \"" + TextChecks.escape(t.prefix()) + "\" is " + bytes
            + " bytes; the kernel keeps at most " + MAX_PREFIX_BYTES + " (iptables cuts the rest off)");
      }
      TextChecks.checkText(findings, "-j NFLOG --nflog-prefix", t.prefix());
    }
  }
}
