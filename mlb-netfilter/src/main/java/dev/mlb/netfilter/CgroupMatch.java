package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * {@code -m cgroup [!] --path PATH} or {@code -m cgroup [!] --cgroup CLASSID}: matches packets of
 * local sockets by the cgroup of the process that made the socket: its cgroup2 path (the
 * sub-hierarchy under PATH, relative to the cgroup2 root) or its net_cls classid.
 *
 * <pre>{@code
 * CgroupMatch.path("/system.slice/nginx.service")   // -m cgroup --path "/system.slice/nginx.service"
 * CgroupMatch.classid(0x100001).negate()           // -m cgroup ! --cgroup 1048577
 * }</pre>
 *
 * <p>As iptables-nft 1.8.9 reads it ({@code extensions/libxt_cgroup.c}, revision 2): each option
 * at most once, the classid an unsigned 32-bit number (decimal, 0x hex or 0 octal); iptables-save
 * prints the path as {@code xtables_save_string} does (in double quotes unless it is only letters,
 * digits, {@code _} and {@code -}) and the classid in decimal. iptables takes both options or
 * neither, but the kernel refuses both and neither, so this type holds exactly one. The kernel
 * takes the match only where packets come from INPUT, OUTPUT or POSTROUTING, and a path only if
 * that cgroup exists when the rule is loaded: mlb cannot know the machine's cgroup tree and
 * accepts any path but those that can never exist (a {@code .} or {@code ..} component, more than
 * 511 bytes, which iptables would cut). The simulator does not model {@code -m cgroup}.
 *
 * @param path the cgroup2 path ({@code --path}), or empty
 * @param classid the net_cls classid ({@code --cgroup}), 0 to 0xffffffff, or empty
 * @param negated {@code !} before the option
 */
public record CgroupMatch(Optional<String> path, OptionalLong classid, boolean negated) implements Match {

  /** The longest path the kernel's revision 2 keeps ({@code XT_CGROUP_PATH_MAX} less the NUL), in bytes. */
  public static final int MAX_PATH_BYTES = 511;

  public CgroupMatch {
    checkArgument(path != null && classid != null, "-m cgroup: path or classid is null; use an empty optional");
    checkArgument(path.isPresent() != classid.isPresent(),
        "-m cgroup needs exactly one of --path and --cgroup (the kernel refuses both and neither)");
    classid.ifPresent(v -> checkArgument(RuleContext.isU32(v), "-m cgroup: --cgroup %s is outside 0..4294967295", v));
  }

  /** {@code -m cgroup --path PATH}: sockets of processes in the cgroup2 sub-hierarchy at PATH. */
  public static CgroupMatch path(String path) {
    checkArgument(path != null, "-m cgroup: path is null");
    return new CgroupMatch(Optional.of(path), OptionalLong.empty(), false);
  }

  /** {@code -m cgroup --cgroup CLASSID}: sockets of processes whose net_cls classid is CLASSID. */
  public static CgroupMatch classid(long classid) {
    return new CgroupMatch(Optional.empty(), OptionalLong.of(classid), false);
  }

  /** This match with {@code !} toggled. */
  public CgroupMatch negate() {
    return new CgroupMatch(path, classid, !negated);
  }

  @Override
  public String module() {
    return "cgroup";
  }

  /** {@code -m cgroup}: iptables' {@code extensions/libxt_cgroup.c}, as iptables-nft 1.8.9 reads it. */
  static final class CgroupModule extends MatchModule<CgroupMatch> {
    static final CgroupModule INSTANCE = new CgroupModule();

    private static final List<String> OPTIONS = List.of("--path", "--cgroup");
    /** The match's {@code .hooks} in the kernel's xt_cgroup.c. */
    private static final Set<Hook> HOOKS = EnumSet.of(Hook.INPUT, Hook.OUTPUT, Hook.POSTROUTING);

    private CgroupModule() {
      super("cgroup", CgroupMatch.class);
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Reader reader(ModuleContext rule, String name, Token at) {
      return new Reader(this, "cgroup", at, rule) {
        private Optional<String> path = Optional.empty();
        private OptionalLong classid = OptionalLong.empty();
        private boolean not;

        @Override
        void value(String option, Token optionToken, Token arg) {
          Token other = given.get(option.equals("--path") ? "--cgroup" : "--path");
          if (other != null) {
            throw error(optionToken, "-m cgroup: " + option + " cannot be given with " + other.text()
                + "; the kernel refuses a match on both (expected one of --path and --cgroup)");
          }
          if (option.equals("--path")) {
            path = Optional.of(arg.text());
          } else {
            classid = OptionalLong.of(Arguments.u32(rule, arg, "--cgroup"));
          }
          not = optionNegated;
        }

        @Override
        Match finish() {
          if (path.isEmpty() && classid.isEmpty()) {
            throw error(at, "-m cgroup needs --path or --cgroup; the kernel refuses it without");
          }
          return new CgroupMatch(path, classid, not);
        }
      };
    }

    @Override
    void write(CgroupMatch m, StringBuilder out) {
      if (m.path().isPresent()) {
        out.append(m.negated() ? " ! --path" : " --path");
        RestoreWriter.appendSaveString(out, m.path().get());
      } else {
        out.append(m.negated() ? " ! --cgroup " : " --cgroup ").append(m.classid().getAsLong());
      }
    }

    @Override
    void check(CgroupMatch m, RuleContext rule, Findings findings) {
      if (m.path().isPresent()) {
        String path = m.path().get();
        int bytes = path.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_PATH_BYTES) {
          findings.error("cgroup-path", "-m cgroup --path is " + bytes + " bytes; the kernel keeps at most "
              + MAX_PATH_BYTES + " (iptables cuts the rest, and the kernel refuses a path that does not exist)");
        }
        for (String part : path.split("/", -1)) {
          if (part.equals(".") || part.equals("..")) {
            findings.error("cgroup-path", "-m cgroup --path " + quoted(path) + " has a \"" + part + "\" component;"
                + " the kernel looks each component up by name, no cgroup is called so, and it refuses the rule");
            break;
          }
        }
        TextChecks.checkText(findings, "-m cgroup --path", path);
      }
      if (rule.family == null) {
        // The rule's screen knows no chain: have validation check the hooks there.
        findings.warning("cgroup-context", "checked in its chain");
        return;
      }
      rule.checkHooks("-m cgroup", HOOKS, findings);
    }
  }
}
