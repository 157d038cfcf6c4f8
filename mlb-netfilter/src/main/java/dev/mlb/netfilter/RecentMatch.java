package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code -m recent}: a list of addresses the kernel keeps by name ({@code /proc/net/xt_recent/NAME});
 * a rule adds the packet's source (or destination) address to it, or matches while the address is
 * on it (seen within {@code --seconds}, at least {@code --hitcount} times), refreshing or removing it.
 *
 * <pre>{@code
 * RecentMatch.set(IpFamily.V4, "SSH")
 *     // -m recent --set --name SSH --mask 255.255.255.255 --rsource
 * RecentMatch.update(IpFamily.V4, "SSH").withSeconds(60).withHitcount(4).withRttl()
 *     // -m recent --update --seconds 60 --hitcount 4 --rttl --name SSH --mask 255.255.255.255 --rsource
 * RecentMatch.rcheck(IpFamily.V6, "knock").byDestination().inverted()
 *     // -m recent ! --rcheck --name knock --mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rdest
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code recent_save} of iptables'
 * {@code extensions/libxt_recent.c}): the command, {@code --seconds}, {@code --reap},
 * {@code --hitcount} and {@code --rttl} when set, then always the name (DEFAULT when none is
 * given), the mask (the whole address when none is given) and {@code --rsource} or {@code --rdest}.
 * iptables reads the mask as {@code getaddrinfo} does ({@code 24} is {@code 0.0.0.24} in IPv4) and
 * cuts names to 199 characters. iptables-nft 1.8.9 prints seconds and hit counts with {@code %d}:
 * 2147483648 seconds and more print negative and do not read back (validation warns).
 *
 * <p>The kernel refuses {@code --seconds}, {@code --hitcount}, {@code --rttl} and {@code --reap}
 * with {@code --set} or {@code --remove}, a hit count above 65535 and names it cannot make a /proc
 * file of. It keeps one list per name (for both families): its mask is the first rule's, and
 * validation warns about a later rule naming it with another mask. The simulator does not model
 * {@code -m recent}.
 *
 * @param command what the rule does with the list
 * @param negated {@code !} before the command: the match's result is inverted
 * @param name the list's name, 1 to 199 characters
 * @param seconds only addresses seen within this many seconds match (0: any)
 * @param reap with {@code seconds}: purge entries older than that
 * @param hitcount only addresses seen at least this many times match (0: any)
 * @param rttl only addresses seen with the packet's TTL match
 * @param destination keep the destination address ({@code --rdest}) rather than the source
 * @param mask the mask applied to addresses (all ones: the whole address)
 */
public record RecentMatch(
    Command command,
    boolean negated,
    String name,
    long seconds,
    boolean reap,
    long hitcount,
    boolean rttl,
    boolean destination,
    IpAddress mask)
    implements Match {

  /** The name iptables fills in. */
  public static final String DEFAULT_NAME = "DEFAULT";
  /** The longest name iptables keeps (the kernel's buffer is 200 bytes with the terminating zero). */
  public static final int MAX_NAME = 199;
  /** {@code XT_RECENT_MAX_NSTAMPS - 1}: the largest hit count the kernel takes. */
  public static final long MAX_HITCOUNT = 65_535;
  private static final long U32 = 0xFFFF_FFFFL;

  /** What a rule does with the list. */
  public enum Command {
    /** {@code --set}: add the address (always matches). */
    SET,
    /** {@code --rcheck}: match if the address is on the list. */
    RCHECK,
    /** {@code --update}: match if it is, and refresh its time. */
    UPDATE,
    /** {@code --remove}: match if it is, and remove it. */
    REMOVE;

    /** {@code --set}, ... */
    public String option() {
      return "--" + name().toLowerCase(Locale.ROOT);
    }
  }

  public RecentMatch {
    checkArgument(command != null && name != null && mask != null, "-m recent: command, name and mask must not be null");
    checkArgument(seconds >= 0 && seconds <= U32 && hitcount >= 0 && hitcount <= U32,
        "-m recent: seconds and hit count are unsigned 32-bit numbers, not %s and %s", seconds, hitcount);
  }

  private static RecentMatch of(Command command, IpFamily family, String name) {
    return new RecentMatch(command, false, name, 0, false, 0, false, false, HostMasks.all(family));
  }

  /** {@code --set --name NAME}: the whole source address. */
  public static RecentMatch set(IpFamily family, String name) {
    return of(Command.SET, family, name);
  }

  /** {@code --rcheck --name NAME}. */
  public static RecentMatch rcheck(IpFamily family, String name) {
    return of(Command.RCHECK, family, name);
  }

  /** {@code --update --name NAME}. */
  public static RecentMatch update(IpFamily family, String name) {
    return of(Command.UPDATE, family, name);
  }

  /** {@code --remove --name NAME}. */
  public static RecentMatch remove(IpFamily family, String name) {
    return of(Command.REMOVE, family, name);
  }

  /** This match with its result inverted ({@code ! --rcheck}). */
  public RecentMatch inverted() {
    return new RecentMatch(command, !negated, name, seconds, reap, hitcount, rttl, destination, mask);
  }

  /** This match for addresses seen within {@code seconds}. */
  public RecentMatch withSeconds(long seconds) {
    return new RecentMatch(command, negated, name, seconds, reap, hitcount, rttl, destination, mask);
  }

  /** This match purging entries older than its {@code --seconds}. */
  public RecentMatch withReap() {
    return new RecentMatch(command, negated, name, seconds, true, hitcount, rttl, destination, mask);
  }

  /** This match for addresses seen at least {@code hitcount} times. */
  public RecentMatch withHitcount(long hitcount) {
    return new RecentMatch(command, negated, name, seconds, reap, hitcount, rttl, destination, mask);
  }

  /** This match for addresses last seen with the packet's TTL. */
  public RecentMatch withRttl() {
    return new RecentMatch(command, negated, name, seconds, reap, hitcount, true, destination, mask);
  }

  /** This match keeping destination addresses ({@code --rdest}). */
  public RecentMatch byDestination() {
    return new RecentMatch(command, negated, name, seconds, reap, hitcount, rttl, true, mask);
  }

  /** This match with addresses masked by {@code mask}. */
  public RecentMatch withMask(IpAddress mask) {
    return new RecentMatch(command, negated, name, seconds, reap, hitcount, rttl, destination, mask);
  }

  @Override
  public String module() {
    return "recent";
  }

  /** {@code -m recent}: iptables' {@code extensions/libxt_recent.c} (revision 1), as iptables-nft 1.8.9 reads it. */
  static final class RecentModule extends MatchModule<RecentMatch> {
    static final RecentModule INSTANCE = new RecentModule();

    private static final List<String> OPTIONS = List.of("--set", "--rcheck", "--update", "--remove", "--seconds",
        "--reap", "--hitcount", "--rttl", "--name", "--rsource", "--rdest", "--mask");
    private static final Set<String> FLAGS = Set.of("--set", "--rcheck", "--update", "--remove", "--reap", "--rttl",
        "--rsource", "--rdest");
    private static final Set<String> COMMANDS = Set.of("--set", "--rcheck", "--update", "--remove");

    private RecentModule() {
      super("recent", RecentMatch.class);
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
      return COMMANDS.contains(option);
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "recent", at, rule) {
        private Command command;
        private Token commandToken;
        private boolean negated;
        private String listName = DEFAULT_NAME;
        private long seconds;
        private long hitcount;
        private boolean destination;
        private IpAddress mask = HostMasks.all(rule.family());

        @Override
        void value(String option, Token optionToken, Token arg) {
          switch (option) {
            case "--set", "--rcheck", "--update", "--remove" -> {
              if (command != null) {
                throw error(optionToken, "-m recent: " + option + " cannot be given with " + commandToken.text()
                    + "; expected one of --set, --rcheck, --update or --remove");
              }
              if ((option.equals("--set") || option.equals("--remove")) && given.containsKey("--rttl")) {
                throw error(optionToken, "-m recent: " + option + " cannot be given with --rttl");
              }
              command = Command.valueOf(option.substring(2).toUpperCase(Locale.ROOT));
              commandToken = optionToken;
              negated = optionNegated;
            }
            case "--seconds" -> {
              seconds = HostMasks.Strtoul.parse(arg.text(), U32);
              if (seconds < 1) {
                throw error(arg, "-m recent: bad value " + quoted(arg.text()) + " for --seconds; expected a number"
                    + " of seconds from 1 to 4294967295");
              }
            }
            case "--hitcount" -> {
              hitcount = HostMasks.Strtoul.parse(arg.text(), U32);
              if (hitcount < 0) {
                throw error(arg, "-m recent: bad value " + quoted(arg.text()) + " for --hitcount; expected a number"
                    + " from 0 to 4294967295 (the kernel takes up to " + MAX_HITCOUNT + ")");
              }
            }
            case "--rttl" -> {
              if (command == Command.SET || command == Command.REMOVE) {
                throw error(optionToken, "-m recent: --rttl cannot be given with " + command.option());
              }
            }
            case "--name" -> listName = HashlimitMatch.HashlimitModule.cut(arg.text(), MAX_NAME);
            case "--rsource" -> destination = false;
            case "--rdest" -> destination = true;
            case "--mask" -> {
              mask = HostMasks.address(rule.family(), arg.text());
              if (mask == null) {
                throw error(arg, "-m recent: bad value " + quoted(arg.text()) + " for --mask; expected an "
                    + (rule.family() == IpFamily.V4 ? "IPv4" : "IPv6") + " address such as "
                    + (rule.family() == IpFamily.V4 ? "255.255.255.0" : "ffff:ffff:ffff:ffff::"));
              }
            }
            case "--reap" -> { }
            default -> throw new AssertionError(option);
          }
        }

        @Override
        Match finish() {
          if (command == null) {
            throw error(at, "-m recent needs --set, --rcheck, --update or --remove");
          }
          if (given.containsKey("--reap") && seconds == 0) {
            throw error(given.get("--reap"), "-m recent: --reap needs --seconds");
          }
          return new RecentMatch(command, negated, listName, seconds, given.containsKey("--reap"), hitcount,
              given.containsKey("--rttl"), destination, mask);
        }
      };
    }

    @Override
    void write(RecentMatch m, StringBuilder out) {
      out.append(m.negated() ? " ! " : " ").append(m.command().option());
      if (m.seconds() != 0) {
        out.append(" --seconds ").append((int) m.seconds());   // %d in iptables 1.8.9
      }
      if (m.reap()) {
        out.append(" --reap");
      }
      if (m.hitcount() != 0) {
        out.append(" --hitcount ").append((int) m.hitcount());
      }
      if (m.rttl()) {
        out.append(" --rttl");
      }
      out.append(" --name ").append(m.name()).append(" --mask ").append(m.mask());
      out.append(m.destination() ? " --rdest" : " --rsource");
    }

    @Override
    void check(RecentMatch m, RuleContext rule, Findings findings) {
      String what = "-m recent " + m.command().option() + " --name " + TextChecks.escape(m.name());
      HashlimitMatch.HashlimitModule.checkProcName("recent-name", m.name(), MAX_NAME, what, findings);
      if (m.command() == Command.SET || m.command() == Command.REMOVE) {
        if (m.seconds() != 0 || m.hitcount() != 0 || m.rttl() || m.reap()) {
          findings.error("recent-options", what + ": --seconds, --hitcount, --rttl and --reap go with --rcheck or"
              + " --update; the kernel refuses them with " + m.command().option());
        }
      } else if (m.reap() && m.seconds() == 0) {
        findings.error("recent-options", what + ": --reap needs --seconds; the kernel refuses it alone");
      }
      if (m.hitcount() > MAX_HITCOUNT) {
        findings.error("recent-hitcount", what + ": --hitcount " + m.hitcount() + " is above " + MAX_HITCOUNT
            + "; the kernel refuses it");
      }
      if (m.seconds() > Integer.MAX_VALUE) {
        findings.warning("recent-seconds-unreadable", what + ": --seconds " + m.seconds() + " is printed as "
            + (int) m.seconds() + " by iptables-save 1.8.9 (%d), which iptables cannot read back");
      }
      if (rule.family == null) {
        findings.warning("recent-context", "checked in its chain");
      } else if (m.mask().family() != rule.family) {
        findings.error("recent-mask", what + ": --mask " + m.mask() + " is an "
            + (m.mask().family() == IpFamily.V4 ? "IPv4 address in an IPv6" : "IPv6 address in an IPv4") + " ruleset");
      }
    }
  }
}
