package dev.mlb.netfilter;

import com.google.common.collect.ImmutableSortedSet;
import dev.mlb.api.Finding;
import dev.mlb.api.IpFamily;
import dev.mlb.api.Mark;
import dev.mlb.api.PortRange;
import dev.mlb.api.ValidationException;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Writes a {@link Ruleset} as {@code iptables-restore} input, byte for byte what
 * {@code iptables-save} (iptables-nft 1.8) prints for the same rules, less its {@code #} header and
 * footer lines.
 *
 * <pre>{@code
 * String text = RestoreWriter.render(ruleset);
 * // *nat
 * // :PREROUTING ACCEPT [0:0]
 * // ...
 * // -A POSTROUTING -o ppp0 -j MASQUERADE
 * // COMMIT
 * }</pre>
 *
 * <p>This class owns all formatting: order, spacing, number formats and quoting. Counters are
 * always {@code [0:0]}.
 */
public final class RestoreWriter {
  private RestoreWriter() {}

  /**
   * Validates {@code ruleset} and renders it.
   *
   * @throws ValidationException listing every error if validation finds any
   */
  public static String render(Ruleset ruleset) {
    List<Finding> errors =
        ruleset.validate().stream().filter(Finding::isError).collect(Collectors.toList());
    if (!errors.isEmpty()) {
      throw new ValidationException(errors);
    }
    StringBuilder out = new StringBuilder(4096);
    for (Table table : ruleset.tables()) {
      writeTable(out, table);
    }
    return out.toString();
  }

  /** One rule as it follows {@code -A CHAIN}, with its leading space; for messages and traces. */
  public static String renderRule(Rule rule) {
    StringBuilder out = new StringBuilder(128);
    writeRule(out, rule);
    return out.toString();
  }

  private static void writeTable(StringBuilder out, Table table) {
    out.append('*').append(table.name().id()).append('\n');
    for (Chain chain : table.chains()) {
      out.append(':').append(chain.name()).append(' ')
          .append(chain.policy().map(Policy::name).orElse("-"))
          .append(" [0:0]\n");
    }
    for (Chain chain : table.chains()) {
      for (Rule rule : chain.rules()) {
        out.append("-A ").append(chain.name());
        writeRule(out, rule);
        out.append('\n');
      }
    }
    out.append("COMMIT\n");
  }

  private static void writeRule(StringBuilder out, Rule rule) {
    rule.source().ifPresent(p -> out.append(rule.sourceNegated() ? " ! -s " : " -s ").append(p));
    rule.destination().ifPresent(p -> out.append(rule.destinationNegated() ? " ! -d " : " -d ").append(p));
    rule.in().ifPresent(i -> out.append(rule.inNegated() ? " ! -i " : " -i ").append(i.name()));
    rule.out().ifPresent(i -> out.append(rule.outNegated() ? " ! -o " : " -o ").append(i.name()));
    rule.protocol().ifPresent(p -> out.append(rule.protocolNegated() ? " ! -p " : " -p ").append(p));
    MatchWriter matchWriter = new MatchWriter(out);
    for (Match m : rule.matches()) {
      out.append(" -m ").append(m.module());
      m.accept(matchWriter);
    }
    rule.target().ifPresent(t -> t.accept(new TargetWriter(out)));
  }

  /**
   * Appends {@code value} as one token the way {@code xtables_save_string} does: bare when it
   * consists only of letters, digits, {@code _} and {@code -}; otherwise in double quotes with
   * {@code "}, {@code \} and {@code '} escaped by a backslash.
   */
  static void appendSaveString(StringBuilder out, String value) {
    out.append(' ');
    if (!value.isEmpty() && value.chars().allMatch(RestoreWriter::isPlain)) {
      out.append(value);
      return;
    }
    out.append('"');
    appendEscaped(out, value);
    out.append('"');
  }

  private static boolean isPlain(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  }

  /**
   * The quoted indexes of {@code arguments}: those given, and every argument that cannot be
   * written bare (empty, or holding a blank or a double quote), sorted.
   */
  static ImmutableSortedSet<Integer> quotedArguments(List<String> arguments, Set<Integer> quoted) {
    ImmutableSortedSet.Builder<Integer> all = ImmutableSortedSet.naturalOrder();
    all.addAll(quoted);
    for (int i = 0; i < arguments.size(); i++) {
      if (needsQuotes(arguments.get(i))) {
        all.add(i);
      }
    }
    return all.build();
  }

  private static boolean needsQuotes(String token) {
    if (token.isEmpty()) {
      return true;
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c == ' ' || c == '\t' || c == '"') {
        return true;
      }
    }
    return false;
  }

  /** Appends the arguments of an unmodelled module or target: quoted ones as iptables-save quotes. */
  private static void appendArguments(StringBuilder out, List<String> arguments, Set<Integer> quoted) {
    for (int i = 0; i < arguments.size(); i++) {
      if (quoted.contains(i)) {
        out.append(" \"");
        appendEscaped(out, arguments.get(i));
        out.append('"');
      } else {
        out.append(' ').append(arguments.get(i));
      }
    }
  }

  private static void appendEscaped(StringBuilder out, String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\' || c == '\'') {
        out.append('\\');
      }
      out.append(c);
    }
  }

  private static String hex(long v) {
    return Mark.hex(v);
  }

  private static final class MatchWriter implements Match.Visitor<Void> {
    private final StringBuilder out;

    MatchWriter(StringBuilder out) {
      this.out = out;
    }

    private void states(String option, boolean negated, Iterable<ConnState> states) {
      out.append(negated ? " ! " : " ").append(option).append(' ');
      boolean first = true;
      for (ConnState s : states) {
        if (!first) {
          out.append(',');
        }
        out.append(s.name());
        first = false;
      }
    }

    @Override
    public Void visitState(StateMatch m) {
      states("--state", m.negated(), m.states());
      return null;
    }

    @Override
    public Void visitConntrack(ConntrackMatch m) {
      states("--ctstate", m.negated(), m.states());
      return null;
    }

    @Override
    public Void visitConnmark(ConnmarkMatch m) {
      out.append(m.negated() ? " ! --mark " : " --mark ").append(m.mark());
      return null;
    }

    @Override
    public Void visitMark(MarkMatch m) {
      out.append(m.negated() ? " ! --mark " : " --mark ").append(m.mark());
      return null;
    }

    @Override
    public Void visitStatistic(StatisticMatch m) {
      String not = m.negated() ? " !" : "";
      if (m.mode() instanceof Statistic.Nth nth) {
        out.append(" --mode nth").append(not)
            .append(" --every ").append(nth.every())
            .append(" --packet ").append(nth.packet());
      } else {
        Statistic.Random random = (Statistic.Random) m.mode();
        out.append(" --mode random").append(not)
            .append(" --probability ").append(random.probabilityText());
      }
      return null;
    }

    @Override
    public Void visitPort(PortMatch m) {
      m.source().ifPresent(c -> port("--sport", c));
      m.destination().ifPresent(c -> port("--dport", c));
      return null;
    }

    private void port(String option, PortCriterion c) {
      out.append(c.negated() ? " ! " : " ").append(option).append(' ').append(c.range());
    }

    @Override
    public Void visitMultiport(MultiportMatch m) {
      out.append(m.negated() ? " ! " : " ").append(m.direction().option()).append(' ');
      out.append(m.ports().stream().map(PortRange::toString).collect(Collectors.joining(",")));
      return null;
    }

    @Override
    public Void visitComment(CommentMatch m) {
      out.append(" --comment");
      appendSaveString(out, m.text());
      return null;
    }

    @Override
    public Void visitOpaque(OpaqueMatch m) {
      appendArguments(out, m.arguments(), m.quoted());
      return null;
    }
  }

  private static final class TargetWriter implements Target.Visitor<Void> {
    private final StringBuilder out;

    TargetWriter(StringBuilder out) {
      this.out = out;
    }

    @Override
    public Void visitVerdict(Verdict t) {
      out.append(" -j ").append(t.name());
      return null;
    }

    @Override
    public Void visitJump(Jump t) {
      out.append(" -j ").append(t.chain());
      return null;
    }

    @Override
    public Void visitGoto(Goto t) {
      out.append(" -g ").append(t.chain());
      return null;
    }

    @Override
    public Void visitSetMark(SetMark t) {
      out.append(" -j MARK --set-xmark ").append(hex(t.value())).append('/').append(hex(t.mask()));
      return null;
    }

    @Override
    public Void visitSetConnmark(SetConnmark t) {
      out.append(" -j CONNMARK --set-xmark ").append(hex(t.value())).append('/').append(hex(t.mask()));
      return null;
    }

    @Override
    public Void visitSaveConnmark(SaveConnmark t) {
      out.append(" -j CONNMARK --save-mark --nfmask ").append(hex(t.nfmask()))
          .append(" --ctmask ").append(hex(t.ctmask()));
      return null;
    }

    @Override
    public Void visitRestoreConnmark(RestoreConnmark t) {
      out.append(" -j CONNMARK --restore-mark --nfmask ").append(hex(t.nfmask()))
          .append(" --ctmask ").append(hex(t.ctmask()));
      return null;
    }

    @Override
    public Void visitMasquerade(Masquerade t) {
      out.append(" -j MASQUERADE");
      t.toPorts().ifPresent(p -> out.append(" --to-ports ").append(natPorts(p)));
      flags(t.random(), t.randomFully(), false);
      return null;
    }

    @Override
    public Void visitSnat(Snat t) {
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
      t.ports().ifPresent(p -> out.append(':').append(natPorts(p)));
      flags(t.random(), t.randomFully(), t.persistent());
      return null;
    }

    private void flags(boolean random, boolean randomFully, boolean persistent) {
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

    private static String natPorts(PortRange p) {
      return p.isSingle() ? Integer.toString(p.first()) : p.first() + "-" + p.last();
    }

    @Override
    public Void visitOpaque(OpaqueTarget t) {
      out.append(" -j ").append(t.name());
      appendArguments(out, t.arguments(), t.quoted());
      return null;
    }
  }
}
