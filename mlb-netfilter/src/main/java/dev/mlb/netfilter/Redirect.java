package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.PortRange;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code -j REDIRECT [--to-ports P[-Q]] [--random]}: destination NAT to the host itself (the
 * incoming interface's primary address, or loopback for local packets). Only in the nat table's
 * PREROUTING and OUTPUT chains.
 *
 * <pre>{@code
 * Redirect.plain()                          // -j REDIRECT
 * Redirect.toPorts(PortRange.of(3128))      // -j REDIRECT --to-ports 3128 (needs -p tcp, ...)
 * Redirect.toPorts(PortRange.of(8080, 8090)).withRandom(true)   // ... --to-ports 8080-8090 --random
 * }</pre>
 *
 * <p>As {@code iptables-save} prints it ({@code libxt_NAT.c}): the ports, the second only if it
 * differs, then {@code --random}. iptables takes ports after {@code -p} tcp, udp, sctp, dccp or
 * icmp (negated or not) and refuses a shifted port map ({@code P-Q/B}) for REDIRECT.
 *
 * @param toPorts the ports to redirect to, or empty to keep the port
 * @param random randomize the port
 */
public record Redirect(Optional<PortRange> toPorts, boolean random) implements Target {

  public Redirect {
    checkArgument(toPorts != null, "toPorts is null; use Optional.empty()");
  }

  /** {@code -j REDIRECT}. */
  public static Redirect plain() {
    return new Redirect(Optional.empty(), false);
  }

  /** {@code -j REDIRECT --to-ports P[-Q]}. */
  public static Redirect toPorts(PortRange ports) {
    return new Redirect(Optional.of(ports), false);
  }

  /** This REDIRECT with {@code --random} or without it. */
  public Redirect withRandom(boolean random) {
    return new Redirect(toPorts, random);
  }

  @Override
  public String name() {
    return "REDIRECT";
  }

  @Override
  public boolean isTerminating() {
    return true;
  }

  /** {@code -j REDIRECT}: iptables' {@code extensions/libxt_NAT.c}, as iptables-nft 1.8.9 reads it. */
  static final class RedirectModule extends TargetModule<Redirect> {
    static final RedirectModule INSTANCE = new RedirectModule();

    private static final List<String> OPTIONS = List.of("--to-ports", "--random");
    private static final Set<String> FLAGS = Set.of("--random");

    private RedirectModule() {
      super("REDIRECT", List.of(Redirect.class));
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
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private PortRange ports;

        @Override
        void value(Token option, Token arg) {
          if (option.text().equals("--to-ports")) {
            int[] p = Dnat.DnatModule.ports(rule, arg, "--to-ports", arg.text(), false);
            ports = PortRange.of(p[0], p[1]);
          }
        }

        @Override
        Target finish() {
          return new Redirect(Optional.ofNullable(ports), given.containsKey("--random"));
        }
      };
    }

    @Override
    void write(Redirect t, StringBuilder out) {
      out.append(" -j REDIRECT");
      if (t.toPorts().isPresent()) {
        out.append(" --to-ports ");
        MasqueradeModule.natPorts(out, t.toPorts().get());
      }
      MasqueradeModule.flags(out, t.random(), false, false);
    }

    @Override
    void check(Redirect t, RuleContext rule, Findings findings) {
      rule.checkNat(t.name(), EnumSet.of(Hook.PREROUTING, Hook.OUTPUT), findings);
      if (t.toPorts().isPresent() && (rule.rule.protocol().isEmpty()
          || !Dnat.PORT_PROTOCOLS.contains(rule.rule.protocol().get().number()))) {
        findings.error("nat-ports-protocol", "REDIRECT --to-ports needs -p tcp, udp, sctp, dccp or icmp");
      }
    }
  }
}
