package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import java.nio.charset.StandardCharsets;

/**
 * {@code -m helper [!] --helper NAME}: matches packets of connections that a conntrack helper
 * ({@code ftp}, {@code sip}, {@code tftp-69}, ...) created or looks after.
 *
 * <pre>{@code
 * HelperMatch.of("ftp")                // -m helper --helper ftp
 * HelperMatch.of("sip").negated()      // -m helper ! --helper sip
 * }</pre>
 *
 * <p>The kernel keeps at most 29 bytes of the name (iptables cuts the rest off), and
 * {@code iptables-save} quotes it as it quotes a comment ({@code ""} for an empty name). The
 * simulator does not model {@code -m helper}.
 *
 * @param name the helper's name, at most 29 bytes
 * @param invert {@code !}: connections without that helper
 */
public record HelperMatch(String name, boolean invert) implements Match {

  /** The most bytes of a name the kernel keeps. */
  public static final int MAX_BYTES = 29;

  public HelperMatch {
    checkArgument(name != null && name.getBytes(StandardCharsets.UTF_8).length <= MAX_BYTES
        && name.indexOf('\n') < 0 && name.indexOf('\0') < 0,
        "-m helper: a helper name is at most 29 bytes on one line, not \"%s\"", name);
  }

  /** {@code -m helper --helper NAME}. */
  public static HelperMatch of(String name) {
    return new HelperMatch(name, false);
  }

  /** This match negated. */
  public HelperMatch negated() {
    return new HelperMatch(name, !invert);
  }

  @Override
  public String module() {
    return "helper";
  }

  /** {@code -m helper}: iptables' {@code extensions/libxt_helper.c}, as iptables-nft 1.8.9 reads it. */
  static final class HelperModule extends OneOptionMatchModule<HelperMatch> {
    static final HelperModule INSTANCE = new HelperModule();

    private HelperModule() {
      super("helper", HelperMatch.class, "--helper");
    }

    @Override
    HelperMatch read(ModuleContext rule, Token arg, boolean negated) {
      if (arg.text().indexOf('\n') >= 0) {
        throw rule.error(arg, "--helper holds a line break; expected a helper name such as ftp");
      }
      return new HelperMatch(Log.LogModule.cut(rule, arg, "--helper", arg.text(), MAX_BYTES), negated);
    }

    @Override
    void write(HelperMatch m, StringBuilder out) {
      out.append(m.invert() ? " ! --helper" : " --helper");
      RestoreWriter.appendSaveString(out, m.name());
    }
  }
}
