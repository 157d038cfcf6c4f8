package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.Numbers;
import java.util.List;
import java.util.Set;

/**
 * {@code -m mh [[!] --mh-type TYPE[:TYPE]]} (IPv6): matches Mobility Header packets by type.
 *
 * <pre>{@code
 * MhMatch.of(IdRange.of(5), false)      // -p mobility-header -m mh --mh-type 5 (binding-update)
 * MhMatch.of(IdRange.of(0, 5), true)    // -p mobility-header -m mh ! --mh-type 0:5
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code mh_save} of iptables' {@code extensions/libip6t_mh.c}):
 * the types as numbers, nothing for the whole range 0:255 (its {@code !} dropped with it). iptables
 * reads a type by number (0 to 255; decimal, {@code 0x} hex or {@code 0} octal) or by name in any
 * case ({@code binding-update} or {@code bu}; a prefix names the first type it starts, the exact name
 * winning), and refuses a reversed range. The kernel refuses the match unless the rule says
 * {@code -p mobility-header} (135) without {@code !}. {@code -m mh} exists in IPv6 only. The simulator
 * does not model it.
 *
 * @param types the Mobility Header types matched (0 to 255)
 * @param negated {@code ! --mh-type}
 */
public record MhMatch(IdRange types, boolean negated) implements Match {

  /** The names ip6tables reads, in its order, each with its type. */
  private static final List<String> NAMES = List.of(
      "binding-refresh-request", "brr", "home-test-init", "hoti", "careof-test-init", "coti", "home-test", "hot",
      "careof-test", "cot", "binding-update", "bu", "binding-acknowledgement", "ba", "binding-error", "be");

  public MhMatch {
    checkArgument(types != null, "-m mh: the types are null");
    checkArgument(types.last() <= 255 && types.first() <= types.last(), "-m mh: types %s are not a range within"
        + " 0:255", types);
    if (types.isAll(255)) {
      negated = false;
    }
  }

  /** {@code -m mh [!] --mh-type TYPES}. */
  public static MhMatch of(IdRange types, boolean negated) {
    return new MhMatch(types, negated);
  }

  @Override
  public String module() {
    return "mh";
  }

  /** {@code -m mh}: iptables' {@code extensions/libip6t_mh.c}, as ip6tables-nft 1.8.9 reads it. */
  static final class MhModule extends MatchModule<MhMatch> {
    static final MhModule INSTANCE = new MhModule();

    private static final List<String> OPTIONS = List.of("--mh-type");

    private MhModule() {
      super("mh", MhMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "mh", at, rule) {
        private MhMatch m = new MhMatch(IdRange.all(255), false);

        @Override
        void value(String option, Token optionToken, Token arg) {
          String text = arg.text();
          int colon = text.indexOf(':');
          IdRange types;
          if (colon < 0) {
            types = IdRange.of(type(arg, text));
          } else {
            String a = text.substring(0, colon);
            String b = text.substring(colon + 1);
            long first = a.isEmpty() ? 0 : type(arg, a);
            long last = b.isEmpty() ? 255 : type(arg, b);
            if (first > last) {
              throw error(arg, "Mobility Header type range " + text + " is reversed; expected FIRST:LAST with FIRST"
                  + " not above LAST");
            }
            types = IdRange.of(first, last);
          }
          m = new MhMatch(types, optionNegated);
        }

        /** A type's name (a prefix, any case) or number (name_to_type). */
        private long type(Token arg, String text) {
          int match = -1;
          for (int i = 0; i < NAMES.size(); i++) {
            String n = NAMES.get(i);
            if (n.length() >= text.length() && n.regionMatches(true, 0, text, 0, text.length())
                && (match < 0 || n.length() == text.length())) {
              match = i;
            }
          }
          if (match >= 0) {
            return match / 2;
          }
          long v = Numbers.parseUnsigned(text, 255);
          if (v < 0) {
            throw error(arg, "bad Mobility Header type " + quoted(text) + " in --mh-type " + arg.text()
                + "; expected a number from 0 to 255 or a name such as binding-update or bu");
          }
          return v;
        }

        @Override
        Match finish() {
          return m;
        }
      };
    }

    @Override
    void write(MhMatch m, StringBuilder out) {
      if (!m.types().isAll(255)) {
        out.append(m.negated() ? " ! --mh-type " : " --mh-type ");
        m.types().appendTo(out);
      }
    }

    @Override
    void check(MhMatch m, RuleContext rule, Findings findings) {
      if (!rule.protocolIs(Set.of(135))) {
        findings.error("mh-protocol", "-m mh needs -p mobility-header in the same rule (without !); the kernel"
            + " refuses it otherwise");
      }
      Ipv6Only.check("mh", rule, findings);
    }
  }
}
