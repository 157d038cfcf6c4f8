package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;
import static dev.mlb.netfilter.Arguments.quoted;

import dev.mlb.api.IpFamily;
import dev.mlb.api.Numbers;
import java.util.EnumSet;
import java.util.Set;

/**
 * {@code -m realm [!] --realm VALUE[/MASK]}: the routing realm of the route the packet took
 * (IPv4 only).
 *
 * <pre>{@code
 * RealmMatch.of(42)                 // -m realm --realm 0x2a
 * RealmMatch.of(1, 0x2a).negate()   // -m realm ! --realm 0x1/0x2a
 * RealmMatch.of(0)                  // -m realm --realm cosmos
 * }</pre>
 *
 * <p>As iptables-nft 1.8.9 reads it ({@code libxt_realm.c}): a number 0 to 0xffffffff
 * (decimal, {@code 0x} hex, {@code 0} octal) with an optional {@code /MASK}, or a name of
 * {@code /etc/iproute2/rt_realms}. mlb knows the one name iproute2's stock file has,
 * {@code cosmos} (0); iptables-save prints a realm with the full mask by that name, other values in
 * hex. The kernel takes the match only in chains reached from INPUT, FORWARD, OUTPUT and
 * POSTROUTING.
 *
 * @param id the realm
 * @param mask the bits compared, 0 to 0xffffffff
 * @param negated whether the match is {@code ! --realm}
 */
public record RealmMatch(long id, long mask, boolean negated) implements Match {

  /** The stock {@code rt_realms} name of realm 0. */
  private static final String COSMOS = "cosmos";

  public RealmMatch {
    checkArgument(RuleContext.isU32(id), "realm %s is outside 0 to 0xffffffff", id);
    checkArgument(RuleContext.isU32(mask), "realm mask %s is outside 0 to 0xffffffff", mask);
  }

  /** Realm {@code id} (every bit compared). */
  public static RealmMatch of(long id) {
    return new RealmMatch(id, 0xFFFF_FFFFL, false);
  }

  /** The realms whose {@code mask} bits are {@code id}'s. */
  public static RealmMatch of(long id, long mask) {
    return new RealmMatch(id, mask, false);
  }

  /** Every other realm ({@code ! --realm}). */
  public RealmMatch negate() {
    return new RealmMatch(id, mask, !negated);
  }

  /** The value as iptables-save prints it: {@code 0x2a}, {@code 0x1/0x2a}, {@code cosmos}. */
  public String text() {
    if (mask != 0xFFFF_FFFFL) {
      return "0x" + Long.toHexString(id) + "/0x" + Long.toHexString(mask);
    }
    return id == 0 ? COSMOS : "0x" + Long.toHexString(id);
  }

  @Override
  public String module() {
    return "realm";
  }

  /** xtables_parse_val_mask with the realm names: the match, or the problem (a String). */
  static Object read(String text, boolean negated) {
    if (text.equals(COSMOS)) {
      return new RealmMatch(0, 0xFFFF_FFFFL, negated);
    }
    int slash = text.indexOf('/');
    long id = Numbers.parseUnsigned(slash < 0 ? text : text.substring(0, slash), 0xFFFF_FFFFL);
    if (id < 0) {
      return "bad realm " + quoted(text) + "; expected a number 0 to 0xffffffff, optionally /MASK, or"
          + " the name cosmos";
    }
    long mask = 0xFFFF_FFFFL;
    if (slash >= 0) {
      mask = Numbers.parseUnsigned(text.substring(slash + 1), 0xFFFF_FFFFL);
      if (mask < 0) {
        return "bad realm mask in " + quoted(text) + "; expected VALUE/MASK with numbers 0 to 0xffffffff";
      }
    }
    return new RealmMatch(id, mask, negated);
  }

  /** {@code -m realm} ({@link RealmMatch}), as libxt_realm.c reads it. */
  static final class RealmModule extends OneOptionMatchModule<RealmMatch> {
    static final RealmModule INSTANCE = new RealmModule();
    /** xt_realm.c: hooks POST_ROUTING, FORWARD, LOCAL_OUT and LOCAL_IN. */
    private static final Set<Hook> HOOKS = EnumSet.of(Hook.INPUT, Hook.FORWARD, Hook.OUTPUT, Hook.POSTROUTING);

    private RealmModule() {
      super("realm", RealmMatch.class, "--realm");
    }

    @Override
    RealmMatch read(ModuleContext rule, Token arg, boolean negated) {
      Object r = RealmMatch.read(arg.text(), negated);
      if (r instanceof String problem) {
        throw rule.error(arg, problem);
      }
      return (RealmMatch) r;
    }

    @Override
    void write(RealmMatch m, StringBuilder out) {
      out.append(m.negated() ? " ! --realm " : " --realm ").append(m.text());
    }

    @Override
    void check(RealmMatch m, RuleContext rule, Findings findings) {
      if (rule.family == null) {
        findings.warning("realm-context", "checked in its chain");
        return;
      }
      if (rule.family != IpFamily.V4) {
        findings.error("realm-family", "-m realm is IPv4's; ip6tables has no realm match");
        return;
      }
      rule.checkHooks("-m realm", HOOKS, findings);
    }
  }
}
