package dev.mlb.netfilter;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * {@code -j CONNSECMARK --save | --restore}: copies the packet's security mark to its connection
 * ({@code --save}) or the connection's to the packet ({@code --restore}), and goes on with the
 * next rule.
 *
 * <pre>{@code
 * Connsecmark.SAVE      // -j CONNSECMARK --save
 * Connsecmark.RESTORE   // -j CONNSECMARK --restore
 * Connsecmark.SAVE.save()  // true
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code CONNSECMARK_save} of iptables'
 * {@code extensions/libxt_CONNSECMARK.c}). iptables needs exactly one of the two options; the
 * kernel takes the target only in the mangle and security tables.
 *
 * @param save true for {@code --save}, false for {@code --restore}
 */
public record Connsecmark(boolean save) implements Target {
  /** {@code --save}. */
  public static final Connsecmark SAVE = new Connsecmark(true);
  /** {@code --restore}. */
  public static final Connsecmark RESTORE = new Connsecmark(false);

  @Override
  public String name() {
    return "CONNSECMARK";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /** {@code -j CONNSECMARK}: iptables' {@code extensions/libxt_CONNSECMARK.c}, as iptables-nft 1.8.9 reads it. */
  static final class ConnsecmarkModule extends TargetModule<Connsecmark> {
    static final ConnsecmarkModule INSTANCE = new ConnsecmarkModule();

    private static final List<String> OPTIONS = List.of("--save", "--restore");
    private static final Set<TableName> TABLES = EnumSet.of(TableName.MANGLE, TableName.SECURITY);

    private ConnsecmarkModule() {
      super("CONNSECMARK", List.of(Connsecmark.class));
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Set<String> flags() {
      return Set.copyOf(OPTIONS);
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private Connsecmark mode;

        @Override
        void value(Token option, Token arg) {
          if (mode != null) {
            throw error(option, "-j CONNSECMARK: --save and --restore cannot be given together");
          }
          mode = option.text().equals("--save") ? SAVE : RESTORE;
        }

        @Override
        Target finish() {
          if (mode == null) {
            throw error(at, "-j CONNSECMARK needs --save or --restore");
          }
          return mode;
        }
      };
    }

    @Override
    void write(Connsecmark t, StringBuilder out) {
      out.append(t.save() ? " -j CONNSECMARK --save" : " -j CONNSECMARK --restore");
    }

    @Override
    void check(Connsecmark t, RuleContext rule, Findings findings) {
      if (!TABLES.contains(rule.table)) {
        findings.error("target-table", "CONNSECMARK is only valid in the mangle and security tables, not in "
            + rule.table.id());
      }
    }
  }
}
