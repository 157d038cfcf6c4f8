package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.netfilter.SetReference.Direction;
import java.math.BigInteger;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code -m set [!] --match-set NAME DIRECTIONS [--return-nomatch] [! --update-counters]
 * [! --update-subcounters] [[!] --packets-eq N | --packets-lt N | --packets-gt N]
 * [[!] --bytes-eq N | --bytes-lt N | --bytes-gt N]}: matches packets whose address (port, ...) is
 * in the ipset {@code NAME}.
 *
 * <pre>{@code
 * SetMatch.of("blocklist", Direction.SRC)                  // -m set --match-set blocklist src
 * SetMatch.of("blocklist", Direction.SRC).negated()        // -m set ! --match-set blocklist src
 * SetMatch.of("svc", Direction.DST, Direction.DST)
 *     .withPackets(SetMatch.Counter.lessThan(10))          // -m set --match-set svc dst,dst --packets-lt 10
 * SetMatch.of("seen", Direction.SRC).withoutCounterUpdate() // -m set --match-set seen src ! --update-counters
 * }</pre>
 *
 * <p>As iptables-nft 1.8.9 reads and {@code iptables-save} prints it (revision 4 of
 * {@code extensions/libxt_set.c}): the set and its directions, then {@code --return-nomatch},
 * {@code ! --update-counters}, {@code ! --update-subcounters}, the packet test and the byte test.
 * {@code --set} is read as {@code --match-set}; {@code --update-counters} and
 * {@code --update-subcounters} without {@code !} are the default and not printed. The counter
 * tests compare the set element's counters (a set made with {@code counters}); {@code !} only
 * negates the {@code -eq} tests.
 *
 * <p>iptables looks the set up when it reads the rule and refuses a set that does not exist or
 * is of the other family. mlb checks that only when validation is told which sets exist
 * ({@link Ruleset#validate(IpSets)}); {@link Ruleset#validate()} does not know them and checks no
 * set name. The simulator does not model {@code -m set}.
 *
 * @param set the set and the directions of its fields
 * @param invert {@code ! --match-set}: match packets not in the set
 * @param returnNomatch {@code --return-nomatch}: an element added with {@code nomatch} matches too
 * @param skipCounterUpdate {@code ! --update-counters}: leave the element's counters alone
 * @param skipSubcounterUpdate {@code ! --update-subcounters}: leave the counters of a list:set's member alone
 * @param packets the test of the element's packet counter, if any
 * @param bytes the test of the element's byte counter, if any
 */
public record SetMatch(SetReference set, boolean invert, boolean returnNomatch, boolean skipCounterUpdate,
    boolean skipSubcounterUpdate, Optional<Counter> packets, Optional<Counter> bytes) implements Match {

  public SetMatch {
    checkArgument(set != null, "-m set: the set is null");
    checkArgument(packets != null && bytes != null, "-m set: a counter test is null; use Optional.empty()");
  }

  /** {@code -m set --match-set NAME DIRECTIONS}. */
  public static SetMatch of(String name, Direction first, Direction... rest) {
    return of(SetReference.of(name, first, rest));
  }

  /** {@code -m set --match-set NAME DIRECTIONS}. */
  public static SetMatch of(SetReference set) {
    return new SetMatch(set, false, false, false, false, Optional.empty(), Optional.empty());
  }

  /** This match negated ({@code ! --match-set}). */
  public SetMatch negated() {
    return new SetMatch(set, !invert, returnNomatch, skipCounterUpdate, skipSubcounterUpdate, packets, bytes);
  }

  /** This match with {@code --return-nomatch}. */
  public SetMatch withReturnNomatch() {
    return new SetMatch(set, invert, true, skipCounterUpdate, skipSubcounterUpdate, packets, bytes);
  }

  /** This match with {@code ! --update-counters}. */
  public SetMatch withoutCounterUpdate() {
    return new SetMatch(set, invert, returnNomatch, true, skipSubcounterUpdate, packets, bytes);
  }

  /** This match with {@code ! --update-subcounters}. */
  public SetMatch withoutSubcounterUpdate() {
    return new SetMatch(set, invert, returnNomatch, skipCounterUpdate, true, packets, bytes);
  }

  /** This match testing the element's packet counter. */
  public SetMatch withPackets(Counter test) {
    return new SetMatch(set, invert, returnNomatch, skipCounterUpdate, skipSubcounterUpdate, Optional.of(test),
        bytes);
  }

  /** This match testing the element's byte counter. */
  public SetMatch withBytes(Counter test) {
    return new SetMatch(set, invert, returnNomatch, skipCounterUpdate, skipSubcounterUpdate, packets,
        Optional.of(test));
  }

  @Override
  public String module() {
    return "set";
  }

  /**
   * A test of a set element's counter: {@code --packets-eq 5}, {@code ! --bytes-eq 0},
   * {@code --packets-lt 10}, {@code --bytes-gt 1000}.
   *
   * <pre>{@code
   * SetMatch.Counter.equalTo(5)        // --packets-eq 5 (or --bytes-eq 5)
   * SetMatch.Counter.notEqualTo(0)     // ! --packets-eq 0
   * }</pre>
   *
   * @param comparison how the counter is compared
   * @param value the unsigned 64-bit value compared with ({@link Long#toUnsignedString})
   */
  public record Counter(Comparison comparison, long value) {
    public Counter {
      checkArgument(comparison != null, "-m set: the counter comparison is null");
    }

    public static Counter equalTo(long value) {
      return new Counter(Comparison.EQ, value);
    }

    public static Counter notEqualTo(long value) {
      return new Counter(Comparison.NE, value);
    }

    public static Counter lessThan(long value) {
      return new Counter(Comparison.LT, value);
    }

    public static Counter greaterThan(long value) {
      return new Counter(Comparison.GT, value);
    }
  }

  /** How a counter is compared: {@code -eq}, {@code ! -eq}, {@code -lt}, {@code -gt}. */
  public enum Comparison {
    EQ, NE, LT, GT
  }

  /** {@code -m set}: iptables' {@code extensions/libxt_set.c} (revision 4), as iptables-nft 1.8.9 reads it. */
  static final class SetModule extends MatchModule<SetMatch> {
    static final SetModule INSTANCE = new SetModule();

    private static final List<String> OPTIONS = List.of("--match-set", "--set", "--return-nomatch",
        "--update-counters", "--update-subcounters", "--packets-eq", "--packets-lt", "--packets-gt", "--bytes-eq",
        "--bytes-lt", "--bytes-gt");
    private static final Set<String> FLAGS = Set.of("--return-nomatch", "--update-counters",
        "--update-subcounters");
    private static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private SetModule() {
      super("set", SetMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    String canonical(String option) {
      if (option.equals("--set")) {
        return "--match-set";
      }
      return super.canonical(option);
    }

    @Override
    Set<String> flags() {
      return FLAGS;
    }

    @Override
    int arity(String option) {
      String c = canonical(option);
      return c == null ? 1 : c.equals("--match-set") ? 2 : FLAGS.contains(c) ? 0 : 1;
    }

    @Override
    boolean negatable(String option) {
      return !option.equals("--return-nomatch") && !option.endsWith("-lt") && !option.endsWith("-gt");
    }

    @Override
    boolean repeatable(String option) {
      // libxt_set.c keeps no count of these flags: given twice, they mean what they mean once.
      return FLAGS.contains(option);
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, name, at, rule) {
        private SetReference set;
        private boolean setNegated;
        private boolean skipCounters;
        private boolean skipSubcounters;
        private Counter packets;
        private Counter bytes;

        @Override
        void value(String option, Token optionToken, Token arg) {
          switch (option) {
            case "--match-set" -> {
              set = SetReference.read(rule, optionToken.text(), arg, secondArgument);
              setNegated = optionNegated;
            }
            case "--return-nomatch" -> { }
            case "--update-counters" -> skipCounters |= optionNegated;
            case "--update-subcounters" -> skipSubcounters |= optionNegated;
            default -> {
              boolean isPackets = option.startsWith("--packets-");
              if (isPackets ? packets != null : bytes != null) {
                String kind = isPackets ? "--packets" : "--bytes";
                throw error(optionToken, "-m set: " + option + " after another " + kind + " test; iptables takes"
                    + " one of " + kind + "-eq, " + kind + "-lt and " + kind + "-gt");
              }
              String op = option.substring(option.length() - 2);
              Comparison c = op.equals("eq") ? (optionNegated ? Comparison.NE : Comparison.EQ)
                  : op.equals("lt") ? Comparison.LT : Comparison.GT;
              Counter test = new Counter(c, u64(rule, arg, option));
              if (isPackets) {
                packets = test;
              } else {
                bytes = test;
              }
            }
          }
        }

        @Override
        Match finish() {
          if (set == null) {
            throw error(at, "-m set needs --match-set NAME src|dst[,...]");
          }
          return new SetMatch(set, setNegated, given.containsKey("--return-nomatch"), skipCounters, skipSubcounters,
              Optional.ofNullable(packets), Optional.ofNullable(bytes));
        }
      };
    }

    /** An unsigned 64-bit number as strtoull reads it (base 0), in a long's 64 bits. */
    private static long u64(ModuleContext rule, Token arg, String option) {
      String t = arg.text();
      BigInteger v = null;
      if (t.matches("0[xX][0-9a-fA-F]+")) {
        v = new BigInteger(t.substring(2), 16);
      } else if (t.matches("0[0-7]*")) {
        v = t.length() == 1 ? BigInteger.ZERO : new BigInteger(t.substring(1), 8);
      } else if (t.matches("[1-9][0-9]*")) {
        v = new BigInteger(t);
      }
      if (v == null || v.compareTo(U64_MAX) > 0) {
        throw rule.error(arg, "bad value " + quoted(t) + " for " + option + "; expected a number from 0 to"
            + " 18446744073709551615 (0x hex or 0 octal)");
      }
      return v.longValue();
    }

    @Override
    void write(SetMatch m, StringBuilder out) {
      out.append(m.invert() ? " ! --match-set " : " --match-set ").append(m.set().name()).append(' ');
      m.set().appendDirections(out);
      if (m.returnNomatch()) {
        out.append(" --return-nomatch");
      }
      if (m.skipCounterUpdate()) {
        out.append(" ! --update-counters");
      }
      if (m.skipSubcounterUpdate()) {
        out.append(" ! --update-subcounters");
      }
      m.packets().ifPresent(c -> appendCounter(out, "--packets", c));
      m.bytes().ifPresent(c -> appendCounter(out, "--bytes", c));
    }

    private static void appendCounter(StringBuilder out, String name, Counter c) {
      String v = Long.toUnsignedString(c.value());
      switch (c.comparison()) {
        case EQ -> out.append(' ').append(name).append("-eq ").append(v);
        case NE -> out.append(" ! ").append(name).append("-eq ").append(v);
        case LT -> out.append(' ').append(name).append("-lt ").append(v);
        case GT -> out.append(' ').append(name).append("-gt ").append(v);
        default -> throw new AssertionError(c.comparison());
      }
    }
  }
}
