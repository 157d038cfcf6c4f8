package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * {@code -j SECMARK --selctx CONTEXT}: sets the packet's security mark to the SELinux security
 * context {@code context}, and goes on with the next rule.
 *
 * <pre>{@code
 * Secmark.of("system_u:object_r:ssh_server_packet_t:s0")
 *     // -j SECMARK --selctx system_u:object_r:ssh_server_packet_t:s0
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code SECMARK_save} of iptables'
 * {@code extensions/libxt_SECMARK.c}): the context bare. iptables needs {@code --selctx} and cuts
 * it to 255 bytes; mlb refuses an empty context and one with blanks, quotes or control characters
 * (iptables-save would print it so that it does not read back). The kernel takes the target only
 * in the mangle and security tables, and only with SELinux enabled and a context it knows, which
 * mlb cannot check (a kernel without SELinux, like the one mlb's cases were recorded on, refuses
 * every SECMARK rule).
 *
 * @param context the SELinux security context
 */
public record Secmark(String context) implements Target {

  /** {@code SECMARK_SECCTX_MAX} less the terminating zero. */
  public static final int MAX_CONTEXT_BYTES = 255;

  public Secmark {
    checkArgument(context != null, "-j SECMARK: the context is null");
  }

  /** {@code -j SECMARK --selctx CONTEXT}. */
  public static Secmark of(String context) {
    return new Secmark(context);
  }

  @Override
  public String name() {
    return "SECMARK";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /** {@code -j SECMARK}: iptables' {@code extensions/libxt_SECMARK.c}, as iptables-nft 1.8.9 reads it. */
  static final class SecmarkModule extends TargetModule<Secmark> {
    static final SecmarkModule INSTANCE = new SecmarkModule();

    private static final Set<TableName> TABLES = EnumSet.of(TableName.MANGLE, TableName.SECURITY);

    private SecmarkModule() {
      super("SECMARK", List.of(Secmark.class));
    }

    @Override
    List<String> options() {
      return List.of("--selctx");
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private String context;

        @Override
        void value(Token option, Token arg) {
          context = Log.LogModule.cut(rule, arg, "--selctx", arg.text(), MAX_CONTEXT_BYTES);
        }

        @Override
        Target finish() {
          if (context == null) {
            throw error(at, "-j SECMARK needs --selctx CONTEXT");
          }
          return new Secmark(context);
        }
      };
    }

    @Override
    void write(Secmark t, StringBuilder out) {
      out.append(" -j SECMARK --selctx ").append(t.context());
    }

    @Override
    void check(Secmark t, RuleContext rule, Findings findings) {
      if (t.context().isEmpty()) {
        findings.error("secmark-context", "-j SECMARK --selctx is empty; the kernel refuses it");
      } else {
        TextChecks.checkName(findings, "-j SECMARK --selctx (printed bare by iptables-save)", t.context());
      }
      int bytes = t.context().getBytes(StandardCharsets.UTF_8).length;
      if (bytes > MAX_CONTEXT_BYTES) {
        findings.error("secmark-context", "-j SECMARK --selctx is " + bytes + " bytes; the kernel keeps "
            + MAX_CONTEXT_BYTES);
      }
      if (!TABLES.contains(rule.table)) {
        findings.error("target-table", "SECMARK is only valid in the mangle and security tables, not in "
            + rule.table.id());
      }
    }
  }
}
