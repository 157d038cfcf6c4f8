package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Numbers;
import java.util.List;
import java.util.Set;

/**
 * {@code -m connlimit}: matches while the number of connections of a source (or destination)
 * address group is above (or up to) a limit.
 *
 * <pre>{@code
 * ConnlimitMatch.above(10, 32)              // -m connlimit --connlimit-above 10 --connlimit-mask 32 --connlimit-saddr
 * ConnlimitMatch.upto(4, 24).byDestination() // ... --connlimit-upto 4 --connlimit-mask 24 --connlimit-daddr
 * }</pre>
 *
 * <p>{@code iptables-save} always prints the limit, the mask (as a prefix length; iptables fills in
 * the whole address, 32 or 128, when none is given) and {@code --connlimit-saddr} or
 * {@code --connlimit-daddr} ({@code connlimit_save4} of {@code extensions/libxt_connlimit.c}).
 * {@code ! --connlimit-above N} is {@code --connlimit-upto N} and the other way round. The
 * simulator does not model {@code -m connlimit}.
 *
 * @param limit the number of connections, 0 to 4294967295
 * @param upto true for {@code --connlimit-upto} (at most {@code limit}), false for {@code --connlimit-above}
 * @param mask the prefix length grouping addresses, 0 to 32 (IPv4) or 128 (IPv6); iptables reads 33 to
 *     128 in an IPv4 rule as 32
 * @param destination true to count per destination address ({@code --connlimit-daddr})
 */
public record ConnlimitMatch(long limit, boolean upto, int mask, boolean destination) implements Match {

  /** The largest limit ({@code UINT32_MAX}). */
  public static final long MAX_LIMIT = 0xFFFF_FFFFL;

  public ConnlimitMatch {
    checkArgument(limit >= 0 && limit <= MAX_LIMIT, "-m connlimit: limit %s is outside 0 to %s", limit, MAX_LIMIT);
    checkArgument(mask >= 0 && mask <= 128, "-m connlimit: mask %s is outside 0 to 128", mask);
  }

  /** {@code --connlimit-above limit --connlimit-mask mask --connlimit-saddr}. */
  public static ConnlimitMatch above(long limit, int mask) {
    return new ConnlimitMatch(limit, false, mask, false);
  }

  /** {@code --connlimit-upto limit --connlimit-mask mask --connlimit-saddr}. */
  public static ConnlimitMatch upto(long limit, int mask) {
    return new ConnlimitMatch(limit, true, mask, false);
  }

  /** This match counting per destination address. */
  public ConnlimitMatch byDestination() {
    return new ConnlimitMatch(limit, upto, mask, true);
  }

  @Override
  public String module() {
    return "connlimit";
  }

  /** {@code -m connlimit}: iptables' {@code extensions/libxt_connlimit.c}, as iptables-nft 1.8.9 reads it. */
  static final class ConnlimitModule extends MatchModule<ConnlimitMatch> {
    static final ConnlimitModule INSTANCE = new ConnlimitModule();

    private static final List<String> OPTIONS = List.of("--connlimit-upto", "--connlimit-above", "--connlimit-mask",
        "--connlimit-saddr", "--connlimit-daddr");
    private static final Set<String> FLAGS = Set.of("--connlimit-saddr", "--connlimit-daddr");

    private ConnlimitModule() {
      super("connlimit", ConnlimitMatch.class);
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
      return option.equals("--connlimit-upto") || option.equals("--connlimit-above");
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "connlimit", at, rule) {
        private long limit = -1;
        private boolean upto;
        private int mask = rule.family() == IpFamily.V6 ? 128 : 32;
        private boolean destination;

        @Override
        void value(String option, Token optionToken, Token arg) {
          switch (option) {
            case "--connlimit-upto", "--connlimit-above" -> {
              String other = option.equals("--connlimit-upto") ? "--connlimit-above" : "--connlimit-upto";
              exclusive(option, optionToken, other);
              limit = Numbers.parseUnsigned(arg.text(), MAX_LIMIT);
              if (limit < 0) {
                throw error(arg, "-m connlimit: bad value " + quoted(arg.text()) + " for " + option
                    + "; expected a number from 0 to " + MAX_LIMIT);
              }
              upto = option.equals("--connlimit-upto") != optionNegated;
            }
            case "--connlimit-mask" -> {
              // iptables reads a prefix length up to 128 in both families; an IPv4 rule keeps the
              // first 32 bits of that mask, so 33 to 128 become 32.
              long m = Numbers.parseUnsigned(arg.text(), 128);
              if (m < 0) {
                throw error(arg, "-m connlimit: bad value " + quoted(arg.text()) + " for --connlimit-mask; expected a"
                    + " prefix length from 0 to 128");
              }
              mask = rule.family() == IpFamily.V6 ? (int) m : (int) Math.min(m, 32);
            }
            case "--connlimit-saddr" -> exclusive(option, optionToken, "--connlimit-daddr");
            default -> {
              exclusive(option, optionToken, "--connlimit-saddr");
              destination = true;
            }
          }
        }

        private void exclusive(String option, Token optionToken, String other) {
          if (given.containsKey(other)) {
            throw error(optionToken, "-m connlimit: " + option + " cannot be given with " + other);
          }
        }

        @Override
        Match finish() {
          if (limit < 0) {
            throw error(at, "-m connlimit needs --connlimit-above or --connlimit-upto");
          }
          return new ConnlimitMatch(limit, upto, mask, destination);
        }
      };
    }

    @Override
    void write(ConnlimitMatch m, StringBuilder out) {
      out.append(m.upto() ? " --connlimit-upto " : " --connlimit-above ").append(m.limit());
      out.append(" --connlimit-mask ").append(m.mask());
      out.append(m.destination() ? " --connlimit-daddr" : " --connlimit-saddr");
    }

    @Override
    void check(ConnlimitMatch m, RuleContext rule, Findings findings) {
      if (rule.family == null) {
        // The rule's screen (no family): have validation look at a wide mask in its ruleset.
        if (m.mask() > 32) {
          findings.warning("connlimit-context", "checked in its chain");
        }
        return;
      }
      if (rule.family == IpFamily.V4 && m.mask() > 32) {
        findings.warning("connlimit-mask", "-m connlimit --connlimit-mask " + m.mask() + " in an IPv4 ruleset;"
            + " the kernel keeps it as 32 (iptables-save prints --connlimit-mask 32)");
      }
    }
  }
}
