package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code -m physdev}: the bridge ports a bridged packet came in on or goes out of.
 *
 * <pre>{@code
 * PhysdevMatch.builder().in("tap101i0").isBridged(true).build()
 *                                    // -m physdev --physdev-in tap101i0 --physdev-is-bridged
 * PhysdevMatch.builder().isOut(false).build()   // -m physdev ! --physdev-is-out
 * }</pre>
 *
 * <p>As iptables-nft 1.8.9 reads it (libxt_physdev.c): every option once, each may be negated; a
 * port name has at most 15 characters and may end in {@code +} (any port with that prefix).
 * iptables-save prints {@code --physdev-is-in}, {@code --physdev-in}, {@code --physdev-is-out},
 * {@code --physdev-out}, {@code --physdev-is-bridged}. The kernel (xt_physdev.c) refuses
 * {@code --physdev-out} or {@code --physdev-is-out} in a chain reached from OUTPUT unless the rule
 * also says (not negated) {@code --physdev-is-bridged}.
 *
 * @param in {@code --physdev-in NAME}, if tested
 * @param inNegated whether it is {@code ! --physdev-in}
 * @param out {@code --physdev-out NAME}, if tested
 * @param outNegated whether it is {@code ! --physdev-out}
 * @param isIn {@code --physdev-is-in} (true), {@code ! --physdev-is-in} (false), or not tested
 * @param isOut {@code --physdev-is-out} likewise
 * @param isBridged {@code --physdev-is-bridged} likewise
 */
public record PhysdevMatch(Optional<String> in, boolean inNegated, Optional<String> out, boolean outNegated,
    Optional<Boolean> isIn, Optional<Boolean> isOut, Optional<Boolean> isBridged) implements Match {

  public PhysdevMatch {
    checkArgument(in != null && out != null && isIn != null && isOut != null && isBridged != null,
        "absent parts are Optional.empty()");
    in.ifPresent(PhysdevMatch::checkName);
    out.ifPresent(PhysdevMatch::checkName);
    checkArgument(in.isPresent() || !inNegated, "! --physdev-in needs a name");
    checkArgument(out.isPresent() || !outNegated, "! --physdev-out needs a name");
    checkArgument(in.isPresent() || out.isPresent() || isIn.isPresent() || isOut.isPresent()
        || isBridged.isPresent(), "-m physdev needs at least one option");
  }

  private static void checkName(String name) {
    checkArgument(name.length() <= 15, "bridge port name \"%s\" is longer than 15 characters", name);
  }

  /** A builder; every option starts untested. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link PhysdevMatch}. */
  public static final class Builder {
    private Optional<String> in = Optional.empty();
    private boolean inNegated;
    private Optional<String> out = Optional.empty();
    private boolean outNegated;
    private Optional<Boolean> isIn = Optional.empty();
    private Optional<Boolean> isOut = Optional.empty();
    private Optional<Boolean> isBridged = Optional.empty();

    /** {@code --physdev-in NAME}. */
    public Builder in(String name) {
      in = Optional.of(name);
      inNegated = false;
      return this;
    }

    /** {@code ! --physdev-in NAME}. */
    public Builder notIn(String name) {
      in = Optional.of(name);
      inNegated = true;
      return this;
    }

    /** {@code --physdev-out NAME}. */
    public Builder out(String name) {
      out = Optional.of(name);
      outNegated = false;
      return this;
    }

    /** {@code ! --physdev-out NAME}. */
    public Builder notOut(String name) {
      out = Optional.of(name);
      outNegated = true;
      return this;
    }

    /** {@code --physdev-is-in} (true) or {@code ! --physdev-is-in} (false). */
    public Builder isIn(boolean yes) {
      isIn = Optional.of(yes);
      return this;
    }

    /** {@code --physdev-is-out} (true) or {@code ! --physdev-is-out} (false). */
    public Builder isOut(boolean yes) {
      isOut = Optional.of(yes);
      return this;
    }

    /** {@code --physdev-is-bridged} (true) or {@code ! --physdev-is-bridged} (false). */
    public Builder isBridged(boolean yes) {
      isBridged = Optional.of(yes);
      return this;
    }

    /** The match. */
    public PhysdevMatch build() {
      return new PhysdevMatch(in, inNegated, out, outNegated, isIn, isOut, isBridged);
    }
  }

  @Override
  public String module() {
    return "physdev";
  }

  /** {@code -m physdev} ({@link PhysdevMatch}), as libxt_physdev.c reads it. */
  static final class PhysdevModule extends MatchModule<PhysdevMatch> {
    static final PhysdevModule INSTANCE = new PhysdevModule();
    private static final List<String> OPTIONS = List.of("--physdev-in", "--physdev-out", "--physdev-is-in",
        "--physdev-is-out", "--physdev-is-bridged");

    private PhysdevModule() {
      super("physdev", PhysdevMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Set<String> flags() {
      return Set.of("--physdev-is-in", "--physdev-is-out", "--physdev-is-bridged");
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "physdev", at, rule) {
        private final Builder b = builder();

        private String port(Token arg, String option) {
          if (arg.text().length() > 15) {
            throw error(arg, "bridge port name " + Arguments.quoted(arg.text()) + " for " + option
                + " is longer than 15 characters");
          }
          return arg.text();
        }

        @Override
        void value(String option, Token optionToken, Token arg) {
          switch (option) {
            case "--physdev-in" -> {
              String n = port(arg, option);
              if (optionNegated) {
                b.notIn(n);
              } else {
                b.in(n);
              }
            }
            case "--physdev-out" -> {
              String n = port(arg, option);
              if (optionNegated) {
                b.notOut(n);
              } else {
                b.out(n);
              }
            }
            case "--physdev-is-in" -> b.isIn(!optionNegated);
            case "--physdev-is-out" -> b.isOut(!optionNegated);
            default -> b.isBridged(!optionNegated);
          }
        }

        @Override
        Match finish() {
          if (given.isEmpty()) {
            throw error(at, "-m physdev needs one of " + Arguments.join(OPTIONS, "or"));
          }
          return b.build();
        }
      };
    }

    private static void flag(Optional<Boolean> v, String option, StringBuilder out) {
      v.ifPresent(yes -> out.append(yes ? " " : " ! ").append(option));
    }

    @Override
    void write(PhysdevMatch m, StringBuilder out) {
      flag(m.isIn(), "--physdev-is-in", out);
      m.in().ifPresent(n -> out.append(m.inNegated() ? " ! --physdev-in " : " --physdev-in ").append(n));
      flag(m.isOut(), "--physdev-is-out", out);
      m.out().ifPresent(n -> out.append(m.outNegated() ? " ! --physdev-out " : " --physdev-out ").append(n));
      flag(m.isBridged(), "--physdev-is-bridged", out);
    }

    @Override
    void check(PhysdevMatch m, RuleContext rule, Findings findings) {
      boolean outward = m.out().isPresent() || m.isOut().isPresent();
      if (!outward || m.isBridged().orElse(false)) {
        return;
      }
      if (rule.family == null) {
        findings.warning("physdev-context", "checked in its chain");
        return;
      }
      if (rule.hooks.contains(Hook.OUTPUT)) {
        findings.error("physdev-output", "-m physdev --physdev-out or --physdev-is-out in chain " + rule.chain
            + ", which is reached from OUTPUT, needs --physdev-is-bridged; the kernel refuses it otherwise");
      }
    }
  }
}
