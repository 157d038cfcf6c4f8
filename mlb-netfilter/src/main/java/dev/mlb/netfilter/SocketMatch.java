package dev.mlb.netfilter;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * {@code -m socket [--transparent] [--nowildcard] [--restore-skmark]}: matches packets for which a
 * local socket exists, as transparent proxies (TPROXY setups) use it to send established traffic
 * to the proxy without a new lookup.
 *
 * <pre>{@code
 * SocketMatch.any()                           // -m socket
 * SocketMatch.any().transparentOnly()         // -m socket --transparent
 * SocketMatch.any().withoutWildcard().restoringSocketMark()   // -m socket --nowildcard --restore-skmark
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code socket_mt_save_v3} of iptables'
 * {@code extensions/libxt_socket.c}): the flags in the order transparent, nowildcard,
 * restore-skmark, whatever order they were written in; none takes an argument or {@code !}, each
 * is given at most once. The kernel takes the match in any table, but only where packets come from
 * PREROUTING or INPUT. The simulator does not model {@code -m socket}.
 *
 * @param transparent only sockets with {@code IP_TRANSPARENT} set
 * @param noWildcard not sockets bound to the wildcard address
 * @param restoreSocketMark copy the socket's mark to the packet
 */
public record SocketMatch(boolean transparent, boolean noWildcard, boolean restoreSocketMark) implements Match {

  /** {@code -m socket}: any local socket. */
  public static SocketMatch any() {
    return new SocketMatch(false, false, false);
  }

  /** This match with {@code --transparent}. */
  public SocketMatch transparentOnly() {
    return new SocketMatch(true, noWildcard, restoreSocketMark);
  }

  /** This match with {@code --nowildcard}. */
  public SocketMatch withoutWildcard() {
    return new SocketMatch(transparent, true, restoreSocketMark);
  }

  /** This match with {@code --restore-skmark}. */
  public SocketMatch restoringSocketMark() {
    return new SocketMatch(transparent, noWildcard, true);
  }

  @Override
  public String module() {
    return "socket";
  }

  /** {@code -m socket}: iptables' {@code extensions/libxt_socket.c}, as iptables-nft 1.8.9 reads it. */
  static final class SocketModule extends FlagMatchModule<SocketMatch> {
    static final SocketModule INSTANCE = new SocketModule();

    private static final Set<Hook> HOOKS = EnumSet.of(Hook.PREROUTING, Hook.INPUT);

    private SocketModule() {
      super("socket", SocketMatch.class, List.of("--transparent", "--nowildcard", "--restore-skmark"));
    }

    @Override
    SocketMatch build(Set<String> given) {
      return new SocketMatch(given.contains("--transparent"), given.contains("--nowildcard"),
          given.contains("--restore-skmark"));
    }

    @Override
    boolean has(SocketMatch m, String flag) {
      return switch (flag) {
        case "--transparent" -> m.transparent();
        case "--nowildcard" -> m.noWildcard();
        default -> m.restoreSocketMark();
      };
    }

    @Override
    void check(SocketMatch m, RuleContext rule, Findings findings) {
      if (rule.family == null) {
        // The rule's screen does not know the chain: have validation check it there.
        findings.warning("socket-context", "checked in its chain");
        return;
      }
      Set<Hook> bad = EnumSet.noneOf(Hook.class);
      for (Hook h : rule.hooks) {
        if (!HOOKS.contains(h)) {
          bad.add(h);
        }
      }
      if (!bad.isEmpty()) {
        findings.error("match-hook", "-m socket is only valid where packets come from PREROUTING or INPUT, but chain "
            + rule.chain + " is reached from " + bad + "; the kernel refuses it");
      }
    }
  }
}
