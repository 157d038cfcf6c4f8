package dev.mlb.netfilter;

import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The registry of modelled match modules and target extensions: each listed once, found by name
 * for reading ({@code -m NAME}, {@code -j NAME}) and by value type (exact class) for writing and
 * checking.
 *
 * <pre>{@code
 * Modules.match("statistic");           // StatisticModule.INSTANCE
 * Modules.of(StatisticMatch.nth(2, 0));  // the same module, found by the match's type
 * Modules.match("u32");                  // null: kept verbatim (OpaqueModules.MATCH)
 * }</pre>
 *
 * <p>Adding a module: its file, its line below, its tests.
 */
final class Modules {
  private Modules() {}

  /** The match modules; the first of a type writes and checks it. */
  private static final List<MatchModule<?>> MATCHES = List.of(
      StateModule.STATE,
      ConntrackModule.INSTANCE,
      MarkMatchModule.CONNMARK,
      MarkMatchModule.MARK,
      StatisticModule.INSTANCE,
      PortModule.TCP,
      PortModule.UDP,
      MultiportModule.INSTANCE,
      CommentModule.INSTANCE,
      LimitMatch.LimitModule.INSTANCE,
      AddrtypeMatch.AddrtypeModule.INSTANCE,
      RpfilterMatch.RpfilterModule.INSTANCE,
      SocketMatch.SocketModule.INSTANCE,
      TimeMatch.TimeModule.INSTANCE,
      LengthMatch.LengthModule.INSTANCE,
      TcpmssMatch.TcpmssMatchModule.INSTANCE,
      DccpMatch.DccpModule.INSTANCE,
      IpsecMatch.IpsecModule.AH,
      IpsecMatch.IpsecModule.ESP,
      IpsecMatch.IpsecModule.IPCOMP,
      TtlMatch.TtlModule.TTL,
      TtlMatch.TtlModule.HL,
      FragMatch.FragModule.INSTANCE,
      RtMatch.RtModule.INSTANCE,
      MhMatch.MhModule.INSTANCE,
      Eui64Match.Eui64Module.MODULE,
      SctpMatch.SctpModule.INSTANCE,
      TosMatch.TosModule.INSTANCE,
      DscpMatch.DscpModule.INSTANCE,
      PkttypeMatch.PkttypeModule.INSTANCE,
      EcnMatch.EcnModule.INSTANCE,
      StringMatch.StringModule.INSTANCE,
      OsfMatch.OsfModule.INSTANCE,
      MacMatch.MacModule.INSTANCE,
      OwnerMatch.OwnerModule.INSTANCE,
      PhysdevMatch.PhysdevModule.INSTANCE,
      ConnlimitMatch.ConnlimitModule.INSTANCE,
      ConnbytesMatch.ConnbytesModule.INSTANCE,
      CpuMatch.CpuModule.INSTANCE,
      QuotaMatch.QuotaModule.INSTANCE,
      HelperMatch.HelperModule.INSTANCE,
      ClusterMatch.ClusterModule.INSTANCE,
      IcmpMatch.IcmpModule.ICMP,
      IcmpMatch.IcmpModule.ICMP6,
      IcmpMatch.IcmpModule.ICMPV6,
      IcmpMatch.IcmpModule.IPV6_ICMP,
      IprangeMatch.IprangeModule.INSTANCE,
      RealmMatch.RealmModule.INSTANCE,
      SetMatch.SetModule.INSTANCE,
      PolicyMatch.PolicyModule.INSTANCE,
      CgroupMatch.CgroupModule.INSTANCE,
      HashlimitMatch.HashlimitModule.INSTANCE,
      RecentMatch.RecentModule.INSTANCE,
      OpaqueModules.MATCH);

  /** The target extensions; verdicts, jumps and gotos are the rule grammar's. */
  private static final List<TargetModule<?>> TARGETS = List.of(
      MarkTargetModule.MARK,
      MarkTargetModule.CONNMARK,
      MasqueradeModule.INSTANCE,
      SnatModule.INSTANCE,
      Log.LogModule.INSTANCE,
      Reject.RejectModule.INSTANCE,
      Dnat.DnatModule.INSTANCE,
      Redirect.RedirectModule.INSTANCE,
      Nflog.NflogModule.INSTANCE,
      Tcpmss.TcpmssModule.INSTANCE,
      Tos.TosModule.INSTANCE,
      Dscp.DscpModule.INSTANCE,
      Ttl.HeaderFieldModule.TTL,
      Ttl.HeaderFieldModule.HL,
      TcpOptStrip.TcpOptStripModule.INSTANCE,
      Ecn.EcnModule.INSTANCE,
      Classify.ClassifyModule.INSTANCE,
      Checksum.ChecksumModule.INSTANCE,
      Nfqueue.NfqueueModule.INSTANCE,
      Audit.AuditModule.INSTANCE,
      Tee.TeeModule.INSTANCE,
      Idletimer.IdletimerModule.INSTANCE,
      Npt.NptModule.SNPT,
      Npt.NptModule.DNPT,
      Netmap.NetmapModule.INSTANCE,
      Connsecmark.ConnsecmarkModule.INSTANCE,
      Tproxy.TproxyModule.INSTANCE,
      Synproxy.SynproxyModule.INSTANCE,
      Hmark.HmarkModule.INSTANCE,
      Secmark.SecmarkModule.INSTANCE,
      Ct.CtModule.INSTANCE,
      Ct.NotrackModule.INSTANCE,
      SetTarget.SetTargetModule.INSTANCE,
      OpaqueModules.TARGET);

  private static final Map<String, MatchModule<?>> MATCH_NAMES = new HashMap<>();
  private static final Map<String, TargetModule<?>> TARGET_NAMES = new HashMap<>();
  private static final Map<Class<?>, MatchModule<?>> MATCH_TYPES = new IdentityHashMap<>();
  private static final Map<Class<?>, TargetModule<?>> TARGET_TYPES = new IdentityHashMap<>();

  static {
    for (MatchModule<?> m : MATCHES) {
      if (!m.isOpaque() && MATCH_NAMES.put(m.name(), m) != null) {
        throw new AssertionError("two match modules are called " + m.name());
      }
      MATCH_TYPES.putIfAbsent(m.type(), m);
    }
    for (TargetModule<?> t : TARGETS) {
      if (!t.isOpaque() && TARGET_NAMES.put(t.name(), t) != null) {
        throw new AssertionError("two target modules are called " + t.name());
      }
      for (Class<?> type : t.types()) {
        TARGET_TYPES.putIfAbsent(type, t);
      }
    }
  }

  /** The modules by their types' exact classes, for the writer's and the validator's hot loops. */
  private static final TypeTable MATCH_BY_CLASS = new TypeTable(MATCH_TYPES);
  private static final TypeTable TARGET_BY_CLASS = new TypeTable(TARGET_TYPES);

  /** The modelled module called {@code name}, or null (it is then kept verbatim). */
  static MatchModule<?> match(String name) {
    return MATCH_NAMES.get(name);
  }

  /** The module that reads {@code -j name}: a modelled one, the pass-through for a known target, or null. */
  static TargetModule<?> target(String name) {
    TargetModule<?> t = TARGET_NAMES.get(name);
    if (t == null && OpaqueModules.KNOWN_TARGETS.contains(name)) {
      return OpaqueModules.TARGET;
    }
    return t;
  }

  /** The module of {@code match}'s type, or null if no module writes it. */
  @SuppressWarnings("unchecked")
  static <M extends Match> MatchModule<M> of(M match) {
    return (MatchModule<M>) MATCH_BY_CLASS.get(match.getClass());
  }

  /** The module of {@code target}'s type, or null (verdicts, jumps, gotos, types without a module). */
  @SuppressWarnings("unchecked")
  static <T extends Target> TargetModule<T> of(T target) {
    return (TargetModule<T>) TARGET_BY_CLASS.get(target.getClass());
  }

  /** Whether mlb models {@code -m name} (an opaque match of that name may read back as modelled). */
  static boolean modelsMatch(String name) {
    return MATCH_NAMES.containsKey(name);
  }

  /** Whether mlb models {@code -j name}: a verdict or a modelled target extension. */
  static boolean modelsTarget(String name) {
    return switch (name) {
      case "ACCEPT", "DROP", "RETURN" -> true;
      default -> TARGET_NAMES.containsKey(name);
    };
  }

  /**
   * The options iptables gives to the match module {@code module} as mlb models it (none for the
   * modules it does not model): an argument of an unmodelled extension spelled like one of them
   * would go to that module once the module is loaded before it.
   */
  static List<String> options(String module) {
    MatchModule<?> m = MATCH_NAMES.get(module);
    return m == null ? List.of() : m.options();
  }

  /**
   * A small open-addressing table from a class to its module, by identity: a lookup is the class's
   * identity hash and a probe or two (a {@link ClassValue} costs a weak reference and a volatile
   * read, which shows in writing a large ruleset).
   */
  private static final class TypeTable {
    private final Class<?>[] keys;
    private final Object[] values;
    private final int mask;

    TypeTable(Map<Class<?>, ?> entries) {
      int size = Integer.highestOneBit(Math.max(4, entries.size() * 4) - 1) << 1;
      keys = new Class<?>[size];
      values = new Object[size];
      mask = size - 1;
      for (Map.Entry<Class<?>, ?> e : entries.entrySet()) {
        int i = slot(e.getKey());
        while (keys[i] != null) {
          i = (i + 1) & mask;
        }
        keys[i] = e.getKey();
        values[i] = e.getValue();
      }
    }

    private int slot(Class<?> type) {
      int h = System.identityHashCode(type);
      return (h ^ (h >>> 16)) & mask;
    }

    /** The module of {@code type}, or null. */
    Object get(Class<?> type) {
      for (int i = slot(type); ; i = (i + 1) & mask) {
        Class<?> k = keys[i];
        if (k == type) {
          return values[i];
        }
        if (k == null) {
          return null;
        }
      }
    }
  }
}
