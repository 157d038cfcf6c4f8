package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * {@code -j NETMAP --to ADDRESS[/LENGTH]}: maps a whole network one to one onto another: the
 * network bits of the address are replaced by those of {@code to}, the host bits kept (destination
 * in PREROUTING and OUTPUT, source in INPUT and POSTROUTING).
 *
 * <pre>{@code
 * Netmap.to(IpPrefix.parse("198.51.100.0/24"))   // -j NETMAP --to 198.51.100.0/24
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code NETMAP_save} of iptables'
 * {@code extensions/libipt_NETMAP.c} and {@code libip6t_NETMAP.c}): the network address (host bits
 * cleared) and its length, {@code /32} or {@code /128} for one address. iptables reads a length or
 * (IPv4) a netmask; mlb refuses netmasks that are not contiguous and IPv4 lengths above 32, which
 * iptables-nft 1.8.9 turns into {@code /32}. The kernel takes NETMAP only in the nat table.
 *
 * @param to the network mapped to
 */
public record Netmap(IpPrefix to) implements Target {

  public Netmap {
    checkArgument(to != null, "-j NETMAP: the network is null");
    to = to.network();
  }

  /** {@code -j NETMAP --to NETWORK}. */
  public static Netmap to(IpPrefix network) {
    return new Netmap(network);
  }

  @Override
  public String name() {
    return "NETMAP";
  }

  @Override
  public boolean isTerminating() {
    return true;
  }

  /** {@code -j NETMAP}: iptables' {@code extensions/lib(ip|ip6)t_NETMAP.c}, as iptables-nft 1.8.9 reads it. */
  static final class NetmapModule extends TargetModule<Netmap> {
    static final NetmapModule INSTANCE = new NetmapModule();

    private static final Set<Hook> HOOKS = EnumSet.of(Hook.PREROUTING, Hook.INPUT, Hook.OUTPUT, Hook.POSTROUTING);

    private NetmapModule() {
      super("NETMAP", List.of(Netmap.class));
    }

    @Override
    List<String> options() {
      return List.of("--to");
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private IpPrefix to;

        @Override
        void value(Token option, Token arg) {
          String text = arg.text();
          int slash = text.indexOf('/');
          IpAddress address = rule.address(arg, slash < 0 ? text : text.substring(0, slash));
          rule.checkFamily(arg, "--to", text, address);
          int bits = address.family().bits();
          if (slash < 0) {
            to = IpPrefix.host(address);
            return;
          }
          String mask = text.substring(slash + 1);
          int length;
          if (address.family() == IpFamily.V4 && mask.indexOf('.') >= 0) {
            IpAddress m = rule.address(arg, mask);
            long v = m.low() & 0xFFFF_FFFFL;
            length = Long.bitCount(v);
            if (v != ((0xFFFF_FFFFL << (32 - length)) & 0xFFFF_FFFFL)) {
              throw error(arg, "--to " + text + ": the netmask " + mask + " is not contiguous; expected a prefix"
                  + " length or a netmask such as 255.255.255.0");
            }
          } else {
            length = mask.isEmpty() || mask.length() > 3 || !mask.chars().allMatch(c -> c >= '0' && c <= '9')
                ? -1 : Integer.parseInt(mask);
            if (length < 0 || length > bits) {
              throw error(arg, "--to " + text + ": bad prefix length " + Arguments.quoted(mask) + "; expected 0 to "
                  + bits);
            }
          }
          to = IpPrefix.of(address, length);
        }

        @Override
        Target finish() {
          if (to == null) {
            throw error(at, "-j NETMAP needs --to ADDRESS[/LENGTH]");
          }
          return new Netmap(to);
        }
      };
    }

    @Override
    void write(Netmap t, StringBuilder out) {
      out.append(" -j NETMAP --to ").append(t.to());
    }

    @Override
    void check(Netmap t, RuleContext rule, Findings findings) {
      rule.checkNat("NETMAP", HOOKS, findings);
      if (rule.family != null && t.to().family() != rule.family) {
        findings.error("netmap-family", "-j NETMAP --to " + t.to() + " is not of the ruleset's family");
      }
    }
  }
}
