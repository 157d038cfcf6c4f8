package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Numbers;
import java.util.List;

/**
 * {@code -m ttl --ttl-eq|--ttl-lt|--ttl-gt N} (IPv4) and {@code -m hl --hl-eq|--hl-lt|--hl-gt N}
 * (IPv6): matches by the packet's time to live or hop limit.
 *
 * <pre>{@code
 * TtlMatch.ttl(TtlMatch.Mode.EQ, 64)   // -m ttl --ttl-eq 64
 * TtlMatch.ttl(TtlMatch.Mode.NE, 64)   // -m ttl ! --ttl-eq 64
 * TtlMatch.hopLimit(TtlMatch.Mode.LT, 2) // -m hl --hl-lt 2
 * }</pre>
 *
 * <p>As {@code iptables-save} prints them ({@code libipt_ttl.c} and {@code libip6t_hl.c}): one
 * comparison, {@code ! --ttl-eq} for "not equal". iptables needs exactly one of the three options,
 * takes {@code !} only before {@code --ttl-eq} ({@code --hl-eq}), and reads N from 0 to 255
 * (decimal, {@code 0x} hex or {@code 0} octal). {@code -m ttl} exists in IPv4 only and {@code -m hl}
 * in IPv6 only. The simulator does not model these matches.
 *
 * @param field the header field: the IPv4 TTL ({@code -m ttl}) or the IPv6 hop limit ({@code -m hl})
 * @param mode the comparison
 * @param value the number compared with, 0 to 255
 */
public record TtlMatch(Field field, Mode mode, int value) implements Match {

  /** The field compared, with its module. */
  public enum Field {
    TTL("ttl", IpFamily.V4),
    HOP_LIMIT("hl", IpFamily.V6);

    private final String module;
    private final IpFamily family;

    Field(String module, IpFamily family) {
      this.module = module;
      this.family = family;
    }

    /** {@code ttl} or {@code hl}. */
    public String module() {
      return module;
    }

    /** The only family the module exists in. */
    public IpFamily family() {
      return family;
    }
  }

  /** The comparison: equal, not equal ({@code ! --ttl-eq}), less than, greater than. */
  public enum Mode { EQ, NE, LT, GT }

  public TtlMatch {
    checkArgument(field != null && mode != null, "-m ttl/hl: the field or the mode is null");
    checkArgument(value >= 0 && value <= 255, "-m %s: %s is outside 0 to 255", field == null ? "ttl" : field.module,
        value);
  }

  /** {@code -m ttl} comparing the IPv4 TTL. */
  public static TtlMatch ttl(Mode mode, int value) {
    return new TtlMatch(Field.TTL, mode, value);
  }

  /** {@code -m hl} comparing the IPv6 hop limit. */
  public static TtlMatch hopLimit(Mode mode, int value) {
    return new TtlMatch(Field.HOP_LIMIT, mode, value);
  }

  @Override
  public String module() {
    return field.module();
  }

  /** {@code -m ttl} or {@code -m hl}, as iptables-nft 1.8.9 reads them. */
  static final class TtlModule extends MatchModule<TtlMatch> {
    static final TtlModule TTL = new TtlModule(Field.TTL);
    static final TtlModule HL = new TtlModule(Field.HOP_LIMIT);

    private final Field field;
    private final List<String> options;

    private TtlModule(Field field) {
      super(field.module(), TtlMatch.class);
      this.field = field;
      String p = "--" + field.module() + "-";
      this.options = List.of(p + "eq", p + "lt", p + "gt");
    }

    @Override
    List<String> options() {
      return options;
    }

    @Override
    String canonical(String option) {
      return options.contains(option) ? option : null;
    }

    @Override
    boolean negatable(String option) {
      return option.endsWith("-eq");
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, field.module(), at, rule) {
        private TtlMatch read;
        private String first;

        @Override
        void value(String option, Token optionToken, Token arg) {
          if (read != null) {
            throw error(optionToken, "-m " + name + ": option " + quoted(option) + " cannot be given with "
                + quoted(first) + "; expected one comparison");
          }
          first = option;
          long v = Numbers.parseUnsigned(arg.text(), 255);
          if (v < 0) {
            throw error(arg, "bad value " + quoted(arg.text()) + " for " + option + "; expected a number from 0 to 255");
          }
          Mode mode = switch (option.substring(option.length() - 2)) {
            case "eq" -> optionNegated ? Mode.NE : Mode.EQ;
            case "lt" -> Mode.LT;
            default -> Mode.GT;
          };
          read = new TtlMatch(field, mode, (int) v);
        }

        @Override
        Match finish() {
          if (read == null) {
            throw error(at, "-m " + name + " needs one of " + Arguments.join(options, "or"));
          }
          return read;
        }
      };
    }

    @Override
    void write(TtlMatch m, StringBuilder out) {
      String p = m.field().module();
      switch (m.mode()) {
        case EQ -> out.append(" --").append(p).append("-eq ");
        case NE -> out.append(" ! --").append(p).append("-eq ");
        case LT -> out.append(" --").append(p).append("-lt ");
        default -> out.append(" --").append(p).append("-gt ");
      }
      out.append(m.value());
    }

    @Override
    void check(TtlMatch m, RuleContext rule, Findings findings) {
      if (rule.family == null) {
        findings.warning(m.module() + "-context", "checked in its ruleset");
      } else if (rule.family != m.field().family()) {
        findings.error(m.module() + "-family", "-m " + m.module() + " is "
            + (m.field() == Field.TTL ? "IPv4's; ip6tables has -m hl instead" : "IPv6's; iptables has -m ttl instead"));
      }
    }
  }
}
