package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * {@code -j SNPT|DNPT --src-pfx PREFIX --dst-pfx PREFIX}: IPv6-to-IPv6 network prefix translation
 * (RFC 6296): SNPT rewrites the source prefix {@code source} to {@code destination}, DNPT the
 * destination prefix, checksum-neutrally; then the next rule.
 *
 * <pre>{@code
 * Npt.snpt(IpPrefix.parse("fd00:1::/48"), IpPrefix.parse("2001:db8:1::/48"))
 *     // -j SNPT --src-pfx fd00:1::/48 --dst-pfx 2001:db8:1::/48
 * Npt.dnpt(IpPrefix.parse("2001:db8:1::/48"), IpPrefix.parse("fd00:1::/48"))
 *     // -j DNPT --src-pfx 2001:db8:1::/48 --dst-pfx fd00:1::/48
 * }</pre>
 *
 * <p>As {@code ip6tables-save} prints it ({@code SNPT_save}/{@code DNPT_save} of iptables'
 * {@code extensions/libip6t_SNPT.c} and {@code libip6t_DNPT.c}): both prefixes with their lengths
 * ({@code /128} when none was given). iptables needs both options; the kernel refuses a prefix
 * longer than 64 bits or with host bits set, and takes the targets only in the mangle table of
 * IPv6, SNPT where packets come from INPUT or POSTROUTING, DNPT from PREROUTING or OUTPUT.
 *
 * @param kind SNPT or DNPT
 * @param source {@code --src-pfx}
 * @param destination {@code --dst-pfx}
 */
public record Npt(Kind kind, IpPrefix source, IpPrefix destination) implements Target {

  /** The longest prefix the kernel translates. */
  public static final int MAX_PREFIX = 64;

  /** Which address is translated. */
  public enum Kind {
    /** The source address: {@code -j SNPT}. */
    SNPT(EnumSet.of(Hook.INPUT, Hook.POSTROUTING)),
    /** The destination address: {@code -j DNPT}. */
    DNPT(EnumSet.of(Hook.PREROUTING, Hook.OUTPUT));

    private final Set<Hook> hooks;

    Kind(Set<Hook> hooks) {
      this.hooks = hooks;
    }

    /** The hooks the kernel takes the target in. */
    public Set<Hook> hooks() {
      return hooks;
    }
  }

  public Npt {
    checkArgument(kind != null && source != null && destination != null, "-j SNPT/DNPT: a component is null");
  }

  /** {@code -j SNPT --src-pfx SOURCE --dst-pfx DESTINATION}. */
  public static Npt snpt(IpPrefix source, IpPrefix destination) {
    return new Npt(Kind.SNPT, source, destination);
  }

  /** {@code -j DNPT --src-pfx SOURCE --dst-pfx DESTINATION}. */
  public static Npt dnpt(IpPrefix source, IpPrefix destination) {
    return new Npt(Kind.DNPT, source, destination);
  }

  @Override
  public String name() {
    return kind.name();
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /** {@code -j SNPT} and {@code -j DNPT}: iptables' {@code extensions/libip6t_SNPT.c} and {@code libip6t_DNPT.c}. */
  static final class NptModule extends TargetModule<Npt> {
    static final NptModule SNPT = new NptModule(Kind.SNPT);
    static final NptModule DNPT = new NptModule(Kind.DNPT);

    private static final List<String> OPTIONS = List.of("--src-pfx", "--dst-pfx");

    private final Kind kind;

    private NptModule(Kind kind) {
      super(kind.name(), List.of(Npt.class));
      this.kind = kind;
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private IpPrefix source;
        private IpPrefix destination;

        @Override
        void value(Token option, Token arg) {
          String text = arg.text();
          int slash = text.indexOf('/');
          IpAddress address = rule.address(arg, slash < 0 ? text : text.substring(0, slash));
          rule.checkFamily(arg, option.text(), text, address);
          IpPrefix prefix;
          if (slash < 0) {
            prefix = IpPrefix.host(address);
          } else {
            String len = text.substring(slash + 1);
            int length = len.isEmpty() || len.length() > 3 || !len.chars().allMatch(c -> c >= '0' && c <= '9')
                ? -1 : Integer.parseInt(len);
            if (length < 0 || length > 128) {
              throw error(arg, option.text() + " " + text + ": bad prefix length " + Arguments.quoted(len)
                  + "; expected 0 to 128");
            }
            prefix = IpPrefix.of(address, length);
          }
          if (option.text().equals("--src-pfx")) {
            source = prefix;
          } else {
            destination = prefix;
          }
        }

        @Override
        Target finish() {
          if (source == null || destination == null) {
            throw error(at, "-j " + name + " needs --src-pfx PREFIX and --dst-pfx PREFIX");
          }
          return new Npt(kind, source, destination);
        }
      };
    }

    @Override
    void write(Npt t, StringBuilder out) {
      out.append(" -j ").append(t.kind().name()).append(" --src-pfx ").append(t.source()).append(" --dst-pfx ")
          .append(t.destination());
    }

    @Override
    void check(Npt t, RuleContext rule, Findings findings) {
      String name = t.kind().name();
      for (IpPrefix p : List.of(t.source(), t.destination())) {
        if (p.family() != IpFamily.V6) {
          findings.error("npt-prefix", name + " prefix " + p + " is not IPv6; the target translates IPv6 prefixes");
        } else if (p.length() > MAX_PREFIX) {
          findings.error("npt-prefix", name + " prefix " + p + " is longer than " + MAX_PREFIX
              + " bits; the kernel refuses it");
        } else if (!p.isNetwork()) {
          findings.error("npt-prefix", name + " prefix " + p + " has host bits set; expected " + p.network());
        }
      }
      if (rule.family == IpFamily.V4) {
        findings.error("target-family", name + " is only valid in an IPv6 ruleset");
      }
      if (rule.table != TableName.MANGLE) {
        findings.error("target-table", name + " is only valid in the mangle table, not in " + rule.table.id());
        return;
      }
      Set<Hook> bad = EnumSet.noneOf(Hook.class);
      for (Hook h : rule.hooks) {
        if (!t.kind().hooks().contains(h)) {
          bad.add(h);
        }
      }
      if (!bad.isEmpty()) {
        findings.error("target-hook", name + " is only valid in " + t.kind().hooks() + " of the mangle table, but"
            + " chain " + rule.chain + " is reached from " + bad);
      }
    }
  }
}
