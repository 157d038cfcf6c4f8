package dev.mlb.netfilter;

import dev.mlb.api.IpAddress;
import dev.mlb.api.IpFamily;
import dev.mlb.api.PortRange;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code -j SNAT --to-source ADDR[-ADDR][:P[-Q]] [--random] [--random-fully] [--persistent]}
 * ({@link Snat}); IPv6 puts the addresses in brackets when ports follow.
 *
 * <pre>{@code
 * -p tcp -j SNAT --to-source 192.0.2.1-192.0.2.9:1024-2047   // written back so
 * -p tcp -j SNAT --to-source [2001:db8::1]:1024               // IPv6 with a port
 * }</pre>
 */
final class SnatModule extends TargetModule<Snat> {
  static final SnatModule INSTANCE = new SnatModule();

  private static final List<String> OPTIONS = List.of("--to-source", "--random", "--random-fully", "--persistent");
  private static final Set<String> FLAGS = Set.of("--random", "--random-fully", "--persistent");

  private SnatModule() {
    super("SNAT", List.of(Snat.class));
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
      private IpAddress first;
      private IpAddress last;
      private PortRange ports;

      @Override
      void value(Token option, Token arg) {
        if (!option.text().equals("--to-source")) {
          return;
        }
        IpFamily family = rule.family();
        String text = arg.text();
        String addresses = text;
        String portText = null;
        if (text.startsWith("[")) {
          int close = text.indexOf(']');
          if (close < 0) {
            throw error(arg, "--to-source " + text + ": missing \"]\"; expected [ADDR[-ADDR]]:P[-Q]");
          }
          addresses = text.substring(1, close);
          String rest = text.substring(close + 1);
          if (!rest.isEmpty()) {
            if (rest.charAt(0) != ':' || rest.length() == 1) {
              throw error(arg, "--to-source " + text + ": expected \":PORT\" after \"]\"");
            }
            portText = rest.substring(1);
          }
        } else if (family == IpFamily.V4) {
          int colon = text.indexOf(':');
          if (colon >= 0 && text.indexOf(':', colon + 1) < 0) {
            addresses = text.substring(0, colon);
            portText = text.substring(colon + 1);
          }
        }
        int dash = addresses.indexOf('-');
        String a = dash < 0 ? addresses : addresses.substring(0, dash);
        String b = dash < 0 ? a : addresses.substring(dash + 1);
        if (a.isEmpty()) {
          throw error(arg, "--to-source " + text + ": the address is missing; expected "
              + (family == IpFamily.V4 ? "ADDR[-ADDR][:P[-Q]]" : "ADDR[-ADDR] or [ADDR[-ADDR]]:P[-Q]"));
        }
        first = rule.address(arg, a);
        last = rule.address(arg, b);
        rule.checkFamily(arg, "--to-source", text, first);
        rule.checkFamily(arg, "--to-source", text, last);
        if (first.compareTo(last) > 0) {
          throw error(arg, "--to-source " + text
              + ": the address range is empty; the first address must not exceed the last");
        }
        if (portText != null) {
          ports = Arguments.natPorts(rule, arg, "--to-source", portText);
        }
      }

      @Override
      Target finish() {
        if (first == null) {
          throw error(at, "-j SNAT needs --to-source ADDR[-ADDR][:P[-Q]]");
        }
        return new Snat(first, last, Optional.ofNullable(ports), given.containsKey("--random"),
            given.containsKey("--random-fully"), given.containsKey("--persistent"));
      }
    };
  }

  @Override
  void write(Snat t, StringBuilder out) {
    out.append(" -j SNAT --to-source ");
    boolean brackets = t.first().family() == IpFamily.V6 && t.ports().isPresent();
    if (brackets) {
      out.append('[');
    }
    out.append(t.first());
    if (!t.last().equals(t.first())) {
      out.append('-').append(t.last());
    }
    if (brackets) {
      out.append(']');
    }
    if (t.ports().isPresent()) {
      out.append(':');
      MasqueradeModule.natPorts(out, t.ports().get());
    }
    MasqueradeModule.flags(out, t.random(), t.randomFully(), t.persistent());
  }

  @Override
  void check(Snat t, RuleContext rule, Findings findings) {
    rule.checkNat(t.name(), EnumSet.of(Hook.POSTROUTING, Hook.INPUT), findings);
    if (t.first().family() != rule.family) {
      findings.error("address-family", "SNAT --to-source " + t.first() + " is not an "
          + (rule.family == IpFamily.V4 ? "IPv4" : "IPv6") + " address");
    } else if (t.first().compareTo(t.last()) > 0) {
      findings.error("nat-range", "SNAT --to-source " + t.first() + "-" + t.last()
          + " is empty; the first address must not exceed the last");
    }
    if (t.ports().isPresent() && !rule.protocolIs(Arguments.NAT_PORT_PROTOCOLS)) {
      findings.error("nat-ports-protocol", "SNAT with ports needs -p tcp, udp, sctp or dccp");
    }
  }
}
