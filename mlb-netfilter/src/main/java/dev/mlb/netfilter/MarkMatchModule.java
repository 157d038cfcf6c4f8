package dev.mlb.netfilter;

import dev.mlb.api.Mark;
import java.util.List;

/**
 * {@code -m mark [!] --mark VALUE[/MASK]} ({@link MarkMatch}) and {@code -m connmark [!] --mark
 * VALUE[/MASK]} ({@link ConnmarkMatch}).
 *
 * <pre>{@code
 * -m connmark ! --mark 0/0xff00   // reads as new ConnmarkMatch(Mark.of(0, 0xff00), true)
 * -m connmark ! --mark 0x0/0xff00 // written so
 * }</pre>
 *
 * @param <M> {@link MarkMatch} or {@link ConnmarkMatch}
 */
final class MarkMatchModule<M extends Match> extends MatchModule<M> {
  private static final List<String> OPTIONS = List.of("--mark");

  static final MarkMatchModule<MarkMatch> MARK = new MarkMatchModule<>("mark", MarkMatch.class, false);
  static final MarkMatchModule<ConnmarkMatch> CONNMARK =
      new MarkMatchModule<>("connmark", ConnmarkMatch.class, true);

  private final boolean connmark;

  private MarkMatchModule(String name, Class<M> type, boolean connmark) {
    super(name, type);
    this.connmark = connmark;
  }

  @Override
  List<String> options() {
    return OPTIONS;
  }

  @Override
  String canonical(String option) {
    return option.equals("--mark") ? option : null;
  }

  @Override
  Reader reader(ModuleContext rule, String name, Token at) {
    return new Reader(this, name(), at, rule) {
      private Mark mark;

      @Override
      void value(String option, Token optionToken, Token arg) {
        mark = Arguments.mark(rule, arg, "--mark");
      }

      @Override
      Match finish() {
        require("--mark");
        return connmark ? new ConnmarkMatch(mark, negated) : new MarkMatch(mark, negated);
      }
    };
  }

  @Override
  void write(M m, StringBuilder out) {
    boolean negated;
    Mark mark;
    if (m instanceof MarkMatch mm) {
      negated = mm.negated();
      mark = mm.mark();
    } else {
      ConnmarkMatch cm = (ConnmarkMatch) m;
      negated = cm.negated();
      mark = cm.mark();
    }
    out.append(negated ? " ! --mark " : " --mark ");
    RestoreWriter.appendMark(out, mark);
  }

  @Override
  void check(M m, RuleContext rule, Findings findings) {
    Mark mark = m instanceof MarkMatch mm ? mm.mark() : ((ConnmarkMatch) m).mark();
    if (mark.hasBitsOutsideMask()) {
      findings.warning("mark-outside-mask", "-m " + name() + " --mark " + mark
          + " has value bits outside the mask; (" + (connmark ? "ctmark" : "mark")
          + " & mask) can never equal it");
    }
  }
}
