package dev.mlb.netfilter;

import dev.mlb.api.PortRange;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code -j MASQUERADE [--to-ports P[-Q]] [--random] [--random-fully]} ({@link Masquerade}).
 *
 * <pre>{@code
 * -p tcp -j MASQUERADE --to-ports 1024-65535 --random   // written back so
 * }</pre>
 */
final class MasqueradeModule extends TargetModule<Masquerade> {
  static final MasqueradeModule INSTANCE = new MasqueradeModule();

  private static final List<String> OPTIONS = List.of("--to-ports", "--random", "--random-fully");
  private static final Set<String> FLAGS = Set.of("--random", "--random-fully");

  private MasqueradeModule() {
    super("MASQUERADE", List.of(Masquerade.class));
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
          ports = Arguments.natPorts(rule, arg, "--to-ports", arg.text());
        }
      }

      @Override
      Target finish() {
        return new Masquerade(Optional.ofNullable(ports), given.containsKey("--random"),
            given.containsKey("--random-fully"));
      }
    };
  }

  @Override
  void write(Masquerade t, StringBuilder out) {
    out.append(" -j MASQUERADE");
    if (t.toPorts().isPresent()) {
      out.append(" --to-ports ");
      natPorts(out, t.toPorts().get());
    }
    flags(out, t.random(), t.randomFully(), false);
  }

  /** {@code P} or {@code P-Q}. */
  static void natPorts(StringBuilder out, PortRange p) {
    out.append(p.first());
    if (!p.isSingle()) {
      out.append('-').append(p.last());
    }
  }

  /** The NAT targets' flags, in iptables-save's order. */
  static void flags(StringBuilder out, boolean random, boolean randomFully, boolean persistent) {
    if (random) {
      out.append(" --random");
    }
    if (randomFully) {
      out.append(" --random-fully");
    }
    if (persistent) {
      out.append(" --persistent");
    }
  }

  @Override
  void check(Masquerade t, RuleContext rule, Findings findings) {
    rule.checkNat(t.name(), EnumSet.of(Hook.POSTROUTING), findings);
    if (t.toPorts().isPresent() && !rule.protocolIs(Arguments.NAT_PORT_PROTOCOLS)) {
      findings.error("nat-ports-protocol", "MASQUERADE --to-ports needs -p tcp, udp, sctp or dccp");
    }
  }
}
