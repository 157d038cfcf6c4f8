package dev.mlb.testkit.live;

import com.google.common.collect.ImmutableList;
import com.google.gson.stream.JsonWriter;
import dev.mlb.api.IpFamily;
import dev.mlb.iproute.IpRule;
import dev.mlb.iproute.Route;
import dev.mlb.iproute.RoutingChange;
import dev.mlb.iproute.SysctlSetting;
import dev.mlb.netfilter.Chain;
import dev.mlb.netfilter.RestoreWriter;
import dev.mlb.netfilter.Rule;
import dev.mlb.netfilter.RulesetChange;
import dev.mlb.netfilter.Table;
import dev.mlb.netfilter.Target;
import dev.mlb.netfilter.Verdict;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a router holds what a policy wants, and if not, each difference: {@code mlb status}.
 *
 * <pre>{@code
 * Status s = deployment.status(CompiledPolicy.compile(policy));
 * s.inSync();                 // false
 * System.out.print(s.table());
 * // mlb status: mlb on iptables-nft, 1 difference
 * // family  kind                 object                        detail
 * // IPv4    ip rule missing      priority 1010                 from all fwmark 0x1000000/0xf000000 lookup 100 proto 109
 * s.json();                   // {"policy":"mlb","backend":"nft","inSync":false,"drift":[...]}
 * }</pre>
 *
 * <p>Kinds of difference: an owned chain missing, different or left over; a jump into an owned
 * chain missing or duplicated; an owned ip rule or route missing or left over; a sysctl value other
 * than the policy's; a foreign rule before one of mlb's jumps that accepts, drops or returns every
 * packet (so mlb's rules never see them); and a foreign user of mark bits inside mlb's mask.
 *
 * @param ownership what mlb owns
 * @param backend the iptables backend read
 * @param record the state record, if mlb applied the policy
 * @param drift every difference; empty when in sync
 * @param uplinks each uplink's state as applied, with its last probe when {@code mlb watch} runs;
 *     empty when mlb applied nothing
 */
public record Status(Ownership ownership, Backend backend, Optional<StateRecord> record, ImmutableList<Drift> drift,
    ImmutableList<UplinkRow> uplinks) {

  /**
   * One uplink: up or down as applied, since when and why, and its last probe round.
   *
   * @param name the uplink
   * @param state {@code up} or {@code down}
   * @param since when it entered that state
   * @param cause what put it there ({@code mlb apply}, {@code mlb apply --down}, the watcher's reason)
   * @param probe the last probe round, if a watcher wrote one
   */
  public record UplinkRow(String name, String state, java.time.Instant since, String cause,
      Optional<ProbeLog.Round> probe) {}

  /**
   * One difference.
   *
   * @param family {@code IPv4}, {@code IPv6} or {@code -} (sysctl, mark users)
   * @param kind what is wrong: {@code owned chain missing}, {@code jump shadowed}, ...
   * @param object the chain, rule, route or key
   * @param detail what is there and what should be
   */
  public record Drift(String family, String kind, String object, String detail) {}

  /** Whether the router holds exactly what the policy wants. */
  public boolean inSync() {
    return drift.isEmpty();
  }

  static Status of(Ownership own, LiveState live, Map<IpFamily, RulesetChange> nf, Map<IpFamily, RoutingChange> ip,
      List<SysctlSetting> settings, Optional<StateRecord> record, Map<String, ProbeLog.Round> probes) {
    List<Drift> out = new ArrayList<>();
    for (Map.Entry<IpFamily, RulesetChange> e : nf.entrySet()) {
      String f = Deployment.family(e.getKey());
      for (RulesetChange.Item i : e.getValue().items()) {
        String kind = switch (i.kind()) {
          case CREATE_CHAIN -> "owned chain missing";
          case REWRITE_CHAIN -> "owned chain differs";
          case ADD_JUMP -> "jump missing";
          case DELETE_JUMP -> "jump left over";
          case DELETE_CHAIN -> "owned chain left over";
        };
        out.add(new Drift(f, kind, i.table() + " " + i.chain(), i.detail()));
      }
      shadowing(own, live.ruleset(e.getKey()).tables(), f, out);
    }
    for (Map.Entry<IpFamily, RoutingChange> e : ip.entrySet()) {
      String f = Deployment.family(e.getKey());
      RoutingChange c = e.getValue();
      for (IpRule r : c.rulesToAdd()) {
        out.add(new Drift(f, "ip rule missing", "priority " + r.priority().orElse(0), withoutPriority(r)));
      }
      for (Route r : c.routesToAdd()) {
        out.add(new Drift(f, "route missing", "table " + r.table(), r.toString()));
      }
      for (IpRule r : c.rulesToDelete()) {
        out.add(new Drift(f, "ip rule left over", "priority " + r.priority().orElse(0), withoutPriority(r)));
      }
      for (Route r : c.routesToDelete()) {
        out.add(new Drift(f, "route left over", "table " + r.table(), r.toString()));
      }
      for (String conflict : c.conflicts()) {
        out.add(new Drift(f, "foreign rule or route in mlb's place", "-", conflict));
      }
    }
    for (SysctlSetting s : settings) {
      String now = live.sysctl().get(s.key());
      if (!s.value().equals(now)) {
        out.add(new Drift("-", "sysctl differs", s.key(), (now == null ? "missing" : now) + ", policy " + s.value()));
      }
    }
    for (MarkUsers.User u : MarkUsers.overlapping(MarkUsers.of(live, own.chainPrefix(), own.protocol()),
        own.markMask())) {
      out.add(new Drift("-", "foreign mark user in mlb's mask", dev.mlb.api.Mark.hex(own.markMask()), u.toString()));
    }
    ImmutableList.Builder<UplinkRow> rows = ImmutableList.builder();
    record.ifPresent(r -> r.uplinks().forEach((name, st) -> rows.add(new UplinkRow(name, st.down() ? "down" : "up",
        st.since(), st.cause(), ProbeLog.of(probes, name)))));
    return new Status(own, live.backend(), record, ImmutableList.copyOf(out), rows.build());
  }

  private static String withoutPriority(IpRule r) {
    return r.toString().replaceFirst("^priority \\d+ ", "");
  }

  /** Foreign rules that end every packet's walk of a built-in chain before it reaches mlb's jump. */
  private static void shadowing(Ownership own, List<Table> tables, String family, List<Drift> out) {
    for (Table t : tables) {
      for (Chain c : t.chains()) {
        if (!t.isBuiltin(c)) {
          continue;
        }
        List<Rule> before = new ArrayList<>();
        for (Rule r : c.rules()) {
          if (RulesetChange.isOwnedJump(r, own.chainPrefix())) {
            for (Rule b : before) {
              out.add(new Drift(family, "jump shadowed", t.name() + " " + c.name(), "\"-A " + c.name()
                  + RestoreWriter.renderRule(b) + "\" comes first and ends every packet's walk, so "
                  + RestoreWriter.renderRule(r).strip() + " sees none"));
            }
            break;
          }
          if (endsEveryWalk(r)) {
            before.add(r);
          }
        }
      }
    }
  }

  private static boolean endsEveryWalk(Rule r) {
    if (r.source().isPresent() || r.destination().isPresent() || r.in().isPresent() || r.out().isPresent()
        || r.protocol().isPresent() || !r.matches().isEmpty() || r.target().isEmpty()) {
      return false;
    }
    Target t = r.target().get();
    return t == Verdict.ACCEPT || t == Verdict.DROP || t == Verdict.RETURN || t.name().equals("REJECT");
  }

  /** The table {@code mlb status} prints: the differences, then the uplinks. */
  public String table() {
    StringBuilder b = new StringBuilder("mlb status: " + ownership.name() + " on " + backend + ", ");
    if (drift.isEmpty()) {
      b.append("in sync").append(record.isEmpty() ? " (no state record: not applied by mlb apply)" : "").append('\n');
      return b.append(uplinkTable()).toString();
    }
    b.append(drift.size()).append(drift.size() == 1 ? " difference\n" : " differences\n");
    int kind = "kind".length();
    int object = "object".length();
    for (Drift d : drift) {
      kind = Math.max(kind, d.kind().length());
      object = Math.max(object, d.object().length());
    }
    String row = "%-7s %-" + kind + "s  %-" + object + "s  %s%n";
    b.append(String.format(Locale.ROOT, row, "family", "kind", "object", "detail"));
    for (Drift d : drift) {
      b.append(String.format(Locale.ROOT, row, d.family(), d.kind(), d.object(), d.detail()));
    }
    return b.append(uplinkTable()).toString();
  }

  /** The uplinks' rows: name, state, since, cause, last probe; nothing without a state record. */
  private String uplinkTable() {
    if (uplinks.isEmpty()) {
      return "";
    }
    int name = "uplink".length();
    int cause = "cause".length();
    for (UplinkRow u : uplinks) {
      name = Math.max(name, u.name().length());
      cause = Math.max(cause, u.cause().length());
    }
    String row = "%-" + name + "s  %-5s  %-20s  %-" + cause + "s  %s%n";
    StringBuilder b = new StringBuilder("\n")
        .append(String.format(Locale.ROOT, row, "uplink", "state", "since", "cause", "last probe"));
    for (UplinkRow u : uplinks) {
      b.append(String.format(Locale.ROOT, row, u.name(), u.state(), seconds(u.since()), u.cause(),
          u.probe().map(p -> seconds(p.at()) + " " + (p.ok() ? "ok" : "failed") + ": " + p.detail()).orElse("-")));
    }
    return b.toString();
  }

  private static String seconds(java.time.Instant t) {
    return t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
  }

  /** The status as one JSON object, for scripts and monitoring. */
  public String json() {
    StringWriter out = new StringWriter();
    try (JsonWriter w = new JsonWriter(out)) {
      w.beginObject();
      w.name("policy").value(ownership.name());
      w.name("backend").value(backend.name().toLowerCase(Locale.ROOT));
      w.name("applied").value(record.isPresent());
      w.name("inSync").value(inSync());
      w.name("drift").beginArray();
      for (Drift d : drift) {
        w.beginObject().name("family").value(d.family()).name("kind").value(d.kind()).name("object").value(d.object())
            .name("detail").value(d.detail()).endObject();
      }
      w.endArray();
      w.name("uplinks").beginArray();
      for (UplinkRow u : uplinks) {
        w.beginObject().name("name").value(u.name()).name("state").value(u.state())
            .name("since").value(u.since().toString()).name("cause").value(u.cause());
        if (u.probe().isPresent()) {
          ProbeLog.Round p = u.probe().get();
          w.name("probe").beginObject().name("at").value(p.at().toString()).name("ok").value(p.ok())
              .name("detail").value(p.detail()).endObject();
        }
        w.endObject();
      }
      w.endArray();
      w.endObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out + "\n";
  }
}
