package dev.mlb.iproute;

import com.google.common.collect.Lists;
import dev.mlb.api.Finding;
import dev.mlb.api.InterfaceName;
import dev.mlb.api.IpFamily;
import dev.mlb.api.IpPrefix;
import dev.mlb.api.Mark;
import dev.mlb.api.PortRange;
import dev.mlb.api.ValidationException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes a {@link RoutingPlan} as an {@code ip -batch} file, and the file that undoes it.
 *
 * <pre>{@code
 * String batch = IpBatchWriter.render(plan);      // ip -4 -batch FILE
 * String undo = IpBatchWriter.renderUndo(plan);   // ip -4 -batch UNDO removes exactly what FILE added
 * }</pre>
 *
 * <p>The file is deterministic and safe to apply again:
 * <ol>
 *   <li>{@code #mlb:} comments carry the table names and connected prefixes ({@code ip} ignores
 *       them; {@link IpBatchParser} reads them back);
 *   <li>{@code rule flush protocol OWNER} removes the rules of an earlier run (when the plan has an
 *       owner), so that the gateway checks of the routes are not affected by them;
 *   <li>{@code route replace ...} for each route;
 *   <li>{@code rule add ...} for each rule;
 *   <li>the verbatim commands; unmodelled {@code ip -json} entries as comments.
 * </ol>
 * Each rule and route is written as {@code ip rule show} / {@code ip route show} print it
 * ({@code fwmark 0x1/0xff}, {@code sport 1024-65000}, hosts without {@code /32}, table and protocol
 * names {@code ip} knows). Every user-supplied word is one batch token or is refused: interface names
 * are checked by {@link InterfaceName}, table names by the plan, and verbatim words are quoted the
 * way iproute2's {@code makeargs} reads them back.
 *
 * <p>{@link #render} and {@link #renderUndo} refuse a plan whose {@link RoutingPlan#validate()} has
 * errors, with a {@link ValidationException} listing them.
 */
public final class IpBatchWriter {
  private IpBatchWriter() {}

  /**
   * The batch that makes the kernel hold this plan.
   *
   * @throws ValidationException if validation finds errors
   */
  public static String render(RoutingPlan plan) {
    requireValid(plan);
    return renderUnchecked(plan);
  }

  /**
   * The batch that removes exactly the rules and routes {@link #render} added: {@code rule del} for
   * each rule, then {@code route del} for each route, in reverse order. Run it once, after the plan
   * was applied. A route that {@code route replace} overwrote is removed, not restored; verbatim
   * commands are not undone (they are listed as comments).
   *
   * @throws ValidationException if validation finds errors
   */
  public static String renderUndo(RoutingPlan plan) {
    requireValid(plan);
    StringBuilder out = new StringBuilder();
    out.append("# undoes the ip -batch file mlb writes for this plan; load with: ip ")
        .append(familyFlag(plan.family()))
        .append(" -batch FILE\n");
    for (IpRule r : Lists.reverse(plan.rules())) {
      out.append("rule del ").append(ruleSpec(r)).append('\n');
    }
    for (Route r : Lists.reverse(plan.routes())) {
      out.append("route del ").append(routeSpec(r)).append('\n');
    }
    for (VerbatimCommand c : plan.verbatim()) {
      out.append("# not undone (verbatim): ").append(c).append('\n');
    }
    return out.toString();
  }

  private static void requireValid(RoutingPlan plan) {
    List<Finding> errors = plan.validate().stream().filter(Finding::isError).collect(Collectors.toList());
    if (!errors.isEmpty()) {
      throw new ValidationException(plan.validate());
    }
  }

  static String renderUnchecked(RoutingPlan plan) {
    StringBuilder out = new StringBuilder();
    out.append("# ip -batch file written by mlb; load with: ip ")
        .append(familyFlag(plan.family()))
        .append(" -batch FILE\n");
    for (Map.Entry<RoutingTable, String> e : plan.tableNames().entrySet()) {
      out.append("#mlb: table ").append(e.getKey().id()).append(' ').append(e.getValue()).append('\n');
    }
    for (Map.Entry<InterfaceName, IpPrefix> e : plan.connected().entries()) {
      out.append("#mlb: connected ").append(e.getKey()).append(' ').append(e.getValue()).append('\n');
    }
    plan.owner().ifPresent(o -> out.append("rule flush protocol ").append(o).append('\n'));
    for (Route r : plan.routes()) {
      out.append("route replace ").append(routeSpec(r)).append('\n');
    }
    for (IpRule r : plan.rules()) {
      out.append("rule add ").append(ruleSpec(r)).append('\n');
    }
    for (VerbatimCommand c : plan.verbatim()) {
      out.append(c).append('\n');
    }
    for (String json : plan.unmodelledJson()) {
      out.append("# not recreated (unmodelled ip -json entry): ").append(json).append('\n');
    }
    return out.toString();
  }

  /** {@code -4} or {@code -6}. */
  static String familyFlag(IpFamily family) {
    return family == IpFamily.V4 ? "-4" : "-6";
  }

  /** A prefix as {@code ip} prints it: a host without its length. */
  static String prefix(IpPrefix p) {
    return p.isHost() ? p.address().toString() : p.toString();
  }

  /** A mark that {@code ip rule} reads back as the same test (0 needs its mask spelled out). */
  static String mark(Mark m) {
    if (m.value() == 0 && m.isFullMask()) {
      return "0x0/0xffffffff";
    }
    return m.toString();
  }

  static String ports(PortRange p) {
    return p.isSingle() ? Integer.toString(p.first()) : p.first() + "-" + p.last();
  }

  /** A rule after {@code rule add}, in {@code ip rule show} order. */
  static String ruleSpec(IpRule r) {
    List<String> w = new java.util.ArrayList<>();
    r.priority().ifPresent(p -> add(w, "priority", Long.toString(p)));
    if (r.not()) {
      w.add("not");
    }
    add(w, "from", r.from().map(IpBatchWriter::prefix).orElse("all"));
    r.to().ifPresent(p -> add(w, "to", prefix(p)));
    r.fwmark().ifPresent(m -> add(w, "fwmark", mark(m)));
    r.iif().ifPresent(i -> add(w, "iif", i.name()));
    r.oif().ifPresent(i -> add(w, "oif", i.name()));
    r.ipproto().ifPresent(p -> add(w, "ipproto", p.toString()));
    r.sport().ifPresent(p -> add(w, "sport", ports(p)));
    r.dport().ifPresent(p -> add(w, "dport", ports(p)));
    w.add(
        r.action()
            .accept(
                new RuleAction.Visitor<String>() {
                  @Override
                  public String lookup(RuleAction.Lookup lookup) {
                    return "lookup " + lookup.table();
                  }

                  @Override
                  public String goTo(RuleAction.Goto target) {
                    return "goto " + target.priority();
                  }

                  @Override
                  public String reject(RuleAction.Reject reject) {
                    return reject.kind().toString();
                  }

                  @Override
                  public String nop(RuleAction.Nop nop) {
                    return "nop";
                  }
                }));
    r.suppressPrefixLength().ifPresent(l -> add(w, "suppress_prefixlength", Integer.toString(l)));
    r.suppressIfgroup().ifPresent(g -> add(w, "suppress_ifgroup", Long.toString(g)));
    r.protocol().ifPresent(p -> add(w, "proto", p.toString()));
    return String.join(" ", w);
  }

  /** A route after {@code route replace}, in {@code ip route show} order. */
  static String routeSpec(Route r) {
    List<String> w = new java.util.ArrayList<>();
    if (r.type() != RouteType.UNICAST) {
      w.add(r.type().toString());
    }
    w.add(r.destination().length() == 0 ? "default" : prefix(r.destination()));
    r.via().ifPresent(v -> add(w, "via", v.toString()));
    r.dev().ifPresent(d -> add(w, "dev", d.name()));
    if (!r.table().equals(RoutingTable.MAIN)) {
      add(w, "table", r.table().toString());
    }
    r.protocol().ifPresent(p -> add(w, "proto", p.toString()));
    r.scope().ifPresent(s -> add(w, "scope", s.toString()));
    r.src().ifPresent(s -> add(w, "src", s.toString()));
    r.metric().ifPresent(m -> add(w, "metric", Long.toString(m)));
    if (r.onlink()) {
      w.add("onlink");
    }
    for (Nexthop n : r.nexthops()) {
      w.add(n.toString());
    }
    return String.join(" ", w);
  }

  private static void add(List<String> words, String key, String value) {
    words.add(key);
    words.add(value);
  }
}
