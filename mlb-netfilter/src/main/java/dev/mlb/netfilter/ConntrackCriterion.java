package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * One test of {@code -m conntrack} besides {@code --ctstate}, with its value in the canonical text
 * {@code iptables-save} prints for it.
 *
 * <pre>{@code
 * new ConntrackCriterion(ConntrackCriterion.Option.PROTO, false, "6")            // --ctproto 6
 * new ConntrackCriterion(ConntrackCriterion.Option.ORIGSRCPORT, true, "0:4")    // ! --ctorigsrcport 0:4
 * }</pre>
 *
 * <p>The values are read and made canonical by the module ({@code --ctproto tcp} is {@code 6},
 * {@code --ctorigsrcport :4} is {@code 0:4}, {@code --ctexpire 3:3} is {@code 3}); a criterion built
 * directly must already hold the canonical text.
 *
 * @param option the option
 * @param negated whether the test is inverted ({@code !}); never for {@link Option#DIR}
 * @param value the canonical value
 */
public record ConntrackCriterion(Option option, boolean negated, String value) {

  /** The options, in the order {@code iptables-save} prints them (after {@code --ctstate}). */
  public enum Option {
    PROTO("--ctproto"),
    ORIGSRC("--ctorigsrc"),
    ORIGDST("--ctorigdst"),
    REPLSRC("--ctreplsrc"),
    REPLDST("--ctrepldst"),
    ORIGSRCPORT("--ctorigsrcport"),
    ORIGDSTPORT("--ctorigdstport"),
    REPLSRCPORT("--ctreplsrcport"),
    REPLDSTPORT("--ctrepldstport"),
    STATUS("--ctstatus"),
    EXPIRE("--ctexpire"),
    DIR("--ctdir");

    private final String flag;

    Option(String flag) {
      this.flag = flag;
    }

    /** The option as written, {@code --ctproto}. */
    public String flag() {
      return flag;
    }

    /** The option called {@code flag}, or null. */
    static Option of(String flag) {
      for (Option o : values()) {
        if (o.flag.equals(flag)) {
          return o;
        }
      }
      return null;
    }
  }

  public ConntrackCriterion {
    checkArgument(option != null, "conntrack option is null");
    checkArgument(value != null && !value.isEmpty(), "%s needs a value", option);
    checkArgument(!(negated && option == Option.DIR), "--ctdir cannot be negated; use the other direction");
  }
}
