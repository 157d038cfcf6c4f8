package dev.mlb.testkit.live;

import com.google.common.collect.ImmutableList;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Mark;
import dev.mlb.iproute.IpRule;
import dev.mlb.iproute.RouteProtocol;
import dev.mlb.netfilter.Chain;
import dev.mlb.netfilter.ConnmarkMatch;
import dev.mlb.netfilter.Match;
import dev.mlb.netfilter.MarkMatch;
import dev.mlb.netfilter.RestoreConnmark;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Rule;
import dev.mlb.netfilter.RulesetChange;
import dev.mlb.netfilter.SaveConnmark;
import dev.mlb.netfilter.SetConnmark;
import dev.mlb.netfilter.SetMark;
import dev.mlb.netfilter.Table;
import dev.mlb.netfilter.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The other programs on a router that use packet or connection mark bits, read from its live
 * state, and which mark bits are still free.
 *
 * <pre>{@code
 * List<MarkUsers.User> users = MarkUsers.of(live, "mlb-", RouteProtocol.of(109));
 * MarkUsers.overlapping(users, 0xff00);      // [ip rule 32000 "from all fwmark 0x4000/0x4000 lookup 5" uses 0x4000]
 * MarkUsers.freeMask(users, 2, 0x0f000000);  // OptionalLong[0x3000000]: free bits, from the preferred ones first
 * }</pre>
 *
 * <p><b>What a user's bits are.</b> A test or a write under a mask uses the mask's bits (MARK and
 * CONNMARK {@code --set-xmark V/M} write {@code M | V}; a CONNMARK save or restore copies its masks'
 * bits). A test of the whole mark against one value ({@code fwmark 0xca6c}, {@code -m mark --mark
 * 0x1}, a WireGuard interface's fwmark) and a write of one whole value ({@code --set-xmark
 * 0xd0c4e3/0xffffffff}, Docker's overlay) use the value's bits: such a program owns the whole mark
 * of its own packets, which carry a mark before mlb sees them or get it after, and mlb never adds
 * its bits to a packet that already carries a mark. A
 * CONNMARK save or restore of the whole mark both ways ({@code --nfmask 0xffffffff --ctmask
 * 0xffffffff}, as wg-quick does) claims no bits: it copies mlb's bits along with everything else,
 * and so keeps them. mlb's own chains and jumps, and ip rules of its own protocol, are not users.
 */
public final class MarkUsers {
  private MarkUsers() {}

  /**
   * One program's use of mark bits.
   *
   * @param who where it is: an ip rule, a rule of a chain, a WireGuard interface
   * @param bits the mark bits it tests or writes
   */
  public record User(String who, long bits) {
    @Override
    public String toString() {
      return who + " uses " + Mark.hex(bits);
    }
  }

  /** The mark users of {@code live}, not counting what {@code ownedPrefix} and {@code owner} mark as mlb's. */
  public static List<User> of(LiveState live, String ownedPrefix, RouteProtocol owner) {
    List<User> out = new ArrayList<>();
    for (Map.Entry<IpFamily, dev.mlb.iproute.RoutingPlan> e : live.routing().entrySet()) {
      for (IpRule r : e.getValue().rules()) {
        if (r.fwmark().isPresent() && !r.protocol().equals(java.util.Optional.of(owner))) {
          Mark m = r.fwmark().get();
          out.add(new User((e.getKey() == IpFamily.V6 ? "ip -6 rule " : "ip rule ") + r.priority().orElse(0)
              + " \"" + r + "\"", tested(m.value(), m.mask())));
        }
      }
    }
    for (Map.Entry<IpFamily, dev.mlb.netfilter.Ruleset> e : live.rulesets().entrySet()) {
      String tool = e.getKey() == IpFamily.V4 ? "iptables" : "ip6tables";
      for (Table t : e.getValue().tables()) {
        for (Chain c : t.chains()) {
          if (!t.isBuiltin(c) && c.name().startsWith(ownedPrefix)) {
            continue;
          }
          for (int i = 0; i < c.rules().size(); i++) {
            Rule r = c.rules().get(i);
            if (t.isBuiltin(c) && RulesetChange.isOwnedJump(r, ownedPrefix)) {
              continue;
            }
            long bits = bits(r);
            if (bits != 0) {
              out.add(new User(tool + " -t " + t.name() + " rule " + (i + 1) + " of " + c.name() + " \"-A " + c.name()
                  + RestoreWriter.renderRule(r) + "\"", bits));
            }
          }
        }
      }
    }
    live.wireguardMarks().forEach((iface, mark) -> out.add(new User("WireGuard interface " + iface + " (fwmark "
        + Mark.hex(mark) + ")", mark)));
    return ImmutableList.copyOf(out);
  }

  /** The mark bits {@code rule} tests or writes; 0 for none. */
  static long bits(Rule rule) {
    long bits = 0;
    for (Match m : rule.matches()) {
      if (m instanceof MarkMatch mm) {
        bits |= tested(mm.mark().value(), mm.mark().mask());
      } else if (m instanceof ConnmarkMatch cm) {
        bits |= tested(cm.mark().value(), cm.mark().mask());
      }
    }
    if (rule.target().isPresent()) {
      Target t = rule.target().get();
      if (t instanceof SetMark s) {
        bits |= written(s.value(), s.mask());
      } else if (t instanceof SetConnmark s) {
        bits |= written(s.value(), s.mask());
      } else if (t instanceof SaveConnmark s && !(isFull(s.nfmask()) && isFull(s.ctmask()))) {
        bits |= s.nfmask() | s.ctmask();
      } else if (t instanceof RestoreConnmark s && !(isFull(s.nfmask()) && isFull(s.ctmask()))) {
        bits |= s.nfmask() | s.ctmask();
      }
    }
    return bits & Mark.FULL_MASK;
  }

  /** A write under a mask writes the mask's bits; a write of a whole value (full mask) owns that value's bits. */
  private static long written(long value, long mask) {
    return isFull(mask) ? value : mask | value;
  }

  private static long tested(long value, long mask) {
    return isFull(mask) ? value : mask;
  }

  private static boolean isFull(long mask) {
    return mask == Mark.FULL_MASK;
  }

  /** The users whose bits overlap {@code mask}. */
  public static List<User> overlapping(List<User> users, long mask) {
    return users.stream().filter(u -> (u.bits() & mask) != 0).collect(ImmutableList.toImmutableList());
  }

  /**
   * A mask of {@code bitsNeeded} adjacent bits that no user touches: the lowest free run inside
   * {@code preferred} if there is one, else the highest free run anywhere (high bits are the
   * least used); empty if the users leave no such run.
   */
  public static OptionalLong freeMask(List<User> users, int bitsNeeded, long preferred) {
    long used = 0;
    for (User u : users) {
      used |= u.bits();
    }
    long run = (1L << bitsNeeded) - 1;
    for (int shift = 0; shift + bitsNeeded <= 32; shift++) {
      long m = run << shift;
      if ((m & preferred) == m && (m & used) == 0) {
        return OptionalLong.of(m);
      }
    }
    for (int shift = 32 - bitsNeeded; shift >= 0; shift--) {
      long m = run << shift;
      if ((m & used) == 0) {
        return OptionalLong.of(m);
      }
    }
    return OptionalLong.empty();
  }
}
