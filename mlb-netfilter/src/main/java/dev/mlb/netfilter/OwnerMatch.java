package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.Numbers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * {@code -m owner}: the user, group or existence of the local socket that sent the packet.
 *
 * <pre>{@code
 * OwnerMatch.uid(0, 0)                         // -m owner --uid-owner 0
 * OwnerMatch.uid(1000, 1999).negateUid()       // -m owner ! --uid-owner 1000-1999
 * OwnerMatch.gid(100, 100).withSupplGroups()   // -m owner --gid-owner 100 --suppl-groups
 * OwnerMatch.socketExists(true)                // -m owner --socket-exists
 * }</pre>
 *
 * <p>iptables 1.8.9 resolves a user (group) name through the system's user (group) database
 * (here {@code /etc/passwd}, {@code /etc/group}) before reading it as a number or range
 * {@code MIN-MAX} / {@code MIN:MAX} (strtoul base 0, at most 4294967294); iptables-save prints
 * numbers, {@code --socket-exists} first, then {@code --uid-owner}, {@code --gid-owner} and
 * {@code --suppl-groups}. The kernel takes the match only from OUTPUT and POSTROUTING and refuses a
 * range whose first id is above its last.
 *
 * @param uid the user ids, if tested
 * @param uidNegated whether it is {@code ! --uid-owner}
 * @param gid the group ids, if tested
 * @param gidNegated whether it is {@code ! --gid-owner}
 * @param supplGroups whether {@code --suppl-groups} also tests the supplementary groups (needs gid)
 * @param socketExists {@code --socket-exists} (true), {@code ! --socket-exists} (false) or not tested
 */
public record OwnerMatch(Optional<IdRange> uid, boolean uidNegated, Optional<IdRange> gid,
    boolean gidNegated, boolean supplGroups, Optional<Boolean> socketExists) implements Match {

  /** The largest id iptables takes ((uid_t) -1 is reserved). */
  public static final long MAX_ID = 4294967294L;

  /**
   * A range of user or group ids, {@code min-max}, or one id.
   *
   * <pre>{@code
   * new OwnerMatch.IdRange(0, 10).text()   // "0-10"
   * new OwnerMatch.IdRange(7, 7).text()    // "7"
   * }</pre>
   *
   * @param min the first id, 0 to {@link #MAX_ID}
   * @param max the last id, 0 to {@link #MAX_ID} (the kernel refuses max below min)
   */
  public record IdRange(long min, long max) {
    public IdRange {
      checkArgument(min >= 0 && min <= MAX_ID, "id %s is outside 0 to %s", min, MAX_ID);
      checkArgument(max >= 0 && max <= MAX_ID, "id %s is outside 0 to %s", max, MAX_ID);
    }

    /** As iptables-save prints it. */
    public String text() {
      return min == max ? Long.toString(min) : min + "-" + max;
    }
  }

  public OwnerMatch {
    checkArgument(uid != null && gid != null && socketExists != null, "absent parts are Optional.empty()");
    checkArgument(uid.isPresent() || !uidNegated, "! --uid-owner needs a uid range");
    checkArgument(gid.isPresent() || !gidNegated, "! --gid-owner needs a gid range");
    checkArgument(gid.isPresent() || !supplGroups, "--suppl-groups needs --gid-owner");
    checkArgument(uid.isPresent() || gid.isPresent() || socketExists.isPresent(),
        "-m owner needs --uid-owner, --gid-owner or --socket-exists");
  }

  /** Packets of sockets owned by a user id from {@code min} to {@code max}. */
  public static OwnerMatch uid(long min, long max) {
    return new OwnerMatch(Optional.of(new IdRange(min, max)), false, Optional.empty(), false, false,
        Optional.empty());
  }

  /** Packets of sockets whose group id is from {@code min} to {@code max}. */
  public static OwnerMatch gid(long min, long max) {
    return new OwnerMatch(Optional.empty(), false, Optional.of(new IdRange(min, max)), false, false,
        Optional.empty());
  }

  /** Packets with a local socket ({@code true}) or without one ({@code false}). */
  public static OwnerMatch socketExists(boolean exists) {
    return new OwnerMatch(Optional.empty(), false, Optional.empty(), false, false, Optional.of(exists));
  }

  /** This match with {@code ! --uid-owner}. */
  public OwnerMatch negateUid() {
    return new OwnerMatch(uid, true, gid, gidNegated, supplGroups, socketExists);
  }

  /** This match with {@code ! --gid-owner}. */
  public OwnerMatch negateGid() {
    return new OwnerMatch(uid, uidNegated, gid, true, supplGroups, socketExists);
  }

  /** This match with {@code --suppl-groups}. */
  public OwnerMatch withSupplGroups() {
    return new OwnerMatch(uid, uidNegated, gid, gidNegated, true, socketExists);
  }

  /** This match also requiring a local socket ({@code --socket-exists}). */
  public OwnerMatch withSocket() {
    return new OwnerMatch(uid, uidNegated, gid, gidNegated, supplGroups, Optional.of(true));
  }

  /** This match also testing the group ids from {@code min} to {@code max}. */
  public OwnerMatch andGid(long min, long max) {
    return new OwnerMatch(uid, uidNegated, Optional.of(new IdRange(min, max)), false, supplGroups,
        socketExists);
  }

  @Override
  public String module() {
    return "owner";
  }

  /**
   * The id of user (or group) {@code name} in {@code /etc/passwd} ({@code /etc/group}) as getpwnam
   * (getgrnam) finds it, or empty if there is none.
   */
  static OptionalLong lookup(Path database, String name) {
    List<String> lines;
    try {
      lines = Files.readAllLines(database, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return OptionalLong.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (String line : lines) {
      String[] f = line.split(":", -1);
      if (f.length >= 3 && f[0].equals(name)) {
        try {
          return OptionalLong.of(Long.parseLong(f[2]));
        } catch (NumberFormatException e) {
          return OptionalLong.empty();
        }
      }
    }
    return OptionalLong.empty();
  }

  /**
   * owner_parse_range of iptables 1.8.9 after the name lookup: {@code ID}, {@code ID-ID} or
   * {@code ID:ID}, each strtoul base 0 up to {@link #MAX_ID}; null if {@code text} is none.
   */
  static IdRange parseRangeOrNull(String text) {
    int sep = -1;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '-' || c == ':') {
        sep = i;
        break;
      }
    }
    String first = sep < 0 ? text : text.substring(0, sep);
    long min = Numbers.parseUnsigned(first, MAX_ID);
    if (min < 0) {
      return null;
    }
    if (sep < 0) {
      return new IdRange(min, min);
    }
    long max = Numbers.parseUnsigned(text.substring(sep + 1), MAX_ID);
    return max < 0 ? null : new IdRange(min, max);
  }

  /** {@code -m owner} ({@link OwnerMatch}), as libxt_owner.c reads it. */
  static final class OwnerModule extends MatchModule<OwnerMatch> {
    static final OwnerModule INSTANCE = new OwnerModule();
    private static final List<String> OPTIONS =
        List.of("--uid-owner", "--gid-owner", "--socket-exists", "--suppl-groups");
    /** xt_owner.c: hooks LOCAL_OUT and POST_ROUTING. */
    private static final Set<Hook> HOOKS = EnumSet.of(Hook.OUTPUT, Hook.POSTROUTING);
    static final Path PASSWD = Path.of("/etc/passwd");
    static final Path GROUP = Path.of("/etc/group");

    private OwnerModule() {
      super("owner", OwnerMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Set<String> flags() {
      return Set.of("--socket-exists", "--suppl-groups");
    }

    @Override
    boolean negatable(String option) {
      return !option.equals("--suppl-groups");
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "owner", at, rule) {
        private IdRange uid;
        private boolean uidNegated;
        private IdRange gid;
        private boolean gidNegated;
        private boolean suppl;
        private Boolean socket;

        private IdRange ids(Token arg, String option, Path database, String what) {
          OptionalLong named = lookup(database, arg.text());
          if (named.isPresent() && named.getAsLong() <= MAX_ID) {
            return new IdRange(named.getAsLong(), named.getAsLong());
          }
          IdRange r = parseRangeOrNull(arg.text());
          if (r == null) {
            throw error(arg, "bad value " + Arguments.quoted(arg.text()) + " for " + option
                + "; expected a " + what + " name from " + database + ", an id or a range ID-ID of ids 0 to "
                + MAX_ID);
          }
          return r;
        }

        @Override
        void value(String option, Token optionToken, Token arg) {
          switch (option) {
            case "--uid-owner" -> {
              uid = ids(arg, option, PASSWD, "user");
              uidNegated = optionNegated;
            }
            case "--gid-owner" -> {
              gid = ids(arg, option, GROUP, "group");
              gidNegated = optionNegated;
            }
            case "--socket-exists" -> socket = !optionNegated;
            default -> {
              if (gid == null) {
                throw error(optionToken, "-m owner: --suppl-groups needs --gid-owner before it");
              }
              suppl = true;
            }
          }
        }

        @Override
        Match finish() {
          if (uid == null && gid == null && socket == null) {
            throw error(at, "-m owner needs --uid-owner, --gid-owner or --socket-exists");
          }
          return new OwnerMatch(Optional.ofNullable(uid), uidNegated, Optional.ofNullable(gid),
              gidNegated, suppl, Optional.ofNullable(socket));
        }
      };
    }

    @Override
    void write(OwnerMatch m, StringBuilder out) {
      m.socketExists().ifPresent(e -> out.append(e ? " --socket-exists" : " ! --socket-exists"));
      m.uid().ifPresent(r -> out.append(m.uidNegated() ? " ! --uid-owner " : " --uid-owner ").append(r.text()));
      m.gid().ifPresent(r -> out.append(m.gidNegated() ? " ! --gid-owner " : " --gid-owner ").append(r.text()));
      if (m.supplGroups()) {
        out.append(" --suppl-groups");
      }
    }

    @Override
    void check(OwnerMatch m, RuleContext rule, Findings findings) {
      for (IdRange r : List.of(m.uid(), m.gid()).stream().flatMap(Optional::stream).toList()) {
        if (r.min() > r.max()) {
          findings.error("owner-range", "-m owner range " + r.min() + "-" + r.max()
              + " starts above its end; the kernel refuses it");
        }
      }
      if (rule.family == null) {
        findings.warning("owner-context", "checked in its chain");
        return;
      }
      rule.checkHooks("-m owner", HOOKS, findings);
    }
  }
}
