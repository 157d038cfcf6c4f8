package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import com.google.common.collect.Sets;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Numbers;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * {@code -m osf [!] --genre GENRE [--ttl 0|1|2] [--log 0|1|2]}: matches TCP SYNs by the operating
 * system their fingerprint names (passive OS fingerprinting; the fingerprints are loaded into the
 * kernel separately, with nfnl_osf).
 *
 * <pre>{@code
 * OsfMatch.genre("Linux")                          // -p tcp -m osf --genre Linux
 * OsfMatch.genre("Windows").withTtl(2).inverted()  // -p tcp -m osf ! --genre Windows --ttl 2
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code osf_save} of iptables' {@code extensions/libxt_osf.c}):
 * the genre bare, then {@code --ttl} and {@code --log} if given. iptables takes the genre cut to 31
 * bytes, and the TTL check and log level from 0 to 2; mlb refuses an empty genre and one with
 * blanks, quotes or control characters, which iptables-save would print so that they do not read
 * back. The match exists in IPv4 only; the kernel takes it with {@code -p tcp} (not negated) where
 * packets come from PREROUTING, INPUT or FORWARD. The simulator does not model {@code -m osf}.
 *
 * @param genre the operating system's genre, as the fingerprints name it
 * @param negated {@code ! --genre}
 * @param ttl {@code --ttl}: how the IP TTL is compared with the fingerprint's, if given
 * @param log {@code --log}: which genres are logged, if given
 */
public record OsfMatch(String genre, boolean negated, OptionalInt ttl, OptionalInt log) implements Match {

  /** {@code MAXGENRELEN} less the terminating zero. */
  public static final int MAX_GENRE_BYTES = 31;
  private static final Set<Hook> HOOKS = EnumSet.of(Hook.PREROUTING, Hook.INPUT, Hook.FORWARD);

  public OsfMatch {
    checkArgument(genre != null && ttl != null && log != null, "-m osf: a component is null");
  }

  /** {@code -m osf --genre GENRE}. */
  public static OsfMatch genre(String genre) {
    return new OsfMatch(genre, false, OptionalInt.empty(), OptionalInt.empty());
  }

  /** This match with {@code --ttl LEVEL}. */
  public OsfMatch withTtl(int level) {
    return new OsfMatch(genre, negated, OptionalInt.of(level), log);
  }

  /** This match with {@code --log LEVEL}. */
  public OsfMatch withLog(int level) {
    return new OsfMatch(genre, negated, ttl, OptionalInt.of(level));
  }

  /** This match negated: {@code ! --genre}. */
  public OsfMatch inverted() {
    return new OsfMatch(genre, !negated, ttl, log);
  }

  @Override
  public String module() {
    return "osf";
  }

  /** {@code -m osf}: iptables' {@code extensions/libxt_osf.c}, as iptables-nft 1.8.9 reads it. */
  static final class OsfModule extends MatchModule<OsfMatch> {
    static final OsfModule INSTANCE = new OsfModule();

    private static final List<String> OPTIONS = List.of("--genre", "--ttl", "--log");

    private OsfModule() {
      super("osf", OsfMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    boolean negatable(String option) {
      return option.equals("--genre");
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      if (rule.family() != IpFamily.V4) {
        throw rule.error(at, "-m osf exists in IPv4 only; ip6tables has no such match");
      }
      return new Reader(this, "osf", at, rule) {
        private String genre;
        private boolean genreNegated;
        private OptionalInt ttl = OptionalInt.empty();
        private OptionalInt log = OptionalInt.empty();

        @Override
        void value(String option, Token optionToken, Token arg) {
          switch (option) {
            case "--genre" -> {
              genre = Log.LogModule.cut(rule, arg, "--genre", arg.text(), MAX_GENRE_BYTES);
              genreNegated = optionNegated;
            }
            case "--ttl" -> ttl = OptionalInt.of(level(arg, option));
            default -> log = OptionalInt.of(level(arg, option));
          }
        }

        private int level(Token arg, String option) {
          long n = Numbers.parseUnsigned(arg.text(), 2);
          if (n < 0) {
            throw error(arg, "bad value " + quoted(arg.text()) + " for " + option + "; expected 0, 1 or 2");
          }
          return (int) n;
        }

        @Override
        Match finish() {
          require("--genre");
          return new OsfMatch(genre, genreNegated, ttl, log);
        }
      };
    }

    @Override
    void write(OsfMatch m, StringBuilder out) {
      out.append(m.negated() ? " ! --genre " : " --genre ").append(m.genre());
      m.ttl().ifPresent(t -> out.append(" --ttl ").append(t));
      m.log().ifPresent(l -> out.append(" --log ").append(l));
    }

    @Override
    void check(OsfMatch m, RuleContext rule, Findings findings) {
      if (m.genre().isEmpty()) {
        findings.error("osf-genre", "-m osf --genre is empty; iptables-save would print it so that it does not read"
            + " back");
      } else {
        TextChecks.checkName(findings, "-m osf --genre (printed bare by iptables-save)", m.genre());
      }
      int bytes = m.genre().getBytes(StandardCharsets.UTF_8).length;
      if (bytes > MAX_GENRE_BYTES) {
        findings.error("osf-genre", "-m osf --genre is " + bytes + " bytes; the kernel keeps " + MAX_GENRE_BYTES);
      }
      for (OptionalInt v : List.of(m.ttl(), m.log())) {
        if (v.isPresent() && (v.getAsInt() < 0 || v.getAsInt() > 2)) {
          findings.error("osf-level", "-m osf --ttl and --log take 0, 1 or 2, not " + v.getAsInt());
        }
      }
      if (!rule.protocolIs(Set.of(6))) {
        findings.error("osf-protocol", "-m osf needs -p tcp (not negated) in the rule; the kernel refuses it otherwise");
      }
      if (rule.family == null) {
        findings.warning("osf-context", "checked in its chain");
        return;
      }
      if (rule.family != IpFamily.V4) {
        findings.error("osf-family", "-m osf exists in IPv4 only");
      }
      Set<Hook> bad = Sets.difference(rule.hooks, HOOKS);
      if (!bad.isEmpty()) {
        findings.error("match-hook", "-m osf in chain " + rule.chain + ", which is reached from " + bad
            + "; the kernel takes it only in " + HOOKS);
      }
    }
  }
}
