package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import java.util.List;

/**
 * {@code -j TEE --gateway ADDRESS [--oif NAME]}: sends a copy of the packet to {@code gateway}
 * (routed as if it were the next hop, through interface {@code oif} if given) and goes on with the
 * original.
 *
 * <pre>{@code
 * Tee.via(IpAddress.parse("192.0.2.1"))               // -j TEE --gateway 192.0.2.1
 * Tee.via(IpAddress.parse("2001:db8::1")).oif("eth1")  // -j TEE --gateway 2001:db8::1 --oif eth1
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code tee_tg_save} of iptables'
 * {@code extensions/libxt_TEE.c}): the address in its canonical text, then the interface if there
 * is one, bare. iptables needs {@code --gateway} (an address of the ruleset's family; mlb does not
 * resolve host names) and cuts {@code --oif} to the 15 bytes of an interface name; the kernel
 * refuses the unspecified address. The target stands in any table and chain.
 *
 * @param gateway where the copy is sent
 * @param oif the interface the copy leaves by, "" for any
 */
public record Tee(IpAddress gateway, String oif) implements Target {

  /** The longest interface name the kernel keeps (IFNAMSIZ less the terminating zero). */
  public static final int MAX_OIF = 15;

  public Tee {
    checkArgument(gateway != null, "-j TEE: the gateway is null");
    checkArgument(oif != null, "-j TEE: the interface is null; use \"\" for none");
  }

  /** {@code -j TEE --gateway GATEWAY}. */
  public static Tee via(IpAddress gateway) {
    return new Tee(gateway, "");
  }

  /** This target with {@code --oif NAME}. */
  public Tee oif(String name) {
    return new Tee(gateway, name);
  }

  @Override
  public String name() {
    return "TEE";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /** {@code -j TEE}: iptables' {@code extensions/libxt_TEE.c}, as iptables-nft 1.8.9 reads it. */
  static final class TeeModule extends TargetModule<Tee> {
    static final TeeModule INSTANCE = new TeeModule();

    private TeeModule() {
      super("TEE", List.of(Tee.class));
    }

    @Override
    List<String> options() {
      return List.of("--gateway", "--oif");
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private IpAddress gateway;
        private String oif = "";

        @Override
        void value(Token option, Token arg) {
          if (option.text().equals("--gateway")) {
            gateway = rule.address(arg, arg.text());
            rule.checkFamily(arg, "--gateway", arg.text(), gateway);
          } else {
            String text = arg.text();
            oif = text.length() > MAX_OIF && text.chars().allMatch(c -> c < 0x80) ? text.substring(0, MAX_OIF) : text;
          }
        }

        @Override
        Target finish() {
          if (gateway == null) {
            throw error(at, "-j TEE needs --gateway ADDRESS");
          }
          return new Tee(gateway, oif);
        }
      };
    }

    @Override
    void write(Tee t, StringBuilder out) {
      out.append(" -j TEE --gateway ").append(t.gateway());
      if (!t.oif().isEmpty()) {
        out.append(" --oif ").append(t.oif());
      }
    }

    @Override
    void check(Tee t, RuleContext rule, Findings findings) {
      IpAddress g = t.gateway();
      if (g.high() == 0 && g.low() == 0) {
        findings.error("tee-gateway", "-j TEE --gateway " + g + " is the unspecified address; the kernel refuses it");
      }
      if (rule.family != null && g.family() != rule.family) {
        findings.error("tee-gateway", "-j TEE --gateway " + g + " is an "
            + (g.family() == IpFamily.V4 ? "IPv4" : "IPv6") + " address in an "
            + (rule.family == IpFamily.V4 ? "IPv4" : "IPv6") + " ruleset");
      }
      if (!t.oif().isEmpty()) {
        TextChecks.checkName(findings, "-j TEE --oif", t.oif());
        if (t.oif().length() > MAX_OIF) {
          findings.error("tee-oif", "-j TEE --oif " + t.oif() + " is longer than the " + MAX_OIF
              + " characters of an interface name");
        }
      }
    }
  }
}
