package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import java.util.List;
import java.util.Locale;

/**
 * {@code -j AUDIT --type accept|drop|reject}: writes an audit record for the packet, naming the
 * action the ruleset takes, and goes on with the next rule.
 *
 * <pre>{@code
 * Audit.of(Audit.Type.DROP)   // -j AUDIT --type drop
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code audit_save} of iptables'
 * {@code extensions/libxt_AUDIT.c}): the type in lower case. iptables reads it in any case and
 * needs it; the target stands in any table and chain.
 *
 * @param type the action recorded
 */
public record Audit(Type type) implements Target {

  /** The action an audit record names, as the kernel numbers it ({@code XT_AUDIT_TYPE_*}). */
  public enum Type {
    ACCEPT, DROP, REJECT;

    /** {@code accept}, {@code drop} or {@code reject}. */
    public String text() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public Audit {
    checkArgument(type != null, "-j AUDIT: the type is null; expected ACCEPT, DROP or REJECT");
  }

  /** {@code -j AUDIT --type TYPE}. */
  public static Audit of(Type type) {
    return new Audit(type);
  }

  @Override
  public String name() {
    return "AUDIT";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /** {@code -j AUDIT}: iptables' {@code extensions/libxt_AUDIT.c}, as iptables-nft 1.8.9 reads it. */
  static final class AuditModule extends TargetModule<Audit> {
    static final AuditModule INSTANCE = new AuditModule();

    private AuditModule() {
      super("AUDIT", List.of(Audit.class));
    }

    @Override
    List<String> options() {
      return List.of("--type");
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private Type type;

        @Override
        void value(Token option, Token arg) {
          for (Type t : Type.values()) {
            if (t.text().equalsIgnoreCase(arg.text())) {
              type = t;
              return;
            }
          }
          throw error(arg, "bad action type " + quoted(arg.text()) + " for -j AUDIT --type; expected accept, drop or"
              + " reject");
        }

        @Override
        Target finish() {
          if (type == null) {
            throw error(at, "-j AUDIT needs --type accept, drop or reject");
          }
          return new Audit(type);
        }
      };
    }

    @Override
    void write(Audit t, StringBuilder out) {
      out.append(" -j AUDIT --type ").append(t.type().text());
    }

    @Override
    boolean passes(Audit t) {
      return true;
    }

    @Override
    void check(Audit t, RuleContext rule, Findings findings) {}
  }
}
