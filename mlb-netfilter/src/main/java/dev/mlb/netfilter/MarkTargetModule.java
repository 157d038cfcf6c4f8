package dev.mlb.netfilter;

import static dev.mlb.netfilter.Arguments.join;

import dev.mlb.api.Mark;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code -j MARK} ({@link SetMark}) and {@code -j CONNMARK} ({@link SetConnmark},
 * {@link SaveConnmark}, {@link RestoreConnmark}); CONNMARK's shifts are kept verbatim.
 *
 * <pre>{@code
 * -j MARK --set-mark 1          // reads as SetMark.set(1), written as --set-xmark 0x1/0xffffffff
 * -j CONNMARK --save-mark       // written as --save-mark --nfmask 0xffffffff --ctmask 0xffffffff
 * }</pre>
 */
final class MarkTargetModule extends TargetModule<Target> {
  /** The operations of both, each of which iptables turns into --set-xmark. */
  private static final List<String> OPERATIONS =
      List.of("--set-xmark", "--set-mark", "--and-mark", "--or-mark", "--xor-mark");
  private static final List<String> CONNMARK_OPTIONS = connmarkOptions();
  private static final Set<String> FLAGS = Set.of("--save-mark", "--restore-mark");
  private static final Map<String, Integer> CONNMARK_UNMODELLED = Map.of("--left-shift-mark", 1, "--right-shift-mark", 1);

  static final MarkTargetModule MARK = new MarkTargetModule("MARK", List.of(SetMark.class), false);
  static final MarkTargetModule CONNMARK = new MarkTargetModule("CONNMARK",
      List.of(SetConnmark.class, SaveConnmark.class, RestoreConnmark.class), true);

  private final boolean connmark;

  private MarkTargetModule(String name, List<Class<? extends Target>> types, boolean connmark) {
    super(name, types);
    this.connmark = connmark;
  }

  private static List<String> connmarkOptions() {
    List<String> all = new ArrayList<>(OPERATIONS);
    all.addAll(List.of("--save-mark", "--restore-mark", "--nfmask", "--ctmask", "--mask"));
    return List.copyOf(all);
  }

  @Override
  List<String> options() {
    return connmark ? CONNMARK_OPTIONS : OPERATIONS;
  }

  @Override
  Set<String> flags() {
    return FLAGS;
  }

  @Override
  Map<String, Integer> unmodelled() {
    return connmark ? CONNMARK_UNMODELLED : Map.of();
  }

  @Override
  Reader reader(ModuleContext rule, Token at) {
    return new MarkReader(rule, at);
  }

  private final class MarkReader extends Reader {
    private Token operation;
    private long value;
    private long mask;
    private final Map<String, Long> masks = new HashMap<>();

    MarkReader(ModuleContext rule, Token at) {
      super(MarkTargetModule.this, at, rule);
    }

    private String operations() {
      List<String> ops = new ArrayList<>(OPERATIONS);
      if (connmark) {
        ops.add("--save-mark");
        ops.add("--restore-mark");
      }
      return join(ops, "or");
    }

    @Override
    void value(Token option, Token arg) {
      String o = option.text();
      boolean isMask = o.equals("--nfmask") || o.equals("--ctmask") || o.equals("--mask");
      if (isMask) {
        if (o.equals("--mask") && (given.containsKey("--nfmask") || given.containsKey("--ctmask"))
            || !o.equals("--mask") && given.containsKey("--mask")) {
          throw error(option, "-j CONNMARK: --mask sets both --nfmask and --ctmask;"
              + " it cannot be combined with them");
        }
        masks.put(o, Arguments.u32(rule, arg, o));
        return;
      }
      if (operation != null) {
        throw error(option, "-j " + name + ": " + o + " cannot be combined with " + operation.text()
            + "; expected exactly one of " + operations());
      }
      operation = option;
      switch (o) {
        case "--set-xmark" -> {
          Mark m = Arguments.mark(rule, arg, o);
          value = m.value();
          mask = m.mask();
        }
        case "--set-mark" -> {
          Mark m = Arguments.mark(rule, arg, o);
          value = m.value();
          mask = m.mask() | m.value();
        }
        case "--and-mark" -> {
          value = 0;
          mask = ~Arguments.u32(rule, arg, o) & Mark.FULL_MASK;
        }
        case "--or-mark" -> {
          value = Arguments.u32(rule, arg, o);
          mask = value;
        }
        case "--xor-mark" -> {
          value = Arguments.u32(rule, arg, o);
          mask = 0;
        }
        default -> { } // --save-mark, --restore-mark: masks are read in finish()
      }
    }

    private long maskOption(String option) {
      return masks.getOrDefault(option, masks.getOrDefault("--mask", Mark.FULL_MASK));
    }

    @Override
    Target finish() {
      if (operation == null) {
        throw error(at, "-j " + name + " needs one of " + operations());
      }
      String op = operation.text();
      boolean save = op.equals("--save-mark");
      boolean restore = op.equals("--restore-mark");
      if (!save && !restore) {
        for (String m : List.of("--nfmask", "--ctmask", "--mask")) {
          if (given.containsKey(m)) {
            throw error(given.get(m), "-j CONNMARK: " + m
                + " only goes with --save-mark or --restore-mark, not with " + op);
          }
        }
        return connmark ? new SetConnmark(value, mask) : new SetMark(value, mask);
      }
      long nf = maskOption("--nfmask");
      long ct = maskOption("--ctmask");
      return save ? new SaveConnmark(nf, ct) : new RestoreConnmark(nf, ct);
    }
  }

  @Override
  void write(Target target, StringBuilder out) {
    if (target instanceof SetMark t) {
      out.append(" -j MARK --set-xmark ");
      RestoreWriter.appendHex(out, t.value());
      out.append('/');
      RestoreWriter.appendHex(out, t.mask());
    } else if (target instanceof SetConnmark t) {
      out.append(" -j CONNMARK --set-xmark ");
      RestoreWriter.appendHex(out, t.value());
      out.append('/');
      RestoreWriter.appendHex(out, t.mask());
    } else if (target instanceof SaveConnmark t) {
      out.append(" -j CONNMARK --save-mark --nfmask ");
      RestoreWriter.appendHex(out, t.nfmask());
      out.append(" --ctmask ");
      RestoreWriter.appendHex(out, t.ctmask());
    } else {
      RestoreConnmark t = (RestoreConnmark) target;
      out.append(" -j CONNMARK --restore-mark --nfmask ");
      RestoreWriter.appendHex(out, t.nfmask());
      out.append(" --ctmask ");
      RestoreWriter.appendHex(out, t.ctmask());
    }
  }

  @Override
  boolean passes(Target target) {
    if (target instanceof SetMark t) {
      return RuleContext.isU32(t.value()) && RuleContext.isU32(t.mask());
    } else if (target instanceof SetConnmark t) {
      return RuleContext.isU32(t.value()) && RuleContext.isU32(t.mask());
    } else if (target instanceof SaveConnmark t) {
      return RuleContext.isU32(t.nfmask()) && RuleContext.isU32(t.ctmask());
    } else {
      RestoreConnmark t = (RestoreConnmark) target;
      return RuleContext.isU32(t.nfmask()) && RuleContext.isU32(t.ctmask());
    }
  }

  @Override
  void check(Target target, RuleContext rule, Findings findings) {
    if (target instanceof SetMark t) {
      RuleContext.checkU32(findings, "MARK --set-xmark value", t.value());
      RuleContext.checkU32(findings, "MARK --set-xmark mask", t.mask());
    } else if (target instanceof SetConnmark t) {
      RuleContext.checkU32(findings, "CONNMARK --set-xmark value", t.value());
      RuleContext.checkU32(findings, "CONNMARK --set-xmark mask", t.mask());
    } else if (target instanceof SaveConnmark t) {
      RuleContext.checkU32(findings, "CONNMARK --save-mark --nfmask", t.nfmask());
      RuleContext.checkU32(findings, "CONNMARK --save-mark --ctmask", t.ctmask());
    } else {
      RestoreConnmark t = (RestoreConnmark) target;
      RuleContext.checkU32(findings, "CONNMARK --restore-mark --nfmask", t.nfmask());
      RuleContext.checkU32(findings, "CONNMARK --restore-mark --ctmask", t.ctmask());
    }
  }
}
