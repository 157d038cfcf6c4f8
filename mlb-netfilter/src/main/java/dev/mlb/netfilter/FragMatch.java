package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.Numbers;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * {@code -m frag [[!] --fragid ID[:ID]] [[!] --fraglen N] [--fragres] [--fragfirst]
 * [--fragmore | --fraglast]} (IPv6): matches by the fragment header.
 *
 * <pre>{@code
 * FragMatch.any().withFirst()                 // -m frag --fragfirst
 * FragMatch.ids(IdRange.of(1, 42), false)     // -m frag --fragid 1:42
 * FragMatch.any().withMore()                  // -m frag --fragmore
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code frag_save} of iptables'
 * {@code extensions/libip6t_frag.c}): {@code --fragid} unless it is the whole range (its {@code !}
 * dropped with it), {@code --fraglen} whenever given (0 too), then {@code --fragres},
 * {@code --fragfirst}, {@code --fragmore}, {@code --fraglast}. Only {@code --fragid} and
 * {@code --fraglen} take {@code !}; {@code --fragmore} and {@code --fraglast} exclude each other.
 * {@code -m frag} exists in IPv6 only. The simulator does not model it.
 *
 * @param ids the fragment identifications matched
 * @param idsNegated {@code ! --fragid}
 * @param length {@code --fraglen}: the header's length field, if tested
 * @param lengthNegated {@code ! --fraglen}
 * @param reserved {@code --fragres}: the reserved fields are 0
 * @param first {@code --fragfirst}: the first fragment
 * @param more {@code --fragmore}: more fragments follow
 * @param last {@code --fraglast}: the last fragment
 */
public record FragMatch(IdRange ids, boolean idsNegated, OptionalLong length, boolean lengthNegated,
    boolean reserved, boolean first, boolean more, boolean last) implements Match {

  public FragMatch {
    checkArgument(ids != null && length != null, "-m frag: ids or length is null; use OptionalLong.empty()");
    checkArgument(length.isEmpty() || RuleContext.isU32(length.getAsLong()), "-m frag --fraglen %s is outside 0 to"
        + " 4294967295", length);
    checkArgument(length.isPresent() || !lengthNegated, "-m frag: ! --fraglen needs a length");
    checkArgument(!(more && last), "-m frag: --fragmore and --fraglast exclude each other");
    if (ids.isAll(IdRange.U32)) {
      idsNegated = false;
    }
  }

  /** {@code -m frag} alone: every packet with a fragment header. */
  public static FragMatch any() {
    return new FragMatch(IdRange.all(IdRange.U32), false, OptionalLong.empty(), false, false, false, false, false);
  }

  /** {@code -m frag [!] --fragid IDS}. */
  public static FragMatch ids(IdRange ids, boolean negated) {
    return new FragMatch(ids, negated, OptionalLong.empty(), false, false, false, false, false);
  }

  /** This match with {@code --fragfirst}. */
  public FragMatch withFirst() {
    return new FragMatch(ids, idsNegated, length, lengthNegated, reserved, true, more, last);
  }

  /** This match with {@code --fragmore}. */
  public FragMatch withMore() {
    return new FragMatch(ids, idsNegated, length, lengthNegated, reserved, first, true, last);
  }

  /** This match with {@code --fraglast}. */
  public FragMatch withLast() {
    return new FragMatch(ids, idsNegated, length, lengthNegated, reserved, first, more, true);
  }

  @Override
  public String module() {
    return "frag";
  }

  /** {@code -m frag}: iptables' {@code extensions/libip6t_frag.c}, as ip6tables-nft 1.8.9 reads it. */
  static final class FragModule extends MatchModule<FragMatch> {
    static final FragModule INSTANCE = new FragModule();

    private static final List<String> OPTIONS = List.of("--fragid", "--fraglen", "--fragres", "--fragfirst",
        "--fragmore", "--fraglast");
    private static final Set<String> FLAGS = Set.of("--fragres", "--fragfirst", "--fragmore", "--fraglast");

    private FragModule() {
      super("frag", FragMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Set<String> flags() {
      return FLAGS;
    }

    @Override
    boolean negatable(String option) {
      return !FLAGS.contains(option);
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "frag", at, rule) {
        private FragMatch m = any();

        @Override
        void value(String option, Token optionToken, Token arg) {
          switch (option) {
            case "--fragid" -> m = new FragMatch(IdRange.parse(rule, arg, option, IdRange.U32), optionNegated,
                m.length(), m.lengthNegated(), m.reserved(), m.first(), m.more(), m.last());
            case "--fraglen" -> {
              long n = Numbers.parseUnsigned(arg.text(), IdRange.U32);
              if (n < 0) {
                throw error(arg, "bad value " + quoted(arg.text()) + " for --fraglen; expected a number from 0 to "
                    + IdRange.U32);
              }
              m = new FragMatch(m.ids(), m.idsNegated(), OptionalLong.of(n), optionNegated, m.reserved(), m.first(),
                  m.more(), m.last());
            }
            case "--fragres" -> m = new FragMatch(m.ids(), m.idsNegated(), m.length(), m.lengthNegated(), true,
                m.first(), m.more(), m.last());
            case "--fragfirst" -> m = m.withFirst();
            default -> {
              String other = option.equals("--fragmore") ? "--fraglast" : "--fragmore";
              if (given.containsKey(other)) {
                throw error(optionToken, "-m frag: " + option + " cannot be given with " + other);
              }
              m = option.equals("--fragmore") ? m.withMore() : m.withLast();
            }
          }
        }

        @Override
        Match finish() {
          return m;
        }
      };
    }

    @Override
    void write(FragMatch m, StringBuilder out) {
      if (!m.ids().isAll(IdRange.U32)) {
        out.append(m.idsNegated() ? " ! --fragid " : " --fragid ");
        m.ids().appendTo(out);
      }
      if (m.length().isPresent()) {
        out.append(m.lengthNegated() ? " ! --fraglen " : " --fraglen ").append(m.length().getAsLong());
      }
      if (m.reserved()) {
        out.append(" --fragres");
      }
      if (m.first()) {
        out.append(" --fragfirst");
      }
      if (m.more()) {
        out.append(" --fragmore");
      }
      if (m.last()) {
        out.append(" --fraglast");
      }
    }

    @Override
    void check(FragMatch m, RuleContext rule, Findings findings) {
      Ipv6Only.check("frag", rule, findings);
    }
  }
}
