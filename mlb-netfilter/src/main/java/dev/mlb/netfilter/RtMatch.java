package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.Numbers;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * {@code -m rt [[!] --rt-type N] [[!] --rt-segsleft N[:N]] [[!] --rt-len N] [--rt-0-res]} (IPv6):
 * matches by the routing header.
 *
 * <pre>{@code
 * RtMatch.any().withType(0, false)                        // -m rt --rt-type 0
 * RtMatch.any().withSegmentsLeft(IdRange.of(1, 23), true) // -m rt ! --rt-segsleft 1:23
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code rt_save} of iptables' {@code extensions/libip6t_rt.c}):
 * {@code --rt-type} and {@code --rt-len} whenever given (any 32-bit number), {@code --rt-segsleft}
 * unless it is the whole range (its {@code !} dropped with it), then {@code --rt-0-res}. iptables
 * takes {@code --rt-0-res} only after {@code --rt-type 0}. The type-0 address list
 * ({@code --rt-0-addrs}, with {@code --rt-0-not-strict}) is not modelled: such a match is kept
 * verbatim. {@code -m rt} exists in IPv6 only. The simulator does not model it.
 *
 * @param type {@code --rt-type}: the routing type, if tested
 * @param typeNegated {@code ! --rt-type}
 * @param segmentsLeft {@code --rt-segsleft}: the segments left matched
 * @param segmentsLeftNegated {@code ! --rt-segsleft}
 * @param length {@code --rt-len}: the header's length field, if tested
 * @param lengthNegated {@code ! --rt-len}
 * @param reserved {@code --rt-0-res}: the reserved field of a type-0 header is 0
 */
public record RtMatch(OptionalLong type, boolean typeNegated, IdRange segmentsLeft, boolean segmentsLeftNegated,
    OptionalLong length, boolean lengthNegated, boolean reserved) implements Match {

  public RtMatch {
    checkArgument(type != null && segmentsLeft != null && length != null,
        "-m rt: type, segments left or length is null; use OptionalLong.empty()");
    checkArgument(type.isEmpty() || RuleContext.isU32(type.getAsLong()), "-m rt --rt-type %s is outside 0 to"
        + " 4294967295", type);
    checkArgument(length.isEmpty() || RuleContext.isU32(length.getAsLong()), "-m rt --rt-len %s is outside 0 to"
        + " 4294967295", length);
    checkArgument(type.isPresent() || !typeNegated, "-m rt: ! --rt-type needs a type");
    checkArgument(length.isPresent() || !lengthNegated, "-m rt: ! --rt-len needs a length");
    checkArgument(!reserved || (type.equals(OptionalLong.of(0)) && !typeNegated),
        "-m rt: --rt-0-res needs --rt-type 0");
    if (segmentsLeft.isAll(IdRange.U32)) {
      segmentsLeftNegated = false;
    }
  }

  /** {@code -m rt} alone: every packet with a routing header. */
  public static RtMatch any() {
    return new RtMatch(OptionalLong.empty(), false, IdRange.all(IdRange.U32), false, OptionalLong.empty(), false,
        false);
  }

  /** This match testing the routing type. */
  public RtMatch withType(long type, boolean negated) {
    return new RtMatch(OptionalLong.of(type), negated, segmentsLeft, segmentsLeftNegated, length, lengthNegated,
        reserved);
  }

  /** This match testing the segments left. */
  public RtMatch withSegmentsLeft(IdRange range, boolean negated) {
    return new RtMatch(type, typeNegated, range, negated, length, lengthNegated, reserved);
  }

  /** This match testing the header length. */
  public RtMatch withLength(long length, boolean negated) {
    return new RtMatch(type, typeNegated, segmentsLeft, segmentsLeftNegated, OptionalLong.of(length), negated,
        reserved);
  }

  /** This match with {@code --rt-0-res} (it needs {@code --rt-type 0}). */
  public RtMatch withReserved() {
    return new RtMatch(type, typeNegated, segmentsLeft, segmentsLeftNegated, length, lengthNegated, true);
  }

  @Override
  public String module() {
    return "rt";
  }

  /** {@code -m rt}: iptables' {@code extensions/libip6t_rt.c}, as ip6tables-nft 1.8.9 reads it. */
  static final class RtModule extends MatchModule<RtMatch> {
    static final RtModule INSTANCE = new RtModule();

    private static final List<String> OPTIONS = List.of("--rt-type", "--rt-segsleft", "--rt-len", "--rt-0-res",
        "--rt-0-not-strict");
    private static final Set<String> FLAGS = Set.of("--rt-0-res", "--rt-0-not-strict");

    private RtModule() {
      super("rt", RtMatch.class);
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
    Map<String, Integer> unmodelled() {
      return Map.of("--rt-0-addrs", 1);
    }

    @Override
    boolean negatable(String option) {
      return !FLAGS.contains(option);
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "rt", at, rule) {
        private RtMatch m = any();

        @Override
        void value(String option, Token optionToken, Token arg) {
          switch (option) {
            case "--rt-type" -> m = m.withType(number(arg, option), optionNegated);
            case "--rt-len" -> m = m.withLength(number(arg, option), optionNegated);
            case "--rt-segsleft" -> m = m.withSegmentsLeft(IdRange.parse(rule, arg, option, IdRange.U32),
                optionNegated);
            case "--rt-0-res" -> {
              if (!m.type().equals(OptionalLong.of(0)) || m.typeNegated()) {
                throw error(optionToken, "-m rt: --rt-0-res needs --rt-type 0 before it");
              }
              m = m.withReserved();
            }
            default -> throw error(optionToken, "-m rt: --rt-0-not-strict needs --rt-0-addrs before it");
          }
        }

        private long number(Token arg, String option) {
          long n = Numbers.parseUnsigned(arg.text(), IdRange.U32);
          if (n < 0) {
            throw error(arg, "bad value " + quoted(arg.text()) + " for " + option + "; expected a number from 0 to "
                + IdRange.U32);
          }
          return n;
        }

        @Override
        Match finish() {
          return m;
        }
      };
    }

    @Override
    void write(RtMatch m, StringBuilder out) {
      if (m.type().isPresent()) {
        out.append(m.typeNegated() ? " ! --rt-type " : " --rt-type ").append(m.type().getAsLong());
      }
      if (!m.segmentsLeft().isAll(IdRange.U32)) {
        out.append(m.segmentsLeftNegated() ? " ! --rt-segsleft " : " --rt-segsleft ");
        m.segmentsLeft().appendTo(out);
      }
      if (m.length().isPresent()) {
        out.append(m.lengthNegated() ? " ! --rt-len " : " --rt-len ").append(m.length().getAsLong());
      }
      if (m.reserved()) {
        out.append(" --rt-0-res");
      }
    }

    @Override
    void check(RtMatch m, RuleContext rule, Findings findings) {
      Ipv6Only.check("rt", rule, findings);
    }
  }
}
