package dev.mlb.netfilter;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.Numbers;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * {@code -j CT}: sets up the connection tracking of the packet's new connection (raw table).
 *
 * <pre>{@code
 * Ct.notrack()                                   // -j CT --notrack
 * Ct.zone(Ct.Zone.of(7))                         // -j CT --zone 7
 * Ct.plain().withEvents(EnumSet.of(Ct.Event.NEW, Ct.Event.DESTROY))
 *                                                // -j CT --ctevents new,destroy
 * }</pre>
 *
 * <p>As iptables-nft 1.8.9 reads it (libxt_CT.c, revision 2) and iptables-save prints it:
 * {@code --notrack}, {@code --helper}, {@code --timeout}, {@code --ctevents}, {@code --expevents},
 * then the zone. A zone id is strtoul base 0 up to 65535 or {@code mark} (any case); zone 0 is not
 * printed; {@code --zone-orig} and {@code --zone-reply} together print as {@code --zone} with the
 * last id. Helpers and timeout policies are kernel objects: the kernel refuses a helper it does not
 * have (ENOENT) and a timeout policy nobody created (EINVAL), which mlb cannot see. The target is
 * valid only in the raw table.
 *
 * @param untracked {@code --notrack}
 * @param helper {@code --helper NAME}
 * @param timeout {@code --timeout POLICY}
 * @param events the {@code --ctevents}
 * @param expectationEvents the {@code --expevents} (only {@code new} exists)
 * @param zone the zone, if not 0
 */
public record Ct(boolean untracked, Optional<String> helper, Optional<String> timeout, Set<Event> events,
    Set<ExpectationEvent> expectationEvents, Optional<Zone> zone) implements Target {

  /** The conntrack events of {@code --ctevents}, in the order iptables-save prints them. */
  public enum Event {
    NEW, RELATED, DESTROY, REPLY, ASSURED, PROTOINFO, HELPER, MARK, NATSEQINFO, SECMARK;

    /** The name iptables uses. */
    public String text() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The expectation events of {@code --expevents}. */
  public enum ExpectationEvent {
    NEW;

    /** The name iptables uses. */
    public String text() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Which direction a zone applies to. */
  public enum Direction {
    BOTH("--zone"), ORIGINAL("--zone-orig"), REPLY("--zone-reply");

    private final String option;

    Direction(String option) {
      this.option = option;
    }

    /** The option that sets it. */
    public String option() {
      return option;
    }
  }

  /**
   * A conntrack zone: an id 1 to 65535, or the packet's mark ({@code id} empty).
   *
   * <pre>{@code
   * Ct.Zone.of(7)                              // --zone 7
   * Ct.Zone.fromMark(Ct.Direction.ORIGINAL)    // --zone-orig mark
   * }</pre>
   *
   * @param direction the directions it applies to
   * @param id the zone id, or empty for {@code mark}
   */
  public record Zone(Direction direction, OptionalInt id) {
    public Zone {
      checkArgument(direction != null && id != null, "a zone needs a direction and an id or mark");
      checkArgument(id.isEmpty() || id.getAsInt() >= 1 && id.getAsInt() <= 65535,
          "zone id %s is outside 1 to 65535 (zone 0 is no zone)", id);
    }

    /** Zone {@code id} in both directions. */
    public static Zone of(int id) {
      return new Zone(Direction.BOTH, OptionalInt.of(id));
    }

    /** The zone taken from the packet's mark. */
    public static Zone fromMark(Direction direction) {
      return new Zone(direction, OptionalInt.empty());
    }

    /** As iptables-save prints it: {@code --zone 7}. */
    public String text() {
      return direction.option() + " " + (id.isPresent() ? Integer.toString(id.getAsInt()) : "mark");
    }
  }

  public Ct {
    checkArgument(helper != null && timeout != null && zone != null, "absent parts are Optional.empty()");
    helper.ifPresent(h -> checkArgument(!h.isEmpty() && h.length() <= 15 && h.indexOf(' ') < 0,
        "bad helper name \"%s\"; expected 1 to 15 characters", h));
    timeout.ifPresent(t -> checkArgument(!t.isEmpty() && t.length() <= 31 && t.indexOf(' ') < 0,
        "bad timeout policy name \"%s\"; expected 1 to 31 characters", t));
    events = Set.copyOf(events);
    expectationEvents = Set.copyOf(expectationEvents);
  }

  /** {@code -j CT} with no option. */
  public static Ct plain() {
    return new Ct(false, Optional.empty(), Optional.empty(), Set.of(), Set.of(), Optional.empty());
  }

  /** {@code -j CT --notrack}: the packet is not tracked. */
  public static Ct notrack() {
    return plain().withNotrack();
  }

  /** {@code -j CT --zone ...}. */
  public static Ct zone(Zone zone) {
    return plain().withZone(zone);
  }

  /** This target with {@code --notrack}. */
  public Ct withNotrack() {
    return new Ct(true, helper, timeout, events, expectationEvents, zone);
  }

  /** This target with {@code --zone...}. */
  public Ct withZone(Zone z) {
    return new Ct(untracked, helper, timeout, events, expectationEvents, Optional.of(z));
  }

  /** This target with {@code --helper NAME}. */
  public Ct withHelper(String name) {
    return new Ct(untracked, Optional.of(name), timeout, events, expectationEvents, zone);
  }

  /** This target with {@code --timeout POLICY}. */
  public Ct withTimeout(String policy) {
    return new Ct(untracked, helper, Optional.of(policy), events, expectationEvents, zone);
  }

  /** This target with {@code --ctevents}. */
  public Ct withEvents(Set<Event> e) {
    return new Ct(untracked, helper, timeout, e, expectationEvents, zone);
  }

  /** This target with {@code --expevents}. */
  public Ct withExpectationEvents(Set<ExpectationEvent> e) {
    return new Ct(untracked, helper, timeout, events, e, zone);
  }

  @Override
  public String name() {
    return "CT";
  }

  @Override
  public boolean isTerminating() {
    return false;
  }

  /** Checks a raw-table target: the kernel refuses CT and NOTRACK in every other table. */
  static void checkRaw(String name, RuleContext rule, Findings findings) {
    if (rule.table != TableName.RAW) {
      findings.error("target-table", "-j " + name + " is only valid in the raw table, not in " + rule.table.id()
          + "; the kernel refuses it");
    }
  }

  /** {@code -j CT}: iptables' {@code extensions/libxt_CT.c} (revision 2), as iptables-nft 1.8.9 reads it. */
  static final class CtModule extends TargetModule<Ct> {
    static final CtModule INSTANCE = new CtModule();
    private static final List<String> OPTIONS = List.of("--notrack", "--helper", "--timeout", "--ctevents",
        "--expevents", "--zone", "--zone-orig", "--zone-reply");

    private CtModule() {
      super("CT", List.of(Ct.class));
    }

    @Override
    List<String> options() {
      return OPTIONS;
    }

    @Override
    Set<String> flags() {
      return Set.of("--notrack");
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        private boolean notrack;
        private String helper;
        private String timeout;
        private final Set<Event> events = EnumSet.noneOf(Event.class);
        private final Set<ExpectationEvent> expEvents = EnumSet.noneOf(ExpectationEvent.class);
        // The C structure's zone fields: the id, and the flags ORIG, REPL and MARK.
        private int zoneId;
        private boolean orig;
        private boolean reply;
        private boolean mark;

        @Override
        void value(Token option, Token arg) {
          switch (option.text()) {
            case "--notrack" -> notrack = true;
            case "--helper" -> helper = name(arg, "--helper", 15, "helper");
            case "--timeout" -> timeout = name(arg, "--timeout", 31, "timeout policy");
            case "--ctevents" -> {
              for (String e : arg.text().split(",", -1)) {
                events.add(Event.valueOf(event(arg, e, List.of(Event.values()).stream().map(Event::text).toList())
                    .toUpperCase(Locale.ROOT)));
              }
            }
            case "--expevents" -> {
              for (String e : arg.text().split(",", -1)) {
                event(arg, e, List.of("new"));
                expEvents.add(ExpectationEvent.NEW);
              }
            }
            default -> {
              if (option.text().equals("--zone-orig")) {
                orig = true;
              } else if (option.text().equals("--zone-reply")) {
                reply = true;
              }
              // Every zone option sets the id; the direction flags and mark stay (as in the C structure).
              zoneId = 0;
              if (arg.text().equalsIgnoreCase("mark")) {
                mark = true;
              } else {
                long id = Numbers.parseUnsigned(arg.text(), 65535);
                if (id < 0) {
                  throw error(arg, "bad zone " + Arguments.quoted(arg.text()) + " for " + option.text()
                      + "; expected a zone id 0 to 65535 or mark");
                }
                zoneId = (int) id;
              }
            }
          }
        }

        private String name(Token arg, String option, int max, String what) {
          if (arg.text().isEmpty() || arg.text().length() > max) {
            throw error(arg, "bad " + what + " name " + Arguments.quoted(arg.text()) + " for " + option
                + "; expected 1 to " + max + " characters");
          }
          return arg.text();
        }

        private String event(Token arg, String e, List<String> known) {
          if (!known.contains(e)) {
            throw error(arg, "unknown event type " + Arguments.quoted(e) + "; expected a comma-separated list of "
                + String.join(", ", known));
          }
          return e;
        }

        @Override
        Target finish() {
          Optional<Zone> zone = Optional.empty();
          if (mark || zoneId != 0) {
            Direction d = orig == reply ? Direction.BOTH : orig ? Direction.ORIGINAL : Direction.REPLY;
            zone = Optional.of(new Zone(d, mark ? OptionalInt.empty() : OptionalInt.of(zoneId)));
          }
          return new Ct(notrack, Optional.ofNullable(helper), Optional.ofNullable(timeout), events, expEvents,
              zone);
        }
      };
    }

    @Override
    void write(Ct t, StringBuilder out) {
      out.append(" -j CT");
      if (t.untracked()) {
        out.append(" --notrack");
      }
      t.helper().ifPresent(h -> out.append(" --helper ").append(h));
      t.timeout().ifPresent(h -> out.append(" --timeout ").append(h));
      if (!t.events().isEmpty()) {
        out.append(" --ctevents ").append(String.join(",",
            EnumSet.copyOf(t.events()).stream().map(Event::text).toList()));
      }
      if (!t.expectationEvents().isEmpty()) {
        out.append(" --expevents new");
      }
      t.zone().ifPresent(z -> out.append(' ').append(z.text()));
    }

    @Override
    void check(Ct t, RuleContext rule, Findings findings) {
      checkRaw("CT", rule, findings);
    }
  }

  /** {@code -j NOTRACK}: {@link Notrack}, iptables' alias of {@code -j CT --notrack}. */
  static final class NotrackModule extends TargetModule<Notrack> {
    static final NotrackModule INSTANCE = new NotrackModule();

    private NotrackModule() {
      super("NOTRACK", List.of(Notrack.class));
    }

    @Override
    List<String> options() {
      return List.of();
    }

    @Override
    Reader reader(ModuleContext rule, Token at) {
      return new Reader(this, at, rule) {
        @Override
        void value(Token option, Token arg) {
          throw new AssertionError(option.text());
        }

        @Override
        Target finish() {
          return Notrack.INSTANCE;
        }
      };
    }

    @Override
    void write(Notrack t, StringBuilder out) {
      out.append(" -j NOTRACK");
    }

    @Override
    void check(Notrack t, RuleContext rule, Findings findings) {
      checkRaw("NOTRACK", rule, findings);
    }
  }
}
