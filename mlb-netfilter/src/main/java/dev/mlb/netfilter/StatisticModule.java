package dev.mlb.netfilter;

import static dev.mlb.netfilter.Arguments.quoted;

import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code -m statistic --mode nth [!] --every N --packet P} and {@code -m statistic --mode random
 * [!] --probability P} ({@link StatisticMatch}).
 *
 * <pre>{@code
 * -m statistic --mode random --probability 0.5    // reads as StatisticMatch.random(0.5)
 * -m statistic --mode random --probability 0.50000000000   // written so, as iptables-save prints it
 * }</pre>
 */
final class StatisticModule extends MatchModule<StatisticMatch> {
  static final StatisticModule INSTANCE = new StatisticModule();

  private static final List<String> OPTIONS = List.of("--mode", "--every", "--packet", "--probability");
  private static final Pattern DECIMAL = Pattern.compile("[0-9]*\\.?[0-9]*([eE][+-]?[0-9]+)?");

  private StatisticModule() {
    super("statistic", StatisticMatch.class);
  }

  @Override
  List<String> options() {
    return OPTIONS;
  }

  @Override
  boolean negatable(String option) {
    return option.equals("--every") || option.equals("--probability");
  }

  @Override
  Reader reader(ModuleContext rule, String name, Token at) {
    return new StatisticReader(rule, at);
  }

  private final class StatisticReader extends Reader {
    private String mode;
    private long every;
    private long packet;
    private double probability;

    StatisticReader(ModuleContext rule, Token at) {
      super(StatisticModule.this, "statistic", at, rule);
    }

    @Override
    void value(String option, Token optionToken, Token arg) {
      switch (option) {
        case "--mode" -> {
          if (!arg.text().equals("nth") && !arg.text().equals("random")) {
            throw error(arg, "unknown mode " + quoted(arg.text()) + " for -m statistic; expected nth or random");
          }
          mode = arg.text();
        }
        case "--every" -> {
          every = Arguments.u32(rule, arg, "--every");
          if (every == 0) {
            throw error(arg, "--every 0 is out of range; expected 1 to 4294967295");
          }
          exclusive(optionToken, "--every", "--probability");
        }
        case "--packet" -> {
          packet = Arguments.u32(rule, arg, "--packet");
          exclusive(optionToken, "--packet", "--probability");
        }
        case "--probability" -> {
          String text = arg.text();
          if (!DECIMAL.matcher(text).matches() || text.chars().noneMatch(Character::isDigit)) {
            throw error(arg, "bad value " + quoted(text)
                + " for --probability; expected a decimal number from 0 to 1");
          }
          probability = Double.parseDouble(text);
          if (!(probability >= 0 && probability <= 1)) {
            throw error(arg, "--probability " + text + " is out of range; expected 0 to 1");
          }
          exclusive(optionToken, "--probability", "--every");
          exclusive(optionToken, "--probability", "--packet");
        }
        default -> throw new AssertionError(option);
      }
    }

    private void exclusive(Token where, String option, String other) {
      if (given.containsKey(other)) {
        throw error(where, "option " + quoted(option) + " cannot be used together with " + quoted(other));
      }
    }

    @Override
    Match finish() {
      if (mode == null) {
        throw error(at, "-m statistic needs --mode nth or --mode random");
      }
      if (mode.equals("nth")) {
        if (given.containsKey("--probability")) {
          throw error(given.get("--probability"), "option \"--probability\" is for --mode random, not --mode nth");
        }
        if (given.containsKey("--every") && !given.containsKey("--packet")) {
          throw error(given.get("--every"), "option \"--every\" also requires \"--packet\"");
        }
        if (given.containsKey("--packet") && !given.containsKey("--every")) {
          throw error(given.get("--packet"), "option \"--packet\" also requires \"--every\"");
        }
        if (!given.containsKey("--every")) {
          throw error(given.get("--mode"), "--mode nth needs --every N and --packet P");
        }
        if (packet >= every) {
          throw error(given.get("--packet"), "--packet " + packet + " is not below --every " + every
              + "; expected 0 to " + (every - 1));
        }
        return new StatisticMatch(new Statistic.Nth(every, packet), negated);
      }
      for (String o : List.of("--every", "--packet")) {
        if (given.containsKey(o)) {
          throw error(given.get(o), "option " + quoted(o) + " is for --mode nth, not --mode random");
        }
      }
      if (!given.containsKey("--probability")) {
        throw error(given.get("--mode"), "--mode random needs --probability P");
      }
      return new StatisticMatch(Statistic.Random.ofProbability(probability), negated);
    }
  }

  @Override
  void write(StatisticMatch m, StringBuilder out) {
    String not = m.negated() ? " !" : "";
    if (m.mode() instanceof Statistic.Nth nth) {
      out.append(" --mode nth").append(not)
          .append(" --every ").append(nth.every())
          .append(" --packet ").append(nth.packet());
    } else {
      Statistic.Random random = (Statistic.Random) m.mode();
      out.append(" --mode random").append(not).append(" --probability ");
      RestoreWriter.appendProbability(out, random);
    }
  }

  @Override
  void check(StatisticMatch m, RuleContext rule, Findings findings) {
    if (m.mode() instanceof Statistic.Nth nth) {
      if (nth.every() < 1 || nth.every() > 0xFFFF_FFFFL) {
        findings.error("statistic-every", "-m statistic --every " + nth.every()
            + " is outside 1..4294967295; --every 0 would never start a period");
      } else if (nth.packet() < 0 || nth.packet() >= nth.every()) {
        findings.error("statistic-packet", "-m statistic --packet " + nth.packet() + " with --every "
            + nth.every() + ": --packet must be 0 to " + (nth.every() - 1));
      }
    } else {
      Statistic.Random r = (Statistic.Random) m.mode();
      if (r.threshold() < 0 || r.threshold() > Statistic.Random.ONE) {
        findings.error("statistic-probability", "-m statistic --probability " + r.probability()
            + " is outside [0, 1]");
      }
    }
  }
}
